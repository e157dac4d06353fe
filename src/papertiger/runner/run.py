"""Plan, then execute, against one store; the sync entry point wraps the async core."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from papertiger.errors import ConfigError
from papertiger.grading import get_grader
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


def _spec_json(spec: RunSpec) -> dict[str, object]:
    """What the store keeps about a run: models' metadata (never keys), suite, prompt."""
    return {
        "suite": spec.suite.name,
        "old": spec.suite.old.name,
        "fresh": spec.suite.fresh.name,
        "fresh_released": str(spec.suite.fresh.released) if spec.suite.fresh.released else None,
        "samples": spec.samples,
        "prompt": {"name": spec.template.name, "hash": spec.template.hash},
        "models": [json.loads(m.model_dump_json()) for m in spec.models],
    }


def _check(spec: RunSpec) -> None:
    if spec.samples < 1:
        raise ConfigError("--samples must be at least 1")
    for model in spec.models:
        if not model.base_url:
            raise ConfigError(f"model {model.name!r} has no base_url in the catalogue")

        if spec.max_cost is not None and (model.price_in is None or model.price_out is None):
            raise ConfigError(
                f"--max-cost needs prices: model {model.name!r} has no price_in/price_out "
                "(USD per million tokens) in the catalogue"
            )


def _check_keys(spec: RunSpec) -> None:
    """Fail before the first request, not with one failed attempt per item."""
    for model in spec.models:
        if model.api_key_env and not os.environ.get(model.api_key_env):
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


async def run_async(
    spec: RunSpec, observer: RunObserver | None = None, argv: Sequence[str] = ()
) -> RunSummary:
    """Run the spec: resume from the store, execute what is left, record the run."""
    grader = get_grader(spec.suite.grader)
    _check_keys(spec)
    with open_store(spec.db) as store:
        plan = plan_run(spec, store)
        run_id = store.start_run(argv=list(argv), spec=_spec_json(spec), version=_version())
        outcome = "interrupted"
        try:
            summary = await execute(spec, plan, store, grader, run_id, observer)
            outcome = "stopped" if summary.stopped else "completed"
        finally:
            store.finish_run(run_id, outcome=outcome)
    return summary


def run(spec: RunSpec, observer: RunObserver | None = None, argv: Sequence[str] = ()) -> RunSummary:
    """Synchronous wrapper of `run_async` (notebooks: use `await run_async(...)`)."""
    return asyncio.run(run_async(spec, observer, argv))
