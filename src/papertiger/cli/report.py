"""`papertiger report`: the shrinkage analysis of published scores (or a results store)."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from papertiger.cli.app import app
from papertiger.errors import ConfigError


class Format(StrEnum):
    """Output formats on stdout."""

    rich = "rich"
    md = "md"
    csv = "csv"
    json = "json"


class MetricName(StrEnum):
    """Fall metrics for the group comparison."""

    pct = "pct"
    pp = "pp"
    logit = "logit"


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ConfigError(f"--trained-before: not an ISO date (YYYY-MM-DD): {value!r}") from None


def _pair(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 2 or not all(parts):
        raise ConfigError("--compare takes two group names separated by a comma, e.g. Chinese,Western")
    return parts[0], parts[1]


@app.command()
def report(  # noqa: PLR0913 - a CLI command mirrors its flags
    sources: Annotated[list[Path] | None, typer.Argument(help="CSV files of published scores (default: the embedded AIME table).")] = None,
    metric: Annotated[MetricName, typer.Option(help="Fall metric for the group comparison.")] = MetricName.pct,
    frontier: Annotated[int | None, typer.Option(help="Keep the top N models per group by old score.")] = None,
    min_old: Annotated[float | None, typer.Option(help="Keep models whose old score is at least X.")] = None,
    trained_before: Annotated[str | None, typer.Option(help="Keep models whose training cutoff is known and before DATE.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Leave out a model (repeatable).")] = None,
    group_by: Annotated[str, typer.Option(help="Metadata column that defines the groups.")] = "group",
    compare: Annotated[str | None, typer.Option(help="The two groups to compare, 'A,B' (A − B).")] = None,
    old: Annotated[str | None, typer.Option(help="Column (wide CSV) or benchmark value (long CSV) of the old version.")] = None,
    fresh: Annotated[str | None, typer.Option(help="Column or benchmark value of the fresh version.")] = None,
    output: Annotated[Format, typer.Option("--format", help="Output on stdout.")] = Format.rich,
    html: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report to PATH.")] = None,
    figures: Annotated[Path | None, typer.Option(help="Write each figure as PNG and SVG into DIR.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for bootstrap and Monte Carlo.")] = 0,
    db: Annotated[Path | None, typer.Option(help="Analyse item-level results from this store instead.")] = None,
    suite: Annotated[str | None, typer.Option(help="With --db: the suite to report (when the store holds several).")] = None,
    prompt: Annotated[str | None, typer.Option(help="With --db: the prompt (name or hash prefix) to report.")] = None,
    run: Annotated[str | None, typer.Option(help="With --db: report the conditions this run (id prefix) planned.")] = None,
    condition: Annotated[str | None, typer.Option(help="With --db: a condition id prefix (c:...) when a model has several.")] = None,
) -> None:
    """Per-model falls, group means, group tests, and the multiverse of choices."""
    # Heavy imports (scipy, statsmodels, matplotlib) load only when this command runs.
    from papertiger.analysis import AttemptSource, ReportOptions, Selection, build_report
    from papertiger.published import load_scores
    from papertiger.render import save_figures, write_html

    store_flags = {"--suite": suite, "--prompt": prompt, "--run": run, "--condition": condition}
    if db is None and any(v is not None for v in store_flags.values()):
        flag = next(k for k, v in store_flags.items() if v is not None)
        raise ConfigError(f"{flag} chooses among a store's attempts; give --db too")
    if db is not None and sources:
        raise ConfigError("give either CSV sources or --db, not both")
    source = (
        AttemptSource(db, suite=suite, prompt=prompt, run=run, condition=condition)
        if db is not None
        else load_scores(sources or [], old=old, fresh=fresh)
    )
    options = ReportOptions(
        metric=metric.value,
        group_by=group_by,
        compare=_pair(compare),
        selection=Selection(
            frontier=frontier,
            min_old=min_old,
            trained_before=_date(trained_before),
            exclude=tuple(exclude or ()),
        ),
        seed=seed,
    )
    result = build_report(source, options)
    if html is not None:  # files first: they must not depend on stdout staying open
        path = write_html(result, html)
        typer.echo(f"wrote {path}", err=True)
    if figures is not None:
        for path in save_figures(result, figures):
            typer.echo(f"wrote {path}", err=True)
    _emit(result, output)


def _emit(result: object, output: Format) -> None:
    from rich.console import Console

    from papertiger.analysis import Report
    from papertiger.render import print_report, to_csv, to_json, to_markdown

    assert isinstance(result, Report)
    if output is Format.rich:
        print_report(result, Console(width=max(Console().width, 130)))
    elif output is Format.md:
        sys.stdout.write(to_markdown(result))
    elif output is Format.csv:
        sys.stdout.write(to_csv(result))
    else:
        sys.stdout.write(to_json(result))
