"""Export the joined attempts+grades table to Parquet or CSV for other tools.

The export holds exactly what the store holds (raw responses included) and nothing
else; the store never holds secrets, so neither does an export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from papertiger.errors import StoreError, require
from papertiger.store.sqlite import SQLiteStore

ExportFormat = Literal["parquet", "csv"]


def export(
    store: SQLiteStore,
    path: str | Path,
    fmt: ExportFormat | None = None,
    *,
    grader: str | None = None,
    all_grades: bool = False,
) -> Path:
    """Write the attempts frame (raw included) to `path`; return the path written.

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
    frame = store.attempts_frame(grader, latest_grader=not all_grades, include_raw=True)
    if fmt == "csv":
        frame.to_csv(target, index=False)
    else:
        require("pyarrow", "parquet", "exporting to Parquet (or use -o FILE.csv)")
        frame.to_parquet(target, index=False)
    return target
