"""Summaries read straight from SQL: what a store holds, so nothing is pooled unseen."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

HOLDINGS_QUERY = """
SELECT suite, task, prompt_name, prompt_hash, condition, sampling_json, seed_base,
       COUNT(DISTINCT model) AS models,
       GROUP_CONCAT(DISTINCT form) AS forms,
       COUNT(*) AS attempts,
       SUM(status = 'ok') AS ok,
       SUM(status = 'error') AS errors,
       GROUP_CONCAT(DISTINCT run_id) AS runs,
       GROUP_CONCAT(DISTINCT source) AS sources
FROM attempts
GROUP BY suite, task, prompt_hash, condition
ORDER BY suite, task, MIN(created_at)
"""


def holdings_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """One row per suite × task × prompt × condition, with counts and the runs involved."""
    import pandas as pd

    return pd.read_sql_query(HOLDINGS_QUERY, conn)


def _where(clause: str, params: list[Any], excluded: frozenset[tuple[str, str]]) -> tuple[str, list[Any]]:
    if not excluded:
        return clause, params
    pairs = " OR ".join("(a.form = ? AND a.item_id = ?)" for _ in excluded)
    extra = [v for pair in sorted(excluded) for v in pair]
    return f"({clause}) AND NOT ({pairs})", [*params, *extra]


def item_count_rows(
    conn: sqlite3.Connection, clause: str, params: list[Any],
    excluded: frozenset[tuple[str, str]] = frozenset(),
) -> list[tuple[Any, ...]]:
    """(model, form, item_id, ok, correct, errors) per model × form × item, by the latest
    grade of each attempt, in one scan."""
    clause, params = _where(clause, params, excluded)
    return conn.execute(
        "SELECT a.model, a.form, a.item_id, SUM(a.status = 'ok'),"
        " SUM(a.status = 'ok' AND a.grade_correct = 1), SUM(a.status = 'error')"
        f" FROM attempts a WHERE {clause} GROUP BY a.model, a.form, a.item_id",
        params,
    ).fetchall()


def majority_rows(
    conn: sqlite3.Connection, clause: str, params: list[Any],
    excluded: frozenset[tuple[str, str]] = frozenset(),
) -> list[tuple[Any, ...]]:
    """(model, form, item_id, answer, votes, any correct, first sample) per extracted
    answer of the successful samples: enough for maj@k without reading every attempt."""
    clause, params = _where(clause, params, excluded)
    return conn.execute(
        "SELECT a.model, a.form, a.item_id, a.grade_extracted, COUNT(*), MAX(a.grade_correct),"
        " MIN(a.sample_index) FROM attempts a"
        f" WHERE ({clause}) AND a.status = 'ok' AND a.grade_extracted IS NOT NULL"
        " GROUP BY a.model, a.form, a.item_id, a.grade_extracted",
        params,
    ).fetchall()


def form_stat_rows(
    conn: sqlite3.Connection, clause: str, params: list[Any],
    excluded: frozenset[tuple[str, str]] = frozenset(),
) -> list[tuple[Any, ...]]:
    """(model, form, attempts, errors, truncated, fallback, grader_error, grader_timeout,
    mean completion tokens) per model × form."""
    clause, params = _where(clause, params, excluded)
    flag = "SUM(a.status = 'ok' AND instr(COALESCE(a.grade_flags, ''), '{}') > 0)"
    flags = ", ".join(flag.format(f) for f in ("truncated", "fallback", "grader_error", "grader_timeout"))
    return conn.execute(
        f"SELECT a.model, a.form, COUNT(*), SUM(a.status = 'error'), {flags},"
        " AVG(CASE WHEN a.status = 'ok' THEN a.completion_tokens END)"
        f" FROM attempts a WHERE {clause} GROUP BY a.model, a.form",
        params,
    ).fetchall()


def usage_frame(
    conn: sqlite3.Connection, clause: str, params: list[Any], columns: list[str],
    excluded: frozenset[tuple[str, str]] = frozenset(), chunk: int = 250_000,
) -> pd.DataFrame:
    """Per attempt, only the usage, timing and grade columns cost and speed read (in the
    order of analysis.attempts.USAGE_COLUMNS; no text is read), as a frame with `columns`
    built a chunk of rows at a time.

    A list of ten million row tuples holds every value as a Python object (about 700 bytes
    per attempt); frames of a chunk each hold them as columns, so only one chunk of tuples
    is alive at a time. The result has the dtypes one frame of all the rows would have.
    """
    import pandas as pd

    clause, params = _where(clause, params, excluded)
    cursor = conn.execute(
        "SELECT a.model, a.form, a.item_id, a.status, a.finish_reason, a.prompt_tokens,"
        " a.completion_tokens, a.reasoning_tokens, a.cost_usd, a.latency_s, a.queue_s,"
        " a.ttft_s, a.output_tokens_per_s, a.grade_correct, a.grade_flags"
        f" FROM attempts a WHERE {clause}",
        params,
    )
    parts = []
    while rows := cursor.fetchmany(chunk):
        parts.append(pd.DataFrame(rows, columns=columns))
    if len(parts) <= 1:
        return parts[0] if parts else pd.DataFrame([], columns=columns)
    frame = pd.concat(parts, ignore_index=True)
    for name in columns:  # a chunk whose column was all missing made it 'object'
        if frame[name].dtype == object and any(part[name].dtype != object for part in parts):
            frame[name] = pd.Series(frame[name].tolist(), name=name)
    return frame


def endpoint_count_rows(conn: sqlite3.Connection, clause: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """(model, distinct endpoints) for the chosen attempts: does any model have several?"""
    return conn.execute(
        "SELECT a.model, COUNT(DISTINCT COALESCE(a.endpoint, '')) FROM attempts a"
        f" WHERE {clause} GROUP BY a.model",
        params,
    ).fetchall()


def model_condition_rows(conn: sqlite3.Connection, clause: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """(model, condition, attempts) for the chosen attempts."""
    return conn.execute(
        f"SELECT a.model, a.condition, COUNT(*) FROM attempts a WHERE {clause}"
        " GROUP BY a.model, a.condition ORDER BY MIN(a.created_at)",
        params,
    ).fetchall()


def form_date_rows(conn: sqlite3.Connection, clause: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """(form, release date) of the chosen attempts' forms."""
    return conn.execute(
        f"SELECT a.form, MAX(a.form_released) FROM attempts a WHERE {clause} GROUP BY a.form",
        params,
    ).fetchall()


def grader_rows(conn: sqlite3.Connection, clause: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """(grader, version, attempts) of the latest grades of the chosen attempts."""
    return conn.execute(
        "SELECT g.grader, g.version, COUNT(*) FROM attempts a JOIN grades g ON g.id = a.grade_id"
        f" WHERE {clause} GROUP BY g.grader, g.version",
        params,
    ).fetchall()
