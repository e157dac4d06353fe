"""`papertiger import TOOL PATH...`: other tools' per-sample results into a results store."""

from __future__ import annotations

import sys
from collections import defaultdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from papertiger.cli.app import app

if TYPE_CHECKING:
    from papertiger.importers import FileImport, ImportSummary, Unmatched

_SHOWN = 40  # item ids listed per reason before "and N more"


class ToolName(StrEnum):
    """The tools whose files can be imported."""

    lm_eval = "lm-eval"
    inspect = "inspect"
    lighteval = "lighteval"
    matharena = "matharena"
    csv = "csv"


@app.command("import")
def import_command(  # noqa: PLR0913 - a CLI command mirrors its flags
    tool: Annotated[ToolName, typer.Argument(help="The tool that wrote the files.")],
    paths: Annotated[
        list[Path], typer.Argument(help="Files, or folders to search for the tool's files.")
    ],
    db: Annotated[Path, typer.Option(help="SQLite results store (created if missing).")] = Path(
        "results.db"
    ),
    model: Annotated[
        str | None,
        typer.Option(
            help="The model's name (as in --models or the catalogue), for files that do not name it or to rename a single-model file's."
        ),
    ] = None,
    suite: Annotated[
        str | None,
        typer.Option(
            help="Suite to match items against (default: the table's suite column, a suite named in the task, else aime)."
        ),
    ] = None,
    form: Annotated[
        str | None,
        typer.Option(
            help="The form of every record, when the task name does not say (e.g. aime2025)."
        ),
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="Folder with the suite's JSONL files (else Hugging Face).")
    ] = None,
    suites: Annotated[Path | None, typer.Option(help="TOML file of user-defined suites.")] = None,
    item_map: Annotated[
        Path | None,
        typer.Option(
            "--map",
            help="CSV mapping the tool's item ids to the suite's: source_item,item_id[,task][,form].",
        ),
    ] = None,
    models: Annotated[
        Path | None,
        typer.Option(help="Model catalogue (TOML) with the imported models' group, lab and dates."),
    ] = None,
) -> None:
    """Import per-sample results of lm-eval, Inspect, lighteval, MathArena or a CSV table.

    Each record is matched to a suite item (by --map, by problem text, or by id) and stored as an attempt with the tool's own grade and papertiger's beside it; records that match no item are listed and not stored. Re-importing a file adds nothing.
    """
    from papertiger.importers import ImportSpec, import_files

    spec = ImportSpec(
        tool=tool.value,
        paths=tuple(paths),
        db=db,
        suite=suite,
        data_dir=data,
        suites_file=suites,
        model=model,
        form=form,
        item_map=item_map,
        models_file=models,
    )
    summary = import_files(spec, argv=sys.argv[1:], on_file=_print_file)
    _print_summary(summary)


def _print_file(report: FileImport) -> None:
    p = report.prepared
    line = f"{report.path}: {report.new} new attempts, {report.stored} already stored"
    if report.replaced:
        line += f", {report.replaced} stored failures replaced by successes"
    typer.echo(line)
    forms: dict[str, set[str]] = defaultdict(set)
    for attempt in p.attempts:
        forms[attempt.identity.form].add(attempt.identity.item_id)
    if forms:
        placed = ", ".join(f"{name} ({len(items)} items)" for name, items in sorted(forms.items()))
        how = ", ".join(f"{n} by {method}" for method, n in sorted(p.matched_by.items()))
        names = ", ".join(dict.fromkeys(name for name, _ in p.models))
        typer.echo(f"  {placed}; model {names}; matched {how}")
    if p.text_differs:
        typer.echo(
            f"  {p.text_differs} matched by id although the file's problem text differs from the suite's"
        )
    if report.errors:
        typer.echo(f"  {report.errors} failed samples stored as errors (never graded)")
    if p.graded_twice:
        tool = p.attempts[0].identity.source.split(":")[0]
        typer.echo(
            f"  graded by {tool} and by papertiger: {p.disagreements} of {p.graded_twice} "
            "disagree (papertiger's grade is the one reports use; both are stored)"
        )
    if p.gold_differs:
        typer.echo(
            f"  the file's gold answer differs from the suite's for {', '.join(p.gold_differs)}"
        )
    for reason, missed in _by_reason(report.unmatched).items():
        typer.echo(f"  {_count(len(missed), 'record')} not stored: {reason}: {_ids(missed)}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _by_reason(unmatched: tuple[Unmatched, ...]) -> dict[str, list[Unmatched]]:
    grouped: dict[str, list[Unmatched]] = defaultdict(list)
    for record in unmatched:
        grouped[record.reason].append(record)
    return grouped


def _ids(records: list[Unmatched]) -> str:
    tasks = {r.task for r in records}
    labels = list(
        dict.fromkeys(
            f"{r.task} {r.item_key}" if len(tasks) > 1 and r.task else f"item {r.item_key}"
            for r in records
        )
    )
    shown = ", ".join(labels[:_SHOWN])
    return shown + (f" and {len(labels) - _SHOWN} more" if len(labels) > _SHOWN else "")


def _print_summary(summary: ImportSummary) -> None:
    unmatched = sum(len(f.unmatched) for f in summary.files)
    left_out = f"; {_count(unmatched, 'record')} not stored (listed above)" if unmatched else ""
    if summary.run_id is None:
        typer.echo(
            f"nothing new: all {summary.stored} attempts are already in {summary.db}{left_out}"
        )
        return
    typer.echo(
        f"imported {len(summary.files)} files into {summary.db} as run {summary.run_id[:12]}: "
        f"{summary.new} new attempts, {summary.stored} already stored{left_out}"
    )
    typer.echo(f"next: papertiger report --db {summary.db} --suite {summary.suite}")
