"""Plan, then execute, against one store; the sync entry point wraps the async core."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from papertiger.errors import ConfigError
from papertiger.grading import get_grader
from papertiger.providers import Provider, ProviderContext, providers_for
from papertiger.runner.execute import RunSummary, execute
from papertiger.runner.plan import Plan, make_plan, work_items
from papertiger.runner.progress import RunObserver
from papertiger.runner.spec import RunSpec
from papertiger.store import SQLiteStore, open_store


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


def _check(spec: RunSpec) -> None:
    if spec.samples < 1:
        raise ConfigError("--samples must be at least 1")
    for model in spec.models:
        if spec.provider_for(model) == "openai" and not model.base_url:
            raise ConfigError(f"model {model.name!r} has no base_url in the catalogue")
        if spec.max_cost is not None and (model.price_in is None or model.price_out is None):
            raise ConfigError(
                f"--max-cost needs prices: model {model.name!r} has no price_in/price_out "
                "(USD per million tokens) in the catalogue"
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


def plan_run(spec: RunSpec, store: SQLiteStore) -> Plan:
    """The plan against what the store already holds (finished attempts are skipped)."""
    _check(spec)
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


async def run_async(
    spec: RunSpec,
    observer: RunObserver | None = None,
    argv: Sequence[str] = (),
    provider: Provider | None = None,
) -> RunSummary:
    """Run the spec: resume from the store, execute what is left, record the run.

    `provider` defaults to the registry's providers for the spec's models.
    """
    grader = get_grader(spec.suite.grader)
    _check_keys(spec)
    with open_store(spec.db) as store:
        plan = plan_run(spec, store)
        store.put_items(spec.suite.name, spec.suite.problems())
        run_id = store.start_run(argv=list(argv), spec=spec_json(spec), version=_version())
        outcome = "interrupted"
        owned = provider is None
        active = provider or make_provider(spec)
        try:
            summary = await execute(spec, plan, store, grader, run_id, active, observer)
            outcome = "stopped" if summary.stopped else "completed"
        finally:
            if owned:
                await active.aclose()
            store.finish_run(run_id, outcome=outcome)
    return summary


def run(
    spec: RunSpec,
    observer: RunObserver | None = None,
    argv: Sequence[str] = (),
    provider: Provider | None = None,
) -> RunSummary:
    """Synchronous wrapper of `run_async` (notebooks: use `await run_async(...)`)."""
    return asyncio.run(run_async(spec, observer, argv, provider))
