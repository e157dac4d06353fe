"""Imported records as stored attempts, field by field, with both grades, for every tool."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from import_helpers import (
    csv_table,
    default_right,
    inspect_run,
    item,
    lighteval_run,
    lmeval_run,
    make_data_dir,
    matharena_outputs,
)
from importer_fixtures import (
    DATE,
    inspect_header,
    inspect_sample,
    lmeval_entry,
    write_eval,
    write_jsonl,
    write_lmeval_results,
)

from papertiger.importers import ImportSpec, ImportSummary, import_files, prompt_of, read_all
from papertiger.schema import condition_id, text_hash
from papertiger.store import open_store


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path)


def run_import(tool: str, path: Path, db: Path, data: Path, **options) -> ImportSummary:
    return import_files(ImportSpec(tool, (path,), db, suite="aime", data_dir=data, **options))


def frame(db: Path, **kw):
    with open_store(db) as store:
        return store.attempts_frame(include_raw=True, **kw)


def grades(db: Path) -> dict[str, list[tuple[str, float]]]:
    """Per attempt key, its grades (grader, score) in write order."""
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT attempt_key, grader, score FROM grades ORDER BY id").fetchall()
    finally:
        con.close()
    out: dict[str, list[tuple[str, float]]] = {}
    for key, grader, score in rows:
        out.setdefault(key, []).append((grader, score))
    return out


def test_lmeval_attempt_field_by_field(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    summary = run_import("lm-eval", lmeval_run(tmp_path), db, data)
    assert [f.new for f in summary.files] == [30, 30] and summary.stored == 0
    rows = frame(db)
    assert len(rows) == 60
    row = rows[(rows.form == "aime2024") & (rows.item_id == "aime2024-I-02")].iloc[0]
    problem = item(2024, 1)
    assert (row.model, row.endpoint_model, row.source) == (
        "org/model-7b",
        "org/model-7b",
        f"lm-eval:{DATE}",
    )
    assert (row.suite, row.form, row.form_released, row.task) == (
        "aime",
        "aime2024",
        "2024-02-01",
        "solve",
    )
    assert row.item_hash == text_hash(str(problem["problem"]))
    sample = read_all("lm-eval", next((tmp_path / "lm-eval").rglob("samples_aime24_*")))[1]
    assert (row.prompt_name, row.prompt_hash) == prompt_of(sample)
    assert json.loads(row.sampling_json) == {
        "temperature": 0.6,
        "top_p": None,
        "max_tokens": 2048,
        "reasoning_effort": None,
        "extra": {},
    }
    assert row.seed is pd_na() and row.seed_base is pd_na() and row.sample_index == 0
    assert row.condition == condition_id("solve", row.prompt_hash, row.sampling_json, None)
    assert (row.status, row.text, row.reasoning) == (
        "ok",
        f"... so \\boxed{{{problem['answer']}}}",
        None,
    )
    assert (row.gold, row.problem) == (problem["answer"], problem["problem"])
    assert (row.grader, row.score, row.extracted) == ("integer", 1.0, problem["answer"])
    raw = json.loads(row.raw)
    assert (raw["tool"], raw["item_key"], raw["filter"], raw["metric"]) == (
        "lm-eval",
        "1",
        "none",
        "exact_match",
    )
    assert raw["locator"] == "line 2" and raw["prompt"].startswith("Question: Synthetic 2024")
    assert grades(db)[row.key] == [("source:lm-eval", 1.0), ("integer", 1.0)]


def pd_na():
    import pandas as pd

    return pd.NA


def test_model_option_names_the_model(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    run_import("lm-eval", lmeval_run(tmp_path), db, data, model="kimi-k2")
    rows = frame(db)
    assert set(rows.model) == {"kimi-k2"} and set(rows.endpoint_model) == {"org/model-7b"}


def test_inspect_attempt_field_by_field(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    folder = inspect_run(tmp_path, years=(2024,))
    run_import("inspect", folder, db, data)
    rows = frame(db)
    row = rows[rows.item_id == "aime2024-II-03"].iloc[0]
    assert (row.model, row.source, row.form, row.sample_index) == (
        "openai/gpt-4o",
        "inspect:eval-2024",
        "aime2024",
        0,
    )
    assert (row.text, row.reasoning) == (
        "The answer is \\boxed{" + answer_of(2024, 17) + "}.",
        "Let me think.",
    )
    assert (row.prompt_tokens, row.completion_tokens, row.reasoning_tokens) == (100, 50, 20)
    assert (row.cost_usd, row.latency_s, row.finish_reason) == (0.002, 3.5, "stop")
    assert json.loads(row.sampling_json)["temperature"] == 0.7
    assert grades(db)[row.key] == [("source:inspect", 1.0), ("integer", 1.0)]
    with open_store(db) as store:
        versions = store.attempts_frame("source:inspect")["grader_version"]
    assert set(versions) == {"0.3.99"}


def answer_of(year: int, index: int) -> str:
    from import_helpers import answer

    return answer(year, index, default_right)


def test_inspect_errors_and_truncation(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    long = inspect_sample("2024-I-2", 1, text="I ran out of")
    long["output"]["choices"][0]["stop_reason"] = "max_tokens"
    samples = [inspect_sample("2024-I-1", 1, error="model API timed out"), long]
    for sample in samples:
        sample["target"] = item(2024, 0)["answer"]
    path = write_eval(tmp_path / "logs" / "a.eval", inspect_header(task="aime2024"), samples)
    summary = run_import("inspect", path, db, data)
    assert summary.files[0].errors == 1
    rows = frame(db).set_index("item_id")
    failed = rows.loc["aime2024-I-01"]
    assert (failed.status, failed.error, pd_is_na(failed.text)) == (
        "error",
        "model API timed out",
        True,
    )
    assert pd_is_na(failed.grader)  # errors are never graded, by anyone
    cut = rows.loc["aime2024-I-02"]
    assert (cut.finish_reason, cut.grader, cut["flags"]) == ("length", "integer", "truncated")
    with open_store(db) as store:
        assert len(store.errors_frame()) == 1


def pd_is_na(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_lighteval_attempt_field_by_field(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    run_import("lighteval", lighteval_run(tmp_path), db, data)
    rows = frame(db)
    assert len(rows) == 60 and set(rows.source) == {f"lighteval:{DATE}"}
    row = rows[rows.item_id == "aime2025-I-01"].iloc[0]
    assert (row.model, row.reasoning, row.prompt_tokens, row.completion_tokens) == (
        "org/model-7b",
        "hmm",
        4,
        2,
    )
    assert row.prompt_name == "lighteval" and json.loads(row.sampling_json)["max_tokens"] == 1024
    assert grades(db)[row.key] == [("source:lighteval", 1.0), ("integer", 1.0)]
    with open_store(db) as store:
        assert set(store.attempts_frame("source:lighteval")["grader_version"]) == {"abc123"}


def test_matharena_runs_field_by_field(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    run_import("matharena", matharena_outputs(tmp_path), db, data, model="kimi-k2")
    rows = frame(db)
    assert len(rows) == 120 and set(rows.sample_index) == {0, 1}
    first = rows[(rows.item_id == "aime2025-I-03") & (rows.sample_index == 0)].iloc[0]
    second = rows[(rows.item_id == "aime2025-I-03") & (rows.sample_index == 1)].iloc[0]
    assert (first.model, first.endpoint_model, first.source) == (
        "kimi-k2",
        "moonshot/k2",
        "matharena",
    )
    assert (first.reasoning, first.prompt_tokens, first.completion_tokens) == (
        "thinking 0",
        100,
        50,
    )
    assert (first.cost_usd, first.latency_s, second.latency_s) == (0.02, 10.0, 11.0)
    assert first.prompt_name == "matharena"  # the instruction is recorded around the problem
    assert (second.text, second.grader, second.score) == ("Thus \\boxed{7}.", "integer", 0.0)
    assert json.loads(second.raw)["extra"]["warning"] == 3


def test_csv_verdicts_and_texts(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    run_import("csv", csv_table(tmp_path / "chat.csv"), db, data)
    rows = frame(db)
    assert set(rows.source) == {"csv"} and set(rows.prompt_name) == {"csv (no prompt)"}
    only_verdict = rows[rows.item_id == "aime2024-I-01"].iloc[0]
    assert (only_verdict.status, pd_is_na(only_verdict.text), only_verdict.cost_usd) == (
        "ok",
        True,
        0.01,
    )
    assert (only_verdict.grader, only_verdict.score) == ("source:csv", 0.0)  # index 0: wrong
    with_text = rows[rows.item_id == "aime2025-I-01"].iloc[0]
    assert grades(db)[with_text.key] == [("source:csv", 1.0), ("integer", 1.0)]


def test_disagreements_are_counted_and_papertigers_grade_counts(tmp_path: Path, data: Path) -> None:
    folder = tmp_path / "lm"
    entries = []
    for i in range(4):
        entry = lmeval_entry(
            i, [f"\\boxed{{{item(2024, i)['answer']}}}"], metrics={"exact_match": 0.0}
        )
        entry["doc"]["problem"] = item(2024, i)["problem"]
        entries.append(entry)
    entries[0]["exact_match"] = 1.0
    entries[1]["resps"] = [["no answer at all"]]
    entries[1]["exact_match"] = 1.0
    write_jsonl(folder / f"samples_aime24_{DATE}.jsonl", entries)
    write_lmeval_results(folder)
    db = tmp_path / "r.db"
    (report,) = run_import("lm-eval", folder, db, data).files
    assert (report.prepared.graded_twice, report.prepared.disagreements) == (4, 3)
    assert frame(db).sort_values("item_id").correct.tolist() == [True, False, True, True]
    with open_store(db) as store:
        theirs = store.attempts_frame("source:lm-eval").sort_values("item_id")
    assert theirs.correct.tolist() == [True, True, False, False]


def test_lmeval_filters_and_repeats(tmp_path: Path, data: Path) -> None:
    folder = tmp_path / "lm"
    text = [f"\\boxed{{{item(2024, 0)['answer']}}}", "\\boxed{5}", "\\boxed{5}"]
    entries = [
        lmeval_entry(0, text, filter_name="strict-match", metrics={"exact_match": 1.0}),
        lmeval_entry(0, text, filter_name="maj@3", metrics={"exact_match": 0.0}),
        lmeval_entry(1, ["\\boxed{1}"], filter_name="strict-match", metrics={"exact_match": 0.0}),
        lmeval_entry(1, ["\\boxed{1}"], filter_name="maj@3", metrics={"exact_match": 1.0}),
    ]
    write_jsonl(folder / f"samples_aime24_{DATE}.jsonl", entries)
    write_lmeval_results(folder, filters=("strict-match", "maj@3"))
    db = tmp_path / "r.db"
    (report,) = run_import("lm-eval", folder, db, data).files
    assert report.new == 4 and not report.unmatched  # 3 repeats of doc 0, 1 of doc 1
    rows = frame(db).set_index(["item_id", "sample_index"])
    assert rows.loc[("aime2024-I-01", 2)].text == "\\boxed{5}"
    by_key = grades(db)
    # k = 3: the tool's value is per document, not a verdict on each repeat
    assert by_key[rows.loc[("aime2024-I-01", 0)].key] == [("integer", 1.0)]
    assert by_key[rows.loc[("aime2024-I-02", 0)].key] == [
        ("source:lm-eval", 0.0),
        ("source:lm-eval:maj@3", 1.0),
        ("integer", 0.0),
    ]


def test_unmatched_and_clashing_records_are_reported_not_stored(tmp_path: Path, data: Path) -> None:
    folder = tmp_path / "lm"
    entries = [lmeval_entry(i, ["\\boxed{1}"]) for i in (0, 1, 40, 41)]
    entries[1]["doc"]["problem"] = item(2024, 0)["problem"]  # doc 1 is the text of doc 0's item
    write_jsonl(folder / f"samples_aime24_{DATE}.jsonl", entries)
    write_lmeval_results(folder)
    db = tmp_path / "r.db"
    (report,) = run_import("lm-eval", folder, db, data).files
    assert report.new == 1
    reasons = {(u.item_key, u.locator): u.reason for u in report.unmatched}
    assert set(reasons) == {("1", "line 2"), ("40", "line 3"), ("41", "line 4")}
    assert "same item and sample as line 1" in reasons[("1", "line 2")]
    assert "no item of form 'aime2024'" in reasons[("40", "line 3")]
    assert len(frame(db)) == 1


def test_run_record_and_model_metadata(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    models = tmp_path / "models.toml"
    models.write_text(
        '[[model]]\nname = "org/model-7b"\ngroup = "US"\nlab = "Org"\nreleased = 2024-09-01\n'
    )
    summary = run_import("lm-eval", lmeval_run(tmp_path), db, data, models_file=models)
    with open_store(db) as store:
        runs = store.runs_frame()
        holdings = store.holdings()
    assert runs.run_id.tolist() == [summary.run_id] and runs.outcome.tolist() == ["completed"]
    spec = json.loads(runs.spec_json[0])
    assert (
        spec["import"] == "lm-eval"
        and spec["sources"] == [f"lm-eval:{DATE}"]
        and spec["seed_base"] is None
    )
    assert len(spec["files"]) == 2 and [f["name"] for f in spec["forms"]] == [
        "aime2024",
        "aime2025",
        "aime2026",
    ]
    (model,) = spec["models"]
    assert (model["name"], model["group"], model["lab"], model["released"]) == (
        "org/model-7b",
        "US",
        "Org",
        "2024-09-01",
    )
    assert model["sampling"]["temperature"] == 0.6
    assert holdings.sources.tolist() == [f"lm-eval:{DATE}"] and holdings.runs.tolist() == [
        summary.run_id
    ]


def test_an_import_never_blanks_metadata_the_store_has(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    with open_store(db) as store:
        run = store.start_run(spec={"models": [{"name": "mine", "group": "CN", "lab": "L"}]})
        store.finish_run(run)
    run_import("csv", csv_table(tmp_path / "t.csv", model="mine"), db, data)
    with open_store(db) as store:
        spec = json.loads(store.runs_frame().spec_json.iloc[-1])
    assert (spec["models"][0]["group"], spec["models"][0]["lab"]) == ("CN", "L")
