"""Parse OpenAI-compatible replies: streamed SSE chunks and plain JSON bodies.

The stream parser is on the hot path: a 1,024-token reply is about 1,000 SSE events, and
decoding each as a JSON object costs ~4 µs, several CPU-ms per reply. Two things keep it
cheap while giving exactly what a full parse gives:

* the general path splits a read into lines in C and decodes all its `data:` payloads with
  one `json.loads` of a JSON array;
* the template path: servers repeat one chunk shape per token, with only the text string
  changing. From a fully parsed chunk the parser learns `prefix + "..." + suffix`, and
  accepts the template only after re-parsing it with a sentinel string and with "" in
  that place gives exactly those deltas and nothing else (so JSON's grammar guarantees any
  string there parses the same way). Events that match byte for byte are then cut out
  with `bytes.split` and their strings decoded in one go; everything else takes the
  general path, in order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from papertiger.errors import BadReply, ProviderError, RetryableError
from papertiger.providers.replies import Reply, error_from_payload, finish_of, text_of

__all__ = ["StreamParser"]

Kind = Literal["chat", "completion"]
Target = Literal["text", "reasoning"]

_DONE = b"[DONE]"
_BAD_SHAPE = (ValueError, TypeError, AttributeError, IndexError, KeyError)
_LIT = re.compile(rb'"(?:[^"\\\r\n]|\\.)*"')  # one JSON string token on one line
_SENTINEL = "\u2603papertiger-sentinel"
_SENTINEL_LIT = json.dumps(_SENTINEL).encode()
_MAX_TEMPLATES = 4
_LEARN_ATTEMPTS = 16  # payloads looked at one by one, per stream
_KEY_LEN = 24
_LEARN_MIN_BYTES = 8192  # learning costs ~0.1 ms: worth it only for a read of many events


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

    def state(self) -> tuple[Any, ...]:
        return tuple(self.text), tuple(self.reasoning), self.finish_reason, self.usage


class _Template:
    """`head + "<string>" + tail` is one event whose only effect is adding to `target`.

    `key` (the end of `head`) is short, so `bytes.split` on it is quick; `glue` is what
    lies between a string and the next `key` in a run of these events.
    """

    __slots__ = ("target", "head", "tail", "sep", "key", "pre", "glue")

    def __init__(self, target: Target, head: bytes, tail: bytes) -> None:
        self.target: Target = target
        self.head, self.tail, self.sep = head, tail, tail + head
        cut = max(0, len(head) - _KEY_LEN)
        self.key, self.pre = head[cut:], head[:cut]
        self.glue = tail + self.pre


def _strings(literals: list[bytes]) -> list[str] | None:
    """Decode JSON string tokens in one go; None unless each is exactly one string."""
    joined = b",".join(literals)
    if b"\n" in joined or b"\r" in joined:
        return None
    try:
        values = json.loads((b"[" + joined + b"]").decode())
    except ValueError:
        return None
    if len(values) != len(literals) or (values and set(map(type, values)) != {str}):
        return None
    return values


def _effect(payload: bytes, kind: Kind) -> tuple[Any, ...] | None:
    try:
        acc = _Acc(kind)
        acc.absorb([json.loads(payload)])
    except (ProviderError, *_BAD_SHAPE):
        return None
    return acc.state()


def _learn(payload: bytes, kind: Kind, target: Target, piece: str) -> _Template | None:
    """Find the string that produced `piece` and prove the rest of the chunk is inert."""
    one: tuple[str, ...] = (_SENTINEL,)
    want = (one, ()) if target == "text" else ((), one)
    want_state: tuple[Any, ...] = (*want, None, {})
    for match in _LIT.finditer(payload):
        prefix, suffix = payload[: match.start()], payload[match.end() :]
        if suffix.lstrip()[:1] == b":":
            continue  # a key, not a value
        try:
            if json.loads(match.group()) != piece:
                continue
        except ValueError:
            continue
        if _effect(prefix + _SENTINEL_LIT + suffix, kind) != want_state:
            continue
        if _effect(prefix + b'""' + suffix, kind) == ((), (), None, {}):
            return _Template(target, b"data: " + prefix, suffix + b"\n\n")
    return None


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
    `fast=False` turns the template path off (for tests that compare the two).
    """

    def __init__(self, kind: Kind = "chat", *, fast: bool = True) -> None:
        self.kind: Kind = kind
        self.done = False
        self.first_token_at: float | None = None
        self._acc = _Acc(kind)
        self._reads: list[bytes] = []
        self._tail = b""
        self._templates: list[_Template] = []
        self._learn_left = _LEARN_ATTEMPTS if fast else 0

    def feed(self, data: bytes, now: float) -> None:
        """Take one network read; `now` stamps a first token found in it."""
        self._reads.append(data)
        buf = self._tail + data if self._tail else data
        cut = buf.rfind(b"\n") + 1
        self._tail = buf[cut:]
        if cut:
            self._scan(buf[:cut] if cut < len(buf) else buf, now, 0)

    def finish(self, now: float | None = None) -> Reply:
        """Close the stream; one with neither [DONE] nor a finish reason was cut short."""
        if self._tail:
            self._plain(self._tail + b"\n", now)
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

    def _scan(self, block: bytes, now: float | None, ti: int) -> None:
        """Cut runs of template `ti` out of complete lines; the rest goes to later templates."""
        if ti >= len(self._templates):
            self._plain(block, now)
        elif not self._one_run(self._templates[ti], block, now, ti):
            self._runs(self._templates[ti], block, now, ti)

    def _one_run(self, t: _Template, block: bytes, now: float | None, ti: int) -> bool:
        """The common case, checked as a whole: one run of template events in the block.

        With pieces = block.split(key): block == before + (head + s1 + tail) + ... +
        (head + sk + tail) + (head + last), if every middle piece is a string + glue.
        """
        pieces = block.split(t.key)
        if len(pieces) < 3 or not pieces[0].endswith(t.pre):
            return False
        before, mids = pieces[0][: len(pieces[0]) - len(t.pre)], pieces[1:-1]
        if before and not before.endswith(b"\n"):
            return False
        n = len(t.glue)
        literals = [m[:-n] for m in mids]
        if t.key.join(mids) != (t.glue + t.key).join(literals) + t.glue:
            return False
        strings = _strings(literals)
        if strings is None:
            return False
        if before:
            self._scan(before, now, ti + 1)
        self._add(t.target, strings, now)
        self._scan(t.head + pieces[-1], now, ti + 1)
        return True

    def _runs(self, t: _Template, block: bytes, now: float | None, ti: int) -> None:
        """Any number of runs: split on the whole separator, check piece by piece if needed."""
        pieces = block.split(t.sep)
        if len(pieces) < 3:
            self._scan(block, now, ti + 1)
            return
        # block == (p0 + tail) + (head + p1 + tail) + ... + (head + pk)
        self._scan(pieces[0] + t.tail, now, ti + 1)
        mids = pieces[1:-1]
        strings = _strings(mids)
        if strings is not None:
            self._add(t.target, strings, now)
        else:
            for mid in mids:  # rare: a piece that is not one string is not a template event
                if _LIT.fullmatch(mid):
                    self._add(t.target, [_decode_string(mid)], now)
                else:
                    self._scan(t.head + mid + t.tail, now, ti + 1)
        self._scan(t.head + pieces[-1], now, ti + 1)

    def _add(self, target: Target, strings: list[str], now: float | None) -> None:
        (self._acc.text if target == "text" else self._acc.reasoning).extend(strings)
        if self.first_token_at is None and any(strings):
            self.first_token_at = now

    def _plain(self, block: bytes, now: float | None) -> None:
        """The general path; while learning, one line at a time until a template is found."""
        if b"\r" in block:
            block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        pos = 0
        learn = self._learn_left > 0 and len(block) >= _LEARN_MIN_BYTES
        while learn and self._learn_left > 0 and pos < len(block):
            end = block.find(b"\n", pos)
            end = len(block) if end < 0 else end
            line, pos = block[pos:end], end + 1
            if line[:5] == b"data:" and self._take_and_learn(line[5:].removeprefix(b" "), now):
                self._scan(block[pos:], now, 0)
                return
        if pos < len(block):
            self._take(_payloads(block[pos:] if pos else block), now)

    def _take_and_learn(self, payload: bytes, now: float | None) -> bool:
        self._learn_left -= 1
        acc = self._acc
        n_text, n_reasoning = len(acc.text), len(acc.reasoning)
        finish, usage = acc.finish_reason, acc.usage
        self._take([payload], now)
        grew = (len(acc.text) - n_text, len(acc.reasoning) - n_reasoning)
        if grew not in ((1, 0), (0, 1)) or acc.finish_reason is not finish or acc.usage is not usage:
            return False  # only a chunk that adds one string and nothing else can be a template
        if len(self._templates) >= _MAX_TEMPLATES:
            self._learn_left = 0
            return False
        event = b"data: " + payload + b"\n\n"
        if any(event.startswith(t.head) and event.endswith(t.tail) for t in self._templates):
            return False  # a known shape, met at a read boundary
        target: Target = "text" if grew[0] else "reasoning"
        piece = acc.text[-1] if grew[0] else acc.reasoning[-1]
        template = _learn(payload, self.kind, target, piece)
        if template is None:
            return False
        self._templates.append(template)
        return True

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
        try:
            acc.absorb(json.loads((b"[" + b",".join(payloads) + b"]").decode()))
        except _BAD_SHAPE as exc:
            raise RetryableError(f"malformed SSE chunk: {type(exc).__name__}", code="malformed") from exc
        if self.first_token_at is None and len(acc.text) + len(acc.reasoning) > n_before:
            self.first_token_at = now


def _decode_string(literal: bytes) -> str:
    try:
        value = json.loads(literal)
    except ValueError as exc:
        raise RetryableError(f"malformed SSE chunk: {type(exc).__name__}", code="malformed") from exc
    return str(value)
