"""`vllm serve` as a managed child, against tests/fake_vllm.py, a stand-in `vllm` command that
speaks the OpenAI protocol: lifecycle, health wait, clean stop, start-up crash, the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from papertiger.errors import ConfigError, MissingExtra
from papertiger.providers import Endpoint, OpenAICompatProvider, RetryPolicy
from papertiger.providers.vllm_server import EXECUTABLE_ENV, VllmServer, VllmServeSpec
from papertiger.schema import ChatRequest

pytestmark = pytest.mark.timeout(60)
TESTS = Path(__file__).resolve().parents[1]
FAKE = TESTS / "fake_vllm.py"
MODEL = "org/fake-model"
FAST = RetryPolicy(max_attempts=3, backoff_s=0.01, backoff_max_s=0.05, budget_s=30)
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(autouse=True)
def _logs_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Default server logs (kept temporary files) go to the test's folder, not /tmp."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))


@pytest.fixture
def vllm_command(tmp_path: Path) -> str:
    """A `vllm` executable: a shell script that execs the stand-in with this Python."""
    path = tmp_path / "bin" / "vllm"
    path.parent.mkdir()
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    path.chmod(0o755)
    return str(path)


def spec(command: str, *extra: str, **kw: object) -> VllmServeSpec:
    return VllmServeSpec(model=MODEL, executable=command, extra_args=extra, poll_s=0.05, **kw)  # type: ignore[arg-type]


def pids(log: Path) -> tuple[int, int]:
    """The stand-in's pid and its child's, from its log."""
    found = re.search(r"fake vllm pid=(\d+) child=(\d+)", log.read_text())
    assert found, log.read_text()
    return int(found[1]), int(found[2])


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie still answers kill(0): it is gone if it is not running
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return True
    return state == "Z"


def port_free(port: int) -> bool:
    """Nobody listens there, and a server may bind it (SO_REUSEADDR, as uvicorn does:
    the closed connections' TIME_WAIT states remain)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def get(url: str) -> tuple[int, bytes]:
    try:
        with NO_PROXY.open(url, timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def chat(base_url: str, model: str = MODEL, seed: int | None = 7):
    request = ChatRequest(key="b2:served", model="served",
                          messages=({"role": "user", "content": "What is 6 times 7?"},), seed=seed)
    endpoint = Endpoint(base_url=base_url, model=model, timeout_s=10.0)

    async def go():
        async with OpenAICompatProvider({"served": endpoint}, retry=FAST) as provider:
            return await provider.complete(request)

    return asyncio.run(go())


def test_command_line_carries_model_parallelism_and_extra_flags() -> None:
    cmd = VllmServeSpec(MODEL, data_parallel_size=4, tensor_parallel_size=2,
                        extra_args=("--max-model-len", "32768")).command("vllm", 8123)
    assert cmd == ["vllm", "serve", MODEL, "--host", "127.0.0.1", "--port", "8123",
                   "--data-parallel-size", "4", "--tensor-parallel-size", "2",
                   "--max-model-len", "32768"]
    assert VllmServeSpec(MODEL).command("vllm", 1)[-2:] == ["--port", "1"]  # vLLM's defaults


@pytest.mark.parametrize("flag", ["--port", "--port=9000", "--host"])
def test_port_and_host_are_papertigers_own_options(flag: str) -> None:
    with pytest.raises(ConfigError, match="papertiger's own option"):
        VllmServeSpec(MODEL, extra_args=(flag, "9000"))


def test_lifecycle_start_serve_stop(vllm_command: str, tmp_path: Path) -> None:
    log = tmp_path / "vllm.log"
    server = VllmServer(spec(vllm_command, "--fake-child", "--fake-start-delay", "0.3",
                             "--max-model-len", "4096", data_parallel_size=2, log_path=log))
    with server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.base_url)
        assert server.served_models == (MODEL,)
        assert get(server.root_url + "/health")[0] == 200
        reply = chat(server.base_url)
        assert reply.status == "ok" and "the answer is" in (reply.text or "")
        argv = json.loads(re.search(r"argv=(\[.*?\]) ", log.read_text())[1])
        assert argv == ["serve", MODEL, "--host", "127.0.0.1", "--port", str(server.port),
                        "--data-parallel-size", "2", "--fake-child", "--fake-start-delay", "0.3",
                        "--max-model-len", "4096"]
        leader, child = pids(log)
        assert leader == server.pid and not gone(child)
    assert server.process is not None and server.process.returncode == 0  # stopped by SIGTERM, cleanly
    assert gone(leader) and gone(child)
    assert port_free(server.port or 0)
    assert server.stop() == 0  # idempotent


def test_start_waits_for_health_not_just_the_port(vllm_command: str) -> None:
    began = time.monotonic()
    with VllmServer(spec(vllm_command, "--fake-health-delay", "1.0")) as server:
        assert time.monotonic() - began >= 1.0
        assert get(server.root_url + "/health")[0] == 200


def test_crash_during_startup_is_one_line_with_the_last_log_lines(vllm_command: str) -> None:
    server = VllmServer(spec(vllm_command, "--fake-crash-at-start"))
    with pytest.raises(ConfigError) as caught:
        server.start()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("vllm serve exited with status 1 during start-up: ")
    assert "torch.OutOfMemoryError: CUDA out of memory" in message
    assert f"full log: {server.log_path}" in message
    assert not server.running()


def test_a_server_that_ignores_sigterm_is_killed(vllm_command: str, tmp_path: Path) -> None:
    log = tmp_path / "stubborn.log"
    server = VllmServer(spec(vllm_command, "--fake-ignore-sigterm", "--fake-child",
                             stop_grace_s=0.5, log_path=log))
    with server:
        leader, child = pids(log)
        began = time.monotonic()
    assert time.monotonic() - began >= 0.5
    assert server.process is not None and server.process.returncode == -signal.SIGKILL
    assert gone(leader) and gone(child)  # the child ignored SIGTERM too: killed with the group


def test_startup_timeout_stops_the_server(vllm_command: str, tmp_path: Path) -> None:
    log = tmp_path / "slow.log"
    server = VllmServer(spec(vllm_command, "--fake-health-delay", "60", startup_timeout_s=0.5,
                             log_path=log))
    with pytest.raises(ConfigError, match=r"did not become healthy within 0\.5 s"):
        server.start()
    assert gone(pids(log)[0])


def test_ctrl_c_during_startup_stops_the_server(vllm_command: str, tmp_path: Path) -> None:
    log = tmp_path / "interrupted.log"

    class Interrupted(VllmServer):
        def probe(self) -> bool:
            ready = super().probe()
            if "Starting vLLM API server" in log.read_text():  # listening, still "loading"
                raise KeyboardInterrupt
            return ready

    server = Interrupted(spec(vllm_command, "--fake-health-delay", "60", log_path=log))
    with pytest.raises(KeyboardInterrupt):
        server.start()
    assert gone(pids(log)[0])


def test_async_context_manager(vllm_command: str) -> None:
    async def go() -> tuple[int, VllmServer]:
        async with VllmServer(spec(vllm_command)) as server:
            status = await asyncio.to_thread(lambda: get(server.root_url + "/health")[0])
        return status, server

    status, server = asyncio.run(go())
    assert status == 200 and not server.running()


def test_missing_vllm_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(EXECUTABLE_ENV, raising=False)
    with pytest.raises(MissingExtra, match=re.escape("pip install 'papertiger[vllm]'")):
        VllmServer(VllmServeSpec(MODEL)).start()


def test_executable_from_the_environment(monkeypatch: pytest.MonkeyPatch, vllm_command: str) -> None:
    monkeypatch.setenv(EXECUTABLE_ENV, vllm_command)
    with VllmServer(VllmServeSpec(MODEL, poll_s=0.05)) as server:
        assert server.command[0] == vllm_command


def test_a_taken_port_is_refused_before_starting(vllm_command: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        with pytest.raises(ConfigError, match="is taken"):
            VllmServer(spec(vllm_command, port=sock.getsockname()[1])).start()


def test_cpu_generator_offset_500_is_retried(vllm_command: str, tmp_path: Path) -> None:
    """vLLM's CPU engine can fail a seeded request with a 500 "CPU Generator does not use
    offset": the OpenAI provider retries it (on another endpoint when a model has several)."""
    log = tmp_path / "cpu.log"
    with VllmServer(spec(vllm_command, "--fake-seed-crash", "1", log_path=log)) as server:
        reply = chat(server.base_url, seed=3)
    assert reply.status == "ok" and reply.retries == 1
    assert "CPU Generator does not use offset" in log.read_text()


# ---------------------------------------------------------------------- through the CLI
def cli(args: list[str], **kw: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "papertiger", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kw)  # type: ignore[call-overload]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_cli_serves_until_a_signal_then_stops_everything(
    vllm_command: str, tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    log = tmp_path / "cli.log"
    proc = cli(["serve", "vllm", MODEL, "--executable", vllm_command, "--log", str(log),
                "--data-parallel-size", "2", "--", "--fake-child", "--max-model-len", "4096"])
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", url), url
    snippet = "".join(proc.stdout.readline() for _ in range(8))
    assert f'base_url = "{url}"' in snippet and f'model = "{MODEL}"' in snippet
    assert 'name = "fake-model"' in snippet and "concurrency = 512" in snippet
    assert chat(url).status == "ok"
    leader, child = pids(log)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == code, stderr
    assert "stopped" in stderr
    assert gone(leader) and gone(child)
    assert port_free(int(url.rsplit(":", 1)[1].split("/")[0]))


def test_cli_startup_crash_is_one_line_and_exit_2(vllm_command: str) -> None:
    proc = cli(["serve", "vllm", MODEL, "--executable", vllm_command, "--", "--fake-crash-at-start"])
    out, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 2 and out == ""
    errors = [line for line in stderr.splitlines() if line.startswith("papertiger: error:")]
    assert len(errors) == 1
    assert "exited with status 1 during start-up" in errors[0]
    assert "CUDA out of memory" in errors[0]


def test_cli_without_vllm_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from papertiger.cli import main

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(EXECUTABLE_ENV, raising=False)
    monkeypatch.setattr(sys, "argv", ["papertiger", "serve", "vllm", MODEL])
    with pytest.raises(SystemExit) as caught:
        main()
    assert caught.value.code == 2
    assert "pip install 'papertiger[vllm]'" in capsys.readouterr().err


def test_cli_help_and_docs_page() -> None:
    proc = cli(["serve", "vllm", "--help"])
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    for flag in ("--data-parallel-size", "--tensor-parallel-size", "--port", "--executable"):
        assert flag in out
    page = (TESTS.parent / "docs" / "scaling.md").read_text()
    assert "papertiger serve vllm" in page and "--provider vllm" in page


# ---------------------------------------------------------------------- papertiger run --serve
def test_run_serve_plan_points_the_served_models_at_the_server(
    vllm_command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    from papertiger.cli.serve import PLACEHOLDER_URL, plan_serve

    monkeypatch.setenv(EXECUTABLE_ENV, vllm_command)
    models = tmp_path / "models.toml"
    models.write_text(f'[[model]]\nname = "local"\nmodel = "{MODEL}"\nconcurrency = 4\n\n'
                      '[[model]]\nname = "remote"\nbase_url = "https://api.example.org/v1"\n')
    plan = plan_serve(f"vllm:{MODEL} --max-model-len 4096", models, None)
    assert [m.name for m in plan.models] == ["local"] and plan.models[0].base_url == PLACEHOLDER_URL
    assert plan.spec.extra_args == ("--max-model-len", "4096")
    both = plan_serve(f"vllm:{MODEL}", models, ["local", "remote"])
    assert both.served == {"local"}
    with both.start(Console(stderr=True)) as served:
        local, remote = served
        assert remote.base_url == "https://api.example.org/v1"
        assert local.base_url and local.base_url != PLACEHOLDER_URL
        assert chat(local.base_url).status == "ok"
        url = local.base_url
    assert port_free(int(url.rsplit(":", 1)[1].split("/")[0]))


def test_run_serve_without_a_catalogue_makes_one_entry() -> None:
    from papertiger.cli.serve import plan_serve

    plan = plan_serve("vllm:Qwen/Qwen3-235B-A22B --data-parallel-size 8", None, None)
    (model,) = plan.models
    assert (model.name, model.model, model.lab) == ("qwen3-235b-a22b", "Qwen/Qwen3-235B-A22B", "Alibaba (Qwen)")
    assert model.concurrency == 256 and plan.served == {"qwen3-235b-a22b"}
    with pytest.raises(ConfigError, match="--serve takes 'vllm:MODEL"):
        plan_serve("sglang:x", None, None)


def test_run_serve_refuses_a_catalogue_without_the_model(tmp_path: Path) -> None:
    from papertiger.cli.serve import plan_serve

    models = tmp_path / "models.toml"
    models.write_text('[[model]]\nname = "other"\nmodel = "org/other"\n')
    with pytest.raises(ConfigError, match="no \\[\\[model\\]\\] has model"):
        plan_serve(f"vllm:{MODEL}", models, None)
    with pytest.raises(ConfigError, match="has no base_url"):
        plan_serve(f"vllm:{MODEL}", models, ["other"])


def test_a_run_against_the_served_model(vllm_command: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """What `papertiger run --serve vllm:MODEL` does: start, point, run into the store, stop."""
    import dataclasses

    from rich.console import Console

    sys.path.insert(0, str(TESTS / "runner"))
    from runner_helpers import make_data_dir

    from papertiger.benchmarks import load_suite
    from papertiger.cli.serve import plan_serve
    from papertiger.prompts import get_template
    from papertiger.runner import RunSpec, run
    from papertiger.store import open_store

    monkeypatch.setenv(EXECUTABLE_ENV, vllm_command)
    plan = plan_serve(f"vllm:{MODEL}", None, None)
    spec = RunSpec(models=plan.models, samples=2, templates=(get_template("boxed", "integer"),),
                   suite=load_suite("aime", data_dir=make_data_dir(tmp_path), forms=["aime2025"]),
                   db=tmp_path / "served.db", retry=FAST)
    with plan.start(Console(stderr=True)) as served:
        summary = run(dataclasses.replace(spec, models=served))
    assert (summary.ok, summary.errors) == (60, 0)
    with open_store(spec.db) as store:
        assert set(store.attempts_frame()["seed"]) == {0, 1}


def test_run_serve_stops_the_server_when_the_run_fails(vllm_command: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from papertiger.cli.serve import plan_serve

    monkeypatch.setenv(EXECUTABLE_ENV, vllm_command)
    plan = plan_serve(f"vllm:{MODEL}", None, None)
    with pytest.raises(RuntimeError, match="the run broke"), plan.start(Console(stderr=True)) as served:
        url = served[0].base_url or ""
        assert get(url.removesuffix("/v1") + "/health")[0] == 200
        raise RuntimeError("the run broke")
    assert port_free(int(url.rsplit(":", 1)[1].split("/")[0]))


@pytest.mark.gpu
@pytest.mark.timeout(1800)
def test_the_real_vllm_serve_on_a_gpu() -> None:
    """Opt-in (`pytest -m gpu`): PAPERTIGER_VLLM_MODEL names a small local model."""
    import shutil

    model = os.environ.get("PAPERTIGER_VLLM_MODEL")
    if not model or shutil.which("vllm") is None:
        pytest.skip("needs the vllm command and PAPERTIGER_VLLM_MODEL (a small model)")
    serve = VllmServeSpec(model, extra_args=("--max-model-len", "2048", "--gpu-memory-utilization", "0.35"))
    with VllmServer(serve) as server:
        assert server.served_models == (model,)
        reply = chat(server.base_url, model=model)
        assert reply.status == "ok" and reply.completion_tokens
    assert not server.running()
