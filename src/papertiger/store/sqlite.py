"""The results store: every attempt and grade in one SQLite file (WAL, single writer).

Invariants:
- an 'ok' attempt is written once and never overwritten (resume skips its key);
- an 'error' attempt is replaced by the next try for the same key; every failed try is
  also appended to `attempt_errors`, so no failure is lost;
- grades are only ever added: a regrade with a new grader version adds rows, and the
  same (attempt, grader, version) twice is a no-op;
- one `put_attempts` call is one transaction, so a crash loses at most the batch in
  flight. WAL with synchronous=NORMAL keeps commits cheap and lets other processes
  read while the runner writes.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from papertiger.errors import StoreError
from papertiger.schema import Attempt, CompletionStatus, Grade, Problem
from papertiger.store.flags import FlagRow, flagged_items, read_flags, replace_flags
from papertiger.store.frame import AttemptFilter, frame_query, typed_frame
from papertiger.store.opening import sqlite_error
from papertiger.store.reads import (
    endpoint_count_rows,
    form_date_rows,
    form_stat_rows,
    grader_rows,
    holdings_frame,
    item_count_rows,
    majority_rows,
    model_condition_rows,
)
from papertiger.store.reads import (
    usage_frame as read_usage_frame,
)
from papertiger.store.records import (
    ATTEMPT_COLUMNS,
    PutResult,
    attempt_from_row,
    iso_utc,
    unpack_raw,
    utc_now,
)
from papertiger.store.writes import insert_attempts, insert_grades, replace_attempt, upsert_items

_CHUNK = 500  # stays well under SQLite's bound-parameter limit


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SQLiteStore:
    """A papertiger results store in one SQLite file. Open it with `open_store`.

    One writer at a time: the connection is shared across threads (check_same_thread
    is off) and every call takes an internal lock, so calls never interleave.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection; committed batches are already on disk."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def journal_mode(self) -> str:
        """'wal' for a file store ('memory' for ':memory:')."""
        with self._lock:
            return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; SQLite's own failures become one clear StoreError."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.IntegrityError:
                raise  # callers turn constraint failures into their own messages
            except sqlite3.DatabaseError as exc:
                raise sqlite_error(exc, self._where()) from None

    # -- runs --------------------------------------------------------------------------

    def start_run(
        self,
        run_id: str | None = None,
        *,
        argv: Sequence[str] = (),
        spec: Mapping[str, Any] | None = None,
        version: str | None = None,
    ) -> str:
        """Record the start of a run and return its id (a new uuid4 hex if none given).

        `argv` and `spec` are stored as JSON; pass only what reproduces the run, never
        secrets (the CLI passes key *variable names*, not keys).
        """
        run_id = run_id or uuid.uuid4().hex
        row = (
            run_id,
            iso_utc(utc_now()),
            json.dumps(list(argv)),
            version or _package_version(),
            json.dumps(dict(spec or {}), default=str),
        )
        try:
            with self._transaction() as conn:
                conn.execute(
                    "INSERT INTO runs (run_id, started_at, argv_json, papertiger_version,"
                    " spec_json) VALUES (?, ?, ?, ?, ?)",
                    row,
                )
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"run {run_id!r} already exists in {self._where()}") from exc
        return run_id

    def finish_run(self, run_id: str, *, outcome: str = "completed") -> None:
        """Stamp a run's end time and outcome ('completed', 'interrupted', 'failed', ...)."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE runs SET finished_at = ?, outcome = ? WHERE run_id = ?",
                (iso_utc(utc_now()), outcome, run_id),
            )
        if cursor.rowcount == 0:
            raise StoreError(f"no run {run_id!r} in {self._where()}")

    def runs_frame(self) -> pd.DataFrame:
        """All runs, oldest first."""
        with self._lock:
            import pandas as pd

            return pd.read_sql_query("SELECT * FROM runs ORDER BY started_at", self._conn)

    # -- writes ------------------------------------------------------------------------

    def put_attempts(
        self,
        attempts: Sequence[Attempt],
        grades: Sequence[tuple[str, Grade]] = (),
    ) -> PutResult:
        """Write a batch of attempts and their grades in one transaction.

        An existing 'ok' attempt is kept and the new one (and its grades) skipped; an
        existing 'error' attempt is replaced, and its grades, which graded the failure,
        are dropped with it.
        """
        with self._transaction() as conn:
            status = self._statuses(conn, [a.key for a in attempts])
            inserted = replaced = 0
            skipped: set[str] = set()
            fresh: list[Attempt] = []
            for attempt in attempts:
                key = attempt.key
                previous = status.get(key)
                if previous == "ok":
                    skipped.add(key)
                    continue
                if previous is None:
                    fresh.append(attempt)
                    inserted += 1
                else:
                    insert_attempts(conn, fresh)  # the key may be among them: write first
                    fresh = []
                    replace_attempt(conn, attempt)
                    replaced += 1
                status[key] = attempt.completion.status
            insert_attempts(conn, fresh)
            kept = [(key, grade) for key, grade in grades if key not in skipped]
            added = insert_grades(conn, kept)
        skipped_count = sum(1 for a in attempts if a.key in skipped)
        return PutResult(inserted, replaced, skipped_count, added)

    def put_grades(self, grades: Sequence[tuple[str, Grade]]) -> int:
        """Add grades for stored attempts (a regrade); return how many rows were new."""
        with self._transaction() as conn:
            return insert_grades(conn, grades)

    def put_items(self, suite: str, problems: Sequence[Problem]) -> int:
        """Record the items of a suite with their current text and gold answer."""
        with self._transaction() as conn:
            return upsert_items(conn, suite, problems)

    @staticmethod
    def _statuses(conn: sqlite3.Connection, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(keys))):
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, status FROM attempts WHERE key IN ({marks})"
            found.update(conn.execute(query, tuple(chunk)).fetchall())
        return found

    # -- reads -------------------------------------------------------------------------

    def finished_keys(self, keys: Iterable[str] | None = None) -> set[str]:
        """Keys whose attempt finished ('ok'); errors are retried, so they are excluded.

        With `keys`, only those keys are checked (what the runner's plan asks).
        """
        with self._lock:
            if keys is None:
                rows = self._conn.execute("SELECT key FROM attempts WHERE status = 'ok'")
                return {row[0] for row in rows}
            return {k for k, s in self._statuses(self._conn, list(keys)).items() if s == "ok"}

    def mean_output_tokens(self) -> dict[str, float]:
        """Mean completion tokens of successful attempts, per model (for cost estimates)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT model, AVG(completion_tokens) FROM attempts "
                "WHERE status = 'ok' AND completion_tokens IS NOT NULL GROUP BY model"
            ).fetchall()
        return {str(model): float(mean) for model, mean in rows}

    def error_keys(self) -> set[str]:
        """Keys whose latest attempt failed (they will be retried)."""
        with self._lock:
            rows = self._conn.execute("SELECT key FROM attempts WHERE status = 'error'")
            return {row[0] for row in rows}

    def count_attempts(self, where: AttemptFilter | None = None) -> int:
        """Number of stored attempts (one per key), optionally filtered."""
        clause, params = (where or AttemptFilter()).where()
        with self._lock:
            query = f"SELECT count(*) FROM attempts a WHERE {clause}"
            return int(self._conn.execute(query, params).fetchone()[0])

    def iter_attempts(
        self, *, status: CompletionStatus | None = None, where: AttemptFilter | None = None
    ) -> Iterator[Attempt]:
        """Stored attempts, oldest first; optionally only 'ok' or 'error', or filtered."""
        base = where or AttemptFilter()
        filt = dataclasses.replace(base, status=status or base.status)
        clause, params = filt.where()
        query = f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM attempts a WHERE {clause}"
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY created_at, key", params).fetchall()
        for row in rows:
            values = dict(zip(ATTEMPT_COLUMNS, row, strict=True))
            values["raw"] = unpack_raw(values["raw"])
            yield attempt_from_row(values)

    def attempts_frame(
        self,
        grader: str | None = None,
        *,
        latest_grader: bool = True,
        include_raw: bool = False,
        where: AttemptFilter | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """The tidy table: one row per attempt with its grade, gold answer and problem text.

        With `latest_grader` (the default) each attempt gets its newest grade, among
        `grader`'s grades if a grader is named, else among all graders; ungraded attempts
        have missing grade columns. With `latest_grader=False` there is one row per
        (attempt, grade) pair instead. `raw` (the verbatim response) is left out unless
        `include_raw`, as it is large and analyses do not need it; `columns` limits the
        attempt columns read.
        """
        clause, params = (where or AttemptFilter()).where()
        query = frame_query(latest_grader, include_raw, clause, columns)
        with self._lock:
            import pandas as pd

            frame = pd.read_sql_query(query, self._conn, params=[grader, grader, *params])
        if include_raw and "raw" in frame.columns:
            frame["raw"] = frame["raw"].map(unpack_raw)
        return typed_frame(frame)

    def errors_frame(self) -> pd.DataFrame:
        """Every failed try ever recorded, oldest first (the retry history)."""
        with self._lock:
            import pandas as pd

            return pd.read_sql_query(
                "SELECT * FROM attempt_errors ORDER BY created_at, id", self._conn
            )

    def items_frame(self, suite: str | None = None) -> pd.DataFrame:
        """The items the store knows (text, gold answer, release date), per suite and form."""
        with self._lock:
            import pandas as pd

            return pd.read_sql_query(
                "SELECT * FROM items WHERE (? IS NULL OR suite = ?) ORDER BY suite, form, item_id",
                self._conn,
                params=[suite, suite],
            )

    def put_item_flags(self, suite: str, rows: Sequence[FlagRow]) -> int:
        """Replace a suite's near-duplicate flags (verdicts of unchanged pairs kept)."""
        with self._transaction() as conn:
            return replace_flags(conn, suite, rows)

    def item_flags_frame(self, suite: str | None = None) -> pd.DataFrame:
        """The stored near-duplicate pairs (see store/flags.py)."""
        with self._lock:
            return read_flags(self._conn, suite)

    def flagged_items(self, suite: str) -> frozenset[tuple[str, str]]:
        """(form, item_id) of items with a marked pair no judge called different."""
        with self._lock:
            return flagged_items(self._conn, suite)

    def aggregate(
        self, kind: str, where: AttemptFilter, excluded: frozenset[tuple[str, str]] = frozenset()
    ) -> list[tuple[Any, ...]]:
        """SQL aggregates over the chosen attempts (see store/reads.py): 'counts',
        'majority', 'form_stats', 'conditions', 'form_dates', 'graders' or 'endpoints'
        (per-attempt usage: `usage_frame`). `excluded` drops
        (form, item_id) items."""
        clause, params = where.where()
        queries = {
            "counts": lambda: item_count_rows(self._conn, clause, params, excluded),
            "majority": lambda: majority_rows(self._conn, clause, params, excluded),
            "form_stats": lambda: form_stat_rows(self._conn, clause, params, excluded),
            "conditions": lambda: model_condition_rows(self._conn, clause, params),
            "form_dates": lambda: form_date_rows(self._conn, clause, params),
            "graders": lambda: grader_rows(self._conn, clause, params),
            "endpoints": lambda: endpoint_count_rows(self._conn, clause, params),
        }
        if kind not in queries:
            raise ValueError(f"unknown aggregate {kind!r}")
        with self._lock:
            return queries[kind]()

    def usage_frame(
        self, where: AttemptFilter, columns: list[str],
        excluded: frozenset[tuple[str, str]] = frozenset(),
    ) -> pd.DataFrame:
        """Per attempt, usage, timing and grade columns, built in chunks (store/reads.py)."""
        clause, params = where.where()
        with self._lock:
            return read_usage_frame(self._conn, clause, params, columns, excluded)

    def holdings(self) -> pd.DataFrame:
        """What the store holds, one row per suite × task × prompt × condition: sampling,
        seed base, models, forms, attempts (ok, errors) and the runs that wrote them."""
        with self._lock:
            return holdings_frame(self._conn)

    def _where(self) -> str:
        return str(self.path) if self.path is not None else "the in-memory store"


# -- module helpers ----------------------------------------------------------------------


def _package_version() -> str | None:
    try:
        return importlib.metadata.version("papertiger")
    except importlib.metadata.PackageNotFoundError:
        return None
