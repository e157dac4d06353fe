"""Opening a store: create or refuse, read-only media, migrations, clear errors.

A store is opened for writing (created when missing, migrated to the current schema) or
for reading only (`readonly=True`: it must exist; nothing is written, not even the WAL
index). Reading works on read-only media too: SQLite is asked to treat the file as
immutable, and a store whose schema is older than this papertiger is migrated in a private
temporary copy, so the original is never touched.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from papertiger.errors import StoreError
from papertiger.store.migrations import APPLICATION_ID, MIGRATIONS, applied_migrations, migrate

if TYPE_CHECKING:
    from papertiger.store.sqlite import SQLiteStore

Synchronous = Literal["NORMAL", "FULL"]

_HINTS = (
    ("disk is full", "free some space on that disk; everything committed before is kept"),
    ("readonly", "the file or its folder is read-only; write to another store"),
    ("read-only", "the file or its folder is read-only; write to another store"),
    ("malformed", "the file is damaged; restore it from a copy (`papertiger export` reads what it can)"),
    ("not a database", "the file is not an SQLite database"),
    ("unable to open", "check that the path exists and is readable"),
    ("locked", "another process holds the store; try again when it finishes"),
)


def sqlite_error(exc: sqlite3.Error, where: str) -> StoreError:
    """One line naming the store, what SQLite said and what to do."""
    text = str(exc)
    hint = next((h for key, h in _HINTS if key in text.lower()), "")
    return StoreError(f"results store {where}: {text}" + (f"; {hint}" if hint else ""))


def open_store(
    path: str | Path,
    *,
    synchronous: Synchronous = "NORMAL",
    readonly: bool = False,
    create: bool = True,
) -> SQLiteStore:
    """Open the results store at `path`, migrating it to the current schema.

    `create=False` (and always with `readonly=True`) refuses a missing file with
    "no such store" instead of creating one. ':memory:' gives a throwaway store for tests
    and notebooks. Raises StoreError for a file that is not a papertiger store or was
    written by a newer papertiger. In WAL mode synchronous=NORMAL survives a killed or
    crashed process; only a power cut or OS crash can lose the last commits. 'FULL' also
    survives those, at an fsync per batch.
    """
    from papertiger.store.sqlite import SQLiteStore

    target = None if str(path) == ":memory:" else Path(path)
    if target is not None:
        _check_location(target, create and not readonly)
    if readonly and target is not None:
        return SQLiteStore(_open_readonly(target), target)
    try:
        conn = sqlite3.connect(
            ":memory:" if target is None else target, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise sqlite_error(exc, str(target)) from None
    try:
        _prepare(conn, target, synchronous)
    except StoreError:
        conn.close()
        raise
    except sqlite3.OperationalError as exc:
        conn.close()
        raise sqlite_error(exc, str(target)) from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{target} is not a papertiger results store ({exc})") from None
    except BaseException:
        conn.close()
        raise
    return SQLiteStore(conn, target)


def _check_location(target: Path, create: bool) -> None:
    if target.is_dir():
        raise StoreError(f"{target} is a folder; give a file name for the results store")
    if not target.exists() and not create:
        raise StoreError(f"no such store: {target}")
    if not target.parent.is_dir():
        raise StoreError(
            f"cannot create results store {target}: folder {target.parent} does not exist"
        )


def _prepare(conn: sqlite3.Connection, target: Path | None, synchronous: Synchronous) -> None:
    conn.execute("PRAGMA busy_timeout = 5000")
    _claim(conn, target)
    if target is not None:
        conn.execute("PRAGMA journal_mode = WAL")
    if synchronous not in ("NORMAL", "FULL"):
        raise StoreError(f"synchronous must be 'NORMAL' or 'FULL', not {synchronous!r}")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn)


def _claim(conn: sqlite3.Connection, target: Path | None) -> None:
    """Refuse SQLite files that belong to something else; mark new ones as ours."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id == APPLICATION_ID:
        return
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id != 0 or tables:
        raise StoreError(
            f"{target} is an SQLite database but not a papertiger results store; "
            "choose another file name"
        )
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _connect_ro(target: Path, immutable: bool) -> sqlite3.Connection:
    uri = target.resolve().as_uri() + ("?immutable=1" if immutable else "?mode=ro")
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # fails here if unreadable
    return conn


def _open_readonly(target: Path) -> sqlite3.Connection:
    """A read-only connection; on read-only media SQLite cannot make its WAL index, so the
    file is opened as immutable (no other process can be writing to such media)."""
    try:
        conn = _connect_ro(target, immutable=False)
    except sqlite3.OperationalError:
        try:
            conn = _connect_ro(target, immutable=True)
        except sqlite3.Error as exc:
            raise sqlite_error(exc, str(target)) from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{target} is not a papertiger results store ({exc})") from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        done = applied_migrations(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{target} is not a papertiger results store ({exc})") from None
    if app_id != APPLICATION_ID:
        conn.close()
        raise StoreError(f"{target} is not a papertiger results store")
    if [m.name for m in MIGRATIONS] == done:
        return conn
    return _migrated_copy(conn)


def _migrated_copy(conn: sqlite3.Connection) -> sqlite3.Connection:
    """An older store, read-only: migrate a private in-memory copy, never the original."""
    copy = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        conn.backup(copy)
    finally:
        conn.close()
    migrate(copy)
    return copy
