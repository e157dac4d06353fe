"""Execute a plan: bounded concurrency per model, grading off the event loop, batched commits.

Nothing lost: finished attempts are committed in one transaction per batch, after at most
`flush_batch` of them or `flush_interval_s`, whichever comes first, and on any exit
(normal, Ctrl-C, SIGTERM, cancellation). A `kill -9` loses the attempts in flight and at
most two batches of finished ones (the one filling and the one being committed). Grading
happens on the store's writer thread just before each commit, so a slow checker never
stalls the streams or inflates the latency and time to first token measured on the loop.
A model with several base URLs gets `concurrency` workers per URL; each attempt is stored
with the URL that served it, and the summary says how each endpoint fared.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from papertiger.config import attempt_cost
from papertiger.grading import Grader
from papertiger.providers import Provider, RoutingProvider
from papertiger.providers.router import SERVED_BY, EndpointReport
from papertiger.runner.budget import Budget
from papertiger.runner.plan import Plan, WorkItem
from papertiger.runner.progress import ModelProgress, QuietObserver, RunObserver
from papertiger.runner.secrets import Redactor
from papertiger.runner.spec import RunSpec
from papertiger.schema import Attempt, Completion, Grade, ModelSpec
from papertiger.store import PutResult, SQLiteStore

# Failures that no retry and no other item can fix: after this many in a row with the same
# code, a model's remaining attempts are not scheduled (its endpoint, key or id is wrong).
HOPELESS_CODES = frozenset(
    {"http_401", "http_403", "http_404", "connection", "no_key", "bad_url", "engine_start"}
)
HOPELESS_RUN = 5


@dataclass(frozen=True)
class RunSummary:
    """What a run did; `stopped` says why it ended early, if it did.

    `errors_by_kind` counts failed attempts by (model, error code, message), most frequent
    first. `endpoints` has each base URL's requests (every try), failures, failovers and
    median latency; `warnings` what the preflight found but could live with. `nothing_to_do` is set when every planned attempt was already stored (no run is
    recorded then); `correct_stored` counts the correct ones among them.
    """

    run_id: str | None
    planned: int
    done_before: int
    ok: int
    errors: int
    retries: int
    retried_attempts: int
    cost_usd: float
    stopped: str | None
    progress: tuple[ModelProgress, ...]
    errors_by_kind: tuple[tuple[str, str, str, int], ...] = ()
    budget_stop: bool = False
    nothing_to_do: bool = False
    correct_stored: int = 0
    endpoints: tuple[EndpointReport, ...] = ()
    warnings: tuple[str, ...] = ()


class _Writer:
    """Grades and commits finished attempts in batches on one background thread.

    SQLite, zlib and most grading release the GIL or are short, so commits overlap with the
    event loop; a single thread keeps the store's one-writer order. `close` waits for every
    batch.
    """

    def __init__(
        self,
        store: SQLiteStore,
        grader: Grader,
        progress: dict[str, ModelProgress],
        redactor: Redactor,
        interval_s: float,
        batch: int,
    ) -> None:
        self.store, self.grader, self.progress = store, grader, progress
        self.redactor = redactor
        self.interval_s, self.batch = interval_s, batch
        self.pending_items: list[tuple[Attempt, str]] = []
        self.last = time.monotonic()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="papertiger-store")
        self.jobs: list[Future[PutResult]] = []

    def add(self, attempt: Attempt, gold: str) -> None:
        self.pending_items.append((attempt, gold))
        if len(self.pending_items) >= self.batch or time.monotonic() - self.last >= self.interval_s:
            self.flush()

    def _commit(self, batch: list[tuple[Attempt, str]]) -> PutResult:
        grades: list[tuple[str, Grade]] = []
        attempts = []
        for attempt, gold in batch:
            attempt = self.redactor.attempt(attempt)
            attempts.append(attempt)
            if attempt.completion.status != "ok":
                continue
            grade = self.grader.grade(attempt.completion, gold)
            grades.append((attempt.key, grade))
            if grade.correct:
                self.progress[attempt.identity.model].correct += 1
        return self.store.put_attempts(attempts, grades)

    def flush(self) -> None:
        if self.pending_items:
            self.jobs.append(self.pool.submit(self._commit, self.pending_items))
            self.pending_items = []
        self.last = time.monotonic()
        for job in [j for j in self.jobs if j.done()]:
            self.jobs.remove(job)
            job.result()  # a failed commit surfaces here, not silently

    def close(self) -> None:
        try:
            self.flush()
        finally:
            try:
                for job in self.jobs:
                    job.result()
            finally:
                self.jobs.clear()
                self.pool.shutdown(wait=True)

    async def tick(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            self.flush()


class _Run:
    """State shared by the workers of one run."""

    def __init__(
        self, spec: RunSpec, store: SQLiteStore, grader: Grader, run_id: str, redactor: Redactor
    ) -> None:
        self.spec, self.run_id = spec, run_id
        self.progress: dict[str, ModelProgress] = {}
        self.writer = _Writer(
            store, grader, self.progress, redactor, spec.flush_interval_s, spec.flush_batch
        )
        self.budget = Budget(spec.max_cost)
        self.stopped_models: dict[str, str] = {}
        self.streak: dict[str, tuple[str, int]] = {}
        self.failures: Counter[tuple[str, str, str]] = Counter()
        self.retried = 0

    async def worker(self, provider: Provider, queue: list[WorkItem], observer: RunObserver) -> None:
        while queue and self.budget.reason is None:
            item = queue[-1]
            model = item.model.name
            if model in self.stopped_models:
                return
            if not self.budget.reserve(item):
                return
            queue.pop()
            SERVED_BY.set(None)
            try:
                completion = await provider.complete(item.request)
            except Exception as exc:  # a provider must not raise; if one does, one attempt fails
                completion = Completion(
                    key=item.request.key, status="error", error_code="internal",
                    error=f"{type(exc).__name__}: {exc}"[:500],
                )
            finally:
                self.budget.release(item)
            self.finish(item, completion, observer, SERVED_BY.get())

    def finish(
        self, item: WorkItem, completion: Completion, observer: RunObserver,
        served_by: str | None = None,
    ) -> None:
        model = item.model.name
        progress = self.progress[model]
        if completion.status == "ok":
            progress.ok += 1
            self.streak.pop(model, None)
        else:
            progress.errors += 1
            self._failed(item, completion, observer)
        progress.retries += completion.retries
        self.retried += completion.retries > 0
        cost = attempt_cost(
            item.model.price_in,
            item.model.price_out,
            completion.prompt_tokens,
            completion.completion_tokens,
        )
        progress.cost_usd += cost or 0.0
        if cost is None and completion.status == "ok":
            self.budget.unknown(model)
        self.budget.add(cost)
        attempt = Attempt.model_construct(
            identity=item.identity,
            completion=completion,
            run_id=self.run_id,
            endpoint=served_by or item.model.base_url,
            cost_usd=cost,
        )
        self.writer.add(attempt, item.problem.answer)
        observer.advanced(progress)

    def _failed(self, item: WorkItem, completion: Completion, observer: RunObserver) -> None:
        model, code = item.model.name, completion.error_code or "error"
        message = (completion.error or "")[:200]
        self.failures[(model, code, message)] += 1
        last, count = self.streak.get(model, ("", 0))
        count = count + 1 if last == code else 1
        self.streak[model] = (code, count)
        if code in HOPELESS_CODES and count >= HOPELESS_RUN and model not in self.stopped_models:
            reason = f"{model}: {count} attempts in a row failed with {code} ({message})"
            self.stopped_models[model] = reason
            observer.stopping(f"{reason}; its other attempts are not scheduled")


def _queues(todo: Sequence[WorkItem]) -> dict[str, list[WorkItem]]:
    """Per-model work lists, popped from the end, so reversed to run in plan order."""
    queues: dict[str, list[WorkItem]] = {}
    for item in reversed(todo):
        queues.setdefault(item.model.name, []).append(item)
    return queues


async def execute(
    spec: RunSpec,
    plan: Plan,
    store: SQLiteStore,
    grader: Grader,
    run_id: str,
    provider: Provider,
    observer: RunObserver | None = None,
    redactor: Redactor | None = None,
) -> RunSummary:
    """Run every attempt still to do through `provider`; commits survive Ctrl-C."""
    observer = observer or QuietObserver()
    state = _Run(spec, store, grader, run_id, redactor or Redactor(()))
    for m in plan.models:
        state.progress[m.model] = ModelProgress(m.model, m.total, m.done)
    observer.started(state.progress)
    queues = _queues(plan.todo)
    ticker = asyncio.create_task(state.writer.tick())
    try:
        workers = [
            state.worker(provider, queue, observer)
            for m in spec.models
            for queue in [queues.get(m.name, [])]
            for _ in range(min(len(queue), workers_for(spec, m)))
        ]
        await asyncio.gather(*workers)
    finally:
        ticker.cancel()
        state.writer.close()
    if state.budget.reason:
        observer.stopping(state.budget.final_message())
    return replace(_summary(state, plan), endpoints=endpoint_reports(provider))


def workers_for(spec: RunSpec, model: ModelSpec) -> int:
    """Requests a model keeps in flight: its concurrency on each of its base URLs."""
    urls = len(model.base_urls) if spec.provider_for(model) == "openai" else 1
    return (spec.concurrency or model.concurrency) * max(1, urls)


def provider_parts(provider: Provider) -> list[object]:
    """The distinct providers behind `provider` (itself, or those a RoutingProvider holds)."""
    if isinstance(provider, RoutingProvider):
        return list({id(p): p for p in provider.by_model.values()}.values())
    return [provider]


def endpoint_reports(provider: Provider) -> tuple[EndpointReport, ...]:
    """How each base URL fared, from every provider that keeps such counters."""
    found: list[EndpointReport] = []
    for part in provider_parts(provider):
        report = getattr(part, "endpoint_report", None)
        if callable(report):
            found += report()
    return tuple(found)


def _summary(state: _Run, plan: Plan) -> RunSummary:
    progress = tuple(state.progress.values())
    stopped = state.budget.final_message() if state.budget.reason else None
    if state.stopped_models:
        hopeless = "; ".join(state.stopped_models.values())
        stopped = f"{stopped}; {hopeless}" if stopped else hopeless
    return RunSummary(
        run_id=state.run_id,
        planned=len(plan.items),
        done_before=plan.done,
        ok=sum(p.ok for p in progress),
        errors=sum(p.errors for p in progress),
        retries=sum(p.retries for p in progress),
        retried_attempts=state.retried,
        cost_usd=sum(p.cost_usd for p in progress),
        stopped=stopped,
        progress=progress,
        errors_by_kind=tuple((m, c, msg, n) for (m, c, msg), n in state.failures.most_common()),
        budget_stop=state.budget.reason is not None,
    )
