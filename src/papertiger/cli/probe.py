"""`papertiger probe memorization`: the prefix-completion probe into a results store."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papertiger.cli.app import app
from papertiger.cli.run import _forms, _models

if TYPE_CHECKING:
    from papertiger.runner.probe import ProbePlan, ProbeSpec
    from papertiger.runner.probe_run import ProbeSummary

probe_app = typer.Typer(
    name="probe",
    help="Probes of what a model memorised: show the start of each problem, score what follows.",
    no_args_is_help=True,
)
app.add_typer(probe_app, name="probe")
err = Console(stderr=True)


class Mode(StrEnum):
    """How the prefix is sent."""

    auto = "auto"
    completion = "completion"
    chat = "chat"


@probe_app.command("memorization")
def memorization_command(  # noqa: PLR0913 - a CLI command mirrors its flags
    models: Annotated[Path | None, typer.Option(help="Model catalogue (TOML, \\[\\[model]] tables); optional with --provider scripted.")] = None,
    model: Annotated[list[str] | None, typer.Option(help="Probe only this model (repeatable).")] = None,
    suite: Annotated[str, typer.Option(help="Built-in suite (aime, hmmt) or a name in --suites.")] = "aime",
    data: Annotated[Path | None, typer.Option(help="Folder with the suite's JSONL files (else Hugging Face).")] = None,
    suites: Annotated[Path | None, typer.Option(help="TOML file of user-defined suites.")] = None,
    forms: Annotated[str | None, typer.Option(help="Probe only these forms of the suite, e.g. aime2024,aime2025.")] = None,
    db: Annotated[Path, typer.Option(help="SQLite results store (created if missing).")] = Path("results.db"),
    prefix: Annotated[list[float] | None, typer.Option(help="Prefix ratio: the share of the statement's characters shown, cut at a word boundary (repeatable; default 0.4 0.6 0.8).")] = None,
    mode: Annotated[Mode, typer.Option(help="completion: the raw completions endpoint, no chat template; chat: a continuation instruction; auto: completion where the endpoint offers it.")] = Mode.auto,
    concurrency: Annotated[int | None, typer.Option(min=1, help="Requests in flight per model (overrides the catalogue).")] = None,
    max_tokens: Annotated[int, typer.Option(min=1, help="Cap on each reply's tokens (each is sized to twice its remainder).")] = 1024,
    provider: Annotated[str | None, typer.Option(help="Serve every model with this provider (openai, scripted); default: each model's own.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Print the plan (attempts per model, done, to do, mode) and stop.")] = False,
    wait: Annotated[bool, typer.Option(help="If another run is writing to --db, wait for it instead of stopping.")] = False,
    preflight: Annotated[bool, typer.Option(help="Check each endpoint (URL, key, model id) before the first request.")] = True,
) -> None:
    """Show each problem's first 40/60/80 % and score the continuation: text recall and answer."""
    from papertiger.benchmarks import load_suite
    from papertiger.runner import Interrupted
    from papertiger.runner.probe import PROBE_RATIOS, ProbeSpec, check_probe_spec
    from papertiger.runner.probe_run import probe

    chosen = _models(models, model, provider)  # before any data is loaded: fail fast
    the_suite = load_suite(suite, data_dir=data, suites_file=suites, forms=_forms(forms))
    spec = ProbeSpec(
        models=chosen, suite=the_suite, db=db, ratios=tuple(prefix or PROBE_RATIOS),
        mode=mode.value, concurrency=concurrency, max_tokens=max_tokens, provider=provider,
    )
    check_probe_spec(spec)
    if dry_run:
        plan, undecided = _dry_plan(spec)
        _print_plan(Console(), spec, plan, undecided)
        return
    try:
        with err.status(f"probing {len(chosen)} model(s) on {the_suite.name}"):
            summary = probe(spec, argv=sys.argv[1:], wait=wait, preflight=preflight)
    except Interrupted as stop:
        err.print(f"[yellow]stopped by {stop.signal}[/]: finished attempts are stored; run the "
                  "same command again to resume (nothing finished is repeated)")
        raise typer.Exit(143 if stop.signal == "SIGTERM" else 130) from None
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: finished attempts are stored; run the same command "
                  "again to resume (nothing finished is repeated)")
        raise typer.Exit(130) from None
    _print_summary(Console(), summary, db)
    if summary.errors:
        raise typer.Exit(3)


probe_app.command("memorisation", hidden=True)(memorization_command)  # the British spelling


def _dry_plan(spec: ProbeSpec) -> tuple[ProbePlan, set[str]]:
    """The plan against the store (read-only), and the models whose mode is decided later."""
    from papertiger.runner.probe import plan_probe, resolve_modes
    from papertiger.store import open_store

    where = spec.db if spec.db.exists() else ":memory:"
    with open_store(where, readonly=where != ":memory:") as store:
        modes = resolve_modes(spec, store)
        plan = plan_probe(spec, store, {n: m or "completion" for n, m in modes.items()})
    return plan, {n for n, m in modes.items() if m is None}


def _print_plan(console: Console, spec: ProbeSpec, plan: ProbePlan, undecided: set[str]) -> None:
    ratios = ", ".join(f"{r:g}" for r in spec.ratios)
    console.print(f"suite [bold]{escape(spec.suite.name)}[/]: forms "
                  f"{escape(', '.join(spec.suite.form_names))}; prefix ratios {ratios} "
                  "(characters, cut at a word boundary); greedy decoding")
    table = Table(title="Probe plan")
    for name in ("model", "mode", "attempts", "done", "to do"):
        table.add_column(name, justify="left" if name in ("model", "mode") else "right")
    for m in spec.models:
        total = sum(1 for i in plan.items if i.model.name == m.name)
        todo = sum(1 for i in plan.todo if i.model.name == m.name)
        shown = "auto (decided when run)" if m.name in undecided else plan.modes[m.name]
        table.add_row(escape(m.name), shown, f"{total:,}", f"{total - todo:,}", f"{todo:,}")
    console.print(table)
    _print_uncut(console, plan.uncut)


def _print_uncut(console: Console, uncut: tuple[str, ...]) -> None:
    if uncut:
        shown = ", ".join(uncut[:5]) + (" …" if len(uncut) > 5 else "")
        console.print(f"[yellow]note:[/] {len(uncut)} statement(s) have no word boundary to cut "
                      f"at and are not probed: {escape(shown)}")


def _print_summary(console: Console, summary: ProbeSummary, db: Path) -> None:
    if summary.nothing_to_do:
        console.print(f"nothing to do: {summary.planned:,} probe attempts already stored; no new "
                      f"run was recorded. Next: papertiger report --db {db}")
        return
    console.print(f"probe run {summary.run_id}: {summary.ok:,} continuations stored, "
                  f"{summary.errors:,} failed, {summary.done_before:,} stored before; "
                  f"spent ${summary.cost_usd:,.4f}")
    modes = ", ".join(f"{escape(m)}: {mode}" for m, mode in summary.modes.items())
    console.print(f"modes: {modes}")
    if summary.errors_by_kind:
        table = Table(title="Most frequent errors")
        for name in ("model", "code", "message", "attempts"):
            table.add_column(name, justify="right" if name == "attempts" else "left")
        for model, code, message, count in summary.errors_by_kind[:5]:
            table.add_row(escape(model), escape(code), escape(message[:100]), f"{count:,}")
        console.print(table)
        console.print("failed attempts are stored with their errors and not scored; run the "
                      "same command again to retry only those")
    _print_uncut(console, summary.uncut)
    console.print(f"Next: papertiger report --db {db}")
