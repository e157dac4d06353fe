"""Writing attempts, grades and items inside a transaction: bulk inserts, replacements."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from papertiger.errors import StoreError
from papertiger.schema import Attempt, Grade, Problem, text_hash
from papertiger.store.migrations import LATEST_GRADE
from papertiger.store.records import ATTEMPT_COLUMNS, attempt_row, grade_row, iso_utc, utc_now

INSERT_ATTEMPT = (
    f"INSERT INTO attempts ({', '.join(ATTEMPT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(ATTEMPT_COLUMNS))})"
)
UPDATE_ATTEMPT = (
    f"UPDATE attempts SET {', '.join(f'{c} = ?' for c in ATTEMPT_COLUMNS)}, grade_id = NULL,"
    " grade_score = NULL, grade_correct = NULL, grade_flags = NULL, grade_extracted = NULL"
    " WHERE key = ?"
)
INSERT_ERROR = (
    "INSERT INTO attempt_errors (key, run_id, error, error_code, retries, latency_s, raw,"
    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_GRADE = (
    "INSERT OR IGNORE INTO grades (attempt_key, grader, version, gold_hash, extracted, score,"
    " correct, method, flags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPSERT_ITEM = (
    "INSERT INTO items (suite, form, item_id, item_hash, problem, answer, released,"
    " topic, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (suite, form, item_id) DO UPDATE SET item_hash = excluded.item_hash,"
    " problem = excluded.problem, answer = excluded.answer,"
    " released = excluded.released, topic = excluded.topic,"
    " updated_at = excluded.updated_at"
    " WHERE items.item_hash IS NOT excluded.item_hash OR items.answer IS NOT excluded.answer"
    " OR items.released IS NOT excluded.released"
)


def _error_row(attempt: Attempt, created_at: str) -> tuple[Any, ...]:
    c = attempt.completion
    return (c.key, attempt.run_id, c.error, c.error_code, c.retries, c.latency_s, c.raw, created_at)


def insert_attempts(conn: sqlite3.Connection, attempts: Sequence[Attempt]) -> None:
    """New keys in bulk (one executemany), each failure also into the error history."""
    now = iso_utc(utc_now())
    conn.executemany(INSERT_ATTEMPT, [attempt_row(a, now) for a in attempts])
    errors = [_error_row(a, now) for a in attempts if a.completion.status == "error"]
    if errors:
        conn.executemany(INSERT_ERROR, errors)


def replace_attempt(conn: sqlite3.Connection, attempt: Attempt) -> None:
    """Overwrite an 'error' attempt with a newer try; its grades graded the failure."""
    now = iso_utc(utc_now())
    conn.execute("DELETE FROM grades WHERE attempt_key = ?", (attempt.key,))
    conn.execute(UPDATE_ATTEMPT, (*attempt_row(attempt, now), attempt.key))
    if attempt.completion.status == "error":
        conn.execute(INSERT_ERROR, _error_row(attempt, now))


def insert_grades(conn: sqlite3.Connection, grades: Sequence[tuple[str, Grade]]) -> int:
    """Add grade rows; the same (attempt, grader, version, gold) twice is a no-op."""
    now = iso_utc(utc_now())
    rows = [grade_row(key, g, now) for key, g in grades]
    before = conn.total_changes
    try:
        conn.executemany(INSERT_GRADE, rows)
    except sqlite3.IntegrityError as exc:
        keys = [r[0] for r in rows]
        marks = ",".join("?" * min(len(keys), 500))
        known = {r[0] for r in conn.execute(f"SELECT key FROM attempts WHERE key IN ({marks})", keys[:500])}
        missing = next((k for k in keys if k not in known), "?")
        raise StoreError(f"cannot store a grade for unknown attempt key {missing!r}") from exc
    added = conn.total_changes - before
    if added:
        _refresh_latest(conn, list(dict.fromkeys(r[0] for r in rows)))
    return added


def _refresh_latest(conn: sqlite3.Connection, keys: Sequence[str]) -> None:
    """Copy each attempt's newest grade onto its row (what aggregations read)."""
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        conn.execute(
            "UPDATE attempts SET (grade_id, grade_score, grade_correct, grade_flags,"
            f" grade_extracted) = {LATEST_GRADE} WHERE key IN ({marks})",
            chunk,
        )


def upsert_items(conn: sqlite3.Connection, suite: str, problems: Sequence[Problem]) -> int:
    """Record items with their current text and gold answer; return rows added or changed."""
    now = iso_utc(utc_now())
    rows = [
        (
            suite,
            p.benchmark,
            p.item_id,
            text_hash(p.problem),
            p.problem,
            p.answer,
            None if p.released is None else p.released.isoformat(),
            p.topic,
            now,
        )
        for p in problems
    ]
    before = conn.total_changes
    conn.executemany(UPSERT_ITEM, rows)
    return conn.total_changes - before
