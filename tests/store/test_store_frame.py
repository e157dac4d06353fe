"""Reads: the tidy frame, record round trips, exports, and no secrets anywhere."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_records import make_grade, make_record

from papertiger.errors import StoreError
from papertiger.schema import Problem
from papertiger.store import (
    ATTEMPT_COLUMNS,
    GRADE_COLUMNS,
    ITEM_COLUMNS,
    AttemptFilter,
    SQLiteStore,
    export,
    open_store,
)


def test_frame_has_one_row_per_attempt_with_latest_grade(store: SQLiteStore, record, grade) -> None:
    store.put_attempts([record("k1"), record("k2", item_id="aime2024-I-02"), record("k3", "error")])
    store.put_grades([("k1", grade(False, version="1"))])
    time.sleep(0.002)  # grades are ordered by creation time
    store.put_grades([("k1", grade(True, version="2")), ("k2", grade(False, version="1"))])
    store.put_grades([("k2", grade(True, grader="math_verify"))])
    frame = store.attempts_frame()
    expected = [c for c in ATTEMPT_COLUMNS if c != "raw"] + list(GRADE_COLUMNS) + list(ITEM_COLUMNS)
    assert list(frame.columns) == expected
    assert frame["key"].tolist() == ["k1", "k2", "k3"]
    by_key = frame.set_index("key")
    assert by_key.loc["k1", "grader_version"] == "2" and bool(by_key.loc["k1", "correct"])
    assert by_key.loc["k2", "grader"] == "math_verify"
    assert pd.isna(by_key.loc["k3", "correct"])
    integer_only = store.attempts_frame("integer").set_index("key")
    assert integer_only.loc["k2", "grader"] == "integer" and not integer_only.loc["k2", "correct"]


def test_frame_dtypes_suit_analysis(store: SQLiteStore, record, grade) -> None:
    store.put_attempts([record("k1"), record("k2", "error", prompt_tokens=None)], [("k1", grade())])
    frame = store.attempts_frame()
    assert str(frame["prompt_tokens"].dtype) == "Int64"
    assert str(frame["correct"].dtype) == "boolean"
    assert frame["latency_s"].dtype == "float64"
    assert isinstance(frame["created_at"].dtype, pd.DatetimeTZDtype)
    assert frame["correct"].sum() == 1  # missing grades are NA, not False


def test_empty_store_gives_empty_typed_frame(store: SQLiteStore) -> None:
    frame = store.attempts_frame()
    assert frame.empty and "correct" in frame.columns


def test_iter_attempts_round_trips_records(store: SQLiteStore) -> None:
    original = [
        make_record("k1", raw='{"id": "x"}', reasoning="think", cost_usd=0.0125, queue_s=0.2),
        make_record("k2", "error", retries=3, form="aime2025", form_released=dt.date(2025, 2, 6)),
    ]
    store.put_attempts(original)
    assert list(store.iter_attempts()) == original
    assert [r.key for r in store.iter_attempts(status="error")] == ["k2"]
    assert list(store.iter_attempts())[0].completion.raw == '{"id": "x"}'
    only = store.iter_attempts(where=AttemptFilter(forms=["aime2025"]))
    assert [a.key for a in only] == ["k2"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=200),
    tokens=st.none() | st.integers(0, 2**40),
    latency=st.none() | st.floats(0, 1e6, allow_nan=False),
)
def test_any_text_survives_the_round_trip(
    text: str, tokens: int | None, latency: float | None
) -> None:
    with open_store(":memory:") as store:
        original = make_record("k", text=text, completion_tokens=tokens, latency_s=latency)
        store.put_attempts([original])
        assert list(store.iter_attempts()) == [original]


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_export_contains_attempts_grades_and_raw(
    store: SQLiteStore, tmp_path: Path, suffix: str
) -> None:
    store.put_attempts(
        [make_record("k1", raw='{"choices": []}'), make_record("k2", "error")],
        [("k1", make_grade())],
    )
    path = export(store, tmp_path / f"results{suffix}")
    frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    assert frame["key"].tolist() == ["k1", "k2"]
    assert {"raw", "correct", "score", "flags", "grader", "model", "form", "condition",
            "source", "gold", "problem"} <= set(frame.columns)
    assert frame.loc[0, "raw"] == '{"choices": []}'


def test_export_all_grades_and_bad_arguments(store: SQLiteStore, tmp_path: Path) -> None:
    store.put_attempts([make_record("k1")], [("k1", make_grade()), ("k1", make_grade(False, "mv"))])
    frame = pd.read_parquet(export(store, tmp_path / "all.parquet", all_grades=True))
    assert len(frame) == 2
    with pytest.raises(StoreError, match="unknown export format"):
        export(store, tmp_path / "x.json", "json")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="does not exist"):
        export(store, tmp_path / "missing" / "x.csv")


def test_no_secret_reaches_the_store_or_exports(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    monkeypatch.setenv("PAPERTIGER_TEST_API_KEY", secret)
    with open_store(store_path) as store:
        run_id = store.start_run(
            argv=["run", "--models", "models.toml"],
            spec={"model": "deepseek-chat", "api_key_env": "PAPERTIGER_TEST_API_KEY"},
        )
        store.put_attempts(
            [make_record("k1", run_id=run_id), make_record("k2", "error", run_id=run_id)],
            [("k1", make_grade())],
        )
        frames = [store.attempts_frame(include_raw=True), store.runs_frame(), store.errors_frame()]
        files = [export(store, tmp_path / "r.parquet"), export(store, tmp_path / "r.csv")]
    for frame in frames:
        for column in frame.columns:
            assert not frame[column].astype(str).str.contains(secret, regex=False).any(), column
    for path in [*files, *store_path.parent.glob(store_path.name + "*")]:
        assert secret.encode() not in path.read_bytes(), path


def test_frame_carries_each_items_gold_and_text(store: SQLiteStore) -> None:
    store.put_items("aime", [Problem(benchmark="aime2024", item_id="aime2024-I-01",
                                     problem="Find x.", answer="204")])
    store.put_attempts([make_record("k1"), make_record("k2", item_id="aime2024-I-02")])
    frame = store.attempts_frame().set_index("key")
    assert (frame.loc["k1", "gold"], frame.loc["k1", "problem"]) == ("204", "Find x.")
    assert pd.isna(frame.loc["k2", "gold"])  # an item the store does not know


def test_conditions_are_derived_and_listed(store: SQLiteStore) -> None:
    store.put_attempts([
        make_record("k1"),
        make_record("k2", sample_index=1, seed=8),  # same seed base: same condition
        make_record("k3", prompt_hash="p2", prompt_name="boxed"),
        make_record("k4", suite="hmmt", form="hmmt_feb2024"),
    ])
    frame = store.attempts_frame().set_index("key")
    assert frame.loc["k1", "condition"] == frame.loc["k2", "condition"]
    assert frame.loc["k1", "condition"] != frame.loc["k3", "condition"]
    assert frame.loc["k1", "condition"].startswith("c:")
    holdings = store.holdings()
    assert sorted(zip(holdings["suite"], holdings["prompt_name"], holdings["attempts"],
                      strict=True)) == [("aime", "basic", 2), ("aime", "boxed", 1), ("hmmt", "basic", 1)]
