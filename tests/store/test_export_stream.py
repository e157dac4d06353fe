"""The streamed export writes what the frame-based export wrote, batch by batch.

The reference is the old implementation itself: `attempts_frame(..., include_raw=True)`
written by pandas (`to_csv`, `to_parquet`). The streamed files must read back the same:
CSV byte for byte (through pyarrow and through the csv module alone), Parquet value for
value and dtype for dtype, except that a column the frame held with no value at all is now
typed as it is when it has values (it was Arrow's null type, or seconds for a timestamp).
"""

from __future__ import annotations

import importlib
import io
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_records import make_grade, make_record

from papertiger.errors import StoreError
from papertiger.schema import Problem
from papertiger.store import SQLiteStore, export, export_arrow, export_rows, open_store
from papertiger.store.export import write_csv

EXPORT = importlib.import_module("papertiger.store.export")  # the module; `export` is the function
ROOT = Path(__file__).resolve().parents[2]
SPECIAL_FLOATS = (0.30000000000000004, 1e-05, 1e16, -0.0, 43638030951.497795, 100.0, 2.5e-7, 1.0)


def fill(store: SQLiteStore) -> None:
    """A store with what an export must carry: texts that need quoting, compressed raw
    responses, missing values, odd floats, regrades, errors and an attempt of no item."""
    store.put_items("aime", [Problem(benchmark="aime2024", item_id="aime2024-I-01",
                                     problem='Find "x", then\ny, z.', answer="204")])
    attempts = [
        make_record("k1", raw='{"choices": [1, 2]}\n"x"', text='a,b "c"\nd\re', reasoning="ré\u2028sumé"),
        make_record("k2", "error", error='HTTP 503: "busy", retry', error_code="http_5xx", retries=2),
        *(make_record(f"f{i}", cost_usd=v, latency_s=-v, ttft_s=v * 3, queue_s=None,
                      sample_index=i, seed=None if i % 2 else i, form="aime2025")
          for i, v in enumerate(SPECIAL_FLOATS)),
        make_record("k3", item_id="not-an-item", completion_tokens=None, finish_reason="length"),
    ]
    store.put_attempts(attempts, [("k1", make_grade()), ("f0", make_grade(False))])
    time.sleep(0.002)  # grades are ordered by creation time
    store.put_grades([("k1", make_grade(False, version="2")), ("f1", make_grade(grader="math_verify")),
                      ("f2", make_grade()), ("k3", make_grade(False, grader="math_verify"))])


def reference(store: SQLiteStore, grader: str | None = None, all_grades: bool = False) -> pd.DataFrame:
    return store.attempts_frame(grader, latest_grader=not all_grades, include_raw=True)


def reference_csv(frame: pd.DataFrame) -> bytes:
    out = io.StringIO()
    frame.to_csv(out, index=False)
    return out.getvalue().encode("utf-8")


def assert_parquet_matches(path: Path, frame: pd.DataFrame) -> None:
    """Same values and dtypes as the frame, except in all-missing columns: pandas typed
    those from no values (objects, a timestamp in seconds); the export keeps their type."""
    got = pd.read_parquet(path)
    assert list(got.columns) == list(frame.columns)
    for name in frame.columns:
        if frame[name].isna().all():
            assert got[name].isna().all(), name
            got[name] = frame[name]
    pd.testing.assert_frame_equal(got, frame)


def csv_of(store: SQLiteStore, **kwargs: Any) -> bytes:
    out = io.BytesIO()
    write_csv(store, out, **kwargs)
    return out.getvalue()


@pytest.fixture
def filled(store: SQLiteStore) -> SQLiteStore:
    fill(store)
    return store


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three attempts a batch and a row group per batch: every seam is exercised."""
    monkeypatch.setattr(export_rows, "BATCH_ROWS", 3)
    monkeypatch.setattr(EXPORT, "ROW_GROUP_BYTES", 1)


@pytest.mark.parametrize(("grader", "all_grades"), [(None, False), (None, True), ("math_verify", False),
                                                     ("integer", True)])
def test_the_export_is_the_frame_written_by_pandas(
    filled: SQLiteStore, tmp_path: Path, grader: str | None, all_grades: bool
) -> None:
    frame = reference(filled, grader, all_grades)
    expected = reference_csv(frame)
    written = export(filled, tmp_path / "r.csv", grader=grader, all_grades=all_grades)
    assert written.read_bytes() == expected
    assert csv_of(filled, grader=grader, all_grades=all_grades, arrow=False) == expected
    assert_parquet_matches(export(filled, tmp_path / "r.parquet", grader=grader, all_grades=all_grades), frame)


def test_batches_smaller_than_the_store_change_nothing(
    filled: SQLiteStore, tmp_path: Path, small_batches: None
) -> None:
    frame = reference(filled)
    assert len(frame) > 3
    assert export(filled, tmp_path / "r.csv").read_bytes() == reference_csv(frame)
    assert csv_of(filled, arrow=False) == reference_csv(frame)
    path = export(filled, tmp_path / "r.parquet")
    assert pq.ParquetFile(path).num_row_groups == -(-len(frame) // 3)
    assert_parquet_matches(path, frame)
    every = reference(filled, all_grades=True)
    assert export(filled, tmp_path / "all.csv", all_grades=True).read_bytes() == reference_csv(every)


def test_a_batch_whose_column_is_all_missing_keeps_its_type(
    store: SQLiteStore, tmp_path: Path, small_batches: None
) -> None:
    # the first batch has no grade, no reasoning, no cost and no raw response; the second has
    store.put_attempts([make_record(f"a{i}") for i in range(3)])
    time.sleep(0.002)
    store.put_attempts([make_record(f"b{i}", reasoning="r", cost_usd=0.5, raw="{}") for i in range(3)],
                       [(f"b{i}", make_grade()) for i in range(3)])
    path = export(store, tmp_path / "r.parquet")
    assert pq.ParquetFile(path).num_row_groups == 2
    schema = pq.read_schema(path)
    assert schema.remove_metadata() == export_arrow.arrow_schema().remove_metadata()
    first = pq.ParquetFile(path).read_row_group(0)
    assert first.column("correct").null_count == 3 and first.schema.field("correct").type == pa.bool_()
    assert first.schema.field("graded_at").type == schema.field("created_at").type
    assert_parquet_matches(path, reference(store))


def test_an_empty_store_exports_headers_only(store: SQLiteStore, tmp_path: Path) -> None:
    header = reference_csv(reference(store))
    assert header.count(b"\n") == 1
    assert export(store, tmp_path / "r.csv").read_bytes() == header
    assert csv_of(store, arrow=False) == header
    table = pq.read_table(export(store, tmp_path / "r.parquet"))
    assert table.num_rows == 0 and table.schema.names == list(reference(store).columns)
    assert "null" not in {str(t) for t in table.schema.types}


def test_timestamps_take_the_precision_of_the_whole_column(
    store: SQLiteStore, store_path: Path, tmp_path: Path, small_batches: None
) -> None:
    store.put_attempts([make_record(f"k{i}") for i in range(7)], [(f"k{i}", make_grade()) for i in range(7)])
    con = sqlite3.connect(store_path)
    stamps = ["2026-01-01T00:00:00.000000+00:00", "2026-01-01T00:00:01.000000+00:00",
              "2026-01-01T00:00:02.000000+00:00", "2026-01-01T00:00:03.250000+00:00",  # ms, later
              "2026-01-01T01:00:04+01:00", "2026-01-01T00:00:05Z", "2026-01-01 00:00:06"]  # other spellings
    con.executemany("UPDATE attempts SET created_at = ? WHERE key = ?", [(s, f"k{i}") for i, s in enumerate(stamps)])
    con.execute("UPDATE grades SET created_at = '2026-02-01T00:00:00.000000+00:00'")
    con.commit()
    con.close()
    frame = reference(store)
    expected = reference_csv(frame)
    assert b"2026-01-01 00:00:00.000+00:00" in expected and b"2026-02-01 00:00:00+00:00" in expected
    assert export(store, tmp_path / "r.csv").read_bytes() == expected
    assert csv_of(store, arrow=False) == expected
    assert_parquet_matches(export(store, tmp_path / "r.parquet"), frame)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_export_reads_one_snapshot_while_a_run_writes(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    with open_store(store_path) as writer:
        writer.put_attempts([make_record(f"k{i}") for i in range(6)] + [make_record("e", "error")])
        before = reference(writer)
        monkeypatch.setattr(export_rows, "BATCH_ROWS", 2)
        writes = iter([
            lambda: writer.put_attempts([make_record("early")]),
            lambda: writer.put_attempts([make_record("late"), make_record("e", text="retried")]),
            lambda: writer.put_grades([("k5", make_grade())]),
        ])

        def another_connection_commits() -> None:
            next(writes, lambda: None)()

        real_batches, real_precision = export_rows.row_batches, EXPORT.time_precision

        def interleaved(*args: Any, **kwargs: Any) -> Iterator[Any]:
            for batch in real_batches(*args, **kwargs):
                yield batch
                another_connection_commits()  # half-way through the export

        def precision_then_write(*args: Any) -> int:
            digits = real_precision(*args)
            another_connection_commits()  # between the first statement and the rows
            return digits

        monkeypatch.setattr(export_arrow, "row_batches", interleaved)
        monkeypatch.setattr(EXPORT, "time_precision", precision_then_write)
        with open_store(store_path, readonly=True) as reader:
            path = export(reader, tmp_path / f"r{suffix}")
        if suffix == ".csv":
            assert path.read_bytes() == reference_csv(before)
        else:
            assert_parquet_matches(path, before)
        assert next(writes, None) is None and writer.count_attempts() == 9  # the writes landed


def test_a_failed_export_leaves_no_file(filled: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "r.parquet"
    target.write_bytes(b"an older export")

    def broken(*args: Any, **kwargs: Any) -> pa.RecordBatch:
        raise StoreError("disk is full")

    monkeypatch.setattr(export_arrow.BatchBuilder, "record_batch", broken)
    with pytest.raises(StoreError, match="disk is full"):
        export(filled, target)
    assert target.read_bytes() == b"an older export"  # untouched, and no partial file beside it
    assert [p.name for p in target.parent.iterdir()] == ["r.parquet"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(st.none() | st.text(max_size=40), min_size=1, max_size=6),
    floats=st.lists(st.none() | st.floats(allow_nan=False), min_size=6, max_size=6),
)
def test_any_text_and_float_is_written_as_pandas_writes_it(
    texts: list[str | None], floats: list[float | None]
) -> None:
    with open_store(":memory:") as store:
        store.put_attempts([
            make_record(f"k{i}", text=t, error=t, raw=t, cost_usd=floats[i % 6],
                        latency_s=floats[(i + 1) % 6], output_tokens_per_s=floats[(i + 2) % 6])
            for i, t in enumerate(texts)
        ])
        expected = reference_csv(reference(store))
        assert csv_of(store) == expected
        assert csv_of(store, arrow=False) == expected


def test_the_cli_streams_csv_to_stdout_and_parquet_to_a_file(filled: SQLiteStore, store_path: Path,
                                                             tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cli = [sys.executable, "-m", "papertiger", "export", "--db", str(store_path)]
    out = subprocess.run([*cli, "-o", "-"], capture_output=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == reference_csv(reference(filled)) and not out.stderr
    parquet = subprocess.run([*cli, "-o", str(tmp_path / "r.parquet")], capture_output=True, text=True,
                             env=env, timeout=120)
    assert parquet.returncode == 0 and parquet.stderr.strip() == f"wrote {tmp_path / 'r.parquet'}"
    assert_parquet_matches(tmp_path / "r.parquet", reference(filled))


def test_csv_needs_no_pyarrow(filled: SQLiteStore, store_path: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "no-pyarrow"
    (blocker / "pyarrow").mkdir(parents=True)
    (blocker / "pyarrow" / "__init__.py").write_text("raise ImportError('pyarrow is not installed')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), str(ROOT / "src")])}
    cli = [sys.executable, "-m", "papertiger", "export", "--db", str(store_path)]
    out = subprocess.run([*cli, "-o", "-"], capture_output=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == reference_csv(reference(filled))
    refused = subprocess.run([*cli, "-o", str(tmp_path / "r.parquet")], capture_output=True, text=True,
                             env=env, timeout=120)
    assert refused.returncode == 2 and "papertiger[parquet]" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "r.parquet").exists()
