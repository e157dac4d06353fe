"""`papertiger regrade` and `export`: work on a store offline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from papertiger.cli.app import app
from papertiger.errors import ConfigError

_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


@app.command("regrade")
def regrade_command(
    db: Annotated[Path, typer.Option(help="SQLite results store.")],
    suite: Annotated[str, typer.Option(help="Suite whose gold answers to use.")] = "aime",
    data: Annotated[Path | None, typer.Option(help="Folder with the suite's JSONL files (else Hugging Face).")] = None,
    suites: Annotated[Path | None, typer.Option(help="TOML file of user-defined suites.")] = None,
    grader: Annotated[str | None, typer.Option(help="Grader name (default: the suite's).")] = None,
) -> None:
    """Grade stored attempts again, offline; a new grader, version or gold answer adds rows."""
    from papertiger.benchmarks import load_suite
    from papertiger.runner import regrade
    from papertiger.store import writer_lock

    if not db.exists():
        raise ConfigError(f"no such store: {db}")
    the_suite = load_suite(suite, data_dir=data, suites_file=suites)
    with writer_lock(db):
        result = regrade(db, the_suite, grader)
    typer.echo(
        f"graded {result.graded} attempts with {result.grader} v{result.version}: "
        f"{result.added} new grade rows"
        + (f"; {result.skipped_unknown_item} attempts of unknown items skipped" if result.skipped_unknown_item else "")
    )


@app.command("export")
def export_command(
    db: Annotated[Path, typer.Option(help="SQLite results store.")],
    output: Annotated[str | None, typer.Option("--output", "-o", help="File to write (.parquet or .csv), or - for CSV on stdout (default: results.parquet, or results.csv with --format csv).")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="parquet or csv (default: from the file name).")] = None,
) -> None:
    """Write every attempt with its latest grade, gold answer and problem text."""
    from papertiger.store import export as export_store
    from papertiger.store import open_store
    from papertiger.store.export import write_csv

    if fmt not in (None, "parquet", "csv"):
        raise ConfigError("--format must be parquet or csv")
    if output is None:
        output = "results.csv" if fmt == "csv" else "results.parquet"
    to_stdout = output == "-"
    path = Path(output)
    if not to_stdout:
        by_suffix = _SUFFIXES.get(path.suffix.lower())
        if by_suffix is None:
            raise ConfigError(
                f"--output {output}: unknown file type {path.suffix or '(none)'!r}; "
                "use .parquet or .csv (or - for CSV on stdout)"
            )
        if fmt is not None and fmt != by_suffix:
            raise ConfigError(f"--format {fmt} does not match the file name {output} ({by_suffix})")
        fmt = by_suffix
    elif fmt == "parquet":
        raise ConfigError("Parquet cannot go to stdout; give -o FILE.parquet")
    with open_store(db, readonly=True) as store:
        if to_stdout:
            sys.stdout.flush()
            write_csv(store, sys.stdout.buffer)  # streamed, as a file export is
            return
        written = export_store(store, path, fmt)  # type: ignore[arg-type]
    typer.echo(f"wrote {written}", err=True)
