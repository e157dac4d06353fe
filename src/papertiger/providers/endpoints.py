"""Where each model is served: its endpoints, and the caps shared by models on one server."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from papertiger.providers.limits import EndpointLimits
from papertiger.schema import ModelSpec

__all__ = ["STREAM_SAMPLE_EVERY", "Endpoint", "endpoint_limits"]

STREAM_SAMPLE_EVERY = 8  # stream = "sample": one request in 8 carries TTFT and tokens/s


@dataclass(frozen=True)
class Endpoint:
    """Where one model is served and how to talk to it.

    `base_urls` lists every server of the model when there are several (`base_url` is
    then the first); requests are spread over them (`providers.router`).
    """

    base_url: str
    model: str
    api_key_env: str | None = None
    timeout_s: float = 600.0
    stream: bool | Literal["sample"] = True

    def streams(self, key: str) -> bool:
        """Whether this request is streamed: always, never, or one in STREAM_SAMPLE_EVERY
        (by the attempt key's hash, so a resumed run makes the same choice)."""
        if self.stream == "sample":
            return zlib.crc32(key.encode()) % STREAM_SAMPLE_EVERY == 0
        return bool(self.stream)
    base_urls: tuple[str, ...] = ()

    @property
    def urls(self) -> tuple[str, ...]:
        """Every base URL of the model, the first one first."""
        return self.base_urls or (self.base_url,)

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> Endpoint:
        """The endpoint a catalogue entry names."""
        return cls(
            base_url=spec.base_url or "",
            model=spec.endpoint_model,
            api_key_env=spec.api_key_env,
            timeout_s=spec.timeout_s,
            stream=spec.stream,
            base_urls=spec.base_urls if len(spec.base_urls) > 1 else (),
        )


def endpoint_limits(
    models: Sequence[ModelSpec], concurrency: int | None = None
) -> dict[str, EndpointLimits]:
    """Caps per base URL. Each model keeps its own concurrency (its worker count) on each
    of its URLs, so an endpoint shared by several models allows their sum in flight; its
    rpm is the smallest any of them sets, since a provider's rate limit is per key, not
    per model."""
    limits: dict[str, EndpointLimits] = {}
    for m in models:
        for url in m.base_urls or ("",):
            url = url.rstrip("/")
            cap = concurrency or m.concurrency
            rpms = [r for r in (m.rpm, limits[url].rpm if url in limits else None) if r]
            if url in limits:
                cap += limits[url].concurrency
            limits[url] = EndpointLimits(concurrency=cap, rpm=min(rpms) if rpms else None)
    return limits
