"""Plan, then execute, against one store; the sync entry point wraps the async core.

A run holds the store's writer lock from planning to the last commit, so two runs of the
same command never pay for the same attempt twice. SIGTERM (docker stop, systemd, Slurm)
and Ctrl-C stop it the same way: no new attempts, every finished one committed, the run
recorded as interrupted, and `Interrupted` raised for the caller to say how to resume.
Further signals during that final commit are ignored, so a second Ctrl-C still flushes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import os
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version

from papertiger.errors import ConfigError
from papertiger.grading import get_grader
from papertiger.providers import Provider, ProviderContext, providers_for
from papertiger.runner.execute import RunSummary, execute, provider_parts
from papertiger.runner.plan import Plan, make_plan, work_items
from papertiger.runner.progress import RunObserver
from papertiger.runner.secrets import Redactor
from papertiger.runner.signals import recorded
from papertiger.runner.spec import RunSpec
from papertiger.store import AttemptFilter, SQLiteStore, open_store, writer_lock

MAX_PLAN_WITHOUT_YES = 10_000_000


def _version() -> str:
    try:
        return version("papertiger")
    except PackageNotFoundError:
        return "unknown"


def spec_json(spec: RunSpec) -> dict[str, object]:
    """What the store keeps about a run: suite, forms, prompts, conditions per model and
    the models' metadata (never keys)."""
    return {
        "suite": spec.suite.name,
        "forms": [
            {"name": f.name, "released": f.released.isoformat() if f.released else None}
            for f in spec.suite.forms
        ],
        "samples": spec.samples,
        "seed_base": spec.seed_base,
        "prompts": [{"name": t.name, "hash": t.hash} for t in spec.templates],
        "providers": {m.name: spec.provider_for(m) for m in spec.models},
        "models": [json.loads(m.model_dump_json()) for m in spec.models],
    }


def check_spec(spec: RunSpec) -> None:
    """Refuse a spec that cannot run as asked, before anything is sent."""
    if spec.samples < 1:
        raise ConfigError("--samples must be at least 1")
    if spec.concurrency is not None and spec.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    if spec.max_cost is not None and not (math.isfinite(spec.max_cost) and spec.max_cost > 0):
        raise ConfigError("--max-cost must be a positive number of US dollars")
    for model in spec.models:
        if spec.provider_for(model) == "openai" and not model.base_url:
            raise ConfigError(f"model {model.name!r} has no base_url in the catalogue")
        if spec.max_cost is not None:
            if model.price_in is None or model.price_out is None:
                raise ConfigError(
                    f"--max-cost needs prices: model {model.name!r} has no price_in/price_out "
                    "(USD per million tokens) in the catalogue"
                )
            if model.max_tokens is None:
                raise ConfigError(
                    f"--max-cost needs max_tokens for every model (the most one reply can "
                    f"cost); {model.name!r} sets none"
                )


def _check_keys(spec: RunSpec) -> None:
    """Fail before the first request, not with one failed attempt per item."""
    for model in spec.models:
        if (
            spec.provider_for(model) == "openai"
            and model.api_key_env
            and not os.environ.get(model.api_key_env)
        ):
            raise ConfigError(
                f"model {model.name!r} reads its API key from ${model.api_key_env}, "
                "which is not set in the environment"
            )


def plan_size(spec: RunSpec) -> int:
    """Attempts the spec plans (models × prompts × samples × items), without building them."""
    return len(spec.models) * len(spec.templates) * spec.samples * len(spec.suite.problems())


def plan_run(spec: RunSpec, store: SQLiteStore) -> Plan:
    """The plan against what the store already holds (finished attempts are skipped)."""
    check_spec(spec)
    items = work_items(spec)
    finished = store.finished_keys([item.request.key for item in items])
    return make_plan(spec, finished, store.mean_output_tokens(), items)


def make_provider(spec: RunSpec) -> Provider:
    """The provider(s) serving the spec's models, made by name from the registry."""
    answers = {p.problem: (f.name, p.answer) for f in spec.suite.forms for p in f.problems}
    context = ProviderContext(
        forms=spec.suite.form_names,
        answers=answers,
        concurrency=spec.concurrency,
        retry=spec.retry,
    )
    names = {m.name: spec.provider_for(m) for m in spec.models}
    return providers_for(spec.models, names, context)


def _stored_correct(store: SQLiteStore, plan: Plan) -> int:
    keys = {i.request.key for i in plan.items}
    frame = store.attempts_frame(where=AttemptFilter(models=[m.model for m in plan.models]),
                                 columns=("key",))
    return int(frame[frame["key"].isin(keys)]["correct"].fillna(False).astype(bool).sum())


def _nothing_to_do(store: SQLiteStore, plan: Plan) -> RunSummary:
    return RunSummary(
        run_id=None, planned=len(plan.items), done_before=plan.done, ok=0, errors=0, retries=0,
        retried_attempts=0, cost_usd=0.0, stopped=None, progress=(), nothing_to_do=True,
        correct_stored=_stored_correct(store, plan),
    )


async def _preflight(provider: Provider, observer: RunObserver | None) -> tuple[str, ...]:
    """Problems stop the run; warnings (a dead URL among a model's several) are shown and
    returned."""
    check: Callable[[], object] | None = getattr(provider, "preflight", None)
    if check is None:
        return ()
    problems = await check()  # type: ignore[misc]
    if problems:
        raise ConfigError(
            "preflight: " + "; ".join(str(p) for p in problems)
            + " (nothing was sent to any model; --no-preflight skips this check)"
        )
    warnings = tuple(f"preflight: {w}" for part in provider_parts(provider)
                     for w in getattr(part, "preflight_warnings", ()))
    for warning in warnings:
        if observer is not None:
            observer.stopping(warning)  # the observer's one way to show a line mid-run
    return warnings


async def run_async(
    spec: RunSpec,
    observer: RunObserver | None = None,
    argv: Sequence[str] = (),
    provider: Provider | None = None,
    *,
    wait: bool = False,
    preflight: bool = True,
    yes: bool = False,
) -> RunSummary:
    """Run the spec: resume from the store, execute what is left, record the run.

    `provider` defaults to the registry's providers for the spec's models. `wait` waits
    for another writer of the store instead of refusing; `preflight` checks endpoints
    before the first paid request; `yes` allows plans above ten million attempts.
    """
    grader = get_grader(spec.suite.grader)
    check_spec(spec)
    _check_keys(spec)
    on_wait = getattr(observer, "waiting", None)
    size = plan_size(spec)
    if size > MAX_PLAN_WITHOUT_YES and not yes:
        raise ConfigError(
            f"the plan holds {size:,} attempts (more than {MAX_PLAN_WITHOUT_YES:,}); check "
            "--samples, --prompt and the models, then add --yes"
        )
    with writer_lock(spec.db, wait=wait, on_wait=on_wait), open_store(spec.db) as store:
        plan = plan_run(spec, store)
        if not plan.todo:
            return _nothing_to_do(store, plan)
        store.put_items(spec.suite.name, spec.suite.problems())
        owned = provider is None
        active = provider or make_provider(spec)
        try:
            warnings = await _preflight(active, observer) if preflight else ()
            redactor = Redactor.for_models(spec.models)
            run_id = store.start_run(
                argv=redactor.json(list(argv)), spec=redactor.json(spec_json(spec)),
                version=_version(),
            )
            summary = await _execute(spec, plan, store, grader, run_id, active, observer, redactor)
            return dataclasses.replace(summary, warnings=warnings)
        finally:
            if owned:
                await active.aclose()


async def _execute(
    spec: RunSpec,
    plan: Plan,
    store: SQLiteStore,
    grader: object,
    run_id: str,
    provider: Provider,
    observer: RunObserver | None,
    redactor: Redactor,
) -> RunSummary:
    return await recorded(
        execute(spec, plan, store, grader, run_id, provider, observer, redactor),  # type: ignore[arg-type]
        lambda outcome: store.finish_run(run_id, outcome=outcome),
        lambda summary: "stopped" if summary.stopped else "completed",
    )


def run(
    spec: RunSpec,
    observer: RunObserver | None = None,
    argv: Sequence[str] = (),
    provider: Provider | None = None,
    **options: bool,
) -> RunSummary:
    """Synchronous wrapper of `run_async` (notebooks: use `await run_async(...)`)."""
    return asyncio.run(run_async(spec, observer, argv, provider, **options))
