"""One HTTP exchange with an OpenAI-compatible server: typing a failure, reading the reply
(streamed or whole), and the timings, measured from the moment the request was written."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import aiohttp

from papertiger.errors import FatalProviderError, ProviderError, RateLimited, RetryableError
from papertiger.providers.replies import Reply, parse_json_reply
from papertiger.providers.retry import retry_after_seconds
from papertiger.providers.sse import StreamParser
from papertiger.schema import ChatRequest, Completion

__all__ = ["Sent", "ok_completion", "read_reply", "stamp_sent", "status_error"]

_ERROR_BODY_MAX = 64 * 1024


def _error_message(body: bytes) -> str:
    """The server's error message if the body is OpenAI-shaped, else the body as text.

    Never cut here: the provider redacts the key first, then cuts (a key across the cut
    would otherwise survive redaction in part).
    """
    try:
        obj = json.loads(body)
        err = obj.get("error", obj) if isinstance(obj, dict) else obj
        message = err.get("message", err) if isinstance(err, dict) else err
        return str(message)
    except ValueError:
        return body.decode("utf-8", "replace")


async def status_error(resp: aiohttp.ClientResponse) -> ProviderError:
    """Type a non-2xx reply: 429 → RateLimited, 408/409/5xx → retryable, other → fatal."""
    status = resp.status
    body = await resp.content.read(_ERROR_BODY_MAX)
    text = f"HTTP {status}: {_error_message(body)}"
    if status == 429:
        return RateLimited(text, retry_after=retry_after_seconds(resp.headers.get("Retry-After")))
    if status in (408, 409) or status >= 500:
        retry_after = retry_after_seconds(resp.headers.get("Retry-After"))
        return RetryableError(text, status=status, retry_after=retry_after)
    return FatalProviderError(text, status=status)


class Sent:
    """When the request body was written (stamped by aiohttp's tracing)."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at


async def stamp_sent(session: Any, context: Any, params: Any) -> None:
    sent = context.trace_request_ctx
    if isinstance(sent, Sent):
        sent.at = time.perf_counter()


async def read_reply(resp: aiohttp.ClientResponse, request: ChatRequest) -> Reply:
    """Stream SSE by network reads; a server that answered with plain JSON is fine too."""
    clock = time.perf_counter
    parser = StreamParser(request.kind)
    if not resp.headers.get("Content-Type", "").startswith("text/event-stream"):
        body = await resp.read()
        if not body.lstrip().startswith(b"data:"):
            return parse_json_reply(body, request.kind)
        parser.feed(body, clock())
        return parser.finish(clock())
    # Read by network reads until the first token is stamped (time to first token), then
    # take the rest in one read and parse it in one pass: far fewer wake-ups per reply.
    while parser.first_token_at is None:
        data = await resp.content.readany()
        if not data:
            return parser.finish(clock())
        parser.feed(data, clock())
    rest = await resp.content.read()
    if rest:
        parser.feed(rest, clock())
    reply = parser.finish(clock())
    # A stream whose events had all arrived with its first token spans no interval, so it
    # gets no tokens/s, even when the end of the chunked body came in a later read.
    reply.streamed = bool(rest)
    return reply


def _usage_int(usage: Mapping[str, Any], *path: str) -> int | None:
    value: Any = usage
    for name in path:
        value = value.get(name) if isinstance(value, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def ok_completion(
    request: ChatRequest, reply: Reply, sent: float, ended: float, retries: int,
    scheduled: float | None = None,
) -> Completion:
    """Timings, all from the moment the request was written (`sent`): latency to the last
    byte, TTFT to the first content or reasoning token; `queue_s` is the wait before it
    (endpoint gates, rpm spacing, retry back-offs). Tokens/s covers the streaming interval
    after the first token, and only when the stream spanned several network reads."""
    usage = reply.usage if isinstance(reply.usage, Mapping) else {}
    out_tokens = _usage_int(usage, "completion_tokens")
    first = reply.first_token_at
    tps = None
    if out_tokens and first is not None and reply.streamed and ended - first > 1e-4:
        tps = out_tokens / (ended - first)
    return Completion(
        key=request.key,
        status="ok",
        text=reply.text,
        reasoning=reply.reasoning,
        finish_reason=reply.finish_reason,
        prompt_tokens=_usage_int(usage, "prompt_tokens"),
        completion_tokens=out_tokens,
        reasoning_tokens=_usage_int(usage, "completion_tokens_details", "reasoning_tokens"),
        latency_s=ended - sent,
        queue_s=None if scheduled is None else max(0.0, sent - scheduled),
        ttft_s=None if first is None else max(0.0, first - sent),
        output_tokens_per_s=tps,
        retries=retries,
        raw=reply.raw,
    )


