"""MathArena: per-problem run files (.json, .json.zst) and rows of its outputs datasets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from importer_fixtures import matharena_row, matharena_run, write_jsonl, write_parquet, zstd

from papertiger.errors import InputError
from papertiger.importers import read_all


def _run_path(tmp_path: Path, name: str, comp: str = "aime/aime_2025") -> Path:
    path = tmp_path / "outputs" / comp / "moonshot" / "k2" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_zst_run_file_field_by_field(tmp_path: Path) -> None:
    path = _run_path(tmp_path, "4.json.zst")
    path.write_bytes(zstd(json.dumps(matharena_run(4)).encode()))
    first, second = read_all("matharena", path)
    assert (first.source_tool, first.source_locator) == ("matharena", "run 0")
    assert (first.model, first.task, first.item_key) == ("moonshot/k2", "aime_2025", "4")
    assert (first.sample_index, second.sample_index) == (0, 1)
    assert (first.problem, first.gold, first.prompt) == ("Problem 4 text", "204", "Problem 4 text")
    assert (first.response, first.reasoning) == ("answer text 0", "thinking 0")
    assert (first.extracted, first.correct, first.score, first.metric) == (
        "204",
        True,
        1.0,
        "correct",
    )
    assert (first.prompt_tokens, first.completion_tokens, first.cost_usd, first.latency_s) == (
        100,
        50,
        0.02,
        10.0,
    )
    assert first.extra["comp"] == "aime/aime_2025" and first.extra["warning"] == 0
    assert first.extra["types"] == ["Algebra"] and "manual_overwrite" not in first.extra
    assert (second.extracted, second.correct, second.completion_tokens) == (None, False, 51)
    assert second.extra["warning"] == 3 and second.extra["manual_overwrite"] is True


def test_old_json_run_file_off_by_one_idx_and_no_detailed_costs(tmp_path: Path) -> None:
    data = matharena_run(7, runs=1)
    data["idx"] = 6  # older files stored idx one lower; the file name is authoritative
    del data["detailed_costs"]
    data["correct"] = ["TODO Grading"]
    path = _run_path(tmp_path, "7.json", comp="aime_2024")
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")
    (sample,) = read_all("matharena", path)
    assert (sample.item_key, sample.extra["idx_field"]) == ("7", 6)
    assert (sample.model, sample.task) == ("moonshot/k2", "aime_2024")
    assert (sample.prompt_tokens, sample.completion_tokens, sample.cost_usd) == (100, 50, 0.02)
    assert (sample.correct, sample.extra["grading"]) == (None, "TODO Grading")


def test_run_file_outside_outputs_tree_and_one_line_json(tmp_path: Path) -> None:
    path = tmp_path / "3.json"
    path.write_text(json.dumps(matharena_run(3)), encoding="utf-8")
    samples = read_all("matharena", path)
    assert {(s.model, s.task) for s in samples} == {(None, None)} and len(samples) == 2


def test_dataset_rows_parquet_and_jsonl(tmp_path: Path) -> None:
    rows = [matharena_row(1, 0), matharena_row(1, 1), matharena_row(2, 0, parsed_answer="None")]
    parquet = write_parquet(
        tmp_path / "MathArena" / "aime_2025_outputs" / "data" / "train.parquet", rows
    )
    jsonl = write_jsonl(tmp_path / "aime_2025_outputs.jsonl", rows)
    from_parquet, from_jsonl = read_all("matharena", parquet), read_all("matharena", jsonl)
    first = from_parquet[0]
    assert (first.source_locator, first.model, first.task) == ("row 1", "Kimi K2", "aime_2025")
    assert (first.item_key, first.sample_index, first.gold) == ("1", 0, "204")
    assert (first.response, first.extracted, first.correct) == ("so \\boxed{204}", "204", True)
    assert (first.prompt_tokens, first.completion_tokens, first.cost_usd) == (100, 200, 0.01)
    assert first.extra["model_config"] == "moonshot/k2" and first.latency_s is None
    assert (from_parquet[1].correct, from_parquet[2].extracted) == (False, None)
    assert from_jsonl[0].source_locator == "line 1" and from_jsonl[0].task is None
    assert [s.response for s in from_jsonl] == [s.response for s in from_parquet]


def test_all_messages_as_list_or_json_text(tmp_path: Path) -> None:
    messages = [
        {"role": "user", "content": "Problem 1 text", "type": None},
        {"role": "assistant", "content": "I think", "type": "cot"},
        {"role": "assistant", "content": "204", "type": "response"},
    ]
    rows = [
        matharena_row(1, 0, all_messages=json.dumps(messages)),
        matharena_row(1, 1, all_messages=json.dumps(messages)),
    ]
    (a, b) = read_all("matharena", write_jsonl(tmp_path / "rows.jsonl", rows))
    assert (a.reasoning, b.reasoning) == ("I think", "I think")
    listed = [matharena_row(2, 0, all_messages=messages)]
    (c,) = read_all("matharena", write_parquet(tmp_path / "rows.parquet", listed))
    assert c.reasoning == "I think"


def test_judged_rows_score_points(tmp_path: Path) -> None:
    row = matharena_row(
        1, 0, points_judge_1=5, max_points_judge_1=7, points_judge_2=7, max_points_judge_2=7
    )
    for key in ("gold_answer", "parsed_answer", "correct"):
        del row[key]
    (sample,) = read_all("matharena", write_jsonl(tmp_path / "usamo_2025_outputs.jsonl", [row]))
    assert (sample.correct, sample.score, sample.metric) == (None, 12 / 14, "points_judge")


def test_rows_without_idx_answer_count_in_order_and_json_array(tmp_path: Path) -> None:
    rows = [matharena_row(1, 0), matharena_row(1, 0), matharena_row(2, 0)]
    for row in rows:
        del row["idx_answer"]
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    assert [(s.item_key, s.sample_index) for s in read_all("matharena", path)] == [
        ("1", 0),
        ("1", 1),
        ("2", 0),
    ]
    (tmp_path / "rows2.json").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    assert len(read_all("matharena", tmp_path / "rows2.json")) == 3
    (tmp_path / "one.json").write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")
    assert [s.item_key for s in read_all("matharena", tmp_path / "one.json")] == ["1"]


def test_errors(tmp_path: Path) -> None:
    rows = [matharena_row(1, 0), matharena_row(1, 0)]
    with pytest.raises(
        InputError, match=r"problem 1 run 0 appears twice \(first at line 1\)"
    ) as caught:
        read_all("matharena", write_jsonl(tmp_path / "d.jsonl", rows))
    assert (caught.value.line, caught.value.field) == (2, "idx_answer")
    no_idx = matharena_row(1, 0)
    del no_idx["problem_idx"]
    with pytest.raises(InputError, match="row 1: required field is missing") as caught:
        read_all("matharena", write_parquet(tmp_path / "n.parquet", [no_idx]))
    assert caught.value.field == "problem_idx"
    with pytest.raises(InputError, match="expected an integer") as caught:
        read_all(
            "matharena",
            write_jsonl(tmp_path / "t.jsonl", [matharena_row(1, 0, input_tokens="lots")]),
        )
    assert caught.value.field == "input_tokens"

    data = matharena_run(1)
    data["correct"] = [True]
    path = _run_path(tmp_path, "1.json")
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match="has 1 entries but 'answers' has 2") as caught:
        read_all("matharena", path)
    assert caught.value.field == "correct"
    path.write_text(json.dumps({"idx": 1}), encoding="utf-8")
    with pytest.raises(InputError, match="expected a MathArena run file"):
        read_all("matharena", path)
    zst = _run_path(tmp_path, "2.json.zst")
    zst.write_bytes(b"not zstd at all")
    with pytest.raises(InputError, match="not valid zstd data"):
        read_all("matharena", zst)
    zst.write_bytes(zstd(b"{broken"))
    with pytest.raises(InputError, match="decompressed data is not valid JSON"):
        read_all("matharena", zst)
    other = tmp_path / "x.txt"
    other.write_text("hi", encoding="utf-8")
    with pytest.raises(InputError, match="unknown file type"):
        read_all("matharena", other)
