"""Opening a store: WAL, migrations, and clear refusals of files that are not ours."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from papertiger.errors import StoreError
from papertiger.store import MIGRATIONS, open_store
from papertiger.store.migrations import APPLICATION_ID, applied_migrations


def test_new_store_is_wal_and_fully_migrated(store_path: Path) -> None:
    with open_store(store_path) as store:
        assert store.journal_mode == "wal"
    conn = sqlite3.connect(store_path)
    try:
        assert applied_migrations(conn) == [m.name for m in MIGRATIONS]
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert {"attempts", "attempt_errors", "grades", "runs", "_migrations"} <= tables


def test_reopening_applies_nothing_and_keeps_data(store_path: Path, record) -> None:
    with open_store(store_path) as store:
        store.put_attempts([record("k1")])
    with open_store(store_path) as store:
        assert store.finished_keys() == {"k1"}
    conn = sqlite3.connect(store_path)
    try:
        assert len(applied_migrations(conn)) == len(MIGRATIONS)
    finally:
        conn.close()


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        open_store(tmp_path / "nowhere" / "results.sqlite")
    assert not (tmp_path / "nowhere").exists()


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        open_store(tmp_path)


def test_text_file_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("model,score\nkimi,0.5\n" * 200)
    with pytest.raises(StoreError, match="not a papertiger results store"):
        open_store(path)


def test_other_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a papertiger results store"):
        open_store(path)


def test_store_from_a_newer_papertiger_is_refused(store_path: Path) -> None:
    open_store(store_path).close()
    conn = sqlite3.connect(store_path)
    conn.execute("INSERT INTO _migrations VALUES ('0999_from_the_future', 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer papertiger"):
        open_store(store_path)


def test_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "touched.sqlite"
    path.touch()
    with open_store(path) as store:
        assert store.count_attempts() == 0


def test_memory_store_for_notebooks(record) -> None:
    with open_store(":memory:") as store:
        store.put_attempts([record("k1")])
        assert store.finished_keys() == {"k1"}
        assert store.path is None


def test_synchronous_setting(store_path: Path) -> None:
    with open_store(store_path, synchronous="FULL") as store:
        assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    with pytest.raises(StoreError, match="synchronous must be"):
        open_store(store_path, synchronous="OFF")  # type: ignore[arg-type]
