"""Replies no well-behaved server sends, and replies that leak the key: faults for the
loopback server (`tests/openai_server.py`), one name each.

Shapes the OpenAI APIs allow but papertiger must still read: `parts` (content as a list of
parts), `null_content`, `refusal`. Shapes no API allows, which must become one error
attempt each: `int_content`, `int_finish`, `list_choice`. Key leaks, each putting the
request's Authorization header where a careless proxy might: `echo_finish` (into
`finish_reason`), `echo_cut` (an error message whose key straddles character 300),
`text_error` (a text/plain 500 body), `error_in_200` (an error object inside a 200 reply),
`echo_text` (the reply text itself).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

ODD_FAULTS = frozenset({
    "parts", "null_content", "refusal", "int_content", "int_finish", "list_choice",
    "echo_finish", "echo_cut", "text_error", "error_in_200", "echo_text",
})


def _key(request: web.Request) -> str:
    auth = request.headers.get("Authorization") or ""
    return auth.removeprefix("Bearer ").strip()


def _chunk(delta: dict[str, Any] | None, finish: Any = None, usage: dict | None = None) -> bytes:
    obj: dict[str, Any] = {"id": "cmpl-odd", "object": "chat.completion.chunk", "choices": []}
    if delta is not None:
        obj["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}]
    if usage is not None:
        obj["usage"] = usage
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


USAGE = {"prompt_tokens": 20, "completion_tokens": 12, "total_tokens": 32}


def _whole(message: dict[str, Any], finish: Any = "stop") -> bytes:
    return json.dumps({
        "id": "cmpl-odd", "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": USAGE,
    }).encode()


def _events(fault: str, answer: str, key: str) -> list[bytes]:
    text = f"Therefore, the answer is {answer}."
    if fault == "parts":
        first = [{"type": "text", "text": "Therefore, "}]
        rest = [{"type": "text", "text": text.removeprefix("Therefore, ")}, {"type": "image_url"}]
        deltas = [{"role": "assistant", "content": first}, {"content": rest}]
    elif fault == "null_content":
        deltas = [{"role": "assistant", "content": None}, {"content": text}, {"content": None}]
    elif fault == "refusal":
        deltas = [{"role": "assistant", "content": None, "refusal": "I cannot help with that."}]
    elif fault == "int_content":
        deltas = [{"role": "assistant", "content": 42}]
    elif fault == "echo_text":
        deltas = [{"role": "assistant", "content": f"{text} key={key}"}]
    else:
        deltas = [{"role": "assistant", "content": text}]
    finish: Any = {"int_finish": 7, "echo_finish": f"stop {key}"}.get(fault, "stop")
    events = [_chunk(d) for d in deltas]
    events.append(_chunk({}, finish))
    events.append(_chunk(None, usage=USAGE))
    return [*events, b"data: [DONE]\n\n"]


def _message(fault: str, answer: str, key: str) -> tuple[dict[str, Any], Any]:
    text = f"Therefore, the answer is {answer}."
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if fault == "parts":
        message["content"] = [{"type": "text", "text": text}, {"type": "image_url"}]
    elif fault == "null_content":
        message["content"] = None
    elif fault == "refusal":
        message = {"role": "assistant", "content": None, "refusal": "I cannot help with that."}
    elif fault == "int_content":
        message["content"] = 42
    elif fault == "echo_text":
        message["content"] = f"{text} key={key}"
    finish: Any = {"int_finish": 7, "echo_finish": f"stop {key}"}.get(fault, "stop")
    return message, finish


async def odd_reply(
    request: web.Request, body: dict[str, Any], fault: str, answer: str
) -> web.StreamResponse:
    """The reply for one odd fault (see the module doc)."""
    key = _key(request)
    if fault == "echo_cut":  # the key straddles character 300 of the message
        message = "x" * (300 - len(key) // 2) + key + " was refused"
        err = {"error": {"message": message, "type": "invalid_request_error", "code": 400}}
        return web.json_response(err, status=400)
    if fault == "text_error":
        return web.Response(status=500, text=f"upstream failed for key {key}",
                            content_type="text/plain")
    if fault == "error_in_200":
        err = {"error": {"message": f"quota exceeded for {key}", "code": 403}}
        return web.json_response(err, status=200)
    if fault == "list_choice":
        return web.Response(body=json.dumps({"choices": [["not", "a", "choice"]]}).encode(),
                            content_type="application/json")
    if not body.get("stream"):
        message, finish = _message(fault, answer, key)
        return web.Response(body=_whole(message, finish), content_type="application/json")
    resp = web.StreamResponse(headers={"Cache-Control": "no-cache"})
    resp.content_type = "text/event-stream"
    await resp.prepare(request)
    await resp.write(b"".join(_events(fault, answer, key)))
    await resp.write_eof()
    return resp
