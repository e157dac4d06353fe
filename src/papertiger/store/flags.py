"""Near-duplicate flags per item: the table `item_flags` (migration "0003_item_flags").

One row per (fresh item, earlier source) candidate pair that `papertiger dedup` ranked: the
two scores, whether the pair is marked, its rank among the item's candidates and, after a
judge pass, the judge's verdict and the key of the judge's attempt. Unmarked candidates are
kept too, so the score distribution of marked vs unmarked pairs can be drawn again.

An item is **flagged** when it has a marked pair that no judge called different
(`flagged_items`): those are the items a report drops for the "without flagged items" row.

Writes replace a suite's rows as a whole (`replace_flags`): a dedup run scores every item of
the suite, so a pair that is no longer a candidate must disappear. A verdict is carried
over to the new row of the same pair when the new row has none and both texts are
unchanged (same `pair_hash`), so re-running without `--judge` keeps the judged verdicts.
These functions run inside the caller's transaction; they never commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from typing import TYPE_CHECKING

from papertiger.errors import StoreError
from papertiger.store.records import iso_utc, utc_now

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FLAG_COLUMNS",
    "VERDICTS",
    "FlagRow",
    "create_flags_table",
    "flagged_items",
    "read_flags",
    "replace_flags",
]

VERDICTS = ("same", "different", "unclear")

_TABLE = """CREATE TABLE IF NOT EXISTS item_flags (
    suite TEXT NOT NULL,
    form TEXT NOT NULL,
    item_id TEXT NOT NULL,
    source_form TEXT NOT NULL,
    source_id TEXT NOT NULL,
    overlap REAL NOT NULL,
    cosine REAL,
    marked INTEGER NOT NULL CHECK (marked IN (0, 1)),
    rank INTEGER NOT NULL CHECK (rank >= 1),
    pair_hash TEXT NOT NULL,
    verdict TEXT CHECK (verdict IS NULL OR verdict IN ('same', 'different', 'unclear')),
    judge_model TEXT,
    judge_key TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (suite, form, item_id, source_form, source_id)
)"""
_INDEX = "CREATE INDEX IF NOT EXISTS item_flags_marked ON item_flags (suite, marked)"


@dataclass(frozen=True)
class FlagRow:
    """One candidate pair as stored; `source_form` is the earlier form or the corpus name."""

    suite: str
    form: str
    item_id: str
    source_form: str
    source_id: str
    overlap: float
    cosine: float | None
    marked: bool
    rank: int
    pair_hash: str
    verdict: str | None = None
    judge_model: str | None = None
    judge_key: str | None = None


FLAG_COLUMNS: tuple[str, ...] = (*(f.name for f in fields(FlagRow)), "updated_at")
_INSERT = (
    f"INSERT INTO item_flags ({', '.join(FLAG_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(FLAG_COLUMNS))})"
)


def create_flags_table(conn: sqlite3.Connection) -> None:
    """Migration 0003_item_flags: the table and its index (safe to run twice)."""
    conn.execute(_TABLE)
    conn.execute(_INDEX)


def _check(row: FlagRow, suite: str) -> None:
    if row.suite != suite:
        raise StoreError(f"flag row for suite {row.suite!r} given while replacing {suite!r}")
    if row.verdict is not None and row.verdict not in VERDICTS:
        raise StoreError(f"unknown verdict {row.verdict!r}; expected one of {', '.join(VERDICTS)}")


def replace_flags(conn: sqlite3.Connection, suite: str, rows: Sequence[FlagRow]) -> int:
    """Replace every stored pair of `suite` by `rows`; return the number of rows written.

    A row without a verdict inherits the stored verdict (and its judge) of the same pair
    when the pair's texts are unchanged (equal `pair_hash`).
    """
    keep: dict[tuple[str, ...], tuple[str, str | None, str | None, str | None]] = {
        (form, item_id, source_form, source_id): (pair_hash, verdict, judge_model, judge_key)
        for form, item_id, source_form, source_id, pair_hash, verdict, judge_model, judge_key in (
            conn.execute(
                "SELECT form, item_id, source_form, source_id, pair_hash, verdict, judge_model,"
                " judge_key FROM item_flags WHERE suite = ? AND verdict IS NOT NULL",
                (suite,),
            )
        )
    }
    now = iso_utc(utc_now())
    values = []
    seen: set[tuple[str, ...]] = set()
    for row in rows:
        _check(row, suite)
        pk = (row.form, row.item_id, row.source_form, row.source_id)
        if pk in seen:
            raise StoreError(
                f"duplicate flag row for {row.form}/{row.item_id} vs "
                f"{row.source_form}/{row.source_id}"
            )
        seen.add(pk)
        record = list(astuple(row))
        old = keep.get(pk)
        if row.verdict is None and old is not None and old[0] == row.pair_hash:
            record[-3:] = old[1:]
        record[7] = int(bool(record[7]))  # marked
        values.append((*record, now))
    conn.execute("DELETE FROM item_flags WHERE suite = ?", (suite,))
    conn.executemany(_INSERT, values)
    return len(values)


def read_flags(conn: sqlite3.Connection, suite: str | None = None) -> pd.DataFrame:
    """The stored pairs (of one suite, or all), by suite, form, item and rank."""
    import pandas as pd

    frame = pd.read_sql_query(
        f"SELECT {', '.join(FLAG_COLUMNS)} FROM item_flags WHERE (? IS NULL OR suite = ?)"
        " ORDER BY suite, form, item_id, rank, source_form, source_id",
        conn,
        params=[suite, suite],
    )
    frame["marked"] = frame["marked"].astype(bool)
    return frame


def flagged_items(conn: sqlite3.Connection, suite: str) -> frozenset[tuple[str, str]]:
    """(form, item_id) of items with a marked pair no judge called 'different'."""
    rows = conn.execute(
        "SELECT DISTINCT form, item_id FROM item_flags WHERE suite = ? AND marked = 1"
        " AND (verdict IS NULL OR verdict <> 'different')",
        (suite,),
    )
    return frozenset((str(form), str(item_id)) for form, item_id in rows)
