"""A stand-in for the `vllm` command: `serve MODEL --host H --port P ...` speaking the OpenAI
protocol of tests/openai_server.py, plus vLLM's GET /health.

    python tests/fake_vllm.py serve MODEL --host 127.0.0.1 --port 8000 [flags]

Every other flag is accepted and logged (as `argv=[...]`), as vLLM would take it;
`--served-model-name NAME` is honoured. Flags that make it misbehave on purpose:

    --fake-start-delay S    load for S seconds before listening (weights, compilation)
    --fake-health-delay S   listen at once, but answer /health 503 for S seconds
    --fake-crash-at-start   log a traceback while loading, then exit 1
    --fake-ignore-sigterm   ignore SIGTERM (only SIGKILL stops it)
    --fake-child            start a child process in its group, like vLLM's engine core
    --fake-seed-crash N     answer the first N seeded requests 500 "CPU Generator does not
                            use offset", as vLLM's CPU engine does

The log (stdout) says `fake vllm pid=P child=C` first, so tests can check both are gone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from openai_server import FakeOpenAI, ServerOptions, make_app  # noqa: E402

CPU_SEED_ERROR = "RuntimeError: CPU Generator does not use offset"


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    ap = argparse.ArgumentParser(prog="vllm")
    ap.add_argument("command", choices=["serve"])
    ap.add_argument("model")
    ap.add_argument("--host", default="0.0.0.0")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--served-model-name")
    ap.add_argument("--fake-start-delay", type=float, default=0.0)
    ap.add_argument("--fake-health-delay", type=float, default=0.0)
    ap.add_argument("--fake-crash-at-start", action="store_true")
    ap.add_argument("--fake-ignore-sigterm", action="store_true")
    ap.add_argument("--fake-child", action="store_true")
    ap.add_argument("--fake-seed-crash", type=int, default=0)
    return ap.parse_known_args(argv)


def log(message: str) -> None:
    print(f"INFO {time.strftime('%H:%M:%S')} {message}", flush=True)


def seed_crash(remaining: list[int]) -> Any:
    """Middleware: a seeded request answers 500 while `remaining[0]` > 0."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "POST" and request.path.endswith("completions") and remaining[0] > 0:
            body = json.loads(await request.read() or b"{}")
            if body.get("seed") is not None:
                remaining[0] -= 1
                log(f"ERROR EngineCore failed: {CPU_SEED_ERROR}")
                error = {"object": "error", "message": CPU_SEED_ERROR,
                         "type": "InternalServerError", "param": None, "code": 500}
                return web.json_response(error, status=500)
        return await handler(request)

    return middleware


async def serve(ns: argparse.Namespace) -> None:
    name = ns.served_model_name or ns.model
    state = FakeOpenAI(ServerOptions(model=name, served_models=(name,), tokens=12))
    app = make_app(state)
    ready_at = time.monotonic() + ns.fake_health_delay

    async def health(request: web.Request) -> web.Response:
        return web.Response(status=200 if time.monotonic() >= ready_at else 503)

    app.router.add_get("/health", health)
    app.middlewares.append(seed_crash([ns.fake_seed_crash]))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
    await runner.setup()
    await web.TCPSite(runner, ns.host, ns.port).start()
    log(f"Starting vLLM API server on http://{ns.host}:{ns.port}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    if not ns.fake_ignore_sigterm:
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    log("Shutting down")
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    ns, rest = parse(sys.argv[1:] if argv is None else argv)
    if ns.fake_ignore_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = None
    if ns.fake_child:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    log(f"fake vllm pid={os.getpid()} child={child.pid if child else 0}")
    log(f"argv={json.dumps(sys.argv[1:] if argv is None else argv)} unknown={json.dumps(rest)}")
    log(f"Loading model {ns.model} ...")
    if ns.fake_crash_at_start:
        print("Traceback (most recent call last):", flush=True)
        print('  File "vllm/worker/gpu_worker.py", line 210, in determine_available_memory',
              flush=True)
        print("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB", flush=True)
        sys.exit(1)
    time.sleep(ns.fake_start_delay)
    try:
        asyncio.run(serve(ns))
    finally:
        if child is not None:
            child.terminate()
            child.wait(5)


if __name__ == "__main__":
    main()
