"""papertiger's own OpenAI-compatible loopback server, for tests and the benchmark.

    python tests/openai_server.py --port 0 --latency-ms 500 --tokens 1024
        prints the bound port on its first stdout line, serves until SIGTERM/SIGINT
    with running_server(tokens=16, faults=["429"]) as url: ...
        in-process (own thread and loop); `url` is "http://127.0.0.1:PORT/v1", a str that
        also carries `url.server` (the log, the fault schedule, the in-flight high-water mark)

Replies are deterministic and cheap: precomputed SSE events, one token per event by
default (like vLLM), `reasoning_content` deltas before the content, usage with
`completion_tokens_details.reasoning_tokens`, text ending "Therefore, the answer is N.".
N is `expected_answer(prompt, seed)`, or, for a prompt in `answers`, the right answer with
probability `p_correct` (drawn from the seed, the prompt and the request's seed).

Faults, one per request: the next entry of `faults` ("ok" for none), else the first
matching `rules` entry, else a `fail_rate` draw. Names: "429" (with Retry-After), "500",
"503" or any status code, "slow" (sleeps `slow_s`), "drop" (closes without a response),
"malformed" (200 with broken JSON), "cut" (SSE closed halfway), "truncate" (SSE ends
cleanly halfway, no [DONE]). Control over HTTP: GET /_log, GET /_stats, POST /_faults
({"faults": [...], "rules": [...], "fail_rate": x}), POST /_reset.
A "memorising" model (`memorised`, `memorise_models`) and a chat-only server (`chat_only`)
for the memorisation probe: see `memorising.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import hashlib
import json
import queue
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from typing import Any

from aiohttp import web

try:  # run as a script (the benchmark) or imported by path from the tests
    from memorising import memorised_reply
    from odd_replies import ODD_FAULTS, odd_reply
except ImportError:  # pragma: no cover
    import sys as _sys
    from pathlib import Path as _Path

    _sys.path.insert(0, str(_Path(__file__).resolve().parent))
    from memorising import memorised_reply
    from odd_replies import ODD_FAULTS, odd_reply

CREATED = int(time.time())
_ID = "cmpl-papertiger-0000000000"  # cached events carry this; each reply gets its own id
_FILLER_TEXT = (
    "Let us denote the unknown by x and check each case modulo seven , then count the "
    "remaining configurations by symmetry and subtract the boundary terms ."
)
_THOUGHT_TEXT = "Hmm , first I should try small cases and look for a pattern ."
_FILLER, _THOUGHT = _FILLER_TEXT.split(), _THOUGHT_TEXT.split()


def _unit(*parts: object) -> float:
    """A deterministic draw in [0, 1) from the parts."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def expected_answer(prompt: str, seed: int = 0) -> int:
    """The answer (0-999) the server gives for a prompt that is not in `answers`."""
    return int(_unit("answer", seed, prompt) * 1000)


@dataclass
class FaultRule:
    """Inject `fault` into requests whose prompt contains / key equals the given values."""

    fault: str
    prompt_contains: str | None = None
    key: str | None = None
    times: int | None = None  # None: every matching request
    probability: float = 1.0


@dataclass
class ServerOptions:
    """Everything a test can set; also the CLI flags."""

    latency_ms: float = 0.0
    tokens: int = 32
    reasoning_tokens: int = 8
    reasoning_field: str = "reasoning_content"
    tokens_per_chunk: int = 1
    chunk_interval_ms: float = 0.0
    seed: int = 0
    answers: dict[str, Any] = field(default_factory=dict)
    p_correct: float = 1.0
    model: str = "fake-model"
    force_json: bool = False  # answer streaming requests with a plain JSON body
    retry_after: float | str | None = 1.0
    slow_s: float = 30.0
    echo_auth: bool = False  # put the Authorization header into error messages (a bad proxy)
    faults: list[str] = field(default_factory=list)
    rules: list[FaultRule] = field(default_factory=list)
    fail_rate: float = 0.0
    fail_faults: tuple[str, ...] = ("429", "500", "503")
    served_models: tuple[str, ...] = ()  # what GET /v1/models lists (empty: any id is served)
    require_key: str | None = None  # answer 401 unless "Authorization: Bearer <this>"
    memorised: dict[str, str] = field(default_factory=dict)  # text → tail (memorising.py)
    memorise_models: tuple[str, ...] = ()  # model ids that recall `memorised` texts
    chat_only: bool = False  # /v1/completions answers 404
    fault_messages: dict[str, str] = field(default_factory=dict)  # fault → error message


def _rules(rules: list[Any]) -> list[FaultRule]:
    """Private copies (their `times` count down), from FaultRule objects or dicts."""
    return [replace(r) if isinstance(r, FaultRule) else FaultRule(**r) for r in rules]


class FakeOpenAI:
    """The server's state, shared with the test thread (hence the lock)."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self._lock = threading.Lock()
        self._log: list[dict[str, Any]] = []
        self._per_key: Counter[str] = Counter()
        self._schedule: deque[str] = deque(options.faults)
        self._rules = _rules(options.rules)
        self.in_flight = 0
        self.max_in_flight = 0

    def set_faults(
        self, faults: list[str] | None = None, rules: list[Any] | None = None,
        fail_rate: float | None = None,
    ) -> None:
        """Replace the fault schedule and/or rules (dicts or FaultRule)."""
        with self._lock:
            if faults is not None:
                self._schedule = deque(faults)
            if rules is not None:
                self._rules = _rules(rules)
            if fail_rate is not None:
                self.options.fail_rate = fail_rate

    def log(self) -> list[dict[str, Any]]:
        """Every request so far, oldest first (copies)."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    def requests_for(self, key: str) -> int:
        with self._lock:
            return self._per_key[key]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": len(self._log), "in_flight": self.in_flight,
                    "max_in_flight": self.max_in_flight, "per_key": dict(self._per_key)}

    def reset(self) -> None:
        with self._lock:
            self._log.clear()
            self._per_key.clear()
            self.max_in_flight = self.in_flight

    def begin(self, request: web.Request, path: str, body: dict[str, Any], prompt: str) -> dict:
        key = request.headers.get("X-Papertiger-Key")
        with self._lock:
            n = len(self._log) + 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if key is not None:
                self._per_key[key] += 1
            entry = {
                "n": n, "time": time.time(), "path": path, "key": key,
                "key_count": self._per_key[key] if key is not None else None,
                "seed": body.get("seed"), "model": body.get("model"),
                "stream": bool(body.get("stream")), "prompt": prompt, "body": body,
                "authorization": request.headers.get("Authorization"),
                "fault": self._choose_fault(n, prompt, key), "in_flight": self.in_flight,
                "status": None, "end_time": None,
            }
            self._log.append(entry)
        return entry

    def end(self, entry: dict[str, Any], status: int | None) -> None:
        with self._lock:
            self.in_flight -= 1
            entry["status"], entry["end_time"] = status, time.time()

    def _choose_fault(self, n: int, prompt: str, key: str | None) -> str | None:
        if self._schedule:
            fault = self._schedule.popleft()
            return None if fault in ("", "ok", "none") else fault
        for i, rule in enumerate(self._rules):
            if rule.prompt_contains is not None and rule.prompt_contains not in prompt:
                continue
            if (rule.key is not None and rule.key != key) or rule.times == 0:
                continue
            if _unit("rule", self.options.seed, n, i) >= rule.probability:
                continue
            if rule.times is not None:
                rule.times -= 1
            return rule.fault
        opts = self.options
        if opts.fail_rate > 0 and _unit("fail", opts.seed, n) < opts.fail_rate:
            return opts.fail_faults[int(_unit("which", opts.seed, n) * len(opts.fail_faults))]
        return None


# ---------------------------------------------------------------- reply text and events
def _words(pool: tuple[str, ...] | list[str], n: int) -> list[str]:
    return (list(pool) * (n // len(pool) + 1))[:n]


def _pieces(words: list[str], k: int, lead: bool) -> list[str]:
    """Group words k to a piece; every piece but the very first starts with a space."""
    out = []
    for j in range(0, len(words), k):
        piece = " ".join(words[j : j + k])
        out.append(" " + piece if (j or lead) else piece)
    return out


def _event(chat: bool, model: str, delta: dict | None, finish: str | None = None,
           usage: dict | None = None) -> bytes:
    obj: dict[str, Any] = {
        "id": _ID,
        "object": "chat.completion.chunk" if chat else "text_completion",
        "created": CREATED, "model": model, "choices": [],
    }
    if delta is not None:
        choice = {"index": 0, "delta": delta} if chat else {"index": 0, **delta}
        obj["choices"] = [{**choice, "logprobs": None, "finish_reason": finish}]
    if usage is not None:
        obj["usage"] = usage
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


@functools.lru_cache(maxsize=256)
def _cached_events(chat: bool, model: str, name: str, pool: str, n: int,
                   k: int) -> tuple[bytes, ...]:
    """The events of n words of a pool, k to an event: built once, sent many times."""
    words = _words(_THOUGHT if pool == "thought" else _FILLER, n)
    return tuple(_event(chat, model, {name: p}) for p in _pieces(words, k, False))


@dataclass
class Plan:
    """One reply: how many reasoning and filler tokens, the closing words, finish, usage."""

    reasoning: int
    filler: int
    tail: list[str]
    finish: str
    usage: dict[str, Any]


def _prompt_of(body: dict[str, Any], chat: bool) -> str:
    if not chat:
        prompt = body["prompt"]
        return prompt if isinstance(prompt, str) else json.dumps(prompt)
    for message in reversed(body["messages"]):
        if message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


def _wrong(expected: Any, u: float) -> str:
    text = str(expected).strip()
    if text.lstrip("-").isdigit():
        return str((int(text) + 1 + int(u * 998)) % 1000)
    return text + "0"


class Replier:
    """Turns a request into a reply plan and its bytes, honouring max_tokens."""

    def __init__(self, options: ServerOptions) -> None:
        self.o = options

    def answer(self, prompt: str, sample_seed: Any) -> str:
        expected = self.o.answers.get(prompt)
        if expected is None:
            return str(expected_answer(prompt, self.o.seed))
        u = _unit("correct", self.o.seed, prompt, sample_seed)
        return str(expected) if u < self.o.p_correct else _wrong(expected, u)

    def plan(self, body: dict[str, Any], prompt: str, chat: bool) -> Plan:
        reasoning, tokens = (self.o.reasoning_tokens if chat else 0), self.o.tokens
        tail = f"Therefore, the answer is {self.answer(prompt, body.get('seed'))}.".split()
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if isinstance(limit, int) and 0 < limit < reasoning + tokens:
            reasoning = min(reasoning, limit)
            filler, tail, finish = limit - reasoning, [], "length"
        else:
            filler, finish = max(0, tokens - len(tail)), "stop"
        out = reasoning + filler + len(tail)
        text = json.dumps(body.get("messages") or body.get("prompt"))
        prompt_tokens = len(text) // 4 + 1
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": out,
                 "total_tokens": prompt_tokens + out,
                 "completion_tokens_details": {"reasoning_tokens": reasoning}}
        return Plan(reasoning, filler, tail, finish, usage)

    def events(self, plan: Plan, body: dict[str, Any], chat: bool) -> list[bytes]:
        model, k = str(body.get("model") or self.o.model), max(1, self.o.tokens_per_chunk)
        name = "content" if chat else "text"
        out = [_event(chat, model, {"role": "assistant", "content": ""})] if chat else []
        if plan.reasoning:
            out += _cached_events(chat, model, self.o.reasoning_field, "thought",
                                  plan.reasoning, k)
        out += _cached_events(chat, model, name, "filler", plan.filler, k)
        out += [_event(chat, model, {name: p}) for p in _pieces(plan.tail, k, plan.filler > 0)]
        out.append(_event(chat, model, {} if chat else {"text": ""}, plan.finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            out.append(_event(chat, model, None, usage=plan.usage))
        out.append(b"data: [DONE]\n\n")
        return out

    def json_body(self, plan: Plan, body: dict[str, Any], chat: bool) -> bytes:
        text = " ".join(_words(_FILLER, plan.filler) + plan.tail)
        choice: dict[str, Any] = {"index": 0, "logprobs": None, "finish_reason": plan.finish}
        if chat:
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if plan.reasoning:
                message[self.o.reasoning_field] = " ".join(_words(_THOUGHT, plan.reasoning))
            choice["message"] = message
        else:
            choice["text"] = text
        obj = {"id": _ID,
               "object": "chat.completion" if chat else "text_completion", "created": CREATED,
               "model": body.get("model") or self.o.model, "choices": [choice],
               "usage": plan.usage}
        return json.dumps(obj).encode()


# ---------------------------------------------------------------- HTTP handlers
def _error_response(status: int, message: str, options: ServerOptions) -> web.Response:
    headers = {}
    if status in (429, 503) and options.retry_after is not None:
        ra = options.retry_after
        headers["Retry-After"] = ra if isinstance(ra, str) else f"{ra:g}"
    kind = {429: "rate_limit_error", 400: "invalid_request_error"}.get(status, "server_error")
    body = {"error": {"message": message, "type": kind, "param": None, "code": status}}
    return web.json_response(body, status=status, headers=headers)


class Handlers:
    def __init__(self, state: FakeOpenAI) -> None:
        self.state = state
        self.replier = Replier(state.options)

    async def generate(self, request: web.Request) -> web.StreamResponse:
        chat = request.path.endswith("/chat/completions")
        try:
            body = json.loads(await request.read())
            prompt = _prompt_of(body, chat)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return _error_response(400, f"bad request: {exc!r}", self.state.options)
        entry = self.state.begin(request, request.path, body, prompt)
        status: int | None = None
        try:
            rid = b"cmpl-%021d" % entry["n"]
            resp = await self._respond(request, body, prompt, chat, entry["fault"], rid)
            status = resp.status if resp is not None else None
            return resp if resp is not None else web.Response()
        finally:
            self.state.end(entry, status)

    async def _respond(self, request: web.Request, body: dict[str, Any], prompt: str,
                       chat: bool, fault: str | None, rid: bytes) -> web.StreamResponse | None:
        o = self.state.options
        if o.require_key is not None and request.headers.get("Authorization") != f"Bearer {o.require_key}":
            return _error_response(401, "invalid API key", o)
        if o.served_models and body.get("model") not in o.served_models:
            return _error_response(404, f"model {body.get('model')!r} not found", o)
        if fault == "slow":
            await asyncio.sleep(o.slow_s)
        elif fault == "drop":
            request.transport.close()  # type: ignore[union-attr]
            return None
        elif fault in ODD_FAULTS:
            return await odd_reply(request, body, fault, self.replier.answer(prompt, body.get("seed")))
        elif fault == "malformed":
            broken = b'{"id": "chatcmpl-broken", "choices": [{"index": 0, "mess'
            return web.Response(body=broken, content_type="application/json")
        elif fault is not None and fault.isdigit():
            message = o.fault_messages.get(fault, f"injected {fault}")
            if o.echo_auth:
                message += f" (got {request.headers.get('Authorization')})"
            return _error_response(int(fault), message, o)
        memorised = await memorised_reply(request, body, prompt, chat, o)
        if memorised is not None:
            return memorised
        if o.latency_ms > 0:
            await asyncio.sleep(o.latency_ms / 1000)
        plan = self.replier.plan(body, prompt, chat)
        if not body.get("stream") or o.force_json:
            body_bytes = self.replier.json_body(plan, body, chat).replace(_ID.encode(), rid)
            return web.Response(body=body_bytes, content_type="application/json")
        events = self.replier.events(plan, body, chat)
        return await self._stream(request, events, fault, rid)

    async def _stream(self, request: web.Request, events: list[bytes], fault: str | None,
                      rid: bytes) -> web.StreamResponse | None:
        resp = web.StreamResponse(headers={"Cache-Control": "no-cache"})
        resp.content_type = "text/event-stream"
        await resp.prepare(request)
        if fault in ("cut", "truncate"):
            events = events[: len(events) // 2]
        interval = self.state.options.chunk_interval_ms / 1000
        if interval > 0:
            for event in events:
                await resp.write(event.replace(_ID.encode(), rid))
                await asyncio.sleep(interval)
        else:
            await resp.write(b"".join(events).replace(_ID.encode(), rid))
        if fault == "cut":
            request.transport.close()  # type: ignore[union-attr]
            return None
        await resp.write_eof()
        return resp

    async def get_models(self, request: web.Request) -> web.Response:
        """The model list (not logged: it is not a completion request)."""
        o = self.state.options
        if o.require_key is not None and request.headers.get("Authorization") != f"Bearer {o.require_key}":
            return _error_response(401, "invalid API key", o)
        with self.state._lock:
            self.state.models_requests = getattr(self.state, "models_requests", 0) + 1
        data = [{"id": m, "object": "model", "owned_by": "papertiger-test"} for m in o.served_models]
        return web.json_response({"object": "list", "data": data})

    async def get_log(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.log())

    async def get_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.stats())

    async def post_faults(self, request: web.Request) -> web.Response:
        spec = await request.json()
        self.state.set_faults(spec.get("faults"), spec.get("rules"), spec.get("fail_rate"))
        return web.json_response({"ok": True})

    async def post_reset(self, request: web.Request) -> web.Response:
        self.state.reset()
        return web.json_response({"ok": True})


def make_app(state: FakeOpenAI) -> web.Application:
    h = Handlers(state)
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", h.generate)
    app.router.add_post("/v1/completions", h.generate)
    app.router.add_get("/v1/models", h.get_models)
    app.router.add_get("/_log", h.get_log)
    app.router.add_get("/_stats", h.get_stats)
    app.router.add_post("/_faults", h.post_faults)
    app.router.add_post("/_reset", h.post_reset)
    return app


async def start_server(state: FakeOpenAI, host: str = "127.0.0.1",
                       port: int = 0) -> tuple[web.AppRunner, int]:
    """Serve on the running loop; returns the runner (for cleanup) and the bound port."""
    runner = web.AppRunner(make_app(state), access_log=None, shutdown_timeout=0.2)
    await runner.setup()
    await web.TCPSite(runner, host, port, backlog=4096).start()
    return runner, runner.addresses[0][1]


# ---------------------------------------------------------------- in-process and CLI
class ServerURL(str):
    """The base URL "http://127.0.0.1:PORT/v1", carrying the server state as `.server`."""

    server: FakeOpenAI

    def __new__(cls, url: str, server: FakeOpenAI) -> ServerURL:
        self = super().__new__(cls, url)
        self.server = server
        return self


def _serve_in_thread(loop: asyncio.AbstractEventLoop, state: FakeOpenAI,
                     started: queue.Queue, stop: asyncio.Event) -> None:
    asyncio.set_event_loop(loop)

    async def main() -> None:
        try:
            runner, port = await start_server(state)
        except BaseException as exc:
            started.put(exc)
            raise
        started.put(port)
        await stop.wait()
        await runner.cleanup()

    with contextlib.suppress(BaseException):
        loop.run_until_complete(main())
    loop.close()


@contextlib.contextmanager
def running_server(**options: Any) -> Iterator[ServerURL]:
    """Run the server in a background thread with its own loop; yield its base URL."""
    state = FakeOpenAI(ServerOptions(**options))
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    started: queue.Queue = queue.Queue()
    thread = threading.Thread(target=_serve_in_thread, args=(loop, state, started, stop),
                              name="openai-server", daemon=True)
    thread.start()
    port = started.get(timeout=30)
    if isinstance(port, BaseException):
        thread.join(5)
        raise port
    try:
        yield ServerURL(f"http://127.0.0.1:{port}/v1", state)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)


def _load_answers(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    with open(path, encoding="utf-8") as f:
        return dict(json.load(f))


def parse_args(argv: list[str] | None = None) -> tuple[str, int, ServerOptions]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1", choices=["127.0.0.1", "localhost", "::1"])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--answers", help="a JSON file: {prompt: expected answer}")
    ap.add_argument("--faults", default="", help="comma-separated schedule, one per request")
    ap.add_argument("--fail-faults", default="429,500,503")
    ap.add_argument("--force-json", action="store_true")
    simple = {f.name: f for f in fields(ServerOptions)
              if f.type in ("float", "int", "str") or f.name == "retry_after"}
    for name, f in simple.items():
        kind = {"int": int, "str": str}.get(str(f.type), float)
        ap.add_argument("--" + name.replace("_", "-"), type=kind, default=f.default)
    ns = ap.parse_args(argv)
    options = ServerOptions(**{name: getattr(ns, name) for name in simple})
    options.answers = _load_answers(ns.answers)
    options.faults = [x.strip() for x in ns.faults.split(",") if x.strip()]
    options.fail_faults = tuple(x.strip() for x in ns.fail_faults.split(",") if x.strip())
    options.force_json = ns.force_json
    return ns.host, ns.port, options


async def _serve_forever(host: str, port: int, options: ServerOptions) -> None:
    runner, bound = await start_server(FakeOpenAI(options), host, port)
    print(bound, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    host, port, options = parse_args(argv)
    asyncio.run(_serve_forever(host, port, options))


if __name__ == "__main__":
    main()
