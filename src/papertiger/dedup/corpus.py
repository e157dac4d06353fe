"""Reading a corpus of older problems to compare fresh items against.

A corpus file is JSONL (``.jsonl``/``.ndjson``), CSV (``.csv``) or Parquet
(``.parquet``/``.pq``) with one problem per row and the columns:

- ``id``: unique within the file (numbers are read as text);
- ``problem``: the statement, non-empty;
- ``date`` (or ``released``, as in the benchmark files): when the problem was published,
  ISO ``YYYY-MM-DD`` (a full ISO date-time is cut to its date; Parquet date and
  timestamp columns work as they are);
- ``form`` (optional): the competition or collection it came from; the file's stem when
  absent or empty.

Other columns are ignored, so a benchmark JSONL file (``aime_2024.jsonl``) is a valid
corpus. Every problem is reported as `InputError` naming the file, the line (JSONL and
CSV) or row (Parquet) and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from papertiger.dedup.pairs import DedupItem
from papertiger.errors import InputError, require

__all__ = ["CORPUS_SUFFIXES", "read_corpus"]

CORPUS_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".parquet", ".pq")
DATE_FIELDS = ("date", "released")


def read_corpus(path: str | Path) -> list[DedupItem]:
    """The problems of one corpus file, in file order, validated as described above."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in CORPUS_SUFFIXES:
        raise InputError(
            f"unknown corpus format {suffix or '(no suffix)'!r}; "
            f"expected one of {', '.join(CORPUS_SUFFIXES)}",
            path=str(path),
        )
    if not path.is_file():
        raise InputError("corpus file not found", path=str(path))
    if suffix in (".jsonl", ".ndjson"):
        rows = _jsonl_rows(path)
    elif suffix == ".csv":
        rows = _csv_rows(path)
    else:
        rows = _parquet_rows(path)
    items: list[DedupItem] = []
    seen: set[str] = set()
    for where, row in rows:
        item = _item(path, where, row)
        if item.id in seen:
            raise InputError(
                f"{_row_prefix(where)}duplicate id {item.id!r}",
                path=str(path),
                line=where.get("line"),
                field="id",
            )
        seen.add(item.id)
        items.append(item)
    if not items:
        raise InputError("corpus has no problems", path=str(path))
    return items


Where = dict[str, int]
"""Either {'line': n} (JSONL, CSV) or {} with the row number folded into the message."""


def _jsonl_rows(path: Path) -> Iterator[tuple[Where, Mapping[str, Any]]]:
    with _open(path) as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"not valid JSON ({exc.msg})", path=str(path), line=number
                ) from None
            if not isinstance(row, dict):
                raise InputError("expected a JSON object", path=str(path), line=number)
            yield {"line": number}, row


def _csv_rows(path: Path) -> Iterator[tuple[Where, Mapping[str, Any]]]:
    with _open(path) as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        _check_columns(path, header, {"line": 1})
        try:
            for row in reader:
                yield {"line": reader.line_num}, row
        except csv.Error as exc:
            raise InputError(f"bad CSV ({exc})", path=str(path), line=reader.line_num) from None


def _parquet_rows(path: Path) -> Iterator[tuple[Where, Mapping[str, Any]]]:
    pa = require("pyarrow", "parquet", "reading a Parquet corpus")
    pq = require("pyarrow.parquet", "parquet", "reading a Parquet corpus")

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"cannot read Parquet ({exc})", path=str(path)) from None
    _check_columns(path, table.column_names, {})
    for number, row in enumerate(table.to_pylist(), 1):
        yield {"row": number}, row


def _open(path: Path) -> Any:
    try:
        return path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path=str(path)) from None


def _check_columns(path: Path, columns: Sequence[str], where: Where) -> None:
    """Header-level check, so a missing column is reported once, not on every row."""
    missing = [c for c in ("id", "problem") if c not in columns]
    if not any(c in columns for c in DATE_FIELDS):
        missing.append("date")
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; a corpus needs id, problem, date",
            path=str(path),
            field=missing[0],
            line=where.get("line"),
        )


def _item(path: Path, where: Where, row: Mapping[str, Any]) -> DedupItem:
    line = where.get("line")
    prefix = _row_prefix(where)

    def fail(message: str, column: str) -> InputError:
        return InputError(prefix + message, path=str(path), line=line, field=column)

    raw_id = row.get("id")
    if raw_id is None or str(raw_id).strip() == "":
        raise fail("missing id", "id")
    problem = row.get("problem")
    if not isinstance(problem, str) or not problem.strip():
        raise fail("missing or empty problem text", "problem")
    column = next((c for c in DATE_FIELDS if row.get(c) not in (None, "")), None)
    if column is None:
        raise fail("missing date (YYYY-MM-DD)", "date")
    date = _date(row[column])
    if date is None:
        raise fail(f"not a date: {row[column]!r} (expected YYYY-MM-DD)", column)
    form = row.get("form")
    form_name = str(form).strip() if form not in (None, "") else path.stem
    return DedupItem(id=str(raw_id).strip(), form=form_name, released=date, text=problem)


def _row_prefix(where: Where) -> str:
    """'row N: ' for Parquet rows (InputError's own 'line N' covers text files)."""
    return f"row {where['row']}: " if "row" in where else ""


def _date(value: Any) -> dt.date | None:
    """A date from an ISO string or a date/datetime value; None when it is neither."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None
