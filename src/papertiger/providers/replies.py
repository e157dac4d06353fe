"""What a reply means: text from any shape the APIs use, the finish reason, errors in a 200,
and whole (non-streamed) JSON replies. The stream parser (`sse.py`) builds on these."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from papertiger.errors import BadReply, FatalProviderError, ProviderError, RetryableError

__all__ = ["Reply", "error_from_payload", "finish_of", "parse_json_reply", "text_of"]

Kind = Literal["chat", "completion"]
_RETRYABLE_4XX = (408, 409, 429)
_BAD_SHAPE = (ValueError, TypeError, AttributeError, IndexError, KeyError)


@dataclass
class Reply:
    """What one successful HTTP exchange produced, before it becomes a Completion."""

    text: str
    reasoning: str | None
    finish_reason: str | None
    usage: dict[str, Any]
    raw: str
    first_token_at: float | None = None
    streamed: bool = False  # the stream spanned several network reads after its first token


def error_from_payload(err: Any) -> ProviderError:
    """An `{"error": ...}` object inside a 200 reply, typed by its code when it has one."""
    message = err.get("message") if isinstance(err, dict) else err
    code = err.get("code") if isinstance(err, dict) else None
    text = f"server error in reply: {message}"  # redacted, then cut, by the provider
    if isinstance(code, int) and 400 <= code < 500 and code not in _RETRYABLE_4XX:
        return FatalProviderError(text, status=code)
    return RetryableError(text, status=code if isinstance(code, int) else None)


def text_of(value: Any, where: str) -> str | None:
    """Text from any shape the OpenAI APIs use for it: a string, null, or a list of content
    parts (`{"type": "text", "text": ...}`, also `output_text`; other part types such as
    images carry no text). Anything else is a `BadReply` naming the field."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        pieces = []
        for part in value:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict):
                text = part.get("text")
                if isinstance(text, dict):  # {"text": {"value": ...}} (Assistants-style parts)
                    text = text.get("value")
                if isinstance(text, str):
                    pieces.append(text)
                elif text is not None:
                    raise BadReply(f"unexpected reply shape: {where} part text is {type(text).__name__}")
            else:
                raise BadReply(f"unexpected reply shape: {where} part is {type(part).__name__}")
        return "".join(pieces)
    raise BadReply(f"unexpected reply shape: {where} is {type(value).__name__}, not text")


def finish_of(value: Any) -> str | None:
    """The finish reason as text (some servers send numbers or objects)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):  # {"type": "stop"} style
        inner = value.get("type")
        return inner if isinstance(inner, str) else str(value)
    return str(value)


def parse_json_reply(body: bytes, kind: Kind) -> Reply:
    """A non-streamed reply (or a server that ignored `stream`): one JSON object."""
    try:
        obj = json.loads(body)
    except ValueError as exc:
        raise RetryableError(f"malformed JSON reply: {type(exc).__name__}", code="malformed") from exc
    try:
        if not isinstance(obj, dict):
            raise BadReply(f"unexpected reply shape: a JSON {type(obj).__name__}, not an object")
        if "error" in obj and not obj.get("choices"):
            raise error_from_payload(obj["error"])
        choice = obj["choices"][0]
        if not isinstance(choice, dict):
            raise BadReply(f"unexpected reply shape: choices[0] is {type(choice).__name__}")
        if kind == "chat":
            message = choice.get("message") or {}
            if not isinstance(message, dict):
                raise BadReply(f"unexpected reply shape: message is {type(message).__name__}")
            text = text_of(message.get("content"), "message.content")
            if not text and message.get("refusal"):
                text = text_of(message.get("refusal"), "message.refusal")
            thought = message.get("reasoning_content") or message.get("reasoning")
            reasoning = text_of(thought, "message.reasoning")
        else:
            text, reasoning = text_of(choice.get("text"), "choices[0].text"), None
        usage = obj.get("usage") or {}
        finish = finish_of(choice.get("finish_reason"))
    except ProviderError:
        raise
    except _BAD_SHAPE as exc:
        raise BadReply(f"unexpected reply shape: {type(exc).__name__}: {exc}") from exc
    raw = body.decode("utf-8", "replace")
    return Reply(text or "", reasoning or None, finish, usage if isinstance(usage, dict) else {}, raw)
