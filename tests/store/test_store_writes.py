"""Writes: resume semantics, error history, grades that are only ever added, runs."""

from __future__ import annotations

import pytest

from papertiger.errors import StoreError
from papertiger.store import PutResult, SQLiteStore


def test_finished_keys_are_ok_attempts_only(store: SQLiteStore, record) -> None:
    store.put_attempts([record("ok1"), record("err1", "error"), record("ok2")])
    assert store.finished_keys() == {"ok1", "ok2"}
    assert store.error_keys() == {"err1"}
    assert store.finished_keys(["ok1", "err1", "never"]) == {"ok1"}


def test_finished_keys_with_many_keys(store: SQLiteStore, record) -> None:
    store.put_attempts([record(f"k{i}") for i in range(1200)])
    asked = [f"k{i}" for i in range(0, 2400, 2)]
    assert store.finished_keys(asked) == {f"k{i}" for i in range(0, 1200, 2)}


def test_ok_attempt_is_never_overwritten(store: SQLiteStore, record, grade) -> None:
    store.put_attempts([record("k1", text="first")], [("k1", grade(True))])
    result = store.put_attempts(
        [record("k1", text="second"), record("k1", "error")], [("k1", grade(False, version="2"))]
    )
    assert result == PutResult(inserted=0, replaced=0, skipped=2, grades_added=0)
    (kept,) = store.iter_attempts()
    assert kept.completion.text == "first"
    assert store.attempts_frame()["correct"].tolist() == [True]


def test_error_is_replaced_and_its_history_kept(store: SQLiteStore, record, grade) -> None:
    first = store.put_attempts([record("k1", "error", error="HTTP 503")])
    second = store.put_attempts([record("k1", "error", error="timeout")])
    third = store.put_attempts([record("k1", text="ok now")], [("k1", grade())])
    assert (first.inserted, second.replaced, third.replaced) == (1, 1, 1)
    (attempt,) = store.iter_attempts()
    c = attempt.completion
    assert c.status == "ok" and c.text == "ok now" and c.error is None
    assert store.errors_frame()["error"].tolist() == ["HTTP 503", "timeout"]
    assert store.finished_keys() == {"k1"} and store.error_keys() == set()


def test_grades_of_a_replaced_error_are_dropped(store: SQLiteStore, record, grade) -> None:
    # Same grader and version both times: a kept stale grade would block the new one.
    store.put_attempts([record("k1", "error")], [("k1", grade(False))])
    store.put_attempts([record("k1")], [("k1", grade(True))])
    frame = store.attempts_frame(latest_grader=False)
    assert frame["correct"].tolist() == [True]


def test_same_key_twice_in_one_batch(store: SQLiteStore, record) -> None:
    result = store.put_attempts([record("k1", "error"), record("k1", text="retried")])
    assert (result.inserted, result.replaced) == (1, 1)
    assert store.finished_keys() == {"k1"}


def test_batch_is_one_transaction(store: SQLiteStore, record, grade) -> None:
    with pytest.raises(StoreError, match="unknown attempt key 'ghost'"):
        store.put_attempts([record("k1"), record("k2")], [("ghost", grade())])
    assert store.count_attempts() == 0


def test_regrade_adds_rows_and_repeats_are_no_ops(store: SQLiteStore, record, grade) -> None:
    store.put_attempts([record("k1")], [("k1", grade(True, version="1"))])
    assert store.put_grades([("k1", grade(True, version="1"))]) == 0
    assert store.put_grades([("k1", grade(False, version="2"))]) == 1
    assert store.put_grades([("k1", grade(True, grader="math_verify"))]) == 1
    frame = store.attempts_frame(latest_grader=False)
    assert sorted(zip(frame["grader"], frame["grader_version"], strict=True)) == [
        ("integer", "1"),
        ("integer", "2"),
        ("math_verify", "1"),
    ]


def test_runs_are_recorded(store: SQLiteStore) -> None:
    run_id = store.start_run(argv=["run", "--k", "4"], spec={"suite": "aime"}, version="9.9")
    store.finish_run(run_id, outcome="interrupted")
    (row,) = store.runs_frame().to_dict("records")
    assert row["run_id"] == run_id and row["outcome"] == "interrupted"
    assert row["argv_json"] == '["run", "--k", "4"]'
    assert row["spec_json"] == '{"suite": "aime"}' and row["papertiger_version"] == "9.9"
    assert row["finished_at"] >= row["started_at"]


def test_run_errors(store: SQLiteStore) -> None:
    store.start_run("r1")
    with pytest.raises(StoreError, match="already exists"):
        store.start_run("r1")
    with pytest.raises(StoreError, match="no run 'r2'"):
        store.finish_run("r2")


def test_raw_is_compressed_on_disk_and_read_back_verbatim(store: SQLiteStore, record) -> None:
    raw = 'data: {"choices":[{"delta":{"content":"x"}}]}\n\n' * 500 + "data: [DONE]\n\n"
    store.put_attempts([record("k1", raw=raw)])
    kind, size = store._conn.execute(
        "SELECT typeof(raw), length(raw) FROM attempts WHERE key = 'k1'"
    ).fetchone()
    assert kind == "blob" and size < len(raw) / 10
    (back,) = list(store.iter_attempts())
    assert back.completion.raw == raw
    frame = store.attempts_frame(include_raw=True)
    assert frame.loc[0, "raw"] == raw


def test_a_corrected_gold_answer_grades_anew(store: SQLiteStore, record) -> None:
    from papertiger.grading import get_grader
    from papertiger.schema import Completion

    store.put_attempts([record("k1")])
    completion: Completion = next(store.iter_attempts()).completion
    grader = get_grader("integer")
    assert store.put_grades([("k1", grader.grade(completion, "205"))]) == 1
    assert store.put_grades([("k1", grader.grade(completion, "205"))]) == 0  # same gold: no-op
    assert store.put_grades([("k1", grader.grade(completion, "204"))]) == 1  # corrected gold
    assert store.attempts_frame()["correct"].tolist() == [True]  # the latest grade counts
