"""Per-endpoint caps: requests in flight and requests per minute.

Each base URL gets one gate. A request holds its endpoint's slot for one HTTP attempt
only, so a request sleeping before a retry does not keep others waiting.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import TracebackType

from aiolimiter import AsyncLimiter

from papertiger.schema import ModelSpec

__all__ = ["EndpointGate", "EndpointLimits", "Limits"]


@dataclass(frozen=True)
class EndpointLimits:
    """How hard one endpoint may be driven.

    `rpm` spaces requests evenly (at most `burst` back to back), which is safer than a
    per-minute burst against servers that enforce limits over shorter windows.
    """

    concurrency: int = 16
    rpm: float | None = None
    burst: int = 1

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.rpm is not None and self.rpm <= 0:
            raise ValueError("rpm must be positive")
        if self.burst < 1:
            raise ValueError("burst must be at least 1")

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> EndpointLimits:
        """The limits a catalogue entry asks for."""
        return cls(concurrency=spec.concurrency, rpm=spec.rpm)


class EndpointGate:
    """An async context manager: a concurrency slot, then (if capped) an rpm token."""

    def __init__(self, limits: EndpointLimits) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.concurrency)
        self._rate: AsyncLimiter | None = None
        if limits.rpm is not None:
            self._rate = AsyncLimiter(limits.burst, limits.burst * 60.0 / limits.rpm)
        self.in_flight = 0
        self.max_in_flight = 0

    async def __aenter__(self) -> EndpointGate:
        await self._slots.acquire()
        try:
            if self._rate is not None:
                await self._rate.acquire()
        except BaseException:
            self._slots.release()
            raise
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.in_flight -= 1
        self._slots.release()


class Limits:
    """The gates of every endpoint a provider talks to, keyed by base URL."""

    def __init__(self, default: EndpointLimits | None = None) -> None:
        self.default = default or EndpointLimits()
        self._gates: dict[str, EndpointGate] = {}

    @staticmethod
    def _norm(base_url: str) -> str:
        return base_url.rstrip("/")

    def configure(self, base_url: str, limits: EndpointLimits) -> None:
        """Set an endpoint's limits; requests already waiting keep the old gate."""
        key = self._norm(base_url)
        gate = self._gates.get(key)
        if gate is None or gate.limits != limits:
            self._gates[key] = EndpointGate(limits)

    def gate(self, base_url: str) -> EndpointGate:
        """The endpoint's gate, made with the default limits on first use."""
        key = self._norm(base_url)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = EndpointGate(self.default)
        return gate
