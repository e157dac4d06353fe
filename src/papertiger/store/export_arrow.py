"""Export batches as Arrow: typed record batches for Parquet, CSV text for CSV.

At a million rows, the cost is one Python object per value: SQLite hands each to Python
and Arrow takes each back. Most columns repeat within a batch (the run, model, condition
and sampling of an attempt; the grader of its grade; the item's gold answer and text), so
SQLite packs each such group into one JSON text per row: Python sees one string per group,
decodes each distinct one once, and Arrow spreads the values with a vectorised `take`.
For CSV the distinct values are also written out (store/export_csv.py) before they are
spread, so a problem text is quoted once per batch, not once per attempt.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any

from papertiger.store.export_csv import cell, joined, text_bytes
from papertiger.store.export_rows import (
    EXPRESSIONS,
    KINDS,
    NAMES,
    BatchSize,
    kind_of,
    row_batches,
)
from papertiger.store.export_values import parse_time, unpack

if TYPE_CHECKING:
    import pyarrow as pa

RUN_GROUP = (
    "run_id", "source", "model", "endpoint_model", "endpoint", "suite", "form",
    "form_released", "task", "prompt_name", "prompt_hash", "sampling_json", "seed_base",
    "condition", "status", "finish_reason", "retries", "error_code",
)
GRADE_GROUP = ("grader", "grader_version", "method", "flags", "correct")
ITEM_GROUP = ("gold", "problem")
# Each row's own values; floats stay native too (SQLite's JSON keeps 15 digits, not 17).
OWN = tuple(n for n in NAMES if n not in RUN_GROUP + GRADE_GROUP + ITEM_GROUP)
_GROUP_OF = {n: g for g, names in enumerate((RUN_GROUP, GRADE_GROUP, ITEM_GROUP)) for n in names}
# Runs of neighbouring columns from one group: for CSV each run is written per distinct
# value and spread as one piece of the line.
SEGMENTS: tuple[tuple[int | None, tuple[str, ...]], ...] = tuple(
    (group, tuple(names)) for group, names in groupby(NAMES, key=_GROUP_OF.get)
)

Items = dict[int, tuple[Any, Any]]  # items rowid -> (gold answer, problem text)
Rows = Sequence[Sequence[Any]]


def packed_select() -> list[str]:
    """The batch query's columns: the run group, the grade group, the item's rowid, and
    then the row's own values in OWN order."""

    def group(names: Sequence[str]) -> str:
        return f"json_array({', '.join(EXPRESSIONS[n] for n in names)})"

    return [group(RUN_GROUP), group(GRADE_GROUP), "i.rowid", *(EXPRESSIONS[n] for n in OWN)]


def packed_batches(
    conn: sqlite3.Connection, grader: str | None, all_grades: bool, size: BatchSize
) -> Iterator[tuple[list[tuple[Any, ...]], Items]]:
    """Batches of packed rows (in frame order) with the items they name."""
    query = "SELECT rowid, answer, problem FROM items WHERE rowid IN (SELECT value FROM json_each(?))"
    for rows in row_batches(conn, packed_select(), grader, all_grades=all_grades, size=size):
        wanted = {row[3] for row in rows} - {None}
        found = conn.execute(query, (json.dumps(sorted(wanted)),)).fetchall()
        yield rows, {rowid: (answer, problem) for rowid, answer, problem in found}


class BatchBuilder:
    """Arrow data of one schema from packed rows (see `packed_select`)."""

    def __init__(self, schema: pa.Schema) -> None:
        self._schema = schema

    def record_batch(self, rows: Rows, items: Items) -> pa.RecordBatch:
        """The rows as a typed record batch (for Parquet)."""
        import pyarrow as pa

        groups, own = self._decode(rows, items)
        arrays = dict(own)
        for codes, distinct in groups:
            arrays |= {name: values.take(codes) for name, values in distinct.items()}
        return pa.RecordBatch.from_arrays([arrays[n] for n in NAMES], schema=self._schema)

    def csv_lines(self, rows: Rows, items: Items, digits: dict[str, int]) -> pa.Buffer:
        """The rows as CSV lines; `digits`: fractional digits of each timestamp column."""
        import pyarrow.compute as pc

        groups, own = self._decode(rows, items)
        pieces = []
        for group, names in SEGMENTS:
            if group is None:
                pieces += [cell(own[n], kind_of(n), digits.get(n, 0)) for n in names]
            else:
                codes, distinct = groups[group]
                texts = [cell(distinct[n], kind_of(n), 0) for n in names]
                empty = "," * (len(names) - 1)  # no item: each of its fields empty
                pieces.append(pc.fill_null(joined(texts, ",").take(codes), empty))
        return text_bytes(joined(pieces, ",", end=True))

    def _decode(
        self, rows: Rows, items: Items
    ) -> tuple[list[tuple[pa.Array, dict[str, pa.Array]]], dict[str, pa.Array]]:
        """(codes, distinct values by column) of each group, and the own columns."""
        cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * (4 + len(OWN))
        groups = [self._group(cols[1], RUN_GROUP), self._group(cols[2], GRADE_GROUP)]
        groups.append(self._items(cols[3], items))
        own = {n: self._column(n, values) for n, values in zip(OWN, cols[4:], strict=True)}
        return groups, own

    def _group(self, packed: Sequence[str], names: Sequence[str]) -> tuple[pa.Array, dict[str, pa.Array]]:
        index: dict[str, int] = {}
        codes = [index.setdefault(p, len(index)) for p in packed]
        distinct = list(zip(*map(json.loads, index), strict=True)) if index else [()] * len(names)
        return self._spread(codes, names, distinct)

    def _items(self, rowids: Sequence[int | None], items: Items) -> tuple[pa.Array, dict[str, pa.Array]]:
        index: dict[int, int] = {}
        codes = [None if r is None else index.setdefault(r, len(index)) for r in rowids]
        found = [items.get(rowid, (None, None)) for rowid in index]
        distinct = list(zip(*found, strict=True)) if found else [(), ()]
        return self._spread(codes, ITEM_GROUP, distinct)

    def _spread(
        self, codes: Sequence[int | None], names: Sequence[str], distinct: Sequence[Sequence[Any]]
    ) -> tuple[pa.Array, dict[str, pa.Array]]:
        import pyarrow as pa

        arrays = {n: self._column(n, values) for n, values in zip(names, distinct, strict=True)}
        return pa.array(codes, type=pa.int32()), arrays

    def _column(self, name: str, values: Sequence[Any]) -> pa.Array:
        return column(values, kind_of(name), self._schema.field(name).type)


def column(values: Sequence[Any], kind: str, type_: pa.DataType) -> pa.Array:
    """One column of export values as an Arrow array of `type_`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "raw":
        return pa.array([unpack(v) for v in values], type=type_)
    if kind == "bool":
        return pc.not_equal(pa.array(values, type=pa.int64()), 0)
    if kind == "flags":
        return pc.fill_null(pa.array(values, type=type_), "")
    if kind == "time":
        return _times(values, type_)
    return pa.array(values, type=type_)


def _times(values: Sequence[Any], type_: pa.DataType) -> pa.Array:
    """Timestamps parsed by Arrow (fast, offsets honoured); any spelling Arrow refuses
    (no offset, a bare date) goes through `parse_time`, as pandas would accept it."""
    import pyarrow as pa

    try:
        return pa.array(values, type=pa.large_string()).cast(type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else parse_time(v) for v in values], type=type_)


def arrow_schema() -> pa.Schema:
    """The Arrow schema (with pandas metadata) of the typed frame the old export wrote.

    Derived by pandas from a one-row typed frame, so types and metadata are those of this
    pandas and pyarrow: `pd.read_parquet` gives back the same dtypes as before.
    """
    import pandas as pd
    import pyarrow as pa

    from papertiger.store.frame import typed_frame

    sample = {
        "str": "x", "raw": "x", "flags": "x", "int": 1, "float": 1.0, "bool": 1,
        "time": "2026-01-01T00:00:00.000000+00:00",
    }
    frame = typed_frame(pd.DataFrame({n: [sample[k]] for n, k in zip(NAMES, KINDS, strict=True)}))
    return pa.Schema.from_pandas(frame, preserve_index=False)
