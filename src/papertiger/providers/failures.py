"""Failures as attempts: error completions with a code, and the API key removed first.

Redaction happens before any truncation, so a key that a server echoed across the cut
cannot survive in part.
"""

from __future__ import annotations

from papertiger.errors import ProviderError
from papertiger.schema import ChatRequest, Completion

__all__ = ["error_completion", "redact", "redact_completion"]

_REDACT_MIN_LEN = 8  # shorter "keys" ("EMPTY", "dummy") are not secrets; don't mangle text
_REDACTED = "[redacted]"
_ERROR_TEXT_MAX = 500


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of the key replaced (keys of 8 characters or more)."""
    if not secret or len(secret) < _REDACT_MIN_LEN or secret not in text:
        return text
    return text.replace(secret, _REDACTED)


def redact_completion(completion: Completion, secret: str | None) -> Completion:
    """Remove the API key from every text field a server may have echoed it into."""
    if not secret or len(secret) < _REDACT_MIN_LEN:
        return completion
    update = {}
    for name in ("text", "reasoning", "finish_reason", "error", "raw"):
        value = getattr(completion, name)
        if isinstance(value, str) and secret in value:
            update[name] = value.replace(secret, _REDACTED)
    return completion.model_copy(update=update) if update else completion


def error_completion(
    request: ChatRequest, exc: BaseException, retries: int, secret: str | None = None
) -> Completion:
    """An error attempt: the message redacted first, then cut to a readable length."""
    message = redact(f"{type(exc).__name__}: {exc}", secret)
    if len(message) > _ERROR_TEXT_MAX:
        message = message[: _ERROR_TEXT_MAX - 1] + "…"
    code = exc.code if isinstance(exc, ProviderError) else "internal"
    return Completion(
        key=request.key, status="error", error=message, error_code=code, retries=retries
    )
