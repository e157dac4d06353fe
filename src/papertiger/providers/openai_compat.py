"""Any OpenAI-compatible endpoint (vLLM, SGLang, OpenRouter, DeepSeek, Ollama...) over aiohttp.

aiohttp because it was the cheapest client measured (bench/PEERS.md: 0.42 CPU-ms per request
against 1.98 for httpx and 2.38 for the openai SDK). One session per provider; per-endpoint
gates cap concurrency and rpm; tenacity retries only `RetryableError`. `complete` turns every
provider failure into an error Completion, so one bad request never aborts a run. A model
with several base URLs has each try routed by `router.EndpointPool` (fewest in flight,
failover, rests); the URL that served it is left in `router.SERVED_BY`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from types import TracebackType

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from papertiger.errors import FatalProviderError, ProviderError, RetryableError
from papertiger.providers.base import ProviderContext, register_provider
from papertiger.providers.endpoints import Endpoint, endpoint_limits
from papertiger.providers.exchange import Sent, ok_completion, read_reply, stamp_sent, status_error
from papertiger.providers.failures import error_completion, redact_completion
from papertiger.providers.limits import EndpointGate, EndpointLimits, Limits
from papertiger.providers.replies import Reply
from papertiger.providers.retry import RetryPolicy, retry_after_seconds
from papertiger.providers.router import SERVED_BY, EndpointPool, EndpointReport, is_failover
from papertiger.schema import ChatRequest, Completion, ModelSpec

__all__ = [
    "KEY_HEADER",
    "Endpoint",
    "OpenAICompatProvider",
    "RetryHook",
    "RetryPolicy",
    "endpoint_limits",
    "retry_after_seconds",
]

KEY_HEADER = "X-Papertiger-Key"
"""Carries the attempt key: lets a test server count requests per attempt; real servers ignore it."""

RetryHook = Callable[[ChatRequest, ProviderError, int], None]
"""Called before each retry sleep with the request, the error and the attempt that failed."""


class _Tries:
    """Where one request's tries went: the endpoints it failed on, and the last one."""

    __slots__ = ("failed", "last")

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.last: str | None = None


def _api_key(endpoint: Endpoint) -> str | None:
    """The key from the named variable, read at call time; the message never holds its value."""
    name = endpoint.api_key_env
    if not name:
        return None
    value = os.environ.get(name)
    if not value:
        raise FatalProviderError(
            f"environment variable {name} (API key) is not set or empty", code="no_key"
        )
    return value


def _headers(request: ChatRequest, secret: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream, application/json"}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    if request.key.isascii() and request.key.isprintable():
        headers[KEY_HEADER] = request.key
    return headers


class OpenAICompatProvider:
    """Sends ChatRequests to OpenAI-compatible endpoints; use as `async with`.

    `endpoints` maps each model's catalogue name to its endpoint. One aiohttp session
    (unlimited connector: the per-endpoint gates do the limiting). `limits` maps base URLs
    to their caps; other endpoints get `default_limits`. `read_timeout_s` bounds the
    silence between two reads (capped by the endpoint's timeout).
    """

    def __init__(
        self,
        endpoints: Mapping[str, Endpoint],
        *,
        limits: Mapping[str, EndpointLimits] | None = None,
        default_limits: EndpointLimits | None = None,
        retry: RetryPolicy | None = None,
        on_retry: RetryHook | None = None,
        read_timeout_s: float = 300.0,
    ) -> None:
        self.endpoints = dict(endpoints)
        self.retry = retry or RetryPolicy()
        self.on_retry = on_retry
        self.read_timeout_s = read_timeout_s
        self.limits = Limits(default_limits)
        for base_url, caps in (limits or {}).items():
            self.limits.configure(base_url, caps)
        self.pool = EndpointPool(self.limits, self.retry)
        for name, endpoint in self.endpoints.items():
            for base_url in endpoint.urls:
                self.pool.add(base_url, name)
        self.preflight_warnings: tuple[str, ...] = ()
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    async def __aenter__(self) -> OpenAICompatProvider:
        self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def preflight(self) -> list[str]:
        """Check every endpoint once (see `providers.preflight`); problems, one line each.

        A dead URL among a model's several is no problem: it is named in
        `preflight_warnings` and rested, and the run goes on with the others."""
        from papertiger.providers.preflight import check_endpoints

        missing = []
        for name, endpoint in self.endpoints.items():
            try:
                _api_key(endpoint)
            except FatalProviderError as exc:
                missing.append(f"model {name!r}: {exc}")
        if missing:
            return missing

        def headers(secret: str | None) -> dict[str, str]:
            return {"Authorization": f"Bearer {secret}"} if secret else {}

        found = await check_endpoints(self._open(), self.endpoints, headers, _api_key)
        self.preflight_warnings = found.warnings
        for base_url in found.down:
            self.pool.rest(self.pool.state(base_url))
        return list(found.problems)

    def endpoint_report(self) -> tuple[EndpointReport, ...]:
        """Per base URL: requests, successes, failures, failovers, rests, median latency."""
        return self.pool.report()

    def set_limits(self, base_url: str, limits: EndpointLimits) -> None:
        """Cap one endpoint (build `limits` with `EndpointLimits.from_spec(spec)`)."""
        self.limits.configure(base_url, limits)

    def gate(self, base_url: str) -> EndpointGate:
        """The endpoint's gate: `in_flight` and `max_in_flight` for spreading and display."""
        return self.limits.gate(base_url)

    async def complete(self, request: ChatRequest) -> Completion:
        """One attempt with retries; every failure comes back as `status="error"`.

        Nothing a server sends can make this raise: an unexpected exception becomes an
        error attempt with code `internal` (and the key redacted from its message).
        """
        tries = _Tries()
        try:
            return await self._complete(request, tries)
        except Exception as exc:  # the last line of defence: one bad reply never stops a run
            endpoint = self.endpoints.get(request.model)
            secret = os.environ.get(endpoint.api_key_env or "") if endpoint else None
            return error_completion(request, exc, 0, secret)
        finally:
            SERVED_BY.set(tries.last)

    async def _complete(self, request: ChatRequest, tries: _Tries) -> Completion:
        scheduled = time.perf_counter()
        endpoint = self.endpoints.get(request.model)
        try:
            if endpoint is None:
                raise FatalProviderError(f"no endpoint configured for model {request.model!r}")
            secret = _api_key(endpoint)
        except FatalProviderError as exc:
            return error_completion(request, exc, 0)
        path = "/chat/completions" if request.kind == "chat" else "/completions"
        body = request.body(endpoint.model, stream=endpoint.streams(request.key))
        payload = json.dumps(body, separators=(",", ":")).encode()
        headers = _headers(request, secret)
        send = partial(self._attempt, request, endpoint, path, headers, payload, tries)
        try:  # the first attempt bypasses tenacity, whose set-up costs more than the request
            reply, started, ended = await send()
        except FatalProviderError as exc:
            return error_completion(request, exc, 0, secret)
        except RetryableError as exc:
            several = len(endpoint.urls) > 1
            return await self._retry(request, send, exc, secret, scheduled, several)
        return redact_completion(ok_completion(request, reply, started, ended, 0, scheduled), secret)

    async def _retry(
        self,
        request: ChatRequest,
        send: Callable[[], Awaitable[tuple[Reply, float, float]]],
        first: RetryableError,
        secret: str | None,
        scheduled: float,
        several: bool,
    ) -> Completion:
        """Attempts 2..n under tenacity; attempt 1 is replayed so waits, hooks and stops count it."""
        attempts = 0
        try:
            async for attempt in self._retrying(request, several):
                with attempt:
                    attempts += 1
                    if attempts == 1:
                        raise first
                    reply, started, ended = await send()
        except ProviderError as exc:
            return error_completion(request, exc, attempts - 1, secret)
        return redact_completion(
            ok_completion(request, reply, started, ended, attempts - 1, scheduled), secret
        )

    async def _attempt(
        self,
        request: ChatRequest,
        endpoint: Endpoint,
        path: str,
        headers: dict[str, str],
        payload: bytes,
        tries: _Tries,
    ) -> tuple[Reply, float, float]:
        """One try on the endpoint the pool picks (the only one, for most models)."""
        urls, pool = endpoint.urls, self.pool
        base = urls[0] if len(urls) == 1 else await pool.choose(urls, tries.failed)
        tries.last = base
        state = pool.state(base)
        pool.begin(state)
        try:
            reply, sent, ended = await self._exchange(request, endpoint, base, path, headers, payload)
        except Exception as exc:
            pool.failed(state, exc, rest=len(urls) > 1)
            tries.failed.append(base)
            raise
        except BaseException:  # cancelled: the try counts for nothing
            pool.abandoned(state)
            raise
        pool.succeeded(state, ended - sent)
        return reply, sent, ended

    async def _exchange(
        self,
        request: ChatRequest,
        endpoint: Endpoint,
        base: str,
        path: str,
        headers: dict[str, str],
        payload: bytes,
    ) -> tuple[Reply, float, float]:
        """One HTTP exchange inside the endpoint's gate; transport failures become retryable."""
        session = self._open()
        timeout = self._timeout(endpoint.timeout_s)
        url = base.rstrip("/") + path
        try:
            async with self.limits.gate(base):
                sent = Sent(time.perf_counter())
                async with session.post(
                    url, data=payload, headers=headers, timeout=timeout, trace_request_ctx=sent
                ) as resp:
                    if not 200 <= resp.status < 300:
                        raise await status_error(resp)
                    reply = await read_reply(resp, request)
                return reply, sent.at, time.perf_counter()
        except TimeoutError as exc:
            raise RetryableError(
                f"timed out (timeout_s={endpoint.timeout_s:g})", code="timeout"
            ) from exc
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as exc:
            raise FatalProviderError(f"invalid URL: {exc}", code="bad_url") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise RetryableError(
                f"connection failed: {type(exc).__name__}: {exc}", code="connection"
            ) from exc

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
            tracing = aiohttp.TraceConfig()
            tracing.on_request_chunk_sent.append(stamp_sent)
            self._session = aiohttp.ClientSession(connector=connector, trace_configs=[tracing])
        return self._session

    def _timeout(self, total: float) -> aiohttp.ClientTimeout:
        timeout = self._timeouts.get(total)
        if timeout is None:
            sock_read = min(total, self.read_timeout_s)
            timeout = self._timeouts[total] = aiohttp.ClientTimeout(total=total, sock_read=sock_read)
        return timeout

    def _retrying(self, request: ChatRequest, several: bool) -> AsyncRetrying:
        policy = self.retry
        hook = partial(self._notify, request) if self.on_retry is not None else None
        return AsyncRetrying(
            stop=stop_after_attempt(policy.max_attempts) | stop_before_delay(policy.budget_s),
            wait=partial(self._wait, several),
            retry=retry_if_exception_type(RetryableError),
            before_sleep=hook,
            reraise=True,
        )

    def _wait(self, several: bool, state: RetryCallState) -> float:
        """Jittered exponential backoff, never shorter than the server's Retry-After (capped);
        none for a server failure with other endpoints to move to (they wait by resting)."""
        exc = state.outcome.exception() if state.outcome is not None else None
        if several and exc is not None and is_failover(exc):
            return 0.0
        policy = self.retry
        backoff = wait_exponential_jitter(
            initial=policy.backoff_s, max=policy.backoff_max_s, jitter=policy.backoff_s
        )
        delay = float(backoff(state))
        if isinstance(exc, RetryableError) and exc.retry_after is not None:
            delay = max(delay, min(exc.retry_after, policy.retry_after_cap_s))
        return delay

    def _notify(self, request: ChatRequest, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        if self.on_retry is not None and isinstance(exc, ProviderError):
            self.on_retry(request, exc, state.attempt_number)


def _openai_factory(models: Sequence[ModelSpec], context: ProviderContext) -> OpenAICompatProvider:
    retry = context.retry if isinstance(context.retry, RetryPolicy) else None
    return OpenAICompatProvider(
        {m.name: Endpoint.from_spec(m) for m in models},
        limits=endpoint_limits(models, context.concurrency),
        retry=retry,
    )


register_provider("openai", _openai_factory)
