"""A "memorising" model for the loopback server (`tests/openai_server.py`): the probe's fake.

`ServerOptions.memorised` maps texts the model has "seen in training" (problem statements)
to what it says after one (e.g. its answer, or ""); `memorise_models` names the endpoint
model ids that memorised them. For such a model, a completions prompt or a chat message
that ends with the start of a memorised text (at least `MIN_PREFIX` characters of it; the
probe's chat instruction ends with the prefix) is answered with the exact rest of that text
and then its memorised tail; every other request, including one holding a whole memorised
text, gets the server's generic reply.
`ServerOptions.chat_only` makes /v1/completions answer 404, as chat-only APIs do.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

MIN_PREFIX = 12  # characters: a shorter overlap is chance, not recall


def _known_prefix(text: str, prompt: str) -> int:
    """The length of the longest start of `text` that occurs in `prompt` (0: none)."""
    lo, hi = 0, len(text)  # "text[:k] occurs in prompt" holds for every k up to the answer
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text[:mid] in prompt:
            lo = mid
        else:
            hi = mid - 1
    return lo


def continuation(prompt: str, memorised: dict[str, str]) -> str | None:
    """The memorised rest (and tail) of the text whose start `prompt` ends with, if any."""
    best, rest = 0, None
    end = prompt.rstrip()
    for text, tail in memorised.items():
        body = text.strip()
        k = _known_prefix(body, end)
        if MIN_PREFIX <= k < len(body) and k > best and end.endswith(body[:k]):
            best, rest = k, body[k:] + (tail or "")
    return rest


def _usage(prompt: str, text: str) -> dict[str, int]:
    p, c = len(prompt) // 4 + 1, len(text.split()) + 1
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def _sse(obj: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


async def _reply(request: web.Request, body: dict[str, Any], chat: bool, prompt: str,
                 text: str) -> web.StreamResponse:
    model, usage = body.get("model"), _usage(prompt, text)
    if not body.get("stream"):
        choice: dict[str, Any] = {"index": 0, "finish_reason": "stop"}
        if chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        kind = "chat.completion" if chat else "text_completion"
        return web.json_response({"id": "cmpl-memorised", "object": kind, "model": model,
                                  "choices": [choice], "usage": usage})
    kind = "chat.completion.chunk" if chat else "text_completion"

    def chunk(piece: dict[str, Any] | None, finish: str | None = None) -> bytes:
        obj: dict[str, Any] = {"id": "cmpl-memorised", "object": kind, "model": model,
                               "choices": []}
        if piece is not None:
            part = {"delta": piece} if chat else piece
            obj["choices"] = [{"index": 0, **part, "finish_reason": finish}]
        return _sse(obj)

    name = "content" if chat else "text"
    events = [chunk({name: text}), chunk({} if chat else {"text": ""}, "stop")]
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append(_sse({"id": "cmpl-memorised", "object": kind, "choices": [],
                            "usage": usage}))
    resp = web.StreamResponse(headers={"Cache-Control": "no-cache"})
    resp.content_type = "text/event-stream"
    await resp.prepare(request)
    await resp.write(b"".join(events) + b"data: [DONE]\n\n")
    await resp.write_eof()
    return resp


async def memorised_reply(request: web.Request, body: dict[str, Any], prompt: str, chat: bool,
                          options: Any) -> web.StreamResponse | None:
    """The reply of a memorising model, a chat-only 404, or None (the generic reply)."""
    if not chat and getattr(options, "chat_only", False):
        err = {"error": {"message": "This is a chat model and not supported in the "
                                    "v1/completions endpoint", "type": "invalid_request_error",
                         "code": 404}}
        return web.json_response(err, status=404)
    if body.get("model") not in getattr(options, "memorise_models", ()):
        return None
    rest = continuation(prompt, getattr(options, "memorised", {}))
    if rest is None:
        return None
    return await _reply(request, body, chat, prompt, rest)
