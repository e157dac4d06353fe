"""Model access: OpenAI-compatible endpoints over aiohttp, with per-endpoint limits."""

from papertiger.providers.limits import EndpointGate, EndpointLimits, Limits
from papertiger.providers.openai_compat import (
    KEY_HEADER,
    OpenAICompatProvider,
    Provider,
    RetryHook,
    RetryPolicy,
    retry_after_seconds,
)
from papertiger.providers.sse import Reply, StreamParser, parse_json_reply

__all__ = [
    "EndpointGate",
    "EndpointLimits",
    "KEY_HEADER",
    "Limits",
    "OpenAICompatProvider",
    "Provider",
    "Reply",
    "RetryHook",
    "RetryPolicy",
    "StreamParser",
    "parse_json_reply",
    "retry_after_seconds",
]
