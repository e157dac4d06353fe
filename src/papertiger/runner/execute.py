"""Execute a plan: bounded concurrency per model, grading on arrival, batched commits.

Nothing lost: finished attempts are committed in one transaction per batch, at least every
`flush_interval_s`, and on any exit (normal, Ctrl-C, cancellation). A kill -9 loses only
the attempts in flight and those finished since the last commit (under a second's worth).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from papertiger.config import attempt_cost
from papertiger.grading import Grader
from papertiger.providers import EndpointLimits, OpenAICompatProvider
from papertiger.runner.plan import Plan, WorkItem
from papertiger.runner.progress import ModelProgress, QuietObserver, RunObserver
from papertiger.runner.spec import RunSpec
from papertiger.schema import Completion, Grade
from papertiger.store import AttemptRecord, PutResult, SQLiteStore


@dataclass(frozen=True)
class RunSummary:
    """What a run did; `stopped` says why it ended early, if it did."""

    run_id: str
    planned: int
    done_before: int
    ok: int
    errors: int
    retries: int
    cost_usd: float
    stopped: str | None
    progress: tuple[ModelProgress, ...]


class _Writer:
    """Buffers finished attempts and commits them in batches on one background thread.

    SQLite and zlib release the GIL, so commits overlap with the event loop; a single
    thread keeps the store's one-writer order. `close` waits for every batch.
    """

    def __init__(self, store: SQLiteStore, interval_s: float, batch: int = 256) -> None:
        self.store, self.interval_s, self.batch = store, interval_s, batch
        self.records: list[AttemptRecord] = []
        self.grades: list[tuple[str, Grade]] = []
        self.last = time.monotonic()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="papertiger-store")
        self.pending: list[Future[PutResult]] = []

    def add(self, record: AttemptRecord, grade: Grade | None) -> None:
        self.records.append(record)
        if grade is not None:
            self.grades.append((record.key, grade))
        if len(self.records) >= self.batch or time.monotonic() - self.last >= self.interval_s:
            self.flush()

    def flush(self) -> None:
        if self.records:
            job = self.pool.submit(self.store.put_attempts, self.records, self.grades)
            self.pending.append(job)
            self.records, self.grades = [], []
        self.last = time.monotonic()
        for job in [j for j in self.pending if j.done()]:
            self.pending.remove(job)
            job.result()  # a failed commit surfaces here, not silently

    def close(self) -> None:
        self.flush()
        for job in self.pending:
            job.result()
        self.pending.clear()
        self.pool.shutdown(wait=True)

    async def tick(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            self.flush()


class _Budget:
    """Stops scheduling new attempts once the spent cost reaches the cap."""

    def __init__(self, max_cost: float | None) -> None:
        self.max_cost, self.spent = max_cost, 0.0
        self.reason: str | None = None

    def unknown(self, model: str) -> None:
        """A reply without token usage: spending can no longer be tracked, so stop."""
        if self.max_cost is not None and self.reason is None:
            self.reason = f"--max-cost: {model}'s server reported no token usage, cost unknown"

    def add(self, cost: float | None) -> None:
        self.spent += cost or 0.0
        if self.max_cost is not None and self.spent >= self.max_cost and self.reason is None:
            self.reason = f"--max-cost reached: spent ${self.spent:.4f} of ${self.max_cost:.4f}"


def _record(item: WorkItem, completion: Completion, spec: RunSpec, run_id: str) -> AttemptRecord:
    return AttemptRecord(
        **dict(completion),
        run_id=run_id,
        model=item.model.name,
        endpoint_model=item.model.endpoint_model,
        base_url=item.model.base_url,
        suite=spec.suite.name,
        benchmark=item.benchmark,
        role=item.role,
        item_id=item.problem.item_id,
        sample_index=item.sample_index,
        seed=item.request.seed,
        prompt_name=spec.template.name,
        prompt_hash=spec.template.hash,
        sampling_json=item.request.sampling.model_dump_json(),
    )


class _Run:
    """State shared by the workers of one run."""

    def __init__(self, spec: RunSpec, store: SQLiteStore, grader: Grader, run_id: str) -> None:
        self.spec, self.grader, self.run_id = spec, grader, run_id
        self.writer = _Writer(store, spec.flush_interval_s)
        self.budget = _Budget(spec.max_cost)
        self.progress: dict[str, ModelProgress] = {}

    async def worker(
        self, provider: OpenAICompatProvider, queue: list[WorkItem], observer: RunObserver
    ) -> None:
        while queue and self.budget.reason is None:
            item = queue.pop()
            completion = await provider.complete(item.request)
            self.finish(item, completion, observer)

    def finish(self, item: WorkItem, completion: Completion, observer: RunObserver) -> None:
        progress = self.progress[item.model.name]
        grade = None
        if completion.status == "ok":
            grade = self.grader.grade(completion, item.problem.answer)
            progress.ok += 1
            progress.correct += int(grade.correct)
        else:
            progress.errors += 1
        progress.retries += completion.retries
        cost = attempt_cost(
            item.model.price_in,
            item.model.price_out,
            completion.prompt_tokens,
            completion.completion_tokens,
        )
        progress.cost_usd += cost or 0.0
        if cost is None and completion.status == "ok":
            self.budget.unknown(item.model.name)
        self.budget.add(cost)
        self.writer.add(_record(item, completion, self.spec, self.run_id), grade)
        observer.advanced(progress)


def endpoint_limits(spec: RunSpec) -> dict[str, EndpointLimits]:
    """Caps per base URL. Each model keeps its own concurrency (its worker count), so an
    endpoint shared by several models allows their sum in flight; its rpm is the smallest
    any of them sets, since a provider's rate limit is per key, not per model."""
    limits: dict[str, EndpointLimits] = {}
    for m in spec.models:
        url = m.base_url or ""
        concurrency = spec.concurrency or m.concurrency
        rpms = [r for r in (m.rpm, limits[url].rpm if url in limits else None) if r]
        if url in limits:
            concurrency += limits[url].concurrency
        limits[url] = EndpointLimits(concurrency=concurrency, rpm=min(rpms) if rpms else None)
    return limits


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
    observer: RunObserver | None = None,
) -> RunSummary:
    """Run every attempt still to do; commits survive Ctrl-C and cancellation."""
    observer = observer or QuietObserver()
    state = _Run(spec, store, grader, run_id)
    for m in plan.models:
        state.progress[m.model] = ModelProgress(m.model, m.total, m.done)
    observer.started(state.progress)
    queues = _queues(plan.todo)
    limits = endpoint_limits(spec)
    ticker = asyncio.create_task(state.writer.tick())
    try:
        async with OpenAICompatProvider(limits=limits, retry=spec.retry) as provider:
            workers = [
                state.worker(provider, queue, observer)
                for m in spec.models
                for queue in [queues.get(m.name, [])]
                for _ in range(min(len(queue), spec.concurrency or m.concurrency))
            ]
            await asyncio.gather(*workers)
    finally:
        ticker.cancel()
        state.writer.close()
    if state.budget.reason:
        observer.stopping(state.budget.reason)
    return _summary(state, plan)


def _summary(state: _Run, plan: Plan) -> RunSummary:
    progress = tuple(state.progress.values())
    return RunSummary(
        run_id=state.run_id,
        planned=len(plan.items),
        done_before=plan.done,
        ok=sum(p.ok for p in progress),
        errors=sum(p.errors for p in progress),
        retries=sum(p.retries for p in progress),
        cost_usd=sum(p.cost_usd for p in progress),
        stopped=state.budget.reason,
        progress=progress,
    )
