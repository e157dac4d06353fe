"""Execute a plan: bounded concurrency per model, grading off the event loop, batched commits.

Nothing lost: finished attempts are committed in one transaction per batch, at least every
`flush_interval_s`, and on any exit (normal, Ctrl-C, cancellation). Grading happens on the
store's writer thread just before each commit, so a slow checker never stalls the streams
or inflates the latency and time to first token measured on the event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from papertiger.config import attempt_cost
from papertiger.grading import Grader
from papertiger.providers import Provider
from papertiger.runner.plan import Plan, WorkItem
from papertiger.runner.progress import ModelProgress, QuietObserver, RunObserver
from papertiger.runner.spec import RunSpec
from papertiger.schema import Attempt, Completion, Grade
from papertiger.store import PutResult, SQLiteStore


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
        interval_s: float,
        batch: int = 256,
    ) -> None:
        self.store, self.grader, self.progress = store, grader, progress
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
        for attempt, gold in batch:
            if attempt.completion.status != "ok":
                continue
            grade = self.grader.grade(attempt.completion, gold)
            grades.append((attempt.key, grade))
            if grade.correct:
                self.progress[attempt.identity.model].correct += 1
        return self.store.put_attempts([a for a, _ in batch], grades)

    def flush(self) -> None:
        if self.pending_items:
            self.jobs.append(self.pool.submit(self._commit, self.pending_items))
            self.pending_items = []
        self.last = time.monotonic()
        for job in [j for j in self.jobs if j.done()]:
            self.jobs.remove(job)
            job.result()  # a failed commit surfaces here, not silently

    def close(self) -> None:
        self.flush()
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


class _Run:
    """State shared by the workers of one run."""

    def __init__(self, spec: RunSpec, store: SQLiteStore, grader: Grader, run_id: str) -> None:
        self.spec, self.run_id = spec, run_id
        self.progress: dict[str, ModelProgress] = {}
        self.writer = _Writer(store, grader, self.progress, spec.flush_interval_s)
        self.budget = _Budget(spec.max_cost)

    async def worker(self, provider: Provider, queue: list[WorkItem], observer: RunObserver) -> None:
        while queue and self.budget.reason is None:
            item = queue.pop()
            completion = await provider.complete(item.request)
            self.finish(item, completion, observer)

    def finish(self, item: WorkItem, completion: Completion, observer: RunObserver) -> None:
        progress = self.progress[item.model.name]
        if completion.status == "ok":
            progress.ok += 1
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
        attempt = Attempt.model_construct(
            identity=item.identity,
            completion=completion,
            run_id=self.run_id,
            endpoint=item.model.base_url,
            cost_usd=cost,
        )
        self.writer.add(attempt, item.problem.answer)
        observer.advanced(progress)


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
) -> RunSummary:
    """Run every attempt still to do through `provider`; commits survive Ctrl-C."""
    observer = observer or QuietObserver()
    state = _Run(spec, store, grader, run_id)
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
