"""Conditions, suites and forms in one store: never pooled, always named, chosen by flag.

Runs go through the real CLI (in-process `main`, as a user types it) against the loopback
server or the scripted provider, into a real SQLite store.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from runner_helpers import YEARS, answers_for, write_models

from openai_server import running_server
from papertiger.analysis import AttemptSource, ConditionChoice, ReportOptions, build_report
from papertiger.cli import main


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str):
    monkeypatch.setattr(sys, "argv", ["papertiger", *args])
    monkeypatch.setenv("COLUMNS", "160")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def both_answers(data_dir: Path) -> dict[str, str]:
    return {**answers_for(data_dir, "boxed"), **answers_for(data_dir, "basic")}


def run_args(models: Path, data_dir: Path, db: Path, *extra: str) -> list[str]:
    return ["run", "--models", str(models), "--suite", "aime", "--data", str(data_dir),
            "--db", str(db), "--forms", "aime2024,aime2025", *extra]


@pytest.fixture
def two_conditions(tmp_path, data_dir, monkeypatch, capsys):
    """One store with boxed k = 4 and basic k = 2; another with only the boxed run."""
    monkeypatch.setenv("PAPERTIGER_TEST_KEY", "sk-test-conditions")
    with running_server(answers=both_answers(data_dir), p_correct=0.6) as url:
        models = write_models(tmp_path / "models.toml", url)
        mixed, alone = tmp_path / "mixed.db", tmp_path / "alone.db"
        for db in (mixed, alone):
            code, _, err = cli(monkeypatch, capsys, *run_args(models, data_dir, db, "--samples", "4", "--prompt", "boxed"))
            assert code == 0, err
        code, _, err = cli(monkeypatch, capsys, *run_args(models, data_dir, mixed, "--samples", "2", "--prompt", "basic"))
        assert code == 0, err
    return mixed, alone


def test_two_prompts_are_not_pooled_and_both_are_named(two_conditions, monkeypatch, capsys) -> None:
    mixed, alone = two_conditions
    code, out, err = cli(monkeypatch, capsys, "report", "--db", str(mixed))
    assert code == 2 and "Traceback" not in err
    assert "choose one with --prompt" in err
    assert "boxed" in err and "basic" in err  # the holdings table names both
    assert out == ""
    with pytest.raises(ConditionChoice) as caught:
        build_report(AttemptSource(mixed))
    assert set(caught.value.holdings["prompt_name"]) == {"boxed", "basic"}


def test_chosen_prompt_equals_a_store_holding_only_that_run(two_conditions, monkeypatch, capsys) -> None:
    mixed, alone = two_conditions
    code, chosen, err = cli(monkeypatch, capsys, "report", "--db", str(mixed), "--prompt", "boxed", "--format", "json")
    assert code == 0, err
    code, only, err = cli(monkeypatch, capsys, "report", "--db", str(alone), "--format", "json")
    assert code == 0, err
    a, b = json.loads(chosen), json.loads(only)
    assert a["sections"] == b["sections"] and a["metrics"] == b["metrics"]
    assert {m["samples"] for m in a["metrics"]} == {4}  # not 6: the basic run is not pooled
    basic = json.loads(cli(monkeypatch, capsys, "report", "--db", str(mixed), "--prompt", "basic",
                           "--format", "json")[1])
    assert {m["samples"] for m in basic["metrics"]} == {2}


def test_two_suites_are_not_pooled(tmp_path, data_dir, monkeypatch, capsys, shared_data) -> None:
    db = tmp_path / "suites.db"
    for suite, k in (("aime", "2"), ("hmmt", "2")):
        code, _, err = cli(monkeypatch, capsys, "run", "--provider", "scripted", "--suite", suite,
                           "--data", str(shared_data), "--db", str(db), "--samples", k)
        assert code == 0, err
    code, out, err = cli(monkeypatch, capsys, "report", "--db", str(db))
    assert code == 2 and "2 suites (aime, hmmt); choose one with --suite" in err
    code, out, err = cli(monkeypatch, capsys, "report", "--db", str(db), "--suite", "hmmt", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["condition"]["suite"] == "hmmt"
    assert [(s["old_label"], s["fresh_label"]) for s in data["sections"]] == [("hmmt_feb2024", "hmmt_feb2025")]
    assert {m["form"] for m in data["metrics"]} == {"hmmt_feb2024", "hmmt_feb2025"}


def test_a_corrected_gold_answer_costs_no_request(tmp_path, data_dir, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PAPERTIGER_TEST_KEY", "sk-test-gold")
    db = tmp_path / "gold.db"
    with running_server(answers=answers_for(data_dir), p_correct=1.0) as url:
        models = write_models(tmp_path / "models.toml", url)
        code, _, err = cli(monkeypatch, capsys, *run_args(models, data_dir, db, "--samples", "1"))
        assert code == 0, err
        sent = len(url.server.log())
        # The 2025 I-01 gold answer was wrong in the file: correct it and run again.
        path = data_dir / "aime_2025.jsonl"
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        rows[0]["answer"] = str((int(rows[0]["answer"]) + 1) % 1000)
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        code, _, err = cli(monkeypatch, capsys, *run_args(models, data_dir, db, "--samples", "1"))
        assert code == 0, err
        assert len(url.server.log()) == sent  # the key hashes the text, never the answer
    before = build_report(AttemptSource(db)).metrics.to_frame()
    code, out, err = cli(monkeypatch, capsys, "regrade", "--db", str(db), "--suite", "aime",
                         "--data", str(data_dir))
    assert code == 0, err
    assert "2 new grade rows" in out  # two models × one sample of the corrected item, no more
    after = build_report(AttemptSource(db)).metrics.to_frame()
    fresh = lambda f: f[f["form"] == "aime2025"]["avg_at_k"].round(2).tolist()  # noqa: E731
    assert fresh(before) == [100.0, 100.0]
    assert fresh(after) == [round(100 * 29 / 30, 2)] * 2  # the answers now disagree with the gold


def test_scripted_run_recovers_the_configured_falls(tmp_path, data_dir, monkeypatch, capsys) -> None:
    from papertiger.config import scripted_catalogue

    db = tmp_path / "scripted.db"
    code, out, err = cli(monkeypatch, capsys, "run", "--provider", "scripted", "--suite", "aime",
                         "--data", str(data_dir), "--db", str(db), "--samples", "8")
    assert code == 0, err
    assert "scripted-east-1" in out
    report = build_report(AttemptSource(db), ReportOptions(metric="pp"))
    assert [(s.old_label, s.fresh_label) for s in report.shrinkage] == [
        ("aime2024", "aime2025"), ("aime2025", "aime2026")]
    configured = {n: m.provider_options["accuracy"] for n, m in scripted_catalogue().items()}
    covered = total = 0
    for index, section in enumerate(report.shrinkage):
        for row in section.models:
            p = configured[row.model]
            truth = 100 * (p[index + 1] - p[index])
            assert row.pp_ci is not None
            covered += row.pp_ci.low <= truth <= row.pp_ci.high
            total += 1
    assert total == 2 * len(configured) and covered >= total - 2  # 95 %: about one miss in twenty
    first = report.shrinkage[0].comparison
    assert first.mean_a < first.mean_b  # the scripted 'east' group falls more, as configured


def test_three_forms_against_the_loopback_server(tmp_path, data_dir, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PAPERTIGER_TEST_KEY", "sk-test-three")
    with running_server(answers=answers_for(data_dir), p_correct=0.7) as url:
        models = write_models(
            tmp_path / "models.toml", url,
            per_model={"fake-cn": {"released": "2025-06-01"},
                       "fake-us": {"training_cutoff": "2024-12-31"}},
        )
        db = tmp_path / "three.db"
        code, _, err = cli(monkeypatch, capsys, "run", "--models", str(models), "--suite", "aime",
                           "--data", str(data_dir), "--db", str(db), "--samples", "2")
        assert code == 0, err
        assert len(url.server.log()) == 2 * 3 * 30 * 2
    code, out, err = cli(monkeypatch, capsys, "report", "--db", str(db), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    pairs = [(s["old_label"], s["fresh_label"]) for s in data["sections"]]
    assert pairs == [("aime2024", "aime2025"), ("aime2025", "aime2026")]
    fresh = {(s["fresh_label"], m["model"]): (m["freshness"], m["freshness_basis"])
             for s in data["sections"] for m in s["models"]}
    assert fresh[("aime2025", "fake-cn")] == ("not fresh", "release date (weaker)")
    assert fresh[("aime2026", "fake-cn")] == ("fresh", "release date (weaker)")
    assert fresh[("aime2025", "fake-us")] == ("fresh", "training cutoff")
    assert [f["name"] for f in data["condition"]["forms"]] == [f"aime{y}" for y in YEARS]
    code, out, _ = cli(monkeypatch, capsys, "report", "--db", str(db))
    assert "aime2024 → aime2025" in out and "aime2025 → aime2026" in out and "fresh?" in out
