"""Parse OpenAI-compatible streamed replies (SSE chunks).

The stream parser is on the hot path: a 1,024-token reply is 64 to 1,000 SSE events. Each
read's complete `data:` lines are joined into one JSON array and decoded by msgspec into
typed structs that hold only the fields a reply needs (text, refusal, reasoning, finish
reason, usage), skipping the rest in C. A read holding any other shape (content as a list
of parts, an error object, a number for a finish reason, ...) takes the general path:
plain JSON and `_Acc.absorb`, the one definition of what a chunk means; the typed path
gives exactly what it would (a test compares the two on random streams).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from papertiger.errors import BadReply, RetryableError
from papertiger.providers.replies import Reply, error_from_payload, finish_of, text_of

__all__ = ["StreamParser"]

Kind = Literal["chat", "completion"]

_DONE = b"[DONE]"
_BAD_SHAPE = (ValueError, TypeError, AttributeError, IndexError, KeyError)


class _Delta(msgspec.Struct):
    content: str | None = None
    refusal: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None


class _ChatChoice(msgspec.Struct):
    index: int = 0
    delta: _Delta | None = None
    finish_reason: str | None = None


class _TextChoice(msgspec.Struct):
    index: int = 0
    text: str | None = None
    refusal: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    finish_reason: str | None = None


class _ChatChunk(msgspec.Struct):
    choices: list[_ChatChoice] | None = None
    usage: dict[str, Any] | None = None
    error: Any = None


class _TextChunk(msgspec.Struct):
    choices: list[_TextChoice] | None = None
    usage: dict[str, Any] | None = None
    error: Any = None


_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "chat": msgspec.json.Decoder(list[_ChatChunk]),
    "completion": msgspec.json.Decoder(list[_TextChunk]),
}


@dataclass
class _Acc:
    """The deltas seen so far; `absorb` is the one definition of what a chunk means."""

    kind: Kind
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)

    def absorb(self, chunks: list[Any]) -> None:
        text, reasoning, chat = self.text, self.reasoning, self.kind == "chat"
        for chunk in chunks:
            choices = chunk.get("choices")
            if choices:
                choice = choices[0]
                if choice.get("index", 0):  # only the first choice (n > 1 is not asked for)
                    continue
                delta = choice.get("delta") if chat else choice
                if delta:
                    self._delta(delta, chat, text, reasoning)
                if choice.get("finish_reason"):
                    self.finish_reason = finish_of(choice["finish_reason"])
            elif "error" in chunk:
                raise error_from_payload(chunk["error"])
            usage = chunk.get("usage")
            if usage:
                self.usage = usage if isinstance(usage, dict) else {}

    @staticmethod
    def _delta(delta: Any, chat: bool, text: list[str], reasoning: list[str]) -> None:
        """One delta's text, refusal and reasoning; any shape the APIs use is text."""
        if not isinstance(delta, dict):
            raise BadReply(f"unexpected reply shape: delta is {type(delta).__name__}")
        piece = delta.get("content") if chat else delta.get("text")
        if piece is not None and not isinstance(piece, str):
            piece = text_of(piece, "delta.content")
        if piece:
            text.append(piece)
        refusal = delta.get("refusal")
        if refusal:
            text.append(text_of(refusal, "delta.refusal") or "")
        thought = delta.get("reasoning_content") or delta.get("reasoning")
        if thought is not None and not isinstance(thought, str):
            thought = text_of(thought, "delta.reasoning")
        if thought:
            reasoning.append(thought)



def _absorb_typed(acc: _Acc, chunks: list[Any], chat: bool) -> bool:
    """`acc.absorb` for chunks of the common shape; False (nothing taken) if any carries an
    error object, which the general path turns into the right exception."""
    if any(c.error is not None for c in chunks):
        return False
    text, reasoning = acc.text, acc.reasoning
    for chunk in chunks:
        choices = chunk.choices
        if choices and not choices[0].index:
            choice = choices[0]
            delta = choice.delta if chat else choice
            if delta is not None:
                piece = delta.content if chat else delta.text
                if piece:
                    text.append(piece)
                if delta.refusal:
                    text.append(delta.refusal)
                thought = delta.reasoning_content or delta.reasoning
                if thought:
                    reasoning.append(thought)
            if choice.finish_reason:
                acc.finish_reason = choice.finish_reason
        if chunk.usage and not (choices and choices[0].index):
            acc.usage = chunk.usage
    return True


def _payloads(block: bytes) -> list[bytes]:
    """The `data:` payloads of complete lines ("data:" then an optional space)."""
    return [
        line[6:] if line[5:6] == b" " else line[5:]
        for line in block.split(b"\n")
        if line[:5] == b"data:"
    ]


class StreamParser:
    """Accumulates one SSE stream: text, reasoning, finish reason, usage, first-token time.

    `raw` is the stream verbatim (every byte received), so it can be parsed again.
    `fast=False` turns the typed path off (for tests that compare the two).
    """

    def __init__(self, kind: Kind = "chat", *, fast: bool = True) -> None:
        self.kind: Kind = kind
        self.done = False
        self.first_token_at: float | None = None
        self._acc = _Acc(kind)
        self._reads: list[bytes] = []
        self._tail = b""
        self._decoder = _DECODERS[kind] if fast else None

    def feed(self, data: bytes, now: float) -> None:
        """Take one network read; `now` stamps a first token found in it."""
        self._reads.append(data)
        buf = self._tail + data if self._tail else data
        cut = buf.rfind(b"\n") + 1
        self._tail = buf[cut:]
        if cut:
            self._lines(buf[:cut] if cut < len(buf) else buf, now)

    def finish(self, now: float | None = None) -> Reply:
        """Close the stream; one with neither [DONE] nor a finish reason was cut short."""
        if self._tail:
            self._lines(self._tail + b"\n", now)
            self._tail = b""
        acc = self._acc
        if not self.done and acc.finish_reason is None:
            raise RetryableError("stream ended without [DONE] or finish_reason", code="cut_stream")
        raw = b"".join(self._reads).decode("utf-8", "replace")
        return Reply(
            "".join(acc.text),
            "".join(acc.reasoning) or None,
            acc.finish_reason,
            acc.usage,
            raw,
            self.first_token_at,
        )

    def _lines(self, block: bytes, now: float | None) -> None:
        if b"\r" in block:
            block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        self._take(_payloads(block), now)

    def _take(self, payloads: list[bytes], now: float | None) -> None:
        """Decode payloads (one JSON array) and absorb them; [DONE] ends the stream."""
        if _DONE in payloads:
            self.done = True
        if _DONE in payloads or b"" in payloads:
            payloads = [p for p in payloads if p and p != _DONE]
        if not payloads:
            return
        acc = self._acc
        n_before = len(acc.text) + len(acc.reasoning)
        array = b"[" + b",".join(payloads) + b"]"
        if not self._typed(array):
            try:
                acc.absorb(json.loads(array.decode()))
            except _BAD_SHAPE as exc:
                raise RetryableError(f"malformed SSE chunk: {type(exc).__name__}", code="malformed") from exc
        if self.first_token_at is None and len(acc.text) + len(acc.reasoning) > n_before:
            self.first_token_at = now

    def _typed(self, array: bytes) -> bool:
        """The typed path; False when the read needs the general one."""
        if self._decoder is None:
            return False
        try:
            chunks: list[Any] = self._decoder.decode(array)
        except msgspec.DecodeError:  # another shape, or not JSON: the general path says which
            return False
        return _absorb_typed(self._acc, chunks, self.kind == "chat")
