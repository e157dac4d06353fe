"""The local vLLM engine as a provider: `--provider vllm` (extra `papertiger[vllm]`, a GPU).

One `vllm.LLM` per model, built on first use (or by the run's preflight) with prefix
caching on, so the k samples of an item and a shared prompt template pay for their prompt
once. Each attempt is its own request with its own `SamplingParams(seed=request.seed)`:
samples differ, and a rerun repeats them. Requests that arrive within `batch_window_s` of
each other go to the engine as one `LLM.chat` (or `LLM.generate`) call, which vLLM runs
with continuous batching; every request of a call returns as soon as that call ends and
the runner stores it then, so a run is written in chunks as it goes. The engine works in
a thread of its own: the event loop (progress, commits, Ctrl-C) never waits for it.

A call holds at most the model's `concurrency` requests (set it to the batch you want on
the GPU, e.g. 256), and the next call starts when it ends, so a few very long replies hold
back the batch behind them; `papertiger serve vllm` schedules every request on its own
and is the faster choice for long reasoning runs.

Options (`provider_options`): `batch_window_s` (0.05), `max_batch` (no cap); every other
key goes to `vllm.LLM` (`tensor_parallel_size`, `gpu_memory_utilization`, `max_model_len`,
`dtype`, `seed` (default 0), `enable_prefix_caching` (default true), ...).

Sampling fields left unset take the model's generation-config defaults, as `vllm serve`
does; `max_tokens` unset means up to the context length (not vLLM's offline default of 16).

Timings: `latency_s` is the wall time of the engine call that held the request, `queue_s`
the wait before it. `ttft_s` and `output_tokens_per_s` come from the engine's per-request
metrics when it keeps them (vLLM does with `disable_log_stats = false`), else None: never
estimated.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import ModuleType
from typing import Any, TypeVar

from papertiger.errors import ConfigError, require
from papertiger.providers.base import ProviderContext, register_provider
from papertiger.schema import ChatRequest, Completion, ModelSpec

__all__ = ["VllmEngineSpec", "VllmOfflineProvider"]

T = TypeVar("T")
_OWN_OPTIONS = ("batch_window_s", "max_batch")


@dataclass(frozen=True)
class VllmEngineSpec:
    """One model's engine: the model id or path, `vllm.LLM` arguments and batching."""

    name: str
    model: str
    engine_args: Mapping[str, Any] = field(default_factory=dict)
    batch_window_s: float = 0.05
    max_batch: int | None = None

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> VllmEngineSpec:
        options = dict(spec.provider_options)
        if "model" in options:
            raise ConfigError(f"model {spec.name!r}: set the model id or path with `model = ...`, "
                              "not in provider_options")
        window = options.pop("batch_window_s", 0.05)
        cap = options.pop("max_batch", None)
        if not isinstance(window, int | float) or window < 0:
            raise ConfigError(f"model {spec.name!r}: batch_window_s must be a number of seconds ≥ 0")
        if cap is not None and (not isinstance(cap, int) or cap < 1):
            raise ConfigError(f"model {spec.name!r}: max_batch must be a whole number ≥ 1")
        args = {"enable_prefix_caching": True, "seed": 0, **options}
        return cls(spec.name, spec.endpoint_model, args, float(window), cap)


class EngineDown(Exception):
    """The engine could not be built; every request for it fails with this message."""


class _EngineThread:
    """One daemon thread runs every engine call in order (one GPU, and `LLM` is not
    thread-safe). Daemon, so Ctrl-C never waits for a long batch to finish."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def call(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="vllm-engine", daemon=True)
            self._thread.start()
        self._jobs.put((fn, loop, future))
        return await future

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, loop, future = job
            try:
                outcome, failed = fn(), False
            except BaseException as exc:  # handed to the awaiting task, never lost
                outcome, failed = exc, True
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, future, outcome, failed)

    def close(self) -> None:
        """Let the thread end after the job it is on (a later call starts a new one)."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread = None


def _settle(future: asyncio.Future[Any], outcome: Any, failed: bool) -> None:
    if future.cancelled():
        return
    if failed:
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


@dataclass
class _Pending:
    request: ChatRequest
    future: asyncio.Future[Completion]
    arrived: float


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and value > 0 else None


def engine_timings(metrics: object, tokens: int | None) -> tuple[float | None, float | None]:
    """(TTFT, output tokens/s) from a RequestOutput's metrics, vLLM V1 or V0 style; None
    where the engine kept nothing."""
    if metrics is None:
        return None, None
    ttft = _number(getattr(metrics, "first_token_latency", None))
    if ttft is None:  # V0 RequestMetrics: wall-clock times
        first, arrival = (_number(getattr(metrics, n, None)) for n in ("first_token_time", "arrival_time"))
        if first is not None and arrival is not None and first > arrival:
            ttft = first - arrival
    first_ts = _number(getattr(metrics, "first_token_ts", None) or getattr(metrics, "first_token_time", None))
    last_ts = _number(getattr(metrics, "last_token_ts", None) or getattr(metrics, "last_token_time", None))
    rate = None
    if tokens and tokens > 1 and first_ts is not None and last_ts is not None and last_ts > first_ts:
        rate = (tokens - 1) / (last_ts - first_ts)
    return ttft, rate


def _error(request: ChatRequest, message: str, code: str) -> Completion:
    return Completion(key=request.key, status="error", error=message[:500], error_code=code)


def to_completion(request: ChatRequest, output: Any, latency_s: float) -> Completion:
    """A vLLM `RequestOutput` as a Completion: text, finish reason, token counts, timings."""
    outs = getattr(output, "outputs", None) or []
    if not outs:
        return _error(request, "the vLLM engine returned no output for the request", "bad_reply")
    first = outs[0]
    finish = getattr(first, "finish_reason", None)
    if finish is None or finish == "abort":
        return _error(request, f"the vLLM engine did not finish the request ({finish})", "engine")
    token_ids = getattr(first, "token_ids", None)
    prompt_ids = getattr(output, "prompt_token_ids", None)
    completion_tokens = None if token_ids is None else len(token_ids)
    prompt_tokens = None if prompt_ids is None else len(prompt_ids)
    ttft, rate = engine_timings(getattr(output, "metrics", None), completion_tokens)
    stop = getattr(first, "stop_reason", None)
    raw = {
        "engine": "vllm", "request_id": getattr(output, "request_id", None),
        "finish_reason": finish, "stop_reason": stop if isinstance(stop, int | str) else None,
        "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
        "num_cached_tokens": getattr(output, "num_cached_tokens", None),
    }
    return Completion(
        key=request.key, status="ok", text=str(getattr(first, "text", "") or ""),
        finish_reason=str(finish), prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens, latency_s=latency_s, ttft_s=ttft,
        output_tokens_per_s=rate, raw=json.dumps(raw, default=str),
    )


class VllmOfflineProvider:
    """Serves `engines` (by catalogue name) with the local vLLM engine; see the module doc."""

    def __init__(self, engines: Mapping[str, VllmEngineSpec], vllm: ModuleType) -> None:
        self.engines = dict(engines)
        self.vllm = vllm
        self.llms: dict[str, Any] = {}
        self.calls = 0
        self._broken: dict[str, str] = {}
        self._rebuilt: set[str] = set()
        self._pending: list[_Pending] = []
        self._drainer: asyncio.Task[None] | None = None
        self._thread = _EngineThread()

    # ------------------------------------------------------------------ engine thread side
    def engine(self, name: str) -> Any:
        """The model's `vllm.LLM`, built on first use; EngineDown when it cannot be."""
        if name in self._broken:
            raise EngineDown(self._broken[name])
        llm = self.llms.get(name)
        if llm is None:
            spec = self.engines[name]
            try:
                llm = self.vllm.LLM(model=spec.model, **spec.engine_args)
            except Exception as exc:
                self._broken[name] = (f"the vLLM engine for {spec.model!r} did not start: "
                                      f"{type(exc).__name__}: {exc}")
                raise EngineDown(self._broken[name]) from None
            self.llms[name] = llm
        return llm

    def _sampling(self, llm: Any, request: ChatRequest) -> Any:
        s = request.sampling
        try:  # the model's generation_config defaults, as `vllm serve` applies them
            defaults = dict(llm.llm_engine.model_config.get_diff_sampling_param() or {})
        except Exception:
            defaults = {}
        ours = {"temperature": s.temperature, "top_p": s.top_p}
        kwargs = {**defaults, **{k: v for k, v in ours.items() if v is not None}}
        kwargs.update(n=1, seed=request.seed, max_tokens=s.max_tokens, **s.extra)
        return self.vllm.SamplingParams(**kwargs)

    def _call(self, llm: Any, requests: Sequence[ChatRequest], params: list[Any]) -> list[Any]:
        self.calls += 1
        if requests[0].kind == "completion":
            return list(llm.generate([r.prompt or "" for r in requests], params, use_tqdm=False))
        effort = requests[0].sampling.reasoning_effort
        extra = {} if effort is None else {"chat_template_kwargs": {"reasoning_effort": effort}}
        conversations = [[dict(m) for m in r.messages] for r in requests]
        return list(llm.chat(conversations, params, use_tqdm=False, **extra))

    def run_group(self, name: str, requests: Sequence[ChatRequest]) -> list[Completion]:
        """One engine call for requests of one model and kind (runs in the engine thread)."""
        started = time.monotonic()
        try:
            llm = self.engine(name)
        except EngineDown as exc:
            return [_error(r, str(exc), "engine_start") for r in requests]
        done: dict[str, Completion] = {}
        good: list[tuple[ChatRequest, Any]] = []
        for r in requests:
            try:
                good.append((r, self._sampling(llm, r)))
            except (TypeError, ValueError) as exc:
                done[r.key] = _error(r, f"vllm.SamplingParams refused the sampling: {exc}", "bad_request")
        if good:
            done.update(self._generate(name, llm, good, started))
        return [done[r.key] for r in requests]

    def _generate(self, name: str, llm: Any, good: list[tuple[ChatRequest, Any]],
                  started: float) -> dict[str, Completion]:
        batch = [r for r, _ in good]
        try:
            outputs = self._call(llm, batch, [p for _, p in good])
            if len(outputs) != len(batch):
                raise RuntimeError(f"{len(outputs)} outputs for {len(batch)} requests")
        except Exception as exc:
            if type(exc).__name__ == "EngineDeadError":
                self._engine_died(name, exc)
            elif len(good) > 1:  # one bad prompt (too long, ...) must not fail the batch
                singles = (self._generate(name, llm, [pair], time.monotonic()) for pair in good)
                return {key: c for single in singles for key, c in single.items()}
            message = f"vLLM engine error: {type(exc).__name__}: {exc}"
            return {r.key: _error(r, message, "engine") for r in batch}
        latency = time.monotonic() - started
        return {r.key: to_completion(r, out, latency) for r, out in zip(batch, outputs, strict=True)}

    def _engine_died(self, name: str, exc: Exception) -> None:
        """Drop a dead engine so the next call builds a new one, once per model."""
        self.llms.pop(name, None)
        if name in self._rebuilt:
            self._broken[name] = f"the vLLM engine died twice: {type(exc).__name__}: {exc}"
        self._rebuilt.add(name)

    # ------------------------------------------------------------------ event loop side
    async def complete(self, request: ChatRequest) -> Completion:
        """Queue the request for the next engine call and wait for its completion."""
        if request.model not in self.engines:
            return _error(request, f"no vllm model {request.model!r}", "internal")
        loop = asyncio.get_running_loop()
        pending = _Pending(request, loop.create_future(), time.monotonic())
        self._pending.append(pending)
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return await pending.future

    def _take(self) -> tuple[str, list[_Pending]]:
        """The oldest request's model, and up to its `max_batch` requests, in arrival order."""
        self._pending = [p for p in self._pending if not p.future.done()]
        if not self._pending:
            return "", []
        name = self._pending[0].request.model
        cap = self.engines[name].max_batch or len(self._pending)
        mine = [p for p in self._pending if p.request.model == name][:cap]
        taken = {id(p) for p in mine}
        self._pending = [p for p in self._pending if id(p) not in taken]
        return name, mine

    async def _drain(self) -> None:
        backlog = False
        while self._pending:
            if not backlog:  # let requests arriving together share a call
                await asyncio.sleep(min(self.engines[p.request.model].batch_window_s
                                        for p in self._pending))
            name, batch = self._take()
            groups: dict[tuple[str, str | None], list[_Pending]] = {}
            for p in batch:
                groups.setdefault((p.request.kind, p.request.sampling.reasoning_effort), []).append(p)
            for group in groups.values():
                await self._run(name, group)
            backlog = bool(self._pending)

    async def _run(self, name: str, group: list[_Pending]) -> None:
        requests = [p.request for p in group]
        try:
            completions = await self._thread.call(partial(self._timed, name, requests))
        except Exception as exc:  # a bug here must fail these attempts, not hang them
            completions = [(None, _error(r, f"{type(exc).__name__}: {exc}", "internal")) for r in requests]
        for p, (started, completion) in zip(group, completions, strict=True):
            if started is not None:
                completion = completion.model_copy(update={"queue_s": max(0.0, started - p.arrived)})
            if not p.future.done():
                p.future.set_result(completion)

    def _timed(self, name: str, requests: list[ChatRequest]) -> list[tuple[float | None, Completion]]:
        started = time.monotonic()
        return [(started, c) for c in self.run_group(name, requests)]

    async def preflight(self) -> list[str]:
        """Build every model's engine before the run starts; problems, one line each."""
        problems = []
        for name in self.engines:
            try:
                await self._thread.call(partial(self.engine, name))
            except EngineDown as exc:
                problems.append(f"model {name!r}: {exc}")
        return problems

    async def aclose(self) -> None:
        """Stop the engine thread and let the engines go (a running call is abandoned)."""
        if self._drainer is not None:
            self._drainer.cancel()
        self._thread.close()
        self.llms.clear()


def _vllm_factory(models: Sequence[ModelSpec], context: ProviderContext) -> VllmOfflineProvider:
    vllm = require("vllm", "vllm", "--provider vllm (the local vLLM engine)")
    return VllmOfflineProvider({m.name: VllmEngineSpec.from_spec(m) for m in models}, vllm)


register_provider("vllm", _vllm_factory)
