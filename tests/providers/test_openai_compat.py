"""The OpenAI-compatible provider against the project's own server, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest

from papertiger.errors import FatalProviderError, ProviderError, RateLimited, RetryableError
from papertiger.providers import (
    Endpoint,
    EndpointLimits,
    OpenAICompatProvider,
    RetryPolicy,
    StreamParser,
    retry_after_seconds,
    sse,
)
from papertiger.schema import ChatRequest, Completion, ModelSpec, SamplingParams

pytestmark = pytest.mark.timeout(60)

SERVER_PATH = Path(__file__).resolve().parents[1] / "openai_server.py"
FAST = RetryPolicy(max_attempts=3, backoff_s=0.01, backoff_max_s=0.05, budget_s=30)
PROMPT = "What is 6 times 7?"
KEY_VAR = "PAPERTIGER_TEST_KEY"
SECRET = "sk-test-0123456789abcdefSECRET"


def _server_module() -> ModuleType:
    """tests/ is not a package: load the server module by path, once."""
    if "openai_server" not in sys.modules:
        spec = importlib.util.spec_from_file_location("openai_server", SERVER_PATH)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["openai_server"] = module
        spec.loader.exec_module(module)
    return sys.modules["openai_server"]


server = _server_module()
running_server = server.running_server


ENDPOINT_FIELDS = ("api_key_env", "timeout_s", "stream")


def make_request(url: str, **kw: Any) -> tuple[ChatRequest, Endpoint]:
    """A request for the model 'fake', and the endpoint that serves it (the provider's)."""
    endpoint: dict[str, Any] = {"base_url": str(url), "model": "fake-model", "timeout_s": 5.0}
    endpoint.update({k: kw.pop(k) for k in ENDPOINT_FIELDS if k in kw})
    fields: dict[str, Any] = {
        "key": "b2:attempt-1",
        "model": "fake",
        "messages": ({"role": "user", "content": PROMPT},),
        "seed": 1234,
    }
    fields.update(kw)
    return ChatRequest(**fields), Endpoint(**endpoint)


async def _complete(
    pairs: list[tuple[ChatRequest, Endpoint]], **provider_kw: Any
) -> list[Completion]:
    provider_kw.setdefault("retry", FAST)
    endpoints = {request.model: endpoint for request, endpoint in pairs}
    async with OpenAICompatProvider(endpoints, **provider_kw) as provider:
        return list(await asyncio.gather(*(provider.complete(r) for r, _ in pairs)))


def complete(url: str, provider_kw: dict[str, Any] | None = None, **request_kw: Any) -> Completion:
    return asyncio.run(_complete([make_request(url, **request_kw)], **(provider_kw or {})))[0]


def answer_tail(prompt: str = PROMPT, seed: int = 0) -> str:
    return f"Therefore, the answer is {server.expected_answer(prompt, seed)}."


# ---------------------------------------------------------------- success paths
def test_non_streaming_request_when_asked() -> None:
    with running_server(tokens=12, reasoning_tokens=3) as url:
        c = complete(url, stream=False)
        (entry,) = url.server.log()
    assert "stream" not in entry["body"]
    assert c.status == "ok" and c.text is not None and c.text.endswith(answer_tail())
    assert c.reasoning and c.completion_tokens == 12 + 3 and c.ttft_s is None


def test_stream_success_text_reasoning_usage_timings_raw() -> None:
    with running_server(tokens=12, reasoning_tokens=3, latency_ms=40, chunk_interval_ms=4) as url:
        c = complete(url)
        (entry,) = url.server.log()
    assert c.status == "ok" and c.error is None and c.retries == 0
    assert c.text is not None and c.text.endswith(answer_tail())
    assert c.reasoning == "Hmm , first"
    assert c.finish_reason == "stop"
    assert (c.prompt_tokens, c.completion_tokens, c.reasoning_tokens) == (entry_tokens(entry), 15, 3)
    assert c.ttft_s is not None and c.latency_s is not None and c.output_tokens_per_s is not None
    assert 0.035 <= c.ttft_s < c.latency_s
    assert c.latency_s - c.ttft_s > 0.03  # a dozen events 4 ms apart after the first token
    assert c.output_tokens_per_s == pytest.approx(15 / (c.latency_s - c.ttft_s), rel=0.05)
    assert c.raw is not None and "data: [DONE]" in c.raw and '"reasoning_content"' in c.raw
    assert entry["stream"] and entry["body"]["stream_options"] == {"include_usage": True}
    assert entry["key"] == "b2:attempt-1" and entry["key_count"] == 1
    assert entry["path"] == "/v1/chat/completions"


def entry_tokens(entry: dict[str, Any]) -> int:
    return len(json.dumps(entry["body"]["messages"])) // 4 + 1


def test_reasoning_field_named_reasoning_is_captured() -> None:
    with running_server(tokens=8, reasoning_tokens=4, reasoning_field="reasoning") as url:
        c = complete(url)
    assert c.reasoning == "Hmm , first I" and c.text is not None and c.text.endswith(answer_tail())


def test_plain_json_reply_to_a_stream_request() -> None:
    with running_server(tokens=10, reasoning_tokens=2, force_json=True) as url:
        c = complete(url)
        (entry,) = url.server.log()
    assert entry["stream"] is True
    assert c.status == "ok" and c.text is not None and c.text.endswith(answer_tail())
    assert c.reasoning == "Hmm ,"
    assert (c.completion_tokens, c.reasoning_tokens, c.finish_reason) == (12, 2, "stop")
    assert c.ttft_s is None and c.output_tokens_per_s is None and c.latency_s is not None
    assert c.raw is not None and json.loads(c.raw)["choices"][0]["message"]["content"] == c.text


def test_completion_endpoint() -> None:
    with running_server(tokens=9) as url:
        c = complete(url, kind="completion", prompt="Continue: 1, 2, 3,", messages=())
        (entry,) = url.server.log()
    assert entry["path"] == "/v1/completions" and entry["body"]["prompt"] == "Continue: 1, 2, 3,"
    assert c.status == "ok" and c.text is not None
    assert c.text.endswith(answer_tail("Continue: 1, 2, 3,")) and c.reasoning is None
    assert c.completion_tokens == 9 and c.ttft_s is not None


def test_max_tokens_gives_finish_reason_length() -> None:
    with running_server(tokens=40, reasoning_tokens=2) as url:
        c = complete(url, sampling=SamplingParams(max_tokens=6, temperature=0.6))
        (entry,) = url.server.log()
    assert entry["body"]["max_tokens"] == 6 and entry["body"]["temperature"] == 0.6
    assert (c.status, c.finish_reason, c.completion_tokens) == ("ok", "length", 6)
    assert c.text is not None and "answer" not in c.text


def test_seed_is_sent_and_answers_are_deterministic() -> None:
    answers = {PROMPT: 42}
    with running_server(tokens=8, answers=answers, p_correct=0.5, seed=3) as url:
        runs = [complete(url, seed=s, key=f"b2:k{s}") for s in range(12) for _ in range(2)]
        seeds = [e["seed"] for e in url.server.log()]
    assert seeds == [s for s in range(12) for _ in range(2)]
    texts = [c.text for c in runs]
    assert texts[0::2] == texts[1::2]  # same seed, same reply
    right = sum(t is not None and t.endswith("answer is 42.") for t in texts[0::2])
    assert 0 < right < 12  # p_correct=0.5: some right, some wrong
    with running_server(tokens=8) as url:
        complete(url, seed=None)
        assert "seed" not in url.server.log()[0]["body"]


# ---------------------------------------------------------------- retries and errors
def test_429_waits_at_least_retry_after_then_succeeds() -> None:
    calls: list[tuple[str, str, int]] = []

    def on_retry(request: ChatRequest, error: ProviderError, attempt: int) -> None:
        calls.append((request.key, type(error).__name__, attempt))

    with running_server(tokens=8, faults=["429"], retry_after=0.25) as url:
        c = complete(url, {"on_retry": on_retry})
        log = url.server.log()
    assert (c.status, c.retries) == ("ok", 1)
    assert [e["fault"] for e in log] == ["429", None]
    assert log[1]["time"] - log[0]["end_time"] >= 0.24
    assert calls == [("b2:attempt-1", "RateLimited", 1)]
    assert [e["key_count"] for e in log] == [1, 2]


def test_503_retry_after_is_honoured_too() -> None:
    with running_server(tokens=8, faults=["503"], retry_after=0.3) as url:
        c = complete(url)
        log = url.server.log()
    assert (c.status, c.retries) == ("ok", 1)
    assert log[1]["time"] - log[0]["end_time"] >= 0.29


def test_500_then_success() -> None:
    with running_server(tokens=8, faults=["500"]) as url:
        c = complete(url)
        assert url.server.requests_for("b2:attempt-1") == 2
    assert (c.status, c.retries) == ("ok", 1) and c.text is not None


def test_503_until_retries_run_out_is_an_error_completion() -> None:
    with running_server(tokens=8, faults=["503"] * 5) as url:
        c = complete(url)
        assert len(url.server.log()) == 3
    assert c.status == "error" and c.retries == 2
    assert c.error is not None and c.error.startswith("RetryableError: HTTP 503")
    assert c.text is None and c.reasoning is None and c.raw is None


def test_slow_reply_times_out_and_is_retried() -> None:
    with running_server(tokens=8, faults=["slow"], slow_s=5) as url:
        started = time.perf_counter()
        c = complete(url, timeout_s=0.3)
        elapsed = time.perf_counter() - started
    assert (c.status, c.retries) == ("ok", 1)
    assert 0.3 <= elapsed < 2.0


def test_dropped_connection_is_retried() -> None:
    with running_server(tokens=8, faults=["drop"]) as url:
        c = complete(url)
        assert [e["fault"] for e in url.server.log()] == ["drop", None]
    assert (c.status, c.retries) == ("ok", 1)


def test_malformed_json_is_retried_then_an_error() -> None:
    with running_server(tokens=8, faults=["malformed"]) as url:
        assert (complete(url).status, complete(url, key="b2:other").retries) == ("ok", 0)
    with running_server(tokens=8, faults=["malformed"] * 3) as url:
        c = complete(url)
    assert c.status == "error" and c.retries == 2
    assert c.error is not None and c.error.startswith("RetryableError: malformed JSON reply")


@pytest.mark.parametrize("fault", ["cut", "truncate"])
def test_stream_cut_halfway_is_retried_and_the_complete_reply_kept(fault: str) -> None:
    with running_server(tokens=30, reasoning_tokens=4) as url:
        clean = complete(url)
    with running_server(tokens=30, reasoning_tokens=4, faults=[fault]) as url:
        c = complete(url)
        assert [e["fault"] for e in url.server.log()] == [fault, None]
    assert (c.status, c.retries) == ("ok", 1)
    assert (c.text, c.reasoning, c.completion_tokens) == (clean.text, clean.reasoning, 34)
    assert c.raw is not None and c.raw.rstrip().endswith("data: [DONE]")


def test_400_is_fatal_without_retry() -> None:
    with running_server(tokens=8, faults=["400", "400"]) as url:
        c = complete(url)
        assert len(url.server.log()) == 1
    assert c.status == "error" and c.retries == 0
    assert c.error == "FatalProviderError: HTTP 400: injected 400"


def test_unreachable_endpoint_is_an_error_completion() -> None:
    with running_server() as url:
        dead = str(url)
    c = complete(dead, {"retry": RetryPolicy(max_attempts=2, backoff_s=0.01)})
    assert c.status == "error" and c.retries == 1
    assert c.error is not None and c.error.startswith("RetryableError: connection failed")
    bad = complete("ftp://127.0.0.1:9/v1")
    assert bad.status == "error" and bad.retries == 0
    assert bad.error is not None and bad.error.startswith("FatalProviderError: invalid URL")


# ---------------------------------------------------------------- secrets
def test_api_key_sent_as_bearer_and_never_in_the_completion(monkeypatch: Any) -> None:
    monkeypatch.setenv(KEY_VAR, SECRET)
    with running_server(tokens=8, faults=["401"], echo_auth=True) as url:
        bad = complete(url, api_key_env=KEY_VAR)
        good = complete(url, api_key_env=KEY_VAR)
        log = url.server.log()
    assert [e["authorization"] for e in log] == [f"Bearer {SECRET}"] * 2
    assert bad.status == "error" and bad.error is not None and "[redacted]" in bad.error
    assert good.status == "ok"
    for c in (bad, good):
        assert SECRET not in json.dumps(c.model_dump()) and SECRET not in repr(c)


def test_missing_key_variable_is_a_clear_error_without_a_request(monkeypatch: Any) -> None:
    monkeypatch.delenv(KEY_VAR, raising=False)
    with running_server(tokens=8) as url:
        c = complete(url, api_key_env=KEY_VAR)
        plain = complete(url)
        log = url.server.log()
    assert c.status == "error" and c.retries == 0
    assert c.error == f"FatalProviderError: environment variable {KEY_VAR} (API key) is not set or empty"
    assert len(log) == 1 and log[0]["authorization"] is None and plain.status == "ok"


# ---------------------------------------------------------------- limits
def test_concurrency_limit_is_respected() -> None:
    with running_server(tokens=8, latency_ms=60) as url:
        requests = [make_request(url, key=f"b2:k{i}") for i in range(12)]
        limits = {str(url): EndpointLimits(concurrency=3)}
        out = asyncio.run(_complete(requests, limits=limits))
        assert url.server.stats()["max_in_flight"] == 3
    assert all(c.status == "ok" for c in out)


def test_rpm_limit_spaces_requests() -> None:
    with running_server(tokens=4) as url:
        requests = [make_request(url, key=f"b2:k{i}") for i in range(4)]
        limits = EndpointLimits(concurrency=10, rpm=600)  # one every 0.1 s
        asyncio.run(_complete(requests, default_limits=limits))
        times = [e["time"] for e in url.server.log()]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.08 and times[-1] - times[0] >= 0.28


def test_endpoint_limits_from_model_spec() -> None:
    spec = ModelSpec(name="m", base_url="http://x/v1", concurrency=7, rpm=90)
    assert EndpointLimits.from_spec(spec) == EndpointLimits(concurrency=7, rpm=90)
    with pytest.raises(ValueError):
        EndpointLimits(concurrency=0)


def test_retry_after_parsing() -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds("2") == 2.0 and retry_after_seconds("0.25") == 0.25
    assert 28 <= (retry_after_seconds(soon) or 0) <= 30
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


# ---------------------------------------------------------------- the server out of process
async def _http(method: str, url: str, body: Any = None) -> Any:
    async with aiohttp.ClientSession() as session, session.request(method, url, json=body) as r:
        assert r.status == 200
        return await r.json()


def test_server_as_a_subprocess_with_http_control() -> None:
    cmd = [sys.executable, str(SERVER_PATH), "--port", "0", "--tokens", "8", "--faults", "500"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        root = f"http://127.0.0.1:{int(proc.stdout.readline())}"
        first = complete(root + "/v1")
        asyncio.run(_http("POST", root + "/_faults", {"faults": ["400"]}))
        second = complete(root + "/v1", key="b2:two")
        log = asyncio.run(_http("GET", root + "/_log"))
        stats = asyncio.run(_http("GET", root + "/_stats"))
    finally:
        proc.terminate()
        proc.wait(10)
    assert (first.status, first.retries) == ("ok", 1)
    assert second.status == "error" and second.retries == 0
    assert [(e["fault"], e["key"]) for e in log] == [
        ("500", "b2:attempt-1"), (None, "b2:attempt-1"), ("400", "b2:two")
    ]
    assert stats["per_key"] == {"b2:attempt-1": 2, "b2:two": 1}


# ---------------------------------------------------------------- the SSE parser itself
TRICKY = [
    " the", " x", "", '"', "\\", "\n", "\r\n", "data: [DONE]", '},"logprobs":null,"finish_reason":null}]}',
    '\n\ndata: {"id":"c"', '"delta":{"content":', "é", "☃", "😀", "\u2028", "\\u0041", " 42.", "\t",
]


def _chunk(rng: random.Random, base: dict[str, Any], delta: dict[str, Any] | None,
           finish: str | None = None, usage: dict[str, Any] | None = None) -> bytes:
    obj = dict(base, choices=[] if delta is None else [
        {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}])
    if usage is not None:
        obj["usage"] = usage
    style = base["_style"]  # per stream: compact or spaced JSON, escaped or raw non-ASCII
    obj.pop("_style")
    return json.dumps(obj, ensure_ascii=style & 1 == 1,
                      separators=(",", ":") if style & 2 else (", ", ": ")).encode()


def _random_stream(rng: random.Random) -> tuple[list[bytes], str, str]:
    """A vLLM-like stream with odd events mixed in, and the text and reasoning it carries."""
    base = {"id": f"chatcmpl-{rng.randrange(10**6)}", "object": "chat.completion.chunk",
            "created": 1_700_000_000, "model": "m", "_style": rng.randrange(4)}
    thinking = rng.choice(["reasoning_content", "reasoning"])
    pieces = [rng.choice(TRICKY) if rng.random() < 0.3 else f" w{rng.randrange(50)}"
              for _ in range(rng.randrange(0, 400))]
    n_reasoning = rng.randrange(0, len(pieces) + 1)
    payloads = [_chunk(rng, base, {"role": "assistant", "content": ""})]
    for i, piece in enumerate(pieces):
        field = thinking if i < n_reasoning else "content"
        roll = rng.random()
        if roll < 0.02:  # odd events: another shape, a comment, a doubled delta
            payloads.append(_chunk(rng, dict(base, created=1), {field: piece}))
        elif roll < 0.04:
            payloads.append(b": keep-alive")
            payloads.append(_chunk(rng, base, {field: piece}))
        elif roll < 0.045:  # content as a list of parts: the general path's shape
            payloads.append(_chunk(rng, base, {field: [{"type": "text", "text": piece}]}))
        elif roll < 0.047:  # a second choice's delta is not this reply's
            payloads.append(json.dumps({"choices": [{"index": 1, "delta": {"content": "x"}}],
                                        "usage": {"bogus": 1}}).encode())
            payloads.append(_chunk(rng, base, {field: piece}))
        elif roll < 0.05 and i < n_reasoning:
            payloads.append(_chunk(rng, base, {"reasoning_content": piece, "reasoning": piece}))
        else:
            payloads.append(_chunk(rng, base, {field: piece}))
    payloads.append(_chunk(rng, base, {}, "stop"))
    payloads.append(_chunk(rng, base, None, usage={"completion_tokens": len(pieces)}))
    payloads.append(b"[DONE]")
    nl = b"\r\n" if rng.random() < 0.1 else b"\n"
    data = b"data:" if rng.random() < 0.1 else b"data: "
    events = [p if p.startswith(b":") else data + p for p in payloads]
    body = b"".join(e + nl + nl for e in events)
    cuts = sorted(rng.sample(range(1, len(body)), k=min(len(body) - 1, rng.choice([1, 3, 40]))))
    reads = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    return reads, "".join(pieces[n_reasoning:]), "".join(pieces[:n_reasoning])


def _parse(reads: list[bytes], fast: bool) -> tuple[Any, ...]:
    parser = StreamParser("chat", fast=fast)
    for i, data in enumerate(reads):
        parser.feed(data, float(i))
    reply = parser.finish(float(len(reads)))
    return reply.text, reply.reasoning, reply.finish_reason, reply.usage, reply.first_token_at


def test_typed_fast_path_equals_the_plain_parse() -> None:
    rng = random.Random(20260601)
    for _ in range(150):
        reads, text, reasoning = _random_stream(rng)
        fast, plain = _parse(reads, True), _parse(reads, False)
        assert fast == plain
        assert fast[:2] == (text, reasoning or None)


def test_common_chunks_take_the_typed_path(monkeypatch: Any) -> None:
    """The usual shape never reaches the general path (whose json.loads is switched off)."""
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("general path used")
    monkeypatch.setattr(sse.json, "loads", refuse)
    parser = StreamParser("chat")
    parser.feed(b'data: {"choices": [{"index": 0, "delta": {"content": "a", "x": [1]}}]}\n\n'
                b'data: {"choices": [{"index": 0, "delta": {"reasoning_content": "r"}}]}\n\n', 1.0)
    parser.feed(b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],'
                b' "usage": {"completion_tokens": 2}}\n\ndata: [DONE]\n\n', 2.0)
    reply = parser.finish(3.0)
    assert (reply.text, reply.reasoning, reply.finish_reason, reply.usage, reply.first_token_at) \
        == ("a", "r", "stop", {"completion_tokens": 2}, 1.0)


def test_stream_error_events_are_typed() -> None:
    with pytest.raises(RetryableError):
        StreamParser().feed(b'data: {"error": {"message": "boom", "code": 500}}\n\n', 0.0)
    with pytest.raises(FatalProviderError):
        StreamParser().feed(b'data: {"error": {"message": "bad", "code": 400}}\n\n', 0.0)
    with pytest.raises(RetryableError, match="malformed SSE"):
        StreamParser().feed(b"data: {not json}\n\n", 0.0)
    parser = StreamParser()
    parser.feed(b'data: {"choices": [{"index": 0, "delta": {"content": "hi"}}]}\n\n', 0.0)
    with pytest.raises(RetryableError, match="without"):
        parser.finish()
    assert issubclass(RateLimited, RetryableError)


def test_sampled_streaming_streams_one_request_in_eight_by_key() -> None:
    from papertiger.providers.endpoints import STREAM_SAMPLE_EVERY

    with running_server(tokens=12, chunk_interval_ms=1) as url:
        pairs = [make_request(url, key=f"b2:s{i}", stream="sample") for i in range(160)]
        out = asyncio.run(_complete(pairs, limits={str(url): EndpointLimits(concurrency=32)}))
        log = url.server.log()
    streamed = {e["body"].get("stream") is True for e in log}
    assert streamed == {True, False}
    chosen = {p[0].key for p in pairs if p[1].streams(p[0].key)}
    assert 160 / STREAM_SAMPLE_EVERY / 2 < len(chosen) < 160 / STREAM_SAMPLE_EVERY * 2
    assert sum(e["stream"] for e in log) == len(chosen)
    assert all(c.status == "ok" for c in out)
    timed = {r.key for r, c in zip((p[0] for p in pairs), out, strict=True) if c.ttft_s is not None}
    assert timed == chosen  # only the streamed requests carry a time to first token
    again = [make_request(url, key=f"b2:s{i}", stream="sample")[1].streams(f"b2:s{i}")
             for i in range(160)]
    assert {f"b2:s{i}" for i, s in enumerate(again) if s} == chosen  # a resume chooses alike


# ---------------------------------------------------------------- timings measured right
def test_ttft_counts_from_the_written_request_and_the_queue_carries_the_wait() -> None:
    """More requests than the endpoint lets through at once: the wait is queue time, and
    TTFT stays the server's own delay."""
    delay = 0.15
    with running_server(tokens=24, latency_ms=delay * 1000, chunk_interval_ms=2) as url:
        requests = [make_request(url, key=f"b2:q{i}") for i in range(12)]
        limits = {str(url): EndpointLimits(concurrency=3)}
        out = asyncio.run(_complete(requests, limits=limits))
    assert all(c.status == "ok" for c in out)
    ttfts = sorted(c.ttft_s or 0 for c in out)
    queues = sorted(c.queue_s or 0 for c in out)
    assert all(abs(t - delay) < 0.02 for t in ttfts), ttfts  # within 20 ms of the server's delay
    assert queues[-1] > 3 * delay * 0.8  # the last ones waited about three rounds
    assert all(c.output_tokens_per_s is not None for c in out)  # streamed over several reads


def test_no_tokens_per_second_when_the_stream_arrives_in_one_read() -> None:
    with running_server(tokens=24) as url:  # no pause between events: one network read
        c = complete(url)
    assert c.status == "ok" and c.ttft_s is not None
    assert c.output_tokens_per_s is None
