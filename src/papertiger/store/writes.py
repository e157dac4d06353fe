"""Writing attempts and grades inside a transaction: bulk inserts, replacements, history."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from papertiger.errors import StoreError
from papertiger.schema import Grade
from papertiger.store.frame import ATTEMPT_COLUMNS
from papertiger.store.records import AttemptRecord, iso_utc, pack_raw, utc_now


def attempt_row(record: AttemptRecord) -> tuple[Any, ...]:
    values = record.model_dump()
    values["created_at"] = iso_utc(record.created_at)
    values["raw"] = pack_raw(record.raw)
    return tuple(values[name] for name in ATTEMPT_COLUMNS)


INSERT_ATTEMPT = (
    f"INSERT INTO attempts ({', '.join(ATTEMPT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(ATTEMPT_COLUMNS))})"
)
INSERT_ERROR = (
    "INSERT INTO attempt_errors (key, run_id, error, retries, latency_s, raw, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def error_row(record: AttemptRecord) -> tuple[Any, ...]:
    return (
        record.key,
        record.run_id,
        record.error,
        record.retries,
        record.latency_s,
        record.raw,
        iso_utc(record.created_at),
    )


def insert_attempts(conn: sqlite3.Connection, records: Sequence[AttemptRecord]) -> None:
    """New keys in bulk (one executemany), each failure also into the error history."""
    conn.executemany(INSERT_ATTEMPT, [attempt_row(r) for r in records])
    conn.executemany(INSERT_ERROR, [error_row(r) for r in records if r.status == "error"])


def write_attempt(conn: sqlite3.Connection, record: AttemptRecord, *, replace: bool) -> None:
    row = attempt_row(record)
    if replace:
        conn.execute("DELETE FROM grades WHERE attempt_key = ?", (record.key,))
        sets = ", ".join(f"{name} = ?" for name in ATTEMPT_COLUMNS)
        conn.execute(f"UPDATE attempts SET {sets} WHERE key = ?", (*row, record.key))
    else:
        marks = ", ".join("?" * len(ATTEMPT_COLUMNS))
        conn.execute(f"INSERT INTO attempts ({', '.join(ATTEMPT_COLUMNS)}) VALUES ({marks})", row)
    if record.status == "error":
        conn.execute(INSERT_ERROR, error_row(record))


def insert_grades(conn: sqlite3.Connection, grades: Sequence[tuple[str, Grade]]) -> int:
    now = iso_utc(utc_now())
    rows = [
        (key, g.grader, g.version, g.extracted, int(g.correct), g.method, int(g.fallback),
         int(g.truncated), now)
        for key, g in grades
    ]
    before = conn.total_changes
    try:
        conn.executemany(
            "INSERT OR IGNORE INTO grades (attempt_key, grader, version, extracted, correct,"
            " method, fallback, truncated, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    except sqlite3.IntegrityError as exc:
        known = {r[0] for r in conn.execute("SELECT key FROM attempts")} if len(rows) < 10_000 else set()
        missing = next((r[0] for r in rows if r[0] not in known), "?")
        raise StoreError(f"cannot store a grade for unknown attempt key {missing!r}") from exc
    return conn.total_changes - before
