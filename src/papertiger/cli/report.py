"""`papertiger report`: the shrinkage analysis of published scores (or a results store)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from papertiger.cli.app import app

if TYPE_CHECKING:
    from rich.console import Console
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


def _date(value: str | None, flag: str = "--trained-before") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ConfigError(f"{flag}: not an ISO date (YYYY-MM-DD): {value!r}") from None


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
    harness: Annotated[list[str] | None, typer.Option(help="The harness of each CSV source, in order (else its 'harness' column or file name).")] = None,
    published: Annotated[str | None, typer.Option(help="Published tables to add: all, or a comma list of aa, gair, vals.")] = None,
    anchor: Annotated[str, typer.Option(help="Rasch anchor: equal-means (the forms are equally hard) or reference (δ = 0 for --reference models).")] = "equal-means",
    reference: Annotated[list[str] | None, typer.Option(help="A model assumed clean (repeatable): Rasch anchor and reference regression.")] = None,
    reference_group: Annotated[str | None, typer.Option(help="Use every model of this group as a reference.")] = None,
    reference_before: Annotated[str | None, typer.Option(help="Use every model whose training cutoff is before DATE as a reference.")] = None,
    effect_size: Annotated[float | None, typer.Option(help="Also give the power for this stated effect (in the metric's units).")] = None,
    humans: Annotated[Path | None, typer.Option(help="Per-form human score statistics (CSV) for the human baseline.")] = None,
    topics: Annotated[Path | None, typer.Option(help="Per-item topic labels (CSV) for the topic mix per form.")] = None,
    cost_reference: Annotated[str | None, typer.Option(help="With --db: the model whose cost the effective discount is relative to.")] = None,
    exclude_flagged: Annotated[bool, typer.Option(help="With --db: leave out items flagged as near-duplicates (papertiger dedup --db).")] = False,
    transcripts: Annotated[bool, typer.Option(help="With --db and --html: include model answers in the attempt browser.")] = True,
    n_boot: Annotated[int, typer.Option(min=100, help="Bootstrap draws for the further sections.")] = 2000,
    aliases: Annotated[Path | None, typer.Option(help="Extra model aliases (CSV: canonical, alias), to match one model's names across harness tables.")] = None,
) -> None:
    """Per-model falls, group means, group tests, and the multiverse of choices."""
    # Heavy imports (scipy, statsmodels, matplotlib) load only when this command runs.
    from papertiger.analysis import AttemptSource, ReportOptions, Selection, build_report
    from papertiger.published import load_scores

    store_flags = {"--suite": suite, "--prompt": prompt, "--run": run, "--condition": condition,
                   "--cost-reference": cost_reference,
                   "--exclude-flagged": exclude_flagged or None}
    if db is None and any(v is not None for v in store_flags.values()):
        flag = next(k for k, v in store_flags.items() if v is not None)
        raise ConfigError(f"{flag} chooses among a store's attempts; give --db too")
    if db is not None and sources:
        raise ConfigError("give either CSV sources or --db, not both")
    if anchor not in ("equal-means", "reference"):
        raise ConfigError("--anchor must be equal-means or reference")
    if anchor == "reference" and not (reference or reference_group or reference_before):
        raise ConfigError("--anchor reference needs reference models: --reference MODEL, "
                          "--reference-group GROUP or --reference-before DATE")
    if db is not None:
        source: object = AttemptSource(db, suite=suite, prompt=prompt, run=run, condition=condition)
    elif len(sources or []) > 1 or harness or published:
        from papertiger.published import load_harness_tables

        source = load_harness_tables(sources or [], harnesses=tuple(harness or ()),
                                     published=published, old=old, fresh=fresh,
                                     aliases=str(aliases) if aliases else None)
    else:
        source = load_scores(sources or [], old=old, fresh=fresh)
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
        n_boot=n_boot,
        anchor=anchor,
        reference_models=tuple(reference or ()),
        reference_group=reference_group,
        reference_before=_date(reference_before, "--reference-before"),
        effect_size=effect_size,
        humans=str(humans) if humans else None,
        topics=str(topics) if topics else None,
        cost_reference=cost_reference,
        exclude_flagged=exclude_flagged,
        transcripts=transcripts,
        aliases=str(aliases) if aliases else None,
    )
    result = build_report(source, options)  # type: ignore[arg-type]
    result = dataclasses.replace(result, provenance=_provenance())
    if html is not None:  # files first: they must not depend on stdout staying open
        from papertiger.render.html import write_html

        path = write_html(result, html)
        typer.echo(f"wrote {path}", err=True)
    if figures is not None:
        from papertiger.render.figures import save_figures

        for path in save_figures(result, figures):
            typer.echo(f"wrote {path}", err=True)
    _emit(result, output)


def _emit(result: object, output: Format) -> None:
    from papertiger.analysis import Report

    assert isinstance(result, Report)
    if output is Format.rich:
        from papertiger.render.terminal import print_report

        print_report(result, _console())
        return
    from papertiger.render import text

    write = {Format.md: text.to_markdown, Format.csv: text.to_csv, Format.json: text.to_json}
    sys.stdout.write(write[output](result))


def _provenance() -> dict[str, str]:
    """Version, date and command line, for the report's header (HTML, Markdown, JSON)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("papertiger")
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        installed = "unknown"
    import shlex

    return {
        "version": installed,
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "papertiger " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
    }


def _console() -> Console:
    """The terminal's own width; 130 columns when writing to a file or pipe (unless COLUMNS)."""
    from rich.console import Console

    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return Console()
    return Console(width=130)
