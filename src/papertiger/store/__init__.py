"""The results store: every attempt, its grades, the items and the runs, in one SQLite file.

store = open_store("results.db")
todo = [k for k in planned_keys if k not in store.finished_keys(planned_keys)]
store.put_attempts(attempts, grades)           # one transaction per batch
frame = store.attempts_frame(where=AttemptFilter(suites=["aime"]))
export(store, "results.parquet")
"""

from papertiger.store.export import ExportFormat, export
from papertiger.store.frame import GRADE_COLUMNS, ITEM_COLUMNS, AttemptFilter
from papertiger.store.lock import StoreBusy, writer_lock
from papertiger.store.migrations import MIGRATIONS, Migration
from papertiger.store.opening import open_store
from papertiger.store.records import ATTEMPT_COLUMNS, PutResult, pack_raw, unpack_raw
from papertiger.store.sqlite import SQLiteStore

ResultStore = SQLiteStore

__all__ = [
    "ATTEMPT_COLUMNS",
    "GRADE_COLUMNS",
    "ITEM_COLUMNS",
    "MIGRATIONS",
    "AttemptFilter",
    "ExportFormat",
    "Migration",
    "PutResult",
    "ResultStore",
    "SQLiteStore",
    "StoreBusy",
    "export",
    "open_store",
    "pack_raw",
    "unpack_raw",
    "writer_lock",
]
