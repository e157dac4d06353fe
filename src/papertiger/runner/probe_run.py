"""Running the memorisation probe planned by `runner.probe`: modes, requests, grades, a run.

The probe holds the store's writer lock from planning to the last commit, like `run`.
Finished attempts are graded and committed in batches (after `flush_batch` of them or
half a second) and on any exit, so Ctrl-C or SIGTERM lose only the attempts in flight; the
run is recorded as completed, interrupted or failed. A resumed probe skips every finished key and, in auto mode, keeps
each model's stored mode, so it sends nothing twice (not even the mode preflight).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from papertiger.config import attempt_cost
from papertiger.errors import ConfigError
from papertiger.grading import Grader, get_grader
from papertiger.providers import Provider, ProviderContext, providers_for
from papertiger.providers.router import SERVED_BY
from papertiger.runner.probe import (
    ProbeItem,
    ProbeMode,
    ProbePlan,
    ProbeSpec,
    check_probe_spec,
    plan_probe,
    probe_grades,
    resolve_modes,
)
from papertiger.runner.secrets import Redactor
from papertiger.runner.signals import recorded
from papertiger.schema import Attempt, ChatRequest, Completion, ModelSpec, SamplingParams
from papertiger.store import SQLiteStore, open_store, writer_lock

__all__ = [
    "ProbeSummary",
    "detect_modes",
    "make_probe_provider",
    "probe",
    "probe_async",
]

_NO_COMPLETIONS = frozenset({"http_404", "http_405", "http_501"})


@dataclass(frozen=True)
class ProbeSummary:
    """What a probe did; `errors_by_kind` is (model, code, message, count), most first."""

    run_id: str | None
    planned: int
    done_before: int
    ok: int
    errors: int
    modes: Mapping[str, ProbeMode]
    cost_usd: float = 0.0
    nothing_to_do: bool = False
    uncut: tuple[str, ...] = ()
    errors_by_kind: tuple[tuple[str, str, str, int], ...] = ()


async def detect_modes(provider: Provider, models: Sequence[ModelSpec]) -> dict[str, ProbeMode]:
    """Ask each model's completions endpoint once (one token); chat where it has none."""
    found: dict[str, ProbeMode] = {}
    for model in models:
        request = ChatRequest(key=f"probe-preflight:{model.name}", model=model.name,
                              kind="completion", prompt="1, 2, 3,",
                              sampling=SamplingParams(temperature=0.0, max_tokens=1))
        reply = await provider.complete(request)
        message = (reply.error or "").lower()
        if reply.status == "ok":
            found[model.name] = "completion"
        elif reply.error_code in _NO_COMPLETIONS or (
            reply.error_code == "http_400" and ("chat" in message or "completion" in message)
        ):
            found[model.name] = "chat"
        else:
            raise ConfigError(
                f"model {model.name!r}: the completions preflight failed ({reply.error_code}: "
                f"{(reply.error or '')[:200]}); check the endpoint, or choose --mode chat or "
                "--mode completion (nothing was stored)"
            )
    return found


class _Writer:
    """Grades and commits finished probe attempts: one transaction per batch, a batch
    after `batch` attempts or `interval_s` seconds, whichever comes first."""

    interval_s = 0.5

    def __init__(self, store: SQLiteStore, grader: Grader, redactor: Redactor, batch: int) -> None:
        self.store, self.grader, self.redactor, self.batch = store, grader, redactor, batch
        self.pending: list[tuple[Attempt, ProbeItem]] = []
        self.ok = self.errors = 0
        self.cost = 0.0
        self.failures: Counter[tuple[str, str, str]] = Counter()
        self.last = time.monotonic()

    def add(self, item: ProbeItem, completion: Completion, run_id: str,
            endpoint: str | None = None) -> None:
        model = item.model
        cost = attempt_cost(model.price_in, model.price_out, completion.prompt_tokens,
                            completion.completion_tokens)
        attempt = Attempt(identity=item.identity, completion=completion, run_id=run_id,
                          endpoint=endpoint or model.base_url, cost_usd=cost)
        self.pending.append((self.redactor.attempt(attempt), item))
        self.cost += cost or 0.0
        if completion.status == "ok":
            self.ok += 1
        else:
            self.errors += 1
            key = (model.name, completion.error_code or "error", (completion.error or "")[:200])
            self.failures[key] += 1
        if len(self.pending) >= self.batch or time.monotonic() - self.last >= self.interval_s:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        self.last = time.monotonic()
        if not batch:
            return
        grades = [
            (attempt.key, grade)
            for attempt, item in batch if attempt.completion.status == "ok"
            for grade in probe_grades(item, attempt.completion, self.grader)
        ]
        self.store.put_attempts([a for a, _ in batch], grades)


async def _execute(spec: ProbeSpec, plan: ProbePlan, provider: Provider, writer: _Writer,
                   run_id: str) -> None:
    # concurrency is per endpoint: a model on several base URLs gets that many times more
    gates = {m.name: asyncio.Semaphore((spec.concurrency or m.concurrency) * max(1, len(m.base_urls)))
             for m in spec.models}

    async def one(item: ProbeItem) -> None:
        async with gates[item.model.name]:
            try:
                SERVED_BY.set(None)
                completion = await provider.complete(item.request)
            except Exception as exc:  # a provider must not raise; if one does, one attempt fails
                completion = Completion(key=item.key, status="error", error_code="internal",
                                        error=f"{type(exc).__name__}: {exc}"[:500])
        writer.add(item, completion, run_id, SERVED_BY.get())

    try:
        await asyncio.gather(*(one(item) for item in plan.todo))
    finally:
        writer.flush()  # Ctrl-C, SIGTERM or a failure: every finished attempt is committed


def _spec_json(spec: ProbeSpec, modes: Mapping[str, str]) -> dict[str, object]:
    return {
        "task": "continue", "probe": "memorization", "suite": spec.suite.name,
        "forms": [{"name": f.name, "released": f.released.isoformat() if f.released else None}
                  for f in spec.suite.forms],
        "ratios": list(spec.ratios), "modes": dict(modes), "max_tokens": spec.max_tokens,
        "providers": {m.name: spec.provider_for(m) for m in spec.models},
        "models": [json.loads(m.model_dump_json()) for m in spec.models],
    }


def make_probe_provider(spec: ProbeSpec) -> Provider:
    """The provider(s) serving the spec's models, by name from the registry."""
    context = ProviderContext(forms=spec.suite.form_names, concurrency=spec.concurrency,
                              retry=spec.retry)
    return providers_for(spec.models, {m.name: spec.provider_for(m) for m in spec.models}, context)


async def _decide(spec: ProbeSpec, provider: Provider, preflight: bool,
                  modes: dict[str, ProbeMode | None], waiting: set[str]) -> dict[str, ProbeMode]:
    if preflight and (check := getattr(provider, "preflight", None)) is not None:
        problems = await check()
        if problems:
            raise ConfigError("preflight: " + "; ".join(str(p) for p in problems)
                              + " (nothing was sent to any model; --no-preflight skips this check)")
    undecided = [m for m in spec.models if m.name in waiting]
    found = await detect_modes(provider, undecided)
    return {name: found.get(name) or mode or "completion" for name, mode in modes.items()}


async def _recorded(store: SQLiteStore, run_id: str, work: Coroutine[Any, Any, None]) -> None:
    """Await `work` under the signal handlers; record how the run ended."""
    await recorded(work, lambda outcome: store.finish_run(run_id, outcome=outcome))


async def probe_async(spec: ProbeSpec, argv: Sequence[str] = (), provider: Provider | None = None,
                      *, preflight: bool = True, wait: bool = False) -> ProbeSummary:
    """Run the probe: resume from the store, decide modes, send what is left, record a run.

    SIGINT or SIGTERM stops it with every finished attempt committed and raises
    `Interrupted` (the run is recorded as interrupted).
    """
    check_probe_spec(spec)
    grader = get_grader(spec.suite.grader)
    with writer_lock(spec.db, wait=wait), open_store(spec.db) as store:
        modes = resolve_modes(spec, store)
        draft = plan_probe(spec, store, {n: m or "completion" for n, m in modes.items()})
        waiting = {i.model.name for i in draft.todo if modes[i.model.name] is None}
        if not draft.todo:
            return ProbeSummary(None, len(draft.items), draft.done, 0, 0, draft.modes,
                                nothing_to_do=True, uncut=draft.uncut)
        owned = provider is None
        active = provider or make_probe_provider(spec)
        try:
            plan = plan_probe(spec, store, await _decide(spec, active, preflight, modes, waiting))
            store.put_items(spec.suite.name, spec.suite.problems())
            redactor = Redactor.for_models(spec.models)
            run_id = store.start_run(argv=redactor.json(list(argv)),
                                     spec=redactor.json(_spec_json(spec, plan.modes)))
            writer = _Writer(store, grader, redactor, spec.flush_batch)
            await _recorded(store, run_id, _execute(spec, plan, active, writer, run_id))
        finally:
            if owned:
                await active.aclose()
    failures = tuple((m, c, msg, n) for (m, c, msg), n in writer.failures.most_common())
    return ProbeSummary(run_id, len(plan.items), plan.done, writer.ok, writer.errors, plan.modes,
                        writer.cost, uncut=plan.uncut, errors_by_kind=failures)


def probe(spec: ProbeSpec, argv: Sequence[str] = (), provider: Provider | None = None,
          **options: bool) -> ProbeSummary:
    """Synchronous wrapper of `probe_async`."""
    return asyncio.run(probe_async(spec, argv, provider, **options))
