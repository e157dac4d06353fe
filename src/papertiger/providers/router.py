"""Several servers of one model: which one takes each try, and how each has fared.

A model whose catalogue entry lists several base URLs has its requests spread over them:
each try goes to the endpoint with the fewest requests in flight among those that are not
resting and are below their cap. A try that failed for its server's sake (a connection
error, a timeout, a 5xx — vLLM's CPU engine answers some seeded requests with a 500 "CPU
Generator does not use offset") moves to another endpoint at once, and the failing one
rests for a few seconds, twice as long with each failure in a row; after its rest it takes
one request at a time until one succeeds. When every endpoint of a model rests, the
request waits for the first to wake. Other failures (400, 401, 404, ...) belong to the
request: they fail as they would with one endpoint.

The endpoint that served a request is in neither its Completion nor its key: the provider
sets `SERVED_BY` in the caller's context (a coroutine awaited in the same task shares it),
and the runner reads it right after `complete` returns.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

from papertiger.errors import RetryableError
from papertiger.providers.limits import Limits
from papertiger.providers.retry import RetryPolicy

__all__ = ["FAILOVER_MESSAGES", "SERVED_BY", "EndpointPool", "EndpointReport", "is_failover"]

SERVED_BY: ContextVar[str | None] = ContextVar("papertiger_served_by", default=None)
"""The base URL of the last try of the request just completed in this task (None: unknown)."""

FAILOVER_MESSAGES = ("CPU Generator does not use offset",)
"""Errors that say the server cannot run the request, whatever status they come with."""

_SAMPLES = 4096  # latencies kept per endpoint for its median (a uniform sample beyond that)


def is_failover(exc: BaseException) -> bool:
    """Whether a failure is the server's (move the request, rest the server), not the request's."""
    if not isinstance(exc, RetryableError):
        return False
    if exc.code in ("connection", "timeout") or (exc.status is not None and exc.status >= 500):
        return True
    return any(m in str(exc) for m in FAILOVER_MESSAGES)


@dataclass(frozen=True)
class EndpointReport:
    """How one base URL fared in a run: HTTP requests sent to it (every try counts), those
    that succeeded and failed, failed ones moved to another endpoint, rests, and the median
    time from request written to last byte over its successful requests."""

    base_url: str
    models: tuple[str, ...]
    requests: int
    ok: int
    errors: int
    failovers: int
    cooldowns: int
    median_latency_s: float | None


@dataclass(slots=True)
class _State:
    url: str
    models: list[str] = field(default_factory=list)
    load: int = 0  # tries in flight (chosen, not yet ended)
    requests: int = 0
    ok: int = 0
    errors: int = 0
    failovers: int = 0
    cooldowns: int = 0
    failures: int = 0  # server failures in a row; > 0: recovering, one try at a time
    rest_until: float = 0.0
    seen: int = 0
    latencies: list[float] = field(default_factory=list)


class EndpointPool:
    """Load, health and counters of every base URL a provider talks to (shared by the
    models on one URL, since a dead server is dead for all of them)."""

    def __init__(
        self,
        limits: Limits,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self._states: dict[str, _State] = {}
        self._turn = 0
        self._sample = random.Random(0)

    def add(self, base_url: str, model: str) -> None:
        """Know `base_url` from the start (it is reported even if never used)."""
        state = self.state(base_url)
        if model not in state.models:
            state.models.append(model)

    def state(self, base_url: str) -> _State:
        key = base_url.rstrip("/")
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = _State(base_url)
        return state

    async def choose(self, urls: Sequence[str], failed: Sequence[str] = ()) -> str:
        """The endpoint for the next try of a request that has failed on `failed` so far:
        fewest in flight among the awake ones below their cap, not one it failed on if
        another will do; when all rest, after waiting for the first to wake."""
        states = [self.state(u) for u in urls]
        while True:
            now = self._clock()
            awake = [i for i, s in enumerate(states) if s.rest_until <= now]
            if awake:
                break
            await asyncio.sleep(max(0.0, min(s.rest_until for s in states) - now))
        gone = {u.rstrip("/") for u in failed}
        able = [i for i in awake if states[i].failures == 0 or states[i].load == 0] or awake
        fresh = [i for i in able if urls[i].rstrip("/") not in gone] or able
        room = [i for i in fresh if states[i].load < self._cap(urls[i])] or fresh
        self._turn += 1
        turn = self._turn % len(room)
        pick = min(room[turn:] + room[:turn], key=lambda i: states[i].load)  # ties rotate
        if failed and urls[pick].rstrip("/") != failed[-1].rstrip("/"):
            self.state(failed[-1]).failovers += 1
        return urls[pick]

    def _cap(self, url: str) -> int:
        return self.limits.gate(url).limits.concurrency

    @staticmethod
    def begin(state: _State) -> None:
        """A try is being sent to this endpoint."""
        state.load += 1
        state.requests += 1

    def succeeded(self, state: _State, latency_s: float) -> None:
        """The try came back whole: the endpoint is well again."""
        state.load -= 1
        state.ok += 1
        state.failures = 0
        state.rest_until = 0.0
        state.seen += 1
        if len(state.latencies) < _SAMPLES:
            state.latencies.append(latency_s)
        elif (j := self._sample.randrange(state.seen)) < _SAMPLES:
            state.latencies[j] = latency_s

    def failed(self, state: _State, exc: BaseException, rest: bool) -> None:
        """The try failed; a server failure rests the endpoint when `rest` (several URLs)."""
        state.load -= 1
        state.errors += 1
        if rest and is_failover(exc):
            after = exc.retry_after if isinstance(exc, RetryableError) else None
            self.rest(state, after)

    @staticmethod
    def abandoned(state: _State) -> None:
        """The try was cancelled before it ended: it counts for nothing."""
        state.load -= 1
        state.requests -= 1

    def rest(self, state: _State, retry_after: float | None = None) -> None:
        """Rest the endpoint; failures that land while it rests (the rest of what was in
        flight when it died) do not lengthen the rest."""
        now = self._clock()
        if now < state.rest_until:
            return
        policy = self.policy
        state.failures += 1
        state.cooldowns += 1
        pause = min(policy.cooldown_max_s, policy.cooldown_s * 2 ** (state.failures - 1))
        if retry_after is not None:
            pause = max(pause, min(retry_after, policy.retry_after_cap_s))
        state.rest_until = now + pause

    def report(self) -> tuple[EndpointReport, ...]:
        """Every known endpoint's counters, in the order they were added."""
        return tuple(
            EndpointReport(
                base_url=s.url, models=tuple(s.models), requests=s.requests, ok=s.ok,
                errors=s.errors, failovers=s.failovers, cooldowns=s.cooldowns,
                median_latency_s=statistics.median(s.latencies) if s.latencies else None,
            )
            for s in self._states.values()
        )
