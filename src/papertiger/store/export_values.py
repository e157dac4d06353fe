"""Export values as the frame-based export wrote them, for CSV written by the csv module.

The export used to be `typed_frame(...).to_csv()`; files written from batches must read
back the same, so each rule here mirrors what pandas did: missing values empty, booleans
True/False, floats as repr, timestamps in UTC as "YYYY-MM-DD HH:MM:SS[.fff[fff]]+00:00"
at the column's precision (`time_precision`). This is the path without pyarrow; with it,
store/export_arrow.py makes the same bytes from Arrow batches.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import zlib
from collections.abc import Sequence

from papertiger.errors import StoreError
from papertiger.store.export_rows import KINDS, NAMES

Row = Sequence[object]

_RAW = NAMES.index("raw")
_TIMES = tuple(i for i, kind in enumerate(KINDS) if kind == "time")


def unpack(value: object) -> object:
    """A stored response as text (zlib-compressed bytes, or older plain text)."""
    if value is None or value.__class__ is str:
        return value
    if isinstance(value, bytes | memoryview):
        return zlib.decompress(value).decode("utf-8")
    raise StoreError(f"unexpected raw value of type {type(value).__name__}")


def parse_time(value: object) -> dt.datetime:
    """A stored timestamp in UTC; one without an offset is taken as UTC, as pandas does."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise StoreError(f"cannot export timestamp {value!r}: not ISO 8601") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def time_precision(conn: sqlite3.Connection, name: str, grader: str | None) -> int:
    """Fractional digits (0, 3 or 6) pandas gives a timestamp column in CSV.

    pandas writes a whole datetime column at the precision its finest value needs, so a
    batch cannot decide alone: this asks the snapshot once. Timestamps in the store's own
    format are judged in SQL; any other spelling is parsed here. Grade times are judged
    over all the grades (of `grader`), a superset of those exported: they differ only if
    every exported one were whole milliseconds and some other one were not.
    """
    table, column, where, params = (
        ("attempts", "created_at", "1", ())
        if name == "created_at"
        else ("grades", "created_at", "(?1 IS NULL OR grader = ?1)", (grader,))
    )
    fixed = f"{column} GLOB '????-??-??T??:??:??.??????+00:00'"
    finest = f"SELECT 1 FROM {table} WHERE {where} AND {fixed} AND substr({column}, 24, 3) != '000'"
    if conn.execute(finest + " LIMIT 1", params).fetchone():  # the usual case: the first row
        return 6
    level = (
        f"SELECT MAX(CASE WHEN substr({column}, 21, 3) != '000' THEN 3 ELSE 0 END)"
        f" FROM {table} WHERE {where} AND {fixed}"
    )
    found = conn.execute(level, params).fetchone()[0] or 0
    others = conn.execute(
        f"SELECT {column} FROM {table} WHERE {where} AND {column} IS NOT NULL AND NOT ({fixed})",
        params,
    )
    for (value,) in others:
        micro = parse_time(value).microsecond
        found = max(found, 6 if micro % 1000 else 3 if micro else 0)
    return int(found)


def csv_time(value: object, digits: int) -> object:
    """One timestamp as pandas writes it in a column of `digits` fractional digits.

    The store's own spelling ("2026-12-01T23:29:54.627356+00:00") is cut, not parsed.
    """
    if value is None:
        return None
    text = str(value)
    if len(text) == 32 and text[10] == "T" and text[19] == "." and text.endswith("+00:00"):
        return f"{text[:10]} {text[11:19]}{text[19:20 + digits] if digits else ''}+00:00"
    moment = parse_time(text)
    fraction = f".{moment.microsecond:06d}"[: digits + 1] if digits else ""
    return f"{moment:%Y-%m-%d %H:%M:%S}{fraction}+00:00"


def csv_rows(rows: Sequence[Row], digits: Sequence[int]) -> list[list[object]]:
    """A batch of `plain_select` rows ready for `csv.writer`, their first column (the
    position) dropped, responses unpacked and timestamps written out.

    Everything else is already what pandas wrote: the csv module writes None as empty,
    ints with str() and floats with repr(), and `correct` comes as text from SQL.
    """
    out = []
    for row in rows:
        values = list(row[1:])
        values[_RAW] = unpack(values[_RAW])
        for at, places in zip(_TIMES, digits, strict=True):
            values[at] = csv_time(values[at], places)
        out.append(values)
    return out


_WIDE = tuple(NAMES.index(n) for n in ("text", "reasoning", "error", "raw", "problem"))


def width(rows: Sequence[Sequence[object]]) -> int:
    """About how many bytes a batch of `csv_rows` writes: its long texts, plus a line each
    for the rest (enough to size the next batch)."""
    return sum(len(v) for row in rows for v in map(row.__getitem__, _WIDE) if isinstance(v, str)) + 400 * len(rows)
