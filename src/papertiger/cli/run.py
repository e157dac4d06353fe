"""`papertiger run`, `regrade` and `export`: live evaluation into a results store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from papertiger.cli.app import app
from papertiger.errors import ConfigError

if TYPE_CHECKING:
    from papertiger.runner import Plan, RunSummary
    from papertiger.schema import ModelSpec

# The runner, store and benchmark layers are imported inside the commands, so that
# `papertiger report` does not pay for aiohttp and `papertiger run` not for scipy.
err = Console(stderr=True)


def _models(
    catalogue_path: Path | None, names: list[str] | None, provider: str | None
) -> tuple[ModelSpec, ...]:
    from papertiger.config import load_catalogue, scripted_catalogue

    if catalogue_path is None:
        if provider != "scripted":
            raise ConfigError("--models is required (a TOML catalogue of [[model]] tables), "
                              "unless --provider scripted runs the built-in demo models")
        catalogue = scripted_catalogue()
        label = "the scripted demo catalogue"
    else:
        catalogue = load_catalogue(catalogue_path)
        label = str(catalogue_path)
    runnable = {
        n: m for n, m in catalogue.items()
        if m.base_url or (provider or m.provider) != "openai"
    }
    if names:
        missing = [n for n in names if n not in catalogue]
        if missing:
            raise ConfigError(
                f"--model {missing[0]!r} is not in {label} "
                f"(runnable models: {', '.join(sorted(runnable)) or 'none'})"
            )
        return tuple(catalogue[n] for n in names)
    if catalogue_path is not None:
        runnable = {n: m for n, m in runnable.items() if n in _user_names(catalogue_path)}
    if not runnable:
        raise ConfigError(f"{label}: no [[model]] has a base_url to run")
    return tuple(runnable.values())


def _user_names(path: Path) -> set[str]:
    from papertiger.config import read_catalogue

    return set(read_catalogue(path))


def _forms(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise ConfigError("--forms takes form names separated by commas, e.g. aime2025,aime2026")
    return names


def _plan_table(plan: Plan) -> Table:
    table = Table(title="Plan")
    for name in ("model", "attempts", "done", "to do", "est. prompt tok", "est. output tok", "est. cost"):
        table.add_column(name, justify="left" if name == "model" else "right")
    for m in plan.models:
        cost = "unknown (no price)" if m.cost_usd is None else f"${m.cost_usd:,.2f}"
        table.add_row(m.model, f"{m.total:,}", f"{m.done:,}", f"{m.todo:,}",
                      f"{m.prompt_tokens:,}", f"{m.output_tokens:,}", cost)
    return table


@app.command("run")
def run_command(  # noqa: PLR0913 - a CLI command mirrors its flags
    models: Annotated[Path | None, typer.Option(help="Model catalogue (TOML, [[model]] tables); optional with --provider scripted.")] = None,
    suite: Annotated[str, typer.Option(help="Built-in suite (aime, hmmt) or a name in --suites.")] = "aime",
    forms: Annotated[str | None, typer.Option(help="Run only these forms of the suite, e.g. aime2025,aime2026.")] = None,
    db: Annotated[Path, typer.Option(help="SQLite results store (created if missing).")] = Path("results.db"),
    model: Annotated[list[str] | None, typer.Option(help="Run only this model (repeatable).")] = None,
    data: Annotated[Path | None, typer.Option(help="Folder with the suite's JSONL files (else Hugging Face).")] = None,
    suites: Annotated[Path | None, typer.Option(help="TOML file of user-defined suites.")] = None,
    samples: Annotated[int, typer.Option(help="Samples per item (k).")] = 4,
    prompt: Annotated[list[str] | None, typer.Option(help="basic, boxed, or a template file with {problem}; repeat to run each as its own condition.")] = None,
    provider: Annotated[str | None, typer.Option(help="Serve every model with this provider (openai, scripted); default: each model's own.")] = None,
    max_cost: Annotated[float | None, typer.Option(help="Stop scheduling new attempts once USD spent reaches this.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight per model (overrides the catalogue).")] = None,
    seed: Annotated[int, typer.Option(help="Base seed; sample i is sent seed + i.")] = 0,
    dry_run: Annotated[bool, typer.Option(help="Print the plan (attempts, done, tokens, cost) and stop.")] = False,
) -> None:
    """Evaluate models on a suite's forms, k samples each, resuming from --db."""
    from papertiger.benchmarks import load_suite
    from papertiger.cli.progress import RichObserver
    from papertiger.prompts import get_template
    from papertiger.runner import RunSpec, plan_run, run
    from papertiger.store import open_store

    the_suite = load_suite(suite, data_dir=data, suites_file=suites, forms=_forms(forms))
    answer_format = the_suite.forms[0].answer_format
    prompts = list(dict.fromkeys(prompt or ["boxed"]))
    spec = RunSpec(
        models=_models(models, model, provider),
        suite=the_suite,
        samples=samples,
        templates=tuple(get_template(p, answer_format) for p in prompts),
        db=db,
        max_cost=max_cost,
        concurrency=concurrency,
        seed_base=seed,
        provider=provider,
    )
    if dry_run:
        with open_store(db) as store:
            plan = plan_run(spec, store)
        Console().print(_plan_table(plan))
        return
    observer = RichObserver(err)
    try:
        summary = run(spec, observer, argv=sys.argv[1:])
    except KeyboardInterrupt:
        observer.close()
        err.print("[yellow]interrupted[/]: finished attempts are stored; run the same command "
                  "again to resume (nothing finished is repeated)")
        raise typer.Exit(130) from None
    observer.close()
    _print_summary(summary, db)
    if summary.errors:
        raise typer.Exit(3)


def _print_summary(summary: RunSummary, db: Path) -> None:
    out = Console()
    table = Table(title=f"Run {summary.run_id}")
    for name in ("model", "done", "correct", "errors", "retries", "cost"):
        table.add_column(name, justify="left" if name == "model" else "right")
    for p in summary.progress:
        table.add_row(p.model, f"{p.finished:,}/{p.total:,}", f"{p.correct:,}",
                      f"{p.errors:,}", f"{p.retries:,}", f"${p.cost_usd:,.4f}")
    out.print(table)
    if summary.stopped:
        out.print(f"[yellow]stopped:[/] {summary.stopped}; run again with a higher --max-cost to go on")
    if summary.errors:
        out.print(f"[red]{summary.errors} attempts failed[/] after retries (stored with their "
                  "errors, not counted as wrong); run the same command again to retry only those")
    out.print(f"results in {db}; next: papertiger report --db {db}")


@app.command("regrade")
def regrade_command(
    db: Annotated[Path, typer.Option(help="SQLite results store.")],
    suite: Annotated[str, typer.Option(help="Suite whose gold answers to use.")] = "aime",
    data: Annotated[Path | None, typer.Option(help="Folder with the suite's JSONL files (else Hugging Face).")] = None,
    suites: Annotated[Path | None, typer.Option(help="TOML file of user-defined suites.")] = None,
    grader: Annotated[str | None, typer.Option(help="Grader name (default: the suite's).")] = None,
) -> None:
    """Grade stored attempts again, offline; a new grader version adds rows, none is edited."""
    from papertiger.benchmarks import load_suite
    from papertiger.runner import regrade

    result = regrade(db, load_suite(suite, data_dir=data, suites_file=suites), grader)
    typer.echo(
        f"graded {result.graded} attempts with {result.grader} v{result.version}: "
        f"{result.added} new grade rows"
        + (f"; {result.skipped_unknown_item} attempts of unknown items skipped" if result.skipped_unknown_item else "")
    )


@app.command("export")
def export_command(
    db: Annotated[Path, typer.Option(help="SQLite results store.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")] = Path("results.parquet"),
    fmt: Annotated[str | None, typer.Option("--format", help="parquet or csv (default: from the file name).")] = None,
) -> None:
    """Write every attempt with its latest grade to Parquet or CSV."""
    from papertiger.store import export as export_store
    from papertiger.store import open_store

    if fmt not in (None, "parquet", "csv"):
        raise ConfigError("--format must be parquet or csv")
    with open_store(db) as store:
        path = export_store(store, output, fmt)  # type: ignore[arg-type]
    typer.echo(f"wrote {path}")
