"""The results store: every attempt, its grades and the runs, in one SQLite file.

store = open_store("results.sqlite")
todo = [k for k in planned_keys if k not in store.finished_keys(planned_keys)]
store.put_attempts(records, grades)            # one transaction per batch
frame = store.attempts_frame()                 # the tidy table for analysis
export(store, "results.parquet")
"""

from papertiger.store.export import ExportFormat, export
from papertiger.store.frame import ATTEMPT_COLUMNS, GRADE_COLUMNS
from papertiger.store.migrations import MIGRATIONS, Migration
from papertiger.store.records import AttemptRecord, PutResult, Role
from papertiger.store.sqlite import SQLiteStore, open_store

ResultStore = SQLiteStore

__all__ = [
    "ATTEMPT_COLUMNS",
    "GRADE_COLUMNS",
    "MIGRATIONS",
    "AttemptRecord",
    "ExportFormat",
    "Migration",
    "PutResult",
    "ResultStore",
    "Role",
    "SQLiteStore",
    "export",
    "open_store",
]
