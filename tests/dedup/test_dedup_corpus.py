"""Corpus files: JSONL, CSV and Parquet read alike; bad rows name file, line and column."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from papertiger.dedup import DedupItem, read_corpus
from papertiger.errors import InputError

ROWS = [
    {"id": "amc-2019-12A-01", "problem": "Find the sum of $1$ and $2$.", "date": "2019-02-07"},
    {"id": 17, "problem": "Compute $3 \\cdot 4$.", "date": "2020-01-30T12:00:00"},
]
WANT = [
    DedupItem("amc-2019-12A-01", "older", dt.date(2019, 2, 7), "Find the sum of $1$ and $2$."),
    DedupItem("17", "older", dt.date(2020, 1, 30), "Compute $3 \\cdot 4$."),
]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict[str, Any]], fields: list[str] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_jsonl_csv_and_parquet_read_alike(tmp_path: Path) -> None:
    assert read_corpus(write_jsonl(tmp_path / "older.jsonl", ROWS)) == WANT
    assert read_corpus(write_csv(tmp_path / "older.csv", ROWS)) == WANT
    ids, texts = ["amc-2019-12A-01", "17"], [r["problem"] for r in ROWS]
    dates = [dt.date(2019, 2, 7), dt.date(2020, 1, 30)]
    pq.write_table(
        pa.table({"id": ids, "problem": texts, "date": dates}), tmp_path / "older.parquet"
    )
    assert read_corpus(tmp_path / "older.parquet") == WANT
    stamps = [dt.datetime(2019, 2, 7, 9), dt.datetime(2020, 1, 30, 12)]  # noqa: DTZ001
    pq.write_table(pa.table({"id": ids, "problem": texts, "date": stamps}), tmp_path / "older.pq")
    assert read_corpus(tmp_path / "older.pq") == WANT


def test_form_column_and_released_alias(tmp_path: Path) -> None:
    rows = [{"id": "a", "problem": "Find $x$.", "released": "2023-02-01", "form": "AIME 2023"}]
    (got,) = read_corpus(write_jsonl(tmp_path / "c.jsonl", rows))
    assert (got.form, got.released) == ("AIME 2023", dt.date(2023, 2, 1))


def test_a_benchmark_file_is_a_valid_corpus(shared_data: Path) -> None:
    items = read_corpus(shared_data / "aime_2024.jsonl")
    assert len(items) == 30 and items[0].id == "aime2024-I-01"
    assert {i.released for i in items} == {dt.date(2024, 2, 1), dt.date(2024, 2, 7)}
    assert {i.form for i in items} == {"aime_2024"}


def test_an_undated_benchmark_file_is_refused(shared_data: Path) -> None:
    with pytest.raises(InputError, match=r"hmmt_feb_2024\.jsonl, line 1, column 'date'"):
        read_corpus(shared_data / "hmmt_feb_2024.jsonl")


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"problem": "p", "date": "2020-01-01"}, "id", "missing id"),
        ({"id": "x", "problem": "  ", "date": "2020-01-01"}, "problem", "empty problem"),
        ({"id": "x", "problem": 3, "date": "2020-01-01"}, "problem", "problem"),
        ({"id": "x", "problem": "p"}, "date", "missing date"),
        ({"id": "x", "problem": "p", "date": "Feb 2020"}, "date", "not a date"),
        ({"id": "x", "problem": "p", "released": "2020-13-01"}, "released", "not a date"),
    ],
)
def test_bad_jsonl_rows_name_line_and_column(
    tmp_path: Path, row: dict[str, Any], field: str, message: str
) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [ROWS[0], row])
    with pytest.raises(InputError, match=message) as caught:
        read_corpus(path)
    assert (caught.value.path, caught.value.line, caught.value.field) == (str(path), 2, field)
    assert f"c.jsonl, line 2, column '{field}'" in str(caught.value)


def test_bad_json_and_non_objects(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n\n{oops\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 3.*not valid JSON"):
        read_corpus(path)
    path.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1.*JSON object"):
        read_corpus(path)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [ROWS[0], ROWS[0]])
    with pytest.raises(InputError, match="line 2, column 'id'.*duplicate id"):
        read_corpus(path)


def test_csv_header_and_row_errors(tmp_path: Path) -> None:
    no_date = write_csv(tmp_path / "a.csv", [{"id": "x", "problem": "p"}])
    with pytest.raises(InputError, match="line 1, column 'date'.*missing column"):
        read_corpus(no_date)
    multiline = [
        {"id": "x", "problem": "two\nlines", "date": "2020-01-01"},
        {"id": "y", "problem": "p", "date": "soon"},
    ]
    with pytest.raises(InputError, match="line 4, column 'date'"):  # physical line of the row
        read_corpus(write_csv(tmp_path / "b.csv", multiline))


def test_parquet_errors_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    pq.write_table(
        pa.table({"id": ["a", "b"], "problem": ["p", "q"], "date": ["2020-01-01", "x"]}), path
    )
    with pytest.raises(InputError, match="column 'date': row 2: not a date"):
        read_corpus(path)
    pq.write_table(pa.table({"id": ["a"], "text": ["p"], "date": ["2020-01-01"]}), path)
    with pytest.raises(InputError, match="column 'problem'.*missing column"):
        read_corpus(path)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="broken.parquet: cannot read Parquet"):
        read_corpus(broken)


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown corpus format '.txt'"):
        read_corpus(tmp_path / "c.txt")
    with pytest.raises(InputError, match="not found"):
        read_corpus(tmp_path / "missing.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="no problems"):
        read_corpus(empty)
