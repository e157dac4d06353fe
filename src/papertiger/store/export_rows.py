"""The export's rows, read in batches from one snapshot of the store.

`attempts_frame` builds the whole table in pandas: at 1.6 million attempts that is
gigabytes of Python objects before a byte is written. The export instead reads batches of
the same columns, in the same order and with the same grade chosen per attempt, so memory
depends on the batch, not on the store.

Two statements run inside one read transaction (one WAL snapshot, so a run writing at the
same time is either wholly in the export or not at all):
- a narrow one sorts the rowids by (created_at, key), the frame's order; sorting only
  rowids keeps SQLite's sorter small, where sorting whole rows would spill every response
  text to a temporary file;
- a wide one reads a batch of those rowids with the attempt's grade and item joined.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

from papertiger.store.frame import BOOL_COLUMNS, FLOAT_COLUMNS, INT_COLUMNS
from papertiger.store.records import ATTEMPT_COLUMNS

Kind = Literal["str", "int", "float", "bool", "time", "raw", "flags"]

BATCH_ROWS = 5_000  # attempts per read at most: few statements per million rows
BATCH_BYTES = 8 * 2**20  # ... and about this much exported data, so long responses come in
# smaller batches: memory follows the batch, and the batch no longer follows the rows' width
TIME_COLUMNS = ("created_at", "graded_at")

# Export column -> SQL expression; the grade columns are renamed as in `frame_query`.
_JOINED = (
    ("grader", "g.grader"),
    ("grader_version", "g.version"),
    ("gold_hash", "g.gold_hash"),
    ("extracted", "g.extracted"),
    ("score", "g.score"),
    ("correct", "g.correct"),
    ("method", "g.method"),
    ("flags", "g.flags"),
    ("graded_at", "g.created_at"),
    ("gold", "i.answer"),
    ("problem", "i.problem"),
)
COLUMNS: tuple[tuple[str, str], ...] = tuple((c, f"a.{c}") for c in ATTEMPT_COLUMNS) + _JOINED
NAMES: tuple[str, ...] = tuple(name for name, _ in COLUMNS)


def kind_of(name: str) -> Kind:
    """How a column is typed, by the same lists `typed_frame` uses, so both agree."""
    if name in BOOL_COLUMNS:
        return "bool"
    if name in INT_COLUMNS:
        return "int"
    if name in FLOAT_COLUMNS:
        return "float"
    if name in TIME_COLUMNS:
        return "time"
    if name in ("raw", "flags"):
        return name  # type: ignore[return-value]
    return "str"


KINDS: tuple[Kind, ...] = tuple(kind_of(name) for name in NAMES)

EXPRESSIONS: dict[str, str] = dict(COLUMNS)

_ITEMS = "LEFT JOIN items i ON i.suite = a.suite AND i.form = a.form AND i.item_id = a.item_id"
_LATEST_OF = (  # the newest grade of grader ?1, when one is named (no stored shortcut)
    "g.id = (SELECT g2.id FROM grades g2 WHERE g2.attempt_key = a.key AND g2.grader = ?1"
    " ORDER BY g2.created_at DESC, g2.id DESC LIMIT 1)"
)


def order_query() -> str:
    """Every attempt's rowid, in the frame's order (narrow: no text is sorted)."""
    return "SELECT a.rowid FROM attempts a ORDER BY a.created_at, a.key"


def batch_query(select: Sequence[str], all_grades: bool, grader: str | None) -> str:
    """`select` for the rowids of the JSON array ?2, in the array's order, first column
    the position in the array.

    One parameter carries the whole batch, so the statement is prepared once whatever
    the batch size, and the array drives the loop (CROSS JOIN keeps it outermost), so rows
    come in its order without a sort. The grade joined is the attempt's latest, which the
    store keeps on the attempt (`grade_id`, newest first: created_at, then id, as in
    `frame_query`); of grader ?1 when one is named; with `all_grades`, each grade of that
    grader (or any), newest first.
    """
    if all_grades:
        join = "g.attempt_key = a.key AND (?1 IS NULL OR g.grader = ?1)"
    else:
        join = "g.id = a.grade_id" if grader is None else _LATEST_OF
    order = " ORDER BY j.key, g.created_at DESC, g.id DESC" if all_grades else ""
    return (
        f"SELECT j.key, {', '.join(select)} FROM json_each(?2) j"
        f" CROSS JOIN attempts a ON a.rowid = j.value LEFT JOIN grades g ON {join} {_ITEMS}"
        + order
    )


def plain_select(csv: bool) -> list[str]:
    """Every exported column as stored; for CSV `correct` as pandas writes a boolean."""
    exprs = [expr for _, expr in COLUMNS]
    if csv:
        exprs[NAMES.index("correct")] = (
            "CASE WHEN g.correct IS NULL THEN NULL WHEN g.correct THEN 'True' ELSE 'False' END"
        )
    return exprs


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One read transaction: every statement inside sees the same committed state.

    The connection is in autocommit mode (the store opens it so), so BEGIN here is the only
    transaction; it is ended (never committed: nothing was written) when the block exits.
    """
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("ROLLBACK")


class BatchSize:
    """How many attempts the next batch reads: BATCH_ROWS, fewer when rows are wide.

    The first batch is small; each built batch reports its size (`observe`), and the next
    holds about BATCH_BYTES of exported values.
    """

    def __init__(self) -> None:
        self.rows = min(BATCH_ROWS, 1_000)

    def observe(self, rows: int, nbytes: int) -> None:
        if rows:
            self.rows = min(BATCH_ROWS, max(64, int(BATCH_BYTES * rows / max(nbytes, 1))))


def row_batches(
    conn: sqlite3.Connection,
    select: Sequence[str],
    grader: str | None = None,
    *,
    all_grades: bool = False,
    size: BatchSize | None = None,
) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of rows of `select` (first column: the row's position), in frame order.

    Call inside `snapshot(conn)`. A batch holds the rows of `size.rows` attempts (read
    anew before each batch; BATCH_ROWS without a `size`).
    """
    order = conn.execute(order_query())
    query = batch_query(select, all_grades, grader)
    while True:
        rowids = [r[0] for r in order.fetchmany(size.rows if size else BATCH_ROWS)]
        if not rowids:
            return
        rows = conn.execute(query, (grader, "[" + ",".join(map(str, rowids)) + "]")).fetchall()
        if not all_grades and [r[0] for r in rows] != list(range(len(rowids))):
            rows.sort(key=lambda r: r[0])  # never seen; but order must not rest on a plan
        yield rows

