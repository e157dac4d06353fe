#!/usr/bin/env python3
"""papertiger over several base URLs of one model against one, side by side in one run.

The workload of bench/runner.py (../shared/bench/PEERS.md: 60 problems × k samples, 1,024
tokens a reply, from ../shared/bench/fake_openai_server.py with its aiohttp backend, each
server in its own process). The one model lists N servers in `base_url = [...]`; the total
in flight is the same as with one server (`concurrency` is per endpoint, so it is set to
C / N), so the ideal wall time is the same, ceil(60 k / C) × latency, and what differs is
the cost of routing: choosing an endpoint per try and keeping its counters.

    .venv/bin/python bench/multi_endpoint.py [--endpoints 4] [--k 64] [--latencies 0,500]
        [--concurrency 64,256] [--chunk-tokens 16] [--shared ../shared]

`run_case(...)` runs one case and returns (wall s, CPU s of the papertiger process,
correct); bench/runner.py calls it (`--endpoints 4`). `compare(...)` returns rows with the
share of ideal and CPU milliseconds per completion. CPU counts the papertiger child only
(the servers are other processes), but on a machine with few cores the servers compete
with it for wall time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "bench"
sys.path.insert(0, str(HERE))
from common import measured, start_server  # type: ignore[import-not-found]  # noqa: E402
from common import write_suite as common_write_suite  # type: ignore[import-not-found]  # noqa: E402


def _start_server(stack: ExitStack, shared: Path, latency_ms: int, chunk_tokens: int) -> str:
    """One fake server in its own process, stopped when `stack` closes; its base URL."""
    proc, url = start_server(shared, latency_ms, chunk_tokens)

    def stop() -> None:
        proc.terminate()
        proc.wait(10)

    stack.callback(stop)
    return url


def write_suite(folder: Path, shared: Path = SHARED) -> tuple[Path, Path]:
    return common_write_suite(folder, shared)


def _models(folder: Path, urls: list[str], concurrency: int) -> Path:
    per_endpoint = max(1, concurrency // len(urls))
    listed = ", ".join(f'"{u}"' for u in urls)
    path = folder / f"models-{len(urls)}.toml"
    path.write_text(f'[[model]]\nname = "fake"\nbase_url = [{listed}]\nmodel = "fake-model"\n'
                    f"temperature = 0.6\nconcurrency = {per_endpoint}\n")
    return path


def run_case(*, endpoints: int, latency_ms: int, k: int, concurrency: int, chunk_tokens: int,
             folder: Path, suites: Path, template: Path,
             shared: Path = SHARED) -> tuple[float, float, int]:
    """`papertiger run` over `endpoints` fresh servers: (wall s, CPU s, correct answers)."""
    with ExitStack() as stack:
        urls = [_start_server(stack, shared, latency_ms, chunk_tokens) for _ in range(endpoints)]
        db = folder / f"multi-{endpoints}-{time.monotonic_ns()}.db"
        cmd = [str(Path(sys.executable).with_name("papertiger")), "run",
               "--models", str(_models(folder, urls, concurrency)), "--suite", "synth",
               "--suites", str(suites), "--samples", str(k), "--prompt", str(template),
               "--db", str(db)]
        wall, cpu, _ = measured(cmd, {**os.environ, "TERM": "dumb", "COLUMNS": "120"})
    con = sqlite3.connect(db)
    ok, correct, used = con.execute(
        "SELECT COUNT(*), SUM(g.correct), COUNT(DISTINCT a.endpoint) FROM attempts a "
        "JOIN grades g ON g.attempt_key = a.key WHERE a.status = 'ok'").fetchone()
    con.close()
    assert ok == 60 * k, f"papertiger stored {ok} of {60 * k}"
    assert used == endpoints, f"{used} of {endpoints} endpoints served attempts"
    return wall, cpu, int(correct or 0)


def compare(*, endpoints: int = 4, latency_ms: int = 500, k: int = 64, concurrency: int = 64,
            chunk_tokens: int = 16, shared: Path = SHARED) -> list[dict[str, object]]:
    """One endpoint, then `endpoints`, on the same workload: a row each with the share of
    ideal (None at 0 ms) and CPU milliseconds per completion."""
    n = 60 * k
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        suites, template = write_suite(folder, shared)
        for count in (1, endpoints):
            wall, cpu, correct = run_case(
                endpoints=count, latency_ms=latency_ms, k=k, concurrency=concurrency,
                chunk_tokens=chunk_tokens, folder=folder, suites=suites, template=template,
                shared=shared)
            ideal = math.ceil(n / concurrency) * latency_ms / 1000
            rows.append({"endpoints": count, "latency_ms": latency_ms,
                         "concurrency": concurrency, "n": n, "wall_s": round(wall, 2),
                         "per_s": round(n / wall, 1),
                         "ideal_share": round(ideal / wall, 3) if latency_ms else None,
                         "cpu_ms_per_completion": round(1000 * cpu / n, 3),
                         "correct": correct})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--endpoints", type=int, default=4)
    ap.add_argument("--k", type=int, default=64)
    ap.add_argument("--latencies", default="0,500")
    ap.add_argument("--concurrency", default="64,256")
    ap.add_argument("--chunk-tokens", type=int, default=16)
    ap.add_argument("--shared", type=Path, help="the shared folder (default ../shared)")
    args = ap.parse_args()
    shared = args.shared.resolve() / "bench" if args.shared else SHARED
    if not shared.is_dir():
        sys.exit(f"{shared} not found: the benchmark needs the shared folder's bench/ (--shared DIR)")
    rows = []
    for latency in (int(x) for x in args.latencies.split(",")):
        for conc in (int(x) for x in args.concurrency.split(",")):
            for r in compare(endpoints=args.endpoints, latency_ms=latency, k=args.k,
                             concurrency=conc, chunk_tokens=args.chunk_tokens, shared=shared):
                rows.append(r)
                print(json.dumps(r), flush=True)
    print(f"\n{os.cpu_count()} CPUs; each server in its own process; total in flight = conc "
          f"(concurrency = conc / endpoints per endpoint)\n")
    print("| latency | conc | endpoints | wall s | compl/s | share of ideal | CPU-ms/compl | correct |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        share = "–" if r["ideal_share"] is None else f"{100 * float(r['ideal_share']):.1f} %"  # type: ignore[arg-type]
        print(f"| {r['latency_ms']} ms | {r['concurrency']} | {r['endpoints']} | {r['wall_s']} | "
              f"{r['per_s']} | {share} | {r['cpu_ms_per_completion']} | {r['correct']}/{r['n']} |")


if __name__ == "__main__":
    main()
