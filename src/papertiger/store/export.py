"""Export the joined attempts+grades table to Parquet or CSV for other tools.

The export holds exactly what the store holds (raw responses included) and nothing
else; the store never holds secrets, so neither does an export.

It streams: rows are read from one snapshot of the store in batches (store/export_rows.py)
and written as they come, so memory stays flat however large the store grows. Parquet goes
through a `ParquetWriter` from typed Arrow batches (store/export_arrow.py); CSV is made
from the same batches by pyarrow.compute (store/export_csv.py), or, where pyarrow is not
installed, by the csv module (store/export_values.py). The files read back as the
frame-based export wrote them: same columns, order, values and types. A file is written
under a temporary name in the same folder and renamed when complete, so a failed export
never leaves a file that looks whole.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Queue
from typing import TYPE_CHECKING, BinaryIO, Literal, TypeVar

from papertiger.errors import StoreError, require
from papertiger.store.export_arrow import BatchBuilder, arrow_schema, packed_batches
from papertiger.store.export_rows import (
    NAMES,
    TIME_COLUMNS,
    BatchSize,
    plain_select,
    row_batches,
    snapshot,
)
from papertiger.store.export_values import csv_rows, time_precision, width
from papertiger.store.opening import sqlite_error

if TYPE_CHECKING:
    import pyarrow as pa

    from papertiger.store.sqlite import SQLiteStore

ExportFormat = Literal["parquet", "csv"]
T = TypeVar("T")

# Batches are gathered into row groups of about this size: big enough that readers and
# compression work well, small enough to keep memory flat.
ROW_GROUP_BYTES = 32 * 2**20
ROW_GROUP_ROWS = 1024 * 1024


def export(
    store: SQLiteStore,
    path: str | Path,
    fmt: ExportFormat | None = None,
    *,
    grader: str | None = None,
    all_grades: bool = False,
) -> Path:
    """Write the attempts table (raw included) to `path`; return the path written.

    `fmt` defaults to the file suffix ('.csv' means CSV, anything else Parquet). By
    default each attempt carries its latest grade (for `grader`, if named); with
    `all_grades` every grade gets its own row.
    """
    target = Path(path)
    fmt = fmt or ("csv" if target.suffix.lower() == ".csv" else "parquet")
    if fmt not in ("parquet", "csv"):
        raise StoreError(f"unknown export format {fmt!r}; use 'parquet' or 'csv'")
    if not target.parent.is_dir():
        raise StoreError(f"cannot write {target}: folder {target.parent} does not exist")
    if fmt == "parquet":
        require("pyarrow.parquet", "parquet", "exporting to Parquet (or use -o FILE.csv)")
    partial = target.with_name(f".{target.name}.partial")
    try:
        if fmt == "csv":
            with partial.open("wb") as out:
                write_csv(store, out, grader=grader, all_grades=all_grades)
        else:
            write_parquet(store, partial, grader=grader, all_grades=all_grades)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def write_csv(
    store: SQLiteStore,
    out: BinaryIO,
    *,
    grader: str | None = None,
    all_grades: bool = False,
    arrow: bool | None = None,
) -> int:
    """Write the export as UTF-8 CSV to a binary stream (a file, `sys.stdout.buffer`);
    return the rows written.

    The header comes first, so an empty store gives a header line and nothing else. With
    pyarrow installed (or `arrow=True`) lines are made from Arrow batches; without it (or
    `arrow=False`) by the csv module, slower, to the same bytes.
    """
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator=os.linesep)
    writer.writerow(NAMES)
    use_arrow = _has_arrow() if arrow is None else arrow
    written = 0
    try:
        with _reading(store) as conn:
            digits = {name: time_precision(conn, name, grader) for name in TIME_COLUMNS}
            size = BatchSize()
            if use_arrow:
                builder = BatchBuilder(arrow_schema())
                with _behind(out.write) as put:
                    for rows, items in packed_batches(conn, grader, all_grades, size):
                        lines = builder.csv_lines(rows, items, digits)
                        size.observe(len(rows), lines.size)
                        put(lines)
                        written += len(rows)
            else:
                select = plain_select(csv=True)
                for rows in row_batches(conn, select, grader, all_grades=all_grades, size=size):
                    lines = csv_rows(rows, [digits[n] for n in TIME_COLUMNS])
                    size.observe(len(rows), width(lines))
                    writer.writerows(lines)
                    written += len(rows)
    finally:
        text.detach()  # the stream stays the caller's, open
    return written


def write_parquet(
    store: SQLiteStore, path: Path, *, grader: str | None = None, all_grades: bool = False
) -> int:
    """Write the export as Parquet to `path`; return the rows written.

    Batches are built with one fixed schema, so a batch whose column happens to be all
    missing keeps the column's type; an empty store gives a file with the schema only.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    written = 0
    pending: list[pa.RecordBatch] = []
    builder = BatchBuilder(schema)
    with pq.ParquetWriter(path, schema) as writer, _reading(store) as conn:

        def write(batches: list[pa.RecordBatch]) -> None:
            writer.write_table(pa.Table.from_batches(batches, schema), row_group_size=ROW_GROUP_ROWS)

        size = BatchSize()
        with _behind(write, depth=1) as put:
            for rows, items in packed_batches(conn, grader, all_grades, size):
                batch = builder.record_batch(rows, items)
                size.observe(len(rows), batch.nbytes)
                pending.append(batch)
                written += len(rows)
                if _group_full(pending):
                    put(pending)
                    pending = []
            if pending:
                put(pending)
    return written


@contextmanager
def _behind(consume: Callable[[T], object], depth: int = 2) -> Iterator[Callable[[T], None]]:
    """A `put` whose items `consume` takes in a thread of its own, `depth` items behind.

    pyarrow encodes, compresses and formats without holding the GIL, and files are written
    without it, so while one batch is written the next is read from SQLite and built: on
    two cores the export takes about the time of its slower half, not of both. The first
    error of `consume` is raised by the next `put`, or when the block ends.
    """
    queue: Queue[tuple[bool, T | None]] = Queue(maxsize=depth)
    failed: list[BaseException] = []

    def work() -> None:
        while True:
            more, item = queue.get()
            if not more:
                return
            if not failed:  # after a failure, only drain, so that `put` never blocks
                try:
                    consume(item)  # type: ignore[arg-type]
                except BaseException as exc:
                    failed.append(exc)

    worker = threading.Thread(target=work, name="papertiger-export-write", daemon=True)
    worker.start()

    def put(item: T) -> None:
        if failed:
            raise failed[0]
        queue.put((True, item))

    try:
        yield put
    finally:
        queue.put((False, None))
        worker.join()
    if failed:
        raise failed[0]


def _has_arrow() -> bool:
    try:
        import pyarrow.compute  # noqa: F401
    except ImportError:
        return False
    return True


def _group_full(batches: list[pa.RecordBatch]) -> bool:
    rows = sum(b.num_rows for b in batches)
    return rows >= ROW_GROUP_ROWS or sum(b.nbytes for b in batches) >= ROW_GROUP_BYTES


@contextmanager
def _reading(store: SQLiteStore) -> Iterator[sqlite3.Connection]:
    """The store's connection, held for one snapshot; SQLite's failures become one line.

    The export reads the connection itself (it is part of the store package) so that
    rows stream instead of passing through `attempts_frame`. The cyclic garbage collector
    is paused meanwhile: the rows are millions of short-lived tuples that hold no cycles,
    and scanning them again and again cost a twentieth of the export's time.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        with store._lock:
            try:
                with snapshot(store._conn) as conn:
                    yield conn
            except sqlite3.DatabaseError as exc:
                raise sqlite_error(exc, store._where()) from None
    finally:
        if collecting:
            gc.enable()
