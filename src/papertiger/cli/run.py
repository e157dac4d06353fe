"""`papertiger run`: live evaluation into a results store (exit codes in README)."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from papertiger.cli.app import app
from papertiger.errors import ConfigError

if TYPE_CHECKING:
    from papertiger.runner import RunSummary
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
    def runnable(m: ModelSpec) -> bool:
        return bool(m.base_url) or (provider or m.provider) != "openai"

    if names:
        missing = [n for n in names if n not in catalogue]
        if missing:
            can = sorted(n for n, m in catalogue.items() if runnable(m))
            raise ConfigError(
                f"--model {missing[0]!r} is not in {label} "
                f"(runnable models: {', '.join(can) or 'none'})"
            )
        unreachable = [n for n in names if not runnable(catalogue[n])]
        if unreachable:
            raise ConfigError(
                f"--model {unreachable[0]!r} has no base_url in {label}; add one to its "
                "[[model]] table (or run it with --provider scripted)"
            )
        return tuple(catalogue[n] for n in names)
    own = list(catalogue) if catalogue_path is None else list(_user_names(catalogue_path))
    lacking = [n for n in own if not runnable(catalogue[n])]
    if lacking:
        raise ConfigError(
            f"{label}: {', '.join(lacking)} {'has' if len(lacking) == 1 else 'have'} no base_url; "
            "add one, or pick the models to run with --model"
        )
    if not own:
        raise ConfigError(f"{label}: no [[model]] to run")
    return tuple(catalogue[n] for n in own)


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


@app.command("run")
def run_command(  # noqa: PLR0913 - a CLI command mirrors its flags
    models: Annotated[Path | None, typer.Option(help="Model catalogue (TOML, \\[\\[model]] tables); optional with --provider scripted.")] = None,
    suite: Annotated[str, typer.Option(help="Built-in suite (aime, hmmt) or a name in --suites.")] = "aime",
    forms: Annotated[str | None, typer.Option(help="Run only these forms of the suite, e.g. aime2025,aime2026.")] = None,
    db: Annotated[Path, typer.Option(help="SQLite results store (created if missing).")] = Path("results.db"),
    model: Annotated[list[str] | None, typer.Option(help="Run only this model (repeatable).")] = None,
    data: Annotated[Path | None, typer.Option(help="Folder with the suite's JSONL files (else Hugging Face).")] = None,
    suites: Annotated[Path | None, typer.Option(help="TOML file of user-defined suites.")] = None,
    samples: Annotated[int, typer.Option(min=1, help="Samples per item (k).")] = 4,
    prompt: Annotated[list[str] | None, typer.Option(help="basic, boxed, or a template file with {problem}; repeat to run each as its own condition.")] = None,
    provider: Annotated[str | None, typer.Option(help="Serve every model with this provider (openai, scripted); default: each model's own.")] = None,
    max_cost: Annotated[float | None, typer.Option(help="Spend at most this many USD: attempts in flight are paid for in advance.")] = None,
    concurrency: Annotated[int | None, typer.Option(min=1, help="Requests in flight per model, on each of its endpoints (overrides the catalogue).")] = None,
    seed: Annotated[int, typer.Option(help="Base seed; sample i is sent seed + i.")] = 0,
    dry_run: Annotated[bool, typer.Option(help="Print the plan (attempts, done, tokens, cost) and stop.")] = False,
    wait: Annotated[bool, typer.Option(help="If another run is writing to --db, wait for it instead of stopping.")] = False,
    preflight: Annotated[bool, typer.Option(help="Check each endpoint (URL, key, model id) before the first paid request.")] = True,
    yes: Annotated[bool, typer.Option(help="Allow a plan of more than ten million attempts.")] = False,
    serve: Annotated[str | None, typer.Option(help="Start `vllm serve` for this run: 'vllm:MODEL [vLLM flags]'; models with that model id are sent to it; it stops when the run ends.")] = None,
) -> None:
    """Evaluate models on a suite's forms, k samples each, resuming from --db."""
    from papertiger.benchmarks import load_suite
    from papertiger.cli.progress import RichObserver
    from papertiger.cli.run_output import print_plan, print_summary
    from papertiger.prompts import get_template
    from papertiger.runner import Interrupted, RunSpec, plan_run, run
    from papertiger.store import open_store

    if max_cost is not None and not (math.isfinite(max_cost) and max_cost > 0):
        raise ConfigError("--max-cost must be a positive number of US dollars")
    serving = None
    if serve is not None:
        if provider not in (None, "openai"):
            raise ConfigError("--serve sends the models to vllm serve over HTTP; leave out --provider")
        from papertiger.cli.serve import plan_serve

        serving = plan_serve(serve, models, model)  # validates now, starts nothing
        chosen = serving.models  # served ones carry a placeholder base_url until it is up
    else:
        chosen = _models(models, model, provider)  # before any data is loaded: fail fast
    the_suite = load_suite(suite, data_dir=data, suites_file=suites, forms=_forms(forms))
    answer_format = the_suite.forms[0].answer_format
    prompts = list(dict.fromkeys(prompt or ["boxed"]))
    spec = RunSpec(
        models=chosen,
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
        from papertiger.runner import check_spec

        check_spec(spec)
        if db.exists():
            with open_store(db, readonly=True) as store:
                plan = plan_run(spec, store)
        else:
            with open_store(":memory:") as store:
                plan = plan_run(spec, store)
        print_plan(Console(), spec, plan)
        return
    observer = RichObserver(err)
    stack = contextlib.ExitStack()
    try:
        if serving is not None:
            spec = dataclasses.replace(spec, models=stack.enter_context(serving.start(err)))
        summary = run(spec, observer, argv=sys.argv[1:], wait=wait, preflight=preflight, yes=yes)
    except Interrupted as stop:
        observer.close()
        err.print(f"[yellow]stopped by {stop.signal}[/]: finished attempts are stored; run the "
                  "same command again to resume (nothing finished is repeated)")
        raise typer.Exit(143 if stop.signal == "SIGTERM" else 130) from None
    except KeyboardInterrupt:
        observer.close()
        err.print("[yellow]interrupted[/]: finished attempts are stored; run the same command "
                  "again to resume (nothing finished is repeated)")
        raise typer.Exit(130) from None
    finally:
        observer.close()
        stack.close()  # stops a server started for this run, however the run ended
    print_summary(Console(), summary, db)
    print_endpoints(Console(), summary)
    if summary.budget_stop:
        raise typer.Exit(4)
    if summary.errors:
        raise typer.Exit(3)


def print_endpoints(console: Console, summary: RunSummary) -> None:
    """Per base URL, when the run used more than one: every HTTP request (each try counts),
    how many failed and were moved elsewhere, rests, and the median latency of the rest."""
    if len(summary.endpoints) < 2:
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Endpoints")
    for name in ("endpoint", "models", "requests", "ok", "errors", "failovers", "rests",
                 "median latency"):
        table.add_column(name, justify="left" if name in ("endpoint", "models") else "right")
    for e in summary.endpoints:
        latency = "–" if e.median_latency_s is None else f"{e.median_latency_s:.3g} s"
        table.add_row(escape(e.base_url), escape(", ".join(e.models)), f"{e.requests:,}",
                      f"{e.ok:,}", f"{e.errors:,}", f"{e.failovers:,}", f"{e.cooldowns:,}",
                      latency)
    console.print(table)
