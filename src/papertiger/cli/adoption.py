"""`papertiger adoption report | harvest`: model-family mentions in arXiv papers by month."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from papertiger.cli.app import app
from papertiger.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from papertiger.adoption import Family, HarvestOptions, HarvestProgress, Scan

adoption_app = typer.Typer(
    name="adoption",
    help="Adoption in research: how often arXiv papers name one model family against another.",
    no_args_is_help=True,
)
app.add_typer(adoption_app, name="adoption")
MAX_WARNINGS = 10


class Format(StrEnum):
    """Output formats on stdout."""

    rich = "rich"
    csv = "csv"
    json = "json"


class RuleName(StrEnum):
    """When a family counts as ahead in a month."""

    point = "point"
    interval = "interval"


@adoption_app.command("report")
def report(  # noqa: PLR0913 - a CLI command mirrors its flags
    snapshot: Annotated[
        Path | None,
        typer.Option(
            help="arXiv metadata as JSON Lines (the bulk snapshot, or `harvest` output); plain, .gz or .zip."
        ),
    ] = None,
    family: Annotated[
        list[str] | None,
        typer.Option(
            help="A family and its terms, 'NAME=term,term,...' (repeatable; replaces the default set)."
        ),
    ] = None,
    families_file: Annotated[
        Path | None,
        typer.Option(help="A TOML file of \\[\\[family]] tables (name, terms, lab, origin)."),
    ] = None,
    by_origin: Annotated[
        bool, typer.Option(help="Pool families by origin (Chinese, Western, ...).")
    ] = False,
    category: Annotated[
        list[str] | None,
        typer.Option(help="arXiv category in scope (repeatable; default cs.CL, cs.LG, cs.AI)."),
    ] = None,
    primary_only: Annotated[
        bool, typer.Option(help="Count a paper only by its primary category.")
    ] = False,
    compare: Annotated[
        str | None,
        typer.Option(help="The two families to compare, 'A,B' (default: the first two)."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="First month, YYYY-MM.")] = None,
    until: Annotated[str | None, typer.Option(help="Last month, YYYY-MM.")] = None,
    rule: Annotated[
        RuleName, typer.Option(help="Ahead by the counts (point) or by the ratio's interval.")
    ] = RuleName.point,
    min_months: Annotated[
        int, typer.Option(help="Months ahead in a row before a lead counts as settled.")
    ] = 3,
    output: Annotated[Format, typer.Option("--format", help="Output on stdout.")] = Format.rich,
    html: Annotated[
        Path | None, typer.Option(help="Write a self-contained HTML page to PATH.")
    ] = None,
    figure: Annotated[
        Path | None, typer.Option(help="Write the figure to PATH (.png, .svg or .pdf).")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
) -> None:
    """Per month: papers in scope, papers naming each family, shares with Wilson intervals,
    the ratio between two families, and the month from which one has stayed ahead."""
    from rich.console import Console

    from papertiger.adoption import adoption_series
    from papertiger.render import adoption as render

    if snapshot is None:
        raise ConfigError(
            "--snapshot FILE is required (arXiv's metadata snapshot, or what `papertiger adoption harvest` wrote)"
        )
    if min_months < 1:
        raise ConfigError("--min-months must be at least 1")
    if figure is not None and figure.suffix.lower() not in {".png", ".svg", ".pdf"}:
        raise ConfigError(f"--figure {figure}: the suffix must be .png, .svg or .pdf")
    families = _families(family, families_file, by_origin)
    err = Console(stderr=True)
    scan = _scan(snapshot, families, category, primary_only, err if progress else None)
    _warn(scan)
    result = adoption_series(
        scan,
        compare=_pair(compare),
        since=since,
        until=until,
        rule=rule.value,
        min_months=min_months,
    )
    if html is not None:  # files first: they must not depend on stdout staying open
        typer.echo(f"wrote {render.write_html(result, html)}", err=True)
    if figure is not None:
        typer.echo(f"wrote {render.save_figure(result, figure)}", err=True)
    if output is Format.rich:
        render.print_adoption(result, Console(width=max(Console().width, 150)))
    elif output is Format.csv:
        sys.stdout.write(render.to_csv(result))
    else:
        sys.stdout.write(render.to_json(result))


def _families(specs: list[str] | None, path: Path | None, pooled: bool) -> list[Family]:
    from papertiger.adoption import by_origin, default_families, load_families, parse_family
    from papertiger.adoption.families import unique

    families = load_families(path) if path is not None else []
    families += [parse_family(s) for s in specs or ()]
    if not families:
        families = default_families()
    unique(families, "--family/--families-file")
    return by_origin(families) if pooled else families


def _pair(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 2 or not all(parts):
        raise ConfigError("--compare takes two family names separated by a comma, e.g. Qwen,LLaMA")
    return parts[0], parts[1]


def _scan(
    path: Path,
    families: list[Family],
    categories: list[str] | None,
    primary_only: bool,
    console: Console | None,
) -> Scan:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from papertiger.adoption import DEFAULT_CATEGORIES, scan_snapshot

    cats = categories or list(DEFAULT_CATEGORIES)
    if console is None:
        return scan_snapshot(path, families, categories=cats, primary_only=primary_only)
    columns = (
        TextColumn("[bold]scan"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[records]:,} records"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("scan", total=None, records=0)

        def advance(done: int, total: int, records: int) -> None:
            bar.update(task, completed=done, total=total, records=records)

        return scan_snapshot(
            path, families, categories=cats, primary_only=primary_only, on_progress=advance
        )


def _warn(scan: Scan) -> None:
    """One line per skipped record (the first few), then how many more."""
    for problem in scan.problems[:MAX_WARNINGS]:
        typer.echo(f"papertiger: warning: {scan.describe(problem)}; skipped", err=True)
    if scan.malformed > MAX_WARNINGS:
        more = scan.malformed - MAX_WARNINGS
        typer.echo(f"papertiger: warning: {more:,} more malformed records skipped", err=True)


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option}: not an ISO date (YYYY-MM-DD): {value!r}") from None


@adoption_app.command("harvest")
def harvest(  # noqa: PLR0913 - a CLI command mirrors its flags
    from_date: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="First OAI datestamp (YYYY-MM-DD): records added or changed on or after it.",
        ),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last OAI datestamp (YYYY-MM-DD), inclusive.")
    ] = None,
    set_spec: Annotated[
        str,
        typer.Option(
            "--set", help="OAI set: an arXiv archive such as cs, math, physics:hep-th; '' for all."
        ),
    ] = "cs",
    out: Annotated[
        Path | None,
        typer.Option(
            help="JSON Lines file to append to; OUT.state.json beside it makes the harvest resumable."
        ),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="OAI-PMH base URL (default arXiv's).")
    ] = None,
    metadata_prefix: Annotated[
        str, typer.Option(help="arXiv (first-version date only) or arXivRaw (every version).")
    ] = "arXiv",
    delay: Annotated[
        float | None,
        typer.Option(help="Seconds between requests (default 3, arXiv's published limit)."),
    ] = None,
    retries: Annotated[
        int, typer.Option(help="Retries per request after a 503, 5xx or dropped connection.")
    ] = 8,
    restart: Annotated[
        bool,
        typer.Option(
            help="Ignore the saved resumption token (records already in OUT are kept, not repeated)."
        ),
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
) -> None:
    """Harvest arXiv metadata over OAI-PMH (ListRecords) into the snapshot's JSON Lines shape."""
    from rich.console import Console

    from papertiger.adoption import ARXIV_DELAY, ARXIV_OAI, HarvestOptions, harvest

    start = _day(from_date, "--from")
    if start is None or out is None:
        raise ConfigError("harvest needs --from DATE and --out FILE")
    options = HarvestOptions(
        from_date=start,
        until=_day(until, "--until"),
        set_spec=set_spec or None,
        prefix=metadata_prefix,
        base_url=base_url or ARXIV_OAI,
        delay=ARXIV_DELAY if delay is None else delay,
        retries=retries,
        restart=restart,
    )
    err = Console(stderr=True)
    result = _harvest_with_bar(out, options, err) if progress else harvest(out, options)
    for problem in result.problems[:MAX_WARNINGS]:
        typer.echo(f"papertiger: warning: {problem}; skipped", err=True)
    state = "complete" if result.complete else "incomplete"
    typer.echo(
        f"{out}: {result.written:,} records ({result.pages} pages, {result.duplicates} duplicates "
        f"skipped, {result.deleted} deleted, {result.retries} retries); harvest {state}",
        err=True,
    )


def _harvest_with_bar(out: Path, options: HarvestOptions, console: Console) -> HarvestProgress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from papertiger.adoption import harvest

    columns = (
        TextColumn("[bold]harvest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("page {task.fields[pages]} · retries {task.fields[retries]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("harvest", total=None, pages=0, retries=0)

        def on_page(p: HarvestProgress) -> None:
            bar.update(
                task,
                completed=p.written + p.duplicates + p.deleted,
                total=p.complete_list_size,
                pages=p.pages,
                retries=p.retries,
            )

        return harvest(out, options, on_page=on_page)
