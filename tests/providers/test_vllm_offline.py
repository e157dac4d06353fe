"""The offline vLLM provider against a stand-in `vllm` module with vLLM's interface (`LLM`,
`SamplingParams`, `RequestOutput`), through a real `papertiger.runner.run` into a store."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runner"))
from runner_helpers import answers_for, make_data_dir, write_models  # noqa: E402

from papertiger.benchmarks import load_suite  # noqa: E402
from papertiger.config import load_catalogue  # noqa: E402
from papertiger.errors import ConfigError, MissingExtra  # noqa: E402
from papertiger.prompts import get_template  # noqa: E402
from papertiger.providers import ProviderContext, create_provider  # noqa: E402
from papertiger.providers.vllm_offline import VllmOfflineProvider, engine_timings  # noqa: E402
from papertiger.runner import RunSpec, run  # noqa: E402
from papertiger.schema import ChatRequest, ModelSpec, SamplingParams  # noqa: E402
from papertiger.store import open_store  # noqa: E402

pytestmark = pytest.mark.timeout(60)


# ---------------------------------------------------------------------- the stand-in module
@dataclass
class CompletionOutput:
    index: int
    text: str
    token_ids: list[int]
    cumulative_logprob: float | None
    logprobs: Any
    finish_reason: str | None = None
    stop_reason: int | str | None = None


class RequestOutput:
    def __init__(self, request_id: str, prompt: str | None, prompt_token_ids: list[int] | None,
                 prompt_logprobs: Any, outputs: list[CompletionOutput], finished: bool,
                 metrics: Any = None, lora_request: Any = None, num_cached_tokens: int | None = None,
                 **kwargs: Any) -> None:
        self.request_id, self.prompt, self.prompt_token_ids = request_id, prompt, prompt_token_ids
        self.prompt_logprobs, self.outputs, self.finished = prompt_logprobs, outputs, finished
        self.metrics, self.num_cached_tokens = metrics, num_cached_tokens


class SamplingParamsStandIn:
    FIELDS: ClassVar[set[str]] = {"n", "seed", "temperature", "top_p", "top_k", "min_p",
                                  "max_tokens", "stop", "presence_penalty", "repetition_penalty"}

    def __init__(self, **kwargs: Any) -> None:
        unknown = set(kwargs) - self.FIELDS
        if unknown:
            raise TypeError(f"__init__() got an unexpected keyword argument {sorted(unknown)[0]!r}")
        self.n, self.seed, self.max_tokens = kwargs.get("n", 1), kwargs.get("seed"), kwargs.get("max_tokens", 16)
        self.temperature, self.top_p = kwargs.get("temperature", 1.0), kwargs.get("top_p", 1.0)
        self.top_k = kwargs.get("top_k", 0)
        if self.temperature < 0:
            raise ValueError(f"temperature must be non-negative, got {self.temperature}.")


class EngineDeadError(Exception):
    pass


@dataclass
class Call:
    method: str
    prompts: list[str]
    params: list[Any]
    thread: str
    kwargs: dict[str, Any]
    stored: int | None  # rows in the store when the call began


@dataclass
class Behaviour:
    answers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    fail_start: str | None = None
    bad_prompt: str | None = None  # a prompt containing this fails validation (ValueError)
    dead_prompt: str | None = None  # ... kills the engine (EngineDeadError)
    defaults: dict[str, Any] = field(default_factory=dict)  # the model's generation_config
    metrics: Any = None
    db: Path | None = None
    engines: list[StandInLLM] = field(default_factory=list)


class StandInLLM:
    behaviour: ClassVar[Behaviour]

    def __init__(self, model: str, **kwargs: Any) -> None:
        self.model, self.kwargs, self.calls = model, kwargs, []
        if self.behaviour.fail_start:
            raise RuntimeError(self.behaviour.fail_start)
        defaults = self.behaviour.defaults
        self.llm_engine = types.SimpleNamespace(
            model_config=types.SimpleNamespace(get_diff_sampling_param=lambda: dict(defaults)))
        self.behaviour.engines.append(self)

    def chat(self, messages: list[list[dict[str, str]]], sampling_params: Any = None,
             use_tqdm: bool = True, chat_template_kwargs: dict[str, Any] | None = None,
             **kwargs: Any) -> list[RequestOutput]:
        if chat_template_kwargs is not None:
            kwargs["chat_template_kwargs"] = chat_template_kwargs
        return self._run("chat", [c[-1]["content"] for c in messages], sampling_params, use_tqdm, kwargs)

    def generate(self, prompts: list[str], sampling_params: Any = None, *, use_tqdm: bool = True,
                 **kwargs: Any) -> list[RequestOutput]:
        return self._run("generate", list(prompts), sampling_params, use_tqdm, kwargs)

    def _run(self, method: str, prompts: list[str], params: Any, use_tqdm: bool,
             kwargs: dict[str, Any]) -> list[RequestOutput]:
        assert use_tqdm is False and isinstance(params, list) and len(params) == len(prompts)
        b = self.behaviour
        self.calls.append(Call(method, prompts, params, threading.current_thread().name, kwargs,
                               _rows(b.db)))
        if b.dead_prompt and any(b.dead_prompt in p for p in prompts):
            raise EngineDeadError("EngineCore encountered an issue. See stack trace for the root cause.")
        if b.bad_prompt and any(b.bad_prompt in p for p in prompts):
            raise ValueError("The decoder prompt is longer than the maximum model length")
        time.sleep(b.delay_s)
        return [self._reply(i, p, s) for i, (p, s) in enumerate(zip(prompts, params, strict=True))]

    def _reply(self, i: int, prompt: str, params: Any) -> RequestOutput:
        gold = self.behaviour.answers.get(prompt, "0")
        right = params.seed is not None and params.seed % 2 == 0
        answer = gold if right else str((int(gold) + 1) % 1000)
        text = f"Let me work through it step by step. The answer is \\boxed{{{answer}}}."
        n = len(text.split())
        finish = "length" if params.max_tokens is not None and params.max_tokens < n else "stop"
        out = CompletionOutput(0, text, list(range(n)), None, None, finish)
        return RequestOutput(str(i), None, list(range(len(prompt) // 4)), None, [out], True,
                             metrics=self.behaviour.metrics, num_cached_tokens=0)


def _rows(db: Path | None) -> int | None:
    if db is None or not db.exists():
        return None
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(con.execute("SELECT count(*) FROM attempts").fetchone()[0])
    except sqlite3.OperationalError:
        return None
    finally:
        con.close()


def standin(**behaviour: Any) -> types.ModuleType:
    """A fresh `vllm` module whose LLM behaves as told."""
    module = types.ModuleType("vllm")
    llm = type("LLM", (StandInLLM,), {"behaviour": Behaviour(**behaviour)})
    module.LLM = llm  # type: ignore[attr-defined]
    module.SamplingParams = SamplingParamsStandIn  # type: ignore[attr-defined]
    module.RequestOutput = RequestOutput  # type: ignore[attr-defined]
    return module


@pytest.fixture
def install(monkeypatch: pytest.MonkeyPatch):
    def put(**behaviour: Any) -> types.ModuleType:
        module = standin(**behaviour)
        monkeypatch.setitem(sys.modules, "vllm", module)
        return module

    return put


def engines(module: types.ModuleType) -> list[StandInLLM]:
    return module.LLM.behaviour.engines  # type: ignore[attr-defined, no-any-return]


def request(key: str, content: str = "What is 6 times 7?", **kw: Any) -> ChatRequest:
    return ChatRequest(key=key, model=kw.pop("model", "local"),
                       messages=({"role": "user", "content": content},), **kw)


def provider_for(**options: Any) -> VllmOfflineProvider:
    spec = ModelSpec(name="local", model="org/local-model", provider="vllm", provider_options=options)
    made = create_provider("vllm", [spec], ProviderContext())
    assert isinstance(made, VllmOfflineProvider)
    return made


async def complete_all(provider: VllmOfflineProvider, requests: list[ChatRequest]):
    try:
        return await asyncio.gather(*(provider.complete(r) for r in requests))
    finally:
        await provider.aclose()


# ---------------------------------------------------------------------- tests
def make_spec(tmp_path: Path, data_dir: Path, **kw: Any) -> RunSpec:
    catalogue = load_catalogue(write_models(tmp_path / "models.toml", "http://127.0.0.1:9/v1"))
    return RunSpec(
        models=(catalogue["fake-cn"], catalogue["fake-us"]),
        suite=load_suite("aime", data_dir=data_dir, forms=["aime2024", "aime2025"]),
        samples=2, templates=(get_template("boxed", "integer"),), db=tmp_path / "results.db",
        provider="vllm", **kw,
    )


def test_a_run_through_the_engine_is_stored_in_chunks(tmp_path: Path, install: Any) -> None:
    data_dir = make_data_dir(tmp_path)
    spec = make_spec(tmp_path, data_dir, concurrency=8)
    module = install(answers=answers_for(data_dir), delay_s=0.05, db=spec.db)
    summary = run(spec)
    assert (summary.ok, summary.errors) == (240, 0)
    built = engines(module)
    assert sorted(e.model for e in built) == ["fake-cn-endpoint", "fake-us-endpoint"]  # once each
    for engine in built:
        assert engine.kwargs == {"enable_prefix_caching": True, "seed": 0}
        calls = engine.calls
        assert {c.thread for c in calls} == {"vllm-engine"}  # never on the event loop's thread
        assert {c.method for c in calls} == {"chat"}
        sizes = [len(c.prompts) for c in calls]
        assert sum(sizes) == 120 and max(sizes) <= 8 and max(sizes) > 1  # batched, capped
        seen = [(p, s.seed) for c in calls for p, s in zip(c.prompts, c.params, strict=True)]
        assert len(set(seen)) == 120 and {seed for _, seed in seen} == {0, 1}  # one seed each
    stored = [c.stored for e in built for c in e.calls if c.stored is not None]
    assert any(0 < n < 240 for n in stored)  # written while the run went on, not at its end
    with open_store(spec.db) as store:
        frame = store.attempts_frame()
    assert len(frame) == 240 and (frame["status"] == "ok").all()
    assert frame["completion_tokens"].gt(0).all() and frame["prompt_tokens"].gt(0).all()
    assert frame["latency_s"].gt(0).all() and frame["ttft_s"].isna().all()
    assert frame["finish_reason"].eq("stop").all()
    assert frame["correct"].astype(float).mean() == 0.5  # the stand-in is right on even seeds
    assert summary.ok == run(spec).done_before  # resume: nothing is sent again


def test_through_the_cli(tmp_path: Path, install: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from papertiger.cli import main

    data_dir = make_data_dir(tmp_path)
    module = install(answers=answers_for(data_dir))
    models = write_models(tmp_path / "models.toml", "http://127.0.0.1:9/v1")
    db = tmp_path / "cli.db"
    monkeypatch.setattr(sys, "argv", ["papertiger", "run", "--provider", "vllm", "--models",
                                      str(models), "--model", "fake-us", "--data", str(data_dir),
                                      "--forms", "aime2025", "--samples", "1", "--db", str(db)])
    main()  # exit 0: no failed attempts
    assert sum(len(c.prompts) for e in engines(module) for c in e.calls) == 30
    with open_store(db) as store:
        assert len(store.attempts_frame()) == 30


def test_each_batch_returns_as_soon_as_it_finishes(install: Any) -> None:
    module = install(delay_s=0.2)
    provider = provider_for(max_batch=2)
    finished: dict[str, float] = {}

    async def one(r: ChatRequest) -> None:
        await provider.complete(r)
        finished[r.key] = time.monotonic()

    async def go() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        beat = asyncio.create_task(ticker())
        await asyncio.gather(*(one(request(f"k{i}", seed=i)) for i in range(6)))
        beat.cancel()
        await provider.aclose()
        return ticks

    began = time.monotonic()
    ticks = asyncio.run(go())
    total = time.monotonic() - began
    assert [len(c.prompts) for c in engines(module)[0].calls] == [2, 2, 2]
    assert min(finished.values()) - began < total - 0.3  # the first pair did not wait for the last
    assert ticks > 0.5 * total / 0.01  # the event loop kept running while the engine worked


def test_sampling_defaults_overrides_and_extra_fields(install: Any) -> None:
    module = install(defaults={"temperature": 0.6, "top_p": 0.95})
    provider = provider_for()
    requests = [
        request("plain", seed=5),
        request("set", seed=6, sampling=SamplingParams(temperature=0.0, max_tokens=4, extra={"top_k": 20})),
        request("unknown", seed=7, sampling=SamplingParams(extra={"logit_bias_x": 1})),
    ]
    plain, chosen, unknown = asyncio.run(complete_all(provider, requests))
    params = {c.prompts[0] + str(p.seed): p for c in engines(module)[0].calls for p in c.params}
    first = next(p for p in params.values() if p.seed == 5)
    assert (first.temperature, first.top_p, first.max_tokens) == (0.6, 0.95, None)  # no 16-token cap
    second = next(p for p in params.values() if p.seed == 6)
    assert (second.temperature, second.top_p, second.max_tokens, second.top_k) == (0.0, 0.95, 4, 20)
    assert plain.status == "ok" and chosen.finish_reason == "length"
    assert unknown.status == "error" and unknown.error_code == "bad_request"
    assert "logit_bias_x" in (unknown.error or "")


def test_completion_requests_use_generate_and_effort_goes_to_the_template(install: Any) -> None:
    module = install()
    provider = provider_for()
    plain = ChatRequest(key="c", model="local", kind="completion", prompt="2 + 2 =", seed=1)
    effort = request("e", seed=2, sampling=SamplingParams(reasoning_effort="high"))
    results = asyncio.run(complete_all(provider, [plain, effort]))
    assert [r.status for r in results] == ["ok", "ok"]
    calls = engines(module)[0].calls
    assert {c.method for c in calls} == {"generate", "chat"}
    chat = next(c for c in calls if c.method == "chat")
    assert chat.kwargs == {"chat_template_kwargs": {"reasoning_effort": "high"}}


def test_one_bad_prompt_fails_alone(install: Any) -> None:
    install(bad_prompt="TOO LONG")
    provider = provider_for()
    results = asyncio.run(complete_all(provider, [request("a", "fine", seed=1),
                                                  request("b", "TOO LONG", seed=2),
                                                  request("c", "also fine", seed=3)]))
    assert [r.status for r in results] == ["ok", "error", "ok"]
    assert results[1].error_code == "engine" and "maximum model length" in (results[1].error or "")


def test_a_dead_engine_is_rebuilt_once_then_reported(install: Any) -> None:
    module = install(dead_prompt="KILL")

    async def go() -> list[Any]:
        provider = provider_for()
        out = [await provider.complete(request("a", "KILL", seed=1)),
               await provider.complete(request("b", "fine", seed=2)),
               await provider.complete(request("c", "KILL", seed=3)),
               await provider.complete(request("d", "fine", seed=4))]
        await provider.aclose()
        return out

    dead, rebuilt, dead_again, broken = asyncio.run(go())
    assert (dead.status, rebuilt.status, dead_again.status) == ("error", "ok", "error")
    assert len(engines(module)) == 2
    assert broken.status == "error" and "died twice" in (broken.error or "")


def test_an_engine_that_cannot_start_fails_preflight_and_every_attempt(tmp_path: Path, install: Any) -> None:
    install(fail_start="CUDA out of memory")
    provider = provider_for()
    assert asyncio.run(provider.preflight()) == [
        "model 'local': the vLLM engine for 'org/local-model' did not start: "
        "RuntimeError: CUDA out of memory"]
    result = asyncio.run(complete_all(provider, [request("x", seed=1)]))[0]
    assert result.status == "error" and result.error_code == "engine_start"
    data_dir = make_data_dir(tmp_path)
    with pytest.raises(ConfigError, match="preflight: model 'fake-cn': the vLLM engine"):
        run(make_spec(tmp_path, data_dir))


def test_metrics_give_ttft_and_decode_speed_when_the_engine_keeps_them(install: Any) -> None:
    v1 = types.SimpleNamespace(first_token_latency=0.25, first_token_ts=10.0, last_token_ts=12.0)
    install(metrics=v1)
    result = asyncio.run(complete_all(provider_for(), [request("m", seed=1)]))[0]
    assert result.ttft_s == 0.25
    assert result.output_tokens_per_s == pytest.approx((result.completion_tokens - 1) / 2.0)
    v0 = types.SimpleNamespace(arrival_time=100.0, first_token_time=100.5, last_token_time=101.5)
    assert engine_timings(v0, 11) == (0.5, 10.0)
    assert engine_timings(None, 11) == (None, None)


def test_options_are_checked(install: Any) -> None:
    install()
    with pytest.raises(ConfigError, match="max_batch"):
        provider_for(max_batch=0)
    with pytest.raises(ConfigError, match="`model = ...`"):
        provider_for(model="x")
    provider = provider_for(tensor_parallel_size=2, gpu_memory_utilization=0.8, seed=7)
    assert provider.engines["local"].engine_args == {
        "enable_prefix_caching": True, "seed": 7, "tensor_parallel_size": 2,
        "gpu_memory_utilization": 0.8}


def test_without_vllm_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # as if not installed
    with pytest.raises(MissingExtra, match=r"pip install 'papertiger\[vllm\]'"):
        provider_for()


def test_registering_the_provider_imports_no_vllm() -> None:
    code = ("import sys, papertiger.cli, papertiger.providers.vllm_offline as m; "
            "from papertiger.providers import PROVIDERS; assert 'vllm' in PROVIDERS; "
            "assert 'vllm' not in sys.modules and 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.gpu
def test_the_real_engine_on_a_gpu(tmp_path: Path) -> None:
    """Opt-in (`pytest -m gpu`): PAPERTIGER_VLLM_MODEL names a small local model."""
    pytest.importorskip("vllm")
    model = os.environ.get("PAPERTIGER_VLLM_MODEL")
    if not model:
        pytest.skip("set PAPERTIGER_VLLM_MODEL to a small model's path or id")
    spec = ModelSpec(name="gpu", model=model, provider="vllm",
                     provider_options={"max_model_len": 2048, "gpu_memory_utilization": 0.35})
    provider = create_provider("vllm", [spec], ProviderContext())
    requests = [request(f"g{i}", "What is 6 times 7? Answer briefly.", model="gpu", seed=i,
                        sampling=SamplingParams(temperature=0.8, max_tokens=64)) for i in range(8)]
    results = asyncio.run(complete_all(provider, requests))  # type: ignore[arg-type]
    assert all(r.status == "ok" and r.completion_tokens for r in results)
    again = asyncio.run(complete_all(create_provider("vllm", [spec]), requests[:2]))  # type: ignore[arg-type]
    assert [r.text for r in again] == [r.text for r in results[:2]]  # the seed reproduces it


def test_a_catalogue_entry_with_provider_vllm_needs_no_flag(tmp_path: Path, install: Any) -> None:
    data_dir = make_data_dir(tmp_path)
    module = install(answers=answers_for(data_dir))
    path = tmp_path / "local.toml"
    path.write_text('[[model]]\nname = "qwen3-8b"\nmodel = "Qwen/Qwen3-8B"\nprovider = "vllm"\n'
                    "concurrency = 256\nmax_tokens = 32768\n"
                    "provider_options = { max_model_len = 40960, gpu_memory_utilization = 0.9 }\n")
    spec = make_spec(tmp_path, data_dir)
    spec = RunSpec(models=(load_catalogue(path)["qwen3-8b"],), suite=spec.suite, samples=1,
                   templates=spec.templates, db=spec.db)
    assert run(spec).ok == 60
    (engine,) = engines(module)
    assert engine.model == "Qwen/Qwen3-8B"
    assert engine.kwargs == {"enable_prefix_caching": True, "seed": 0, "max_model_len": 40960,
                             "gpu_memory_utilization": 0.9}
    assert {p.max_tokens for c in engine.calls for p in c.params} == {32768}
