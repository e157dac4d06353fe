"""The memorisation probe: planning (ratios, wordings, keys, sampling), grading, resume, mode
detection, and the CLI end to end against the loopback server with two models, one of
which memorised the old form (`tests/memorising.py`): the report separates them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from probe_helpers import (
    FORMS,
    ITEMS,
    SERVER,
    memorised_old,
    problem_text,
    write_models,
    write_suite,
)

from openai_server import running_server
from papertiger.analysis.sections.probe import parse_probe_prompt
from papertiger.benchmarks import load_suite
from papertiger.cli import main
from papertiger.errors import ConfigError
from papertiger.grading import get_grader
from papertiger.grading.continuation import ContinuationGrader, split_prefix
from papertiger.runner.probe import (
    CHAT_TEMPLATE,
    PROBE_GRADERS,
    ProbeSpec,
    check_probe_spec,
    plan_probe,
    probe_grades,
    probe_items,
    probe_prompt_hash,
    probe_prompt_name,
)
from papertiger.runner.probe_run import probe
from papertiger.schema import (
    BenchmarkSet,
    Completion,
    ModelSpec,
    Problem,
    Suite,
    attempt_key,
    text_hash,
)
from papertiger.store import AttemptFilter, open_store

KEY = "sk-test-probe-0123456789"


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str):
    monkeypatch.setattr(sys, "argv", ["papertiger", *args])
    monkeypatch.setenv("COLUMNS", "200")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def tiny_suite(alt: str | None = "Another wording of the very same question about $x + 1$.") -> Suite:
    problems = (
        Problem(benchmark="old", item_id="a", answer="7", problem_alt=alt,
                problem="Find the number of ways to colour a necklace of $x + 1$ beads in red."),
        Problem(benchmark="old", item_id="b", answer="12", problem="Nospaceshere"),
    )
    fresh = (Problem(benchmark="new", item_id="c", answer="5",
                     problem="Let $a_n$ be a sequence with $a_1 = 2$ and so on; find $a_9$."),)
    return Suite(name="tiny", forms=(BenchmarkSet(name="old", problems=problems),
                                     BenchmarkSet(name="new", problems=fresh)))


def model(name: str = "m", **extra: object) -> ModelSpec:
    return ModelSpec(name=name, base_url="http://127.0.0.1:9/v1", model=f"{name}-id", **extra)


def spec(tmp_path: Path, **changes: object) -> ProbeSpec:
    fields: dict[str, object] = {"models": (model(),), "suite": tiny_suite(), "db": tmp_path / "p.db"}
    return ProbeSpec(**{**fields, **changes})  # type: ignore[arg-type]


# -- planning -----------------------------------------------------------------------------


def test_one_attempt_per_item_wording_and_ratio_each_cut_as_graded(tmp_path) -> None:
    items, uncut = probe_items(spec(tmp_path), {"m": "completion"})
    # item a: two wordings, item c: one; item b has no word boundary and is named, not probed
    assert len(items) == 3 * 3
    assert uncut == ["old/b (problem)"]
    for item in items:
        text = item.problem.problem if item.wording == "problem" else item.problem.problem_alt
        assert (item.prefix, item.remainder) == split_prefix(text, item.ratio)
        assert item.identity.task == "continue" and item.identity.sample_index == 0
        assert item.identity.item_hash == text_hash(text)
        assert item.identity.prompt_name == probe_prompt_name("completion", item.ratio, item.wording)
        assert item.request.kind == "completion" and item.request.prompt == item.prefix
        assert item.request.sampling.temperature == 0.0
    names = {i.identity.prompt_name for i in items}
    assert "probe-completion@0.6" in names and "probe-completion@0.4/problem_alt" in names
    assert {i.ratio for i in items} == {0.4, 0.6, 0.8}


def test_a_second_wording_equal_to_the_first_is_not_probed_twice(tmp_path) -> None:
    same = tiny_suite(alt="  Find the number of ways to colour a necklace of $x + 1$ beads in red. ")
    items, _ = probe_items(spec(tmp_path, suite=same), {"m": "completion"})
    assert {i.wording for i in items} == {"problem"}


def test_chat_mode_sends_the_instruction_ending_with_the_prefix(tmp_path) -> None:
    items, _ = probe_items(spec(tmp_path, ratios=(0.5,)), {"m": "chat"})
    for item in items:
        content = item.request.messages[-1]["content"]
        assert item.request.kind == "chat" and content.endswith("\n\n" + item.prefix)
        assert content.startswith(CHAT_TEMPLATE.split("{prefix}")[0]) and "\\boxed{}" in content
        assert item.identity.prompt_name.startswith("probe-chat@0.5")


def test_keys_are_stable_distinct_and_name_mode_ratio_and_wording(tmp_path) -> None:
    first, _ = probe_items(spec(tmp_path), {"m": "completion"})
    again, _ = probe_items(spec(tmp_path), {"m": "completion"})
    chat, _ = probe_items(spec(tmp_path), {"m": "chat"})
    assert [i.key for i in first] == [i.key for i in again]
    assert all(i.key == attempt_key(i.identity) for i in first)
    keys = {i.key for i in first} | {i.key for i in chat}
    assert len(keys) == 2 * len(first)
    hashes = {probe_prompt_hash(m, r, w) for m in ("completion", "chat") for r in (0.4, 0.6)
              for w in ("problem", "problem_alt")}
    assert len(hashes) == 8


def test_replies_are_sized_to_the_remainder_and_capped(tmp_path) -> None:
    items, _ = probe_items(spec(tmp_path), {"m": "completion"})
    for item in items:
        assert item.request.sampling.max_tokens == min(1024, 2 * -(-len(item.remainder) // 3) + 32)
    capped, _ = probe_items(spec(tmp_path, max_tokens=20), {"m": "completion"})
    assert {i.request.sampling.max_tokens for i in capped} == {20}


@pytest.mark.parametrize("ratios", [(0.0,), (1.0,), (0.6, 0.6), (), (float("nan"),)])
def test_bad_ratios_are_refused(tmp_path, ratios) -> None:
    with pytest.raises(ConfigError):
        check_probe_spec(spec(tmp_path, ratios=ratios))


def test_analysis_reads_the_prompt_names_the_runner_writes() -> None:
    for mode in ("completion", "chat"):
        for ratio in (0.25, 0.4, 0.8):
            for wording in ("problem", "problem_alt"):
                assert parse_probe_prompt(probe_prompt_name(mode, ratio, wording)) == (mode, ratio, wording)
    assert parse_probe_prompt("boxed") is None


def test_finished_keys_are_not_planned_again(tmp_path) -> None:
    s = spec(tmp_path)
    with open_store(":memory:") as store:
        plan = plan_probe(s, store, {"m": "completion"})
        done = plan.items[:4]
        from papertiger.schema import Attempt

        store.put_attempts([Attempt(identity=i.identity, completion=Completion(key=i.key, status="ok", text="x"))
                            for i in done])
        again = plan_probe(s, store, {"m": "completion"})
    assert again.done == 4 and {i.key for i in again.todo} == {i.key for i in plan.items[4:]}


# -- grading ------------------------------------------------------------------------------


def test_grades_score_the_remainder_and_the_answer(tmp_path) -> None:
    items, _ = probe_items(spec(tmp_path, ratios=(0.5,)), {"m": "completion"})
    item = next(i for i in items if i.problem.item_id == "a" and i.wording == "problem")
    grader = get_grader("integer")

    def grades(text: str) -> dict[str, object]:
        done = Completion(key=item.key, status="ok", text=text)
        return {g.grader: g for g in probe_grades(item, done, grader)}

    exact = grades(item.remainder + " The answer is \\boxed{7}.")
    assert [exact[n].score for n in PROBE_GRADERS] == [1.0, 1.0, 1.0, 1.0]
    assert exact["continuation-rouge_l"].version == ContinuationGrader.version
    assert exact["continuation-answer"].version.startswith(ContinuationGrader.version + "+integer-")
    other = grades("zebra quantum umbrella")
    assert other["continuation-exact"].score == 0.0 and other["continuation-rouge_l"].score == 0.0
    # a last number is only a fallback guess: it never counts as reaching the answer
    fallback = grades("beads 7")
    assert fallback["continuation-answer"].score == 0.0
    assert "fallback" in fallback["continuation-answer"].flags


# -- against the loopback server ----------------------------------------------------------


@pytest.fixture
def probe_files(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERTIGER_TEST_KEY", KEY)
    return tmp_path, write_suite(tmp_path)


def probe_args(models: Path, suites: Path, db: Path, *extra: str) -> list[str]:
    return ["probe", "memorization", "--models", str(models), "--suite", "demo",
            "--suites", str(suites), "--db", str(db), *extra]


def memory_of_both_wordings() -> dict[str, str]:
    memory = memorised_old()
    return {**memory, **{problem_text(2024, i, alt=True): memory[problem_text(2024, i)]
                         for i in (0, 1)}}


def gaps(report: dict, model: str, metric: str) -> list[dict]:
    section = next(x for x in report["extras"] if x["section"].startswith("Memorisation probe"))
    key = "answer_accuracy" if metric == "answer" else "text_recall"
    return [g for g in section[key] if g["model"] == model and g["metric"] == metric]


@pytest.mark.parametrize("chat_only", [False, True], ids=["completion", "chat"])
def test_report_separates_a_memorising_model_from_one_that_did_not(
    probe_files, monkeypatch, capsys, chat_only
) -> None:
    tmp_path, suites = probe_files
    db = tmp_path / "results.db"
    server = {**SERVER, "memorised": {**memory_of_both_wordings()}, "chat_only": chat_only}
    with running_server(**server) as url:
        models = write_models(tmp_path / "models.toml", url)
        code, _, err = cli(monkeypatch, capsys, "run", "--models", str(models), "--suite", "demo",
                           "--suites", str(suites), "--db", str(db), "--samples", "1")
        assert code == 0, err
        code, out, err = cli(monkeypatch, capsys, "report", "--db", str(db), "--format", "json")
        assert code == 0, err  # no probe attempts yet: no probe section
        assert not [x for x in json.loads(out)["extras"] if x["section"].startswith("Memorisation")]
        code, out, err = cli(monkeypatch, capsys, *probe_args(models, suites, db))
        assert code == 0, err
        mode = "chat" if chat_only else "completion"
        assert f"recaller: {mode}" in out and f"honest: {mode}" in out
        paths = {e["path"] for e in url.server.log()}
    assert ("/v1/completions" in paths) and ("/v1/chat/completions" in paths)
    with open_store(db, readonly=True) as store:
        frame = store.attempts_frame(where=AttemptFilter(tasks=["continue"]), latest_grader=False)
    assert len(frame["key"].unique()) == 2 * 2 * (ITEMS + 2) * 3
    assert set(frame["grader"]) == set(PROBE_GRADERS)
    assert all(str(n).startswith(f"probe-{mode}@") for n in frame["prompt_name"])
    code, out, err = cli(monkeypatch, capsys, "report", "--db", str(db), "--format", "json",
                         "--figures", str(tmp_path / "figs"))
    assert code == 0, err
    report = json.loads(out)
    for metric in ("rouge_l", "exact", "edit"):
        rows = gaps(report, "recaller", metric)
        assert len(rows) == 3
        assert all(r["old"]["estimate"] > 0.99 for r in rows), rows
        assert all(r["fresh"]["estimate"] < 0.3 for r in rows), rows
        assert all(r["difference"]["low"] > 0.5 for r in rows), rows
        honest = gaps(report, "honest", metric)
        assert all(r["old"]["estimate"] < 0.3 and r["fresh"]["estimate"] < 0.3 for r in honest)
        assert all(abs(r["difference"]["estimate"]) < 0.05 for r in honest)
    answers = gaps(report, "recaller", "answer")
    assert [r["old"]["estimate"] for r in answers] == [1.0, 1.0, 1.0]
    assert [r["fresh"]["estimate"] for r in answers] == [0.0, 0.0, 0.0]
    assert all(r["old"]["estimate"] == 0.0 for r in gaps(report, "honest", "answer"))
    assert gaps(report, "recaller", "rouge_l")[0]["old_forms"] == [FORMS[0][0]]
    assert (tmp_path / "figs" / "probe_memorisation.svg").is_file()
    code, out, _ = cli(monkeypatch, capsys, "report", "--db", str(db))
    assert "Memorisation probe" in out and "Answer accuracy" in out and "Text recall" in out


def test_resume_sends_nothing_twice_and_keeps_the_mode(probe_files, monkeypatch, capsys) -> None:
    tmp_path, suites = probe_files
    db = tmp_path / "results.db"
    with running_server(**SERVER, chat_only=True) as url:
        models = write_models(tmp_path / "models.toml", url)
        code, _, err = cli(monkeypatch, capsys, *probe_args(models, suites, db, "--prefix", "0.5"))
        assert code == 0, err
        sent = len(url.server.log())
        code, out, err = cli(monkeypatch, capsys, *probe_args(models, suites, db, "--prefix", "0.5"))
        assert code == 0, err
        assert "nothing to do" in out and len(url.server.log()) == sent
    with open_store(db, readonly=True) as store:
        runs = len(store.runs_frame())
    assert runs == 1
    # the same store, a server that now offers completions: stored chat mode is kept
    with running_server(**SERVER) as url:
        models = write_models(tmp_path / "models.toml", url)
        code, out, err = cli(monkeypatch, capsys, *probe_args(models, suites, db, "--prefix", "0.5",
                                                                "--prefix", "0.7"))
        assert code == 0, err
        log = url.server.log()
    assert {e["path"] for e in log} == {"/v1/chat/completions"}  # no preflight, chat kept
    assert len(log) == 2 * 2 * (ITEMS + 2)  # two models × two forms, the new ratio only


def test_failed_attempts_are_stored_unscored_and_retried(probe_files, monkeypatch, capsys) -> None:
    tmp_path, suites = probe_files
    db = tmp_path / "results.db"
    target = problem_text(2025, 3)[:30]
    rules = [{"fault": "400", "prompt_contains": target, "times": 2}]
    with running_server(**SERVER, rules=rules) as url:
        models = write_models(tmp_path / "models.toml", url)
        code, out, err = cli(monkeypatch, capsys, *probe_args(models, suites, db, "--prefix", "0.5"))
        assert code == 3 and "2 failed" in out, out + err
        with open_store(db, readonly=True) as store:
            frame = store.attempts_frame(where=AttemptFilter(tasks=["continue"]), latest_grader=False)
        failed = frame[frame["status"] == "error"]
        assert len(failed) == 2 and failed["grader"].isna().all()
        url.server.reset()
        code, out, err = cli(monkeypatch, capsys, *probe_args(models, suites, db, "--prefix", "0.5"))
        assert code == 0, out + err
        assert len(url.server.log()) == 2


def test_dry_run_sends_nothing_and_creates_no_store(probe_files, monkeypatch, capsys) -> None:
    tmp_path, suites = probe_files
    db = tmp_path / "results.db"
    with running_server(**SERVER) as url:
        models = write_models(tmp_path / "models.toml", url)
        code, out, err = cli(monkeypatch, capsys, *probe_args(models, suites, db, "--dry-run"))
        assert code == 0, err
        assert url.server.log() == []
    assert not db.exists()
    assert "auto (decided when run)" in out and f"{2 * (ITEMS + 2) * 3}" in out


def test_a_failing_mode_preflight_stops_before_anything_is_stored(probe_files, monkeypatch, capsys) -> None:
    tmp_path, suites = probe_files
    db = tmp_path / "results.db"
    with running_server(**SERVER, rules=[{"fault": "400", "prompt_contains": "1, 2, 3,"}]) as url:
        models = write_models(tmp_path / "models.toml", url)
        code, _, err = cli(monkeypatch, capsys, *probe_args(models, suites, db))
    assert code == 2 and "completions preflight failed" in err and "--mode chat" in err
    assert "Traceback" not in err
    with open_store(db, readonly=True) as store:
        assert store.count_attempts() == 0


def test_bad_prefix_flag_is_one_line_exit_2(probe_files, monkeypatch, capsys) -> None:
    tmp_path, suites = probe_files
    models = write_models(tmp_path / "models.toml", "http://127.0.0.1:9/v1")
    code, _, err = cli(monkeypatch, capsys, *probe_args(models, suites, tmp_path / "x.db",
                                                        "--prefix", "1.5"))
    assert code == 2 and "--prefix 1.5" in err and "Traceback" not in err


def test_library_probe_with_the_scripted_provider(tmp_path) -> None:
    suite = load_suite("demo", suites_file=write_suite(tmp_path))
    s = ProbeSpec(models=(ModelSpec(name="s", provider="scripted"),), suite=suite,
                  db=tmp_path / "s.db", ratios=(0.6,))
    summary = probe(s)
    assert summary.modes == {"s": "completion"} and summary.ok == 2 * (ITEMS + 2)
    assert asyncio.run(_nothing(s)).nothing_to_do


async def _nothing(s: ProbeSpec):
    from papertiger.runner.probe_run import probe_async

    return await probe_async(s)


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_commits_every_answered_attempt_and_resume_finishes(
    probe_files, signum, status
) -> None:
    tmp_path, suites = probe_files
    db = tmp_path / "results.db"
    env = {**os.environ, "PAPERTIGER_TEST_KEY": KEY}
    with running_server(**SERVER, latency_ms=60) as url:
        models = write_models(tmp_path / "models.toml", url)
        args = [sys.executable, "-m", "papertiger",
                *probe_args(models, suites, db, "--model", "honest", "--concurrency", "2")]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sum(
            e["status"] == 200 and e["path"] == "/v1/completions" for e in url.server.log()
        ) < 12:
            time.sleep(0.02)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
        answered = {e["key"] for e in url.server.log() if e["status"] == 200 and e["key"]}
        with open_store(db, readonly=True) as store:
            kept = set(store.attempts_frame(where=AttemptFilter(tasks=["continue"]))["key"])
            outcome = store.runs_frame()["outcome"].tolist()
        assert proc.returncode == status, err
        assert signal.Signals(signum).name in err and "resume" in err and "Traceback" not in err
        assert outcome == ["interrupted"] and 10 <= len(kept) < 48
        assert len((answered - {None}) - kept) <= 3  # at most the ones in flight
        url.server.reset()
        code = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
        assert code.returncode == 0, code.stderr
        resent = {e["key"] for e in url.server.log()} & kept
    assert resent == set()


def test_british_spelling_and_no_preflight(probe_files, monkeypatch, capsys) -> None:
    tmp_path, suites = probe_files
    db = tmp_path / "results.db"
    with running_server(**SERVER, served_models=("someone-else",)) as url:
        models = write_models(tmp_path / "models.toml", url)
        args = probe_args(models, suites, db, "--prefix", "0.5")
        args[1] = "memorisation"
        code, _, err = cli(monkeypatch, capsys, *args)
        assert code == 2 and "preflight:" in err and "does not serve model" in err
        assert url.server.log() == []  # the model list said no: nothing was sent
        code, out, err = cli(monkeypatch, capsys, *args, "--no-preflight")
    assert "preflight:" not in err and code == 3  # sent, and the server refused each


def test_release_order_without_dates_and_flagged_items_left_out(tmp_path, monkeypatch, capsys) -> None:
    from papertiger.analysis import AttemptSource, ReportOptions, build_report
    from papertiger.analysis.sections.probe import BY_ORDER, ProbeSection
    from papertiger.store.flags import FlagRow

    suites, db = write_suite(tmp_path), tmp_path / "results.db"
    models = tmp_path / "models.toml"
    models.write_text('[[model]]\nname = "undated"\nprovider = "scripted"\n')
    base = ["--models", str(models), "--suite", "demo", "--suites", str(suites), "--db", str(db)]
    assert cli(monkeypatch, capsys, "run", *base, "--samples", "1")[0] == 0
    assert cli(monkeypatch, capsys, "probe", "memorization", *base, "--prefix", "0.5")[0] == 0
    with open_store(db) as store:
        store.put_item_flags("demo", [FlagRow("demo", "demo2025", "demo2025-01", "demo2024",
                                              "demo2024-01", 0.9, None, True, 1, "h")])
    def probe_section(**options: object) -> ProbeSection:
        report = build_report(AttemptSource(db), ReportOptions(**options))  # type: ignore[arg-type]
        return next(x for x in report.extras if isinstance(x, ProbeSection))

    full, kept = probe_section(), probe_section(exclude_flagged=True)
    assert {g.basis for g in full.gaps} == {BY_ORDER}
    assert full.gaps[0].old_forms == ("demo2024",) and full.gaps[0].fresh_forms == ("demo2025",)
    assert any("release order" in n for n in full.notes)
    def n_fresh(section: ProbeSection) -> set[int]:
        return {c.n_items for c in section.cells if c.form == "demo2025" and c.wording == "both"}
    assert n_fresh(full) == {ITEMS} and n_fresh(kept) == {ITEMS - 1}


def test_section_reads_the_newest_grade_and_skips_when_nothing_succeeded(tmp_path) -> None:
    from papertiger.analysis import AttemptSource, ReportOptions
    from papertiger.analysis.results import Skipped
    from papertiger.analysis.sections.base import SectionInput
    from papertiger.analysis.sections.probe import build_probe
    from papertiger.schema import Attempt, Grade

    suite = load_suite("demo", suites_file=write_suite(tmp_path, alt_items=()))
    db = tmp_path / "s.db"
    s = ProbeSpec(models=(ModelSpec(name="s", provider="scripted"),), suite=suite, db=db,
                  ratios=(0.5,))
    inputs = SectionInput(ReportOptions(n_boot=200), source=AttemptSource(db, suite="demo"))
    with open_store(db) as store:  # only a failed attempt: the section applies, scores nothing
        item = plan_probe(s, store, {"s": "completion"}).items[0]
        store.put_attempts([Attempt(identity=item.identity, completion=Completion(
            key=item.key, status="error", error="boom", error_code="http_500"))])
    skipped = build_probe(inputs)
    assert isinstance(skipped, Skipped) and "nothing to score" in skipped.reason
    probe(s)

    def rouge(result) -> float:
        cell = next(c for c in result.cells if c.form == item.identity.form
                    and c.metric == "rouge_l" and c.wording == "problem")
        assert cell.n_items == ITEMS
        return cell.mean

    before = build_probe(inputs)
    with open_store(db) as store:
        first = store.attempts_frame("continuation-rouge_l", where=AttemptFilter(
            tasks=["continue"]), columns=("key",)).set_index("key").loc[item.key, "score"]
        store.put_grades([(item.key, Grade(grader="continuation-rouge_l", version="2",
                                           extracted=None, score=1.0, method="continuation"))])
    after = build_probe(inputs)
    assert rouge(after) - rouge(before) == pytest.approx((1.0 - first) / ITEMS)
    assert after.errors == 0 and after.attempts == 2 * ITEMS


def test_finished_attempts_are_committed_after_a_batch_or_half_a_second(tmp_path, monkeypatch) -> None:
    from papertiger.runner import probe_run
    from papertiger.runner.secrets import Redactor

    clock = [100.0]
    monkeypatch.setattr(probe_run.time, "monotonic", lambda: clock[0])
    items, _ = probe_items(spec(tmp_path), {"m": "completion"})
    with open_store(":memory:") as store:
        writer = probe_run._Writer(store, get_grader("integer"), Redactor(()), batch=3)
        done = [Completion(key=i.key, status="ok", text="x") for i in items]
        writer.add(items[0], done[0], "r")
        writer.add(items[1], done[1], "r")
        assert store.count_attempts() == 0
        writer.add(items[2], done[2], "r")  # the batch is full
        assert store.count_attempts() == 3
        writer.add(items[3], done[3], "r")
        clock[0] += 0.5
        writer.add(items[4], done[4], "r")  # half a second since the last commit
        assert store.count_attempts() == 5
        frame = store.attempts_frame(latest_grader=False)
    assert len(frame) == 5 * 4  # four grades each


def test_a_store_with_only_probe_attempts_is_reported(probe_files, monkeypatch, capsys) -> None:
    tmp_path, suites = probe_files
    db = tmp_path / "results.db"
    with running_server(**SERVER) as url:
        models = write_models(tmp_path / "models.toml", url)
        code, _, err = cli(monkeypatch, capsys, *probe_args(models, suites, db, "--prefix", "0.5"))
        assert code == 0, err
    code, out, err = cli(monkeypatch, capsys, "report", "--db", str(db), "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert [x for x in report["extras"] if x["section"].startswith("Memorisation")]
    recalled = gaps(report, "recaller", "exact")[0]["old"]["estimate"]
    assert recalled > 0.8 > gaps(report, "honest", "exact")[0]["old"]["estimate"]
    code, out, err = cli(monkeypatch, capsys, "report", "--db", str(db))
    assert code == 0, err
    assert "no solve attempts" in out and "Memorisation probe" in out
    code, _, err = cli(monkeypatch, capsys, "report", "--db", str(db), "--html", str(tmp_path / "r.html"))
    assert code == 0, err
    assert "Memorisation probe" in (tmp_path / "r.html").read_text()
