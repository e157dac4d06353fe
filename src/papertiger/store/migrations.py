"""Ordered, named schema migrations, applied when a store is opened.

Each migration runs in its own transaction together with its row in `_migrations`, so a
crash mid-migration leaves the store at the previous version. A store that lists a
migration this code does not know was written by a newer papertiger and is refused
rather than guessed at. Never edit a released migration: add a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import NamedTuple

from papertiger.errors import StoreError
from papertiger.schema import condition_id
from papertiger.store.flags import create_flags_table

# PRAGMA application_id marks the file as a papertiger store ('ptig' in ASCII).
APPLICATION_ID = 0x70746967


class Migration(NamedTuple):
    """One schema step: a stable name and the function that applies it."""

    name: str
    apply: Callable[[sqlite3.Connection], None]


_INITIAL = (
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        outcome TEXT,
        argv_json TEXT NOT NULL DEFAULT '[]',
        papertiger_version TEXT,
        spec_json TEXT NOT NULL DEFAULT '{}'
    )""",
    """CREATE TABLE attempts (
        key TEXT PRIMARY KEY,
        run_id TEXT,
        model TEXT NOT NULL,
        endpoint_model TEXT NOT NULL,
        base_url TEXT,
        suite TEXT NOT NULL,
        benchmark TEXT NOT NULL,
        role TEXT CHECK (role IN ('old', 'fresh')),
        item_id TEXT NOT NULL,
        sample_index INTEGER NOT NULL CHECK (sample_index >= 0),
        seed INTEGER,
        prompt_name TEXT NOT NULL,
        prompt_hash TEXT NOT NULL,
        sampling_json TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
        text TEXT,
        reasoning TEXT,
        finish_reason TEXT,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        reasoning_tokens INTEGER,
        latency_s REAL,
        ttft_s REAL,
        output_tokens_per_s REAL,
        retries INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        raw TEXT,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX attempts_model_benchmark ON attempts (model, benchmark)",
    "CREATE INDEX attempts_run ON attempts (run_id)",
    "CREATE INDEX attempts_status ON attempts (status)",
    """CREATE TABLE attempt_errors (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        run_id TEXT,
        error TEXT,
        retries INTEGER NOT NULL DEFAULT 0,
        latency_s REAL,
        raw TEXT,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX attempt_errors_key ON attempt_errors (key)",
    """CREATE TABLE grades (
        id INTEGER PRIMARY KEY,
        attempt_key TEXT NOT NULL REFERENCES attempts (key),
        grader TEXT NOT NULL,
        version TEXT NOT NULL,
        extracted TEXT,
        correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
        method TEXT NOT NULL,
        fallback INTEGER NOT NULL DEFAULT 0 CHECK (fallback IN (0, 1)),
        truncated INTEGER NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1)),
        created_at TEXT NOT NULL,
        UNIQUE (attempt_key, grader, version)
    )""",
    "CREATE INDEX grades_attempt ON grades (attempt_key)",
)


def _initial(conn: sqlite3.Connection) -> None:
    for statement in _INITIAL:
        conn.execute(statement)


# 0002: the attempt at the centre. Attempts name their form (no old/fresh role), task,
# source, item hash and condition; items and their gold answers get a table; grades carry
# a score, flags and the hash of the gold answer they were computed against.
_ATTEMPTS_0002 = """CREATE TABLE attempts (
    key TEXT PRIMARY KEY,
    run_id TEXT,
    source TEXT NOT NULL DEFAULT 'papertiger',
    model TEXT NOT NULL,
    endpoint_model TEXT NOT NULL,
    endpoint TEXT,
    suite TEXT NOT NULL,
    form TEXT NOT NULL,
    form_released TEXT,
    item_id TEXT NOT NULL,
    item_hash TEXT,
    task TEXT NOT NULL DEFAULT 'solve',
    prompt_name TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    sampling_json TEXT NOT NULL DEFAULT '{}',
    seed_base INTEGER,
    condition TEXT NOT NULL,
    sample_index INTEGER NOT NULL CHECK (sample_index >= 0),
    seed INTEGER,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    text TEXT,
    reasoning TEXT,
    finish_reason TEXT,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    reasoning_tokens INTEGER,
    cost_usd REAL,
    latency_s REAL,
    queue_s REAL,
    ttft_s REAL,
    output_tokens_per_s REAL,
    retries INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    error_code TEXT,
    raw BLOB,
    created_at TEXT NOT NULL,
    grade_id INTEGER,
    grade_score REAL,
    grade_correct INTEGER,
    grade_flags TEXT,
    grade_extracted TEXT
)"""
_GRADES_0002 = """CREATE TABLE grades (
    id INTEGER PRIMARY KEY,
    attempt_key TEXT NOT NULL REFERENCES attempts (key),
    grader TEXT NOT NULL,
    version TEXT NOT NULL,
    gold_hash TEXT,
    extracted TEXT,
    score REAL NOT NULL,
    correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
    method TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
)"""
# Each attempt carries its latest grade (newest first: created_at, then id), so that
# aggregations over millions of attempts need no join and no window function.
LATEST_GRADE = """(SELECT g.id, g.score, g.correct, g.flags, g.extracted FROM grades g
    WHERE g.attempt_key = attempts.key ORDER BY g.created_at DESC, g.id DESC LIMIT 1)"""
LATEST_GRADE_ALL = (
    "UPDATE attempts SET (grade_id, grade_score, grade_correct, grade_flags, grade_extracted) = "
    + LATEST_GRADE
)
_ITEMS_0002 = """CREATE TABLE items (
    suite TEXT NOT NULL,
    form TEXT NOT NULL,
    item_id TEXT NOT NULL,
    item_hash TEXT NOT NULL,
    problem TEXT NOT NULL,
    answer TEXT NOT NULL,
    released TEXT,
    topic TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (suite, form, item_id)
)"""
_INDEXES_0002 = (
    "CREATE INDEX attempts_suite_form ON attempts (suite, task, condition, model, form, item_id)",
    "CREATE INDEX attempts_condition ON attempts (condition)",
    "CREATE INDEX attempts_run ON attempts (run_id)",
    "CREATE INDEX attempts_status ON attempts (status)",
    "CREATE INDEX grades_attempt ON grades (attempt_key)",
    "CREATE UNIQUE INDEX grades_once ON grades"
    " (attempt_key, grader, version, COALESCE(gold_hash, ''))",
)


def _forms_and_conditions(conn: sqlite3.Connection) -> None:
    """Rebuild attempts and grades in the 0002 shape; every 0001 row is kept.

    0001 rows: `benchmark` (the set's name) becomes the form, the task is 'solve', the
    source a papertiger run, the seed base seed − sample index, and the condition is
    computed from the stored prompt hash and sampling. Their item hash is unknown (the old
    key hashed the answer too), so resuming a 0001 run may ask for those attempts again.
    """
    conn.create_function("pt_condition", 4, condition_id, deterministic=True)
    conn.execute("ALTER TABLE attempts RENAME TO attempts_0001")
    conn.execute("ALTER TABLE grades RENAME TO grades_0001")
    for name in ("attempts_model_benchmark", "attempts_run", "attempts_status", "grades_attempt"):
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.execute(_ATTEMPTS_0002)
    conn.execute(
        """INSERT INTO attempts (key, run_id, source, model, endpoint_model, endpoint, suite,
            form, form_released, item_id, item_hash, task, prompt_name, prompt_hash,
            sampling_json, seed_base, condition, sample_index, seed, status, text, reasoning,
            finish_reason, prompt_tokens, completion_tokens, reasoning_tokens, cost_usd,
            latency_s, queue_s, ttft_s, output_tokens_per_s, retries, error, error_code, raw,
            created_at)
        SELECT key, run_id, 'papertiger', model, endpoint_model, base_url, suite, benchmark,
            NULL, item_id, NULL, 'solve', prompt_name, prompt_hash, sampling_json,
            CASE WHEN seed IS NULL THEN NULL ELSE seed - sample_index END,
            pt_condition('solve', prompt_hash, sampling_json,
                         CASE WHEN seed IS NULL THEN NULL ELSE seed - sample_index END),
            sample_index, seed, status, text, reasoning, finish_reason, prompt_tokens,
            completion_tokens, reasoning_tokens, NULL, latency_s, NULL, ttft_s,
            output_tokens_per_s, retries, error, NULL, raw, created_at
        FROM attempts_0001"""
    )
    conn.execute(  # 0.1 runs recorded the fresh set's release date
        """UPDATE attempts SET form_released = (
            SELECT json_extract(r.spec_json, '$.fresh_released') FROM runs r
            WHERE r.run_id = attempts.run_id AND json_extract(r.spec_json, '$.fresh') = attempts.form)
        WHERE form_released IS NULL"""
    )
    conn.execute(_GRADES_0002)
    conn.execute(
        """INSERT INTO grades (id, attempt_key, grader, version, gold_hash, extracted, score,
            correct, method, flags, created_at)
        SELECT id, attempt_key, grader, version, NULL, extracted, correct, correct, method,
            trim((CASE WHEN fallback THEN 'fallback' ELSE '' END) || ',' ||
                 (CASE WHEN truncated THEN 'truncated' ELSE '' END), ','),
            created_at
        FROM grades_0001"""
    )
    conn.execute(LATEST_GRADE_ALL)
    conn.execute("DROP TABLE grades_0001")
    conn.execute("DROP TABLE attempts_0001")
    conn.execute(_ITEMS_0002)
    for statement in _INDEXES_0002:
        conn.execute(statement)
    conn.execute("ALTER TABLE attempt_errors ADD COLUMN error_code TEXT")


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_initial", _initial),
    Migration("0002_forms_conditions_items", _forms_and_conditions),
    Migration("0003_item_flags", create_flags_table),
)


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names recorded in `_migrations`, oldest first (empty for a fresh file)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ).fetchone()
    if exists is None:
        return []
    return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def migrate(conn: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[str]:
    """Apply the pending migrations in order; return the names applied.

    The connection must be in autocommit mode (isolation_level=None): transactions are
    opened here explicitly so DDL and the bookkeeping row commit together.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = applied_migrations(conn)
    known = [m.name for m in migrations]
    unknown = [name for name in done if name not in known]
    if unknown:
        raise StoreError(
            f"this results store was written by a newer papertiger (unknown migrations: "
            f"{', '.join(unknown)}); upgrade papertiger to open it"
        )
    applied = []
    for migration in migrations:
        if migration.name in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            migration.apply(conn)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ'))",
                (migration.name,),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(migration.name)
    return applied
