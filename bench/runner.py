#!/usr/bin/env python3
"""Runner speed, measured side by side with two bare asyncio loops in one run.

Workload of ../shared/bench/PEERS.md: 60 problems × k = 64 = 3,840 chat completions of
1,024 tokens each, from the loopback fake server (../shared/bench/fake_openai_server.py,
aiohttp backend, in its own process). For each server latency (0 ms, 500 ms) and
concurrency (64, 256) it runs four child processes, in an order that alternates from one
case to the next so neither side always runs on a warmer machine:

  papertiger-stream   `papertiger run` with streamed replies (stream = true, the default)
  min-stream          bench/min_stream.py: the bare aiohttp loop, streamed, parsing SSE
  papertiger-json     `papertiger run` with one JSON body per reply (stream = false)
  min-json            ../shared/bench/min_client.py --lib aiohttp: the bare loop, JSON

and reports wall time, completions per second, share of ideal (ceil(N / C) × latency) and
the child's CPU milliseconds per completion — everything included: interpreter start-up,
imports, planning, HTTP, SSE parsing, grading and SQLite commits (papertiger writes a fresh
results store each time; the bare loops store nothing). Each papertiger mode is compared
with the bare loop that does the same HTTP work.

Targets (issue 11): at 500 ms, papertiger's share of ideal within 2 points of the matching
bare loop's at 64 in flight (and ≥ 95 %), within 5 points at 256; at 0 ms, wall time and
CPU per completion ≤ 1.5× the matching bare loop's.

    .venv/bin/python bench/runner.py [--k 64] [--latencies 0,500] [--concurrency 64,256]
        [--modes stream,json] [--shared ../shared] [--endpoints 4]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "bench"  # --shared DIR replaces it (DIR/bench)
sys.path.insert(0, str(HERE))
import common  # type: ignore[import-not-found]  # noqa: E402


def start_server(latency_ms: int, chunk_tokens: int) -> tuple[subprocess.Popen[bytes], str]:
    return common.start_server(SHARED, latency_ms, chunk_tokens)


def write_suite(folder: Path) -> tuple[Path, Path]:
    return common.write_suite(folder, SHARED)


measured = common.measured


def run_papertiger(url: str, folder: Path, k: int, conc: int, suites: Path, template: Path,
                   stream: bool | str = True) -> tuple[float, float, int]:
    models = folder / "models.toml"
    models.write_text(f'[[model]]\nname = "fake"\nbase_url = "{url}"\nmodel = "fake-model"\n'
                      f"temperature = 0.6\nconcurrency = {conc}\n"
                      f"stream = {json.dumps(stream)}\n")
    db = folder / f"bench-{time.monotonic_ns()}.db"
    cmd = [str(Path(sys.executable).with_name("papertiger")), "run", "--models", str(models),
           "--suite", "synth", "--suites", str(suites), "--samples", str(k),
           "--prompt", str(template), "--db", str(db)]
    wall, cpu, _ = measured(cmd, {**os.environ, "TERM": "dumb", "COLUMNS": "120"})
    import sqlite3

    con = sqlite3.connect(db)
    ok, correct = con.execute(
        "SELECT COUNT(*), SUM(g.correct) FROM attempts a JOIN grades g ON g.attempt_key = a.key "
        "WHERE a.status = 'ok'"
    ).fetchone()
    con.close()
    assert ok == 60 * k, f"papertiger stored {ok} of {60 * k}"
    return wall, cpu, int(correct or 0)


def run_min_client(url: str, k: int, conc: int, stream: bool = False) -> tuple[float, float, int]:
    """One of the bare loops: min_client.py (JSON bodies) or min_stream.py (SSE)."""
    if stream:
        cmd = [sys.executable, str(HERE / "min_stream.py"), "--base-url", url, "--k", str(k),
               "-c", str(conc), "--workload", str(SHARED / "workload" / "aime_synth.jsonl")]
    else:
        cmd = [sys.executable, str(SHARED / "min_client.py"), "--base-url", url, "--k", str(k),
               "-c", str(conc), "--lib", "aiohttp"]
    wall, cpu, out = measured(cmd, dict(os.environ))
    stats = json.loads(out.strip().splitlines()[-1])
    assert stats["ok"] == 60 * k, stats
    return wall, cpu, int(stats["correct"])


def row(name: str, n: int, latency: int, conc: int, wall: float, cpu: float, correct: int) -> dict[str, object]:
    ideal = math.ceil(n / conc) * latency / 1000
    return {"runner": name, "latency_ms": latency, "concurrency": conc, "n": n,
            "wall_s": round(wall, 2), "per_s": round(n / wall, 1),
            "ideal_share": round(ideal / wall, 3) if latency else None,
            "cpu_ms_per_completion": round(1000 * cpu / n, 3), "correct": correct}


RUNNERS: dict[str, tuple[bool, bool | str]] = {  # name: (papertiger?, stream setting)
    "papertiger-stream": (True, True), "min-stream": (False, True),
    "papertiger-json": (True, False), "min-json": (False, False),
    "papertiger-sample": (True, "sample"),  # one request in 8 streamed, the rest JSON
}
MODES = {"papertiger-stream": "stream", "min-stream": "stream", "papertiger-json": "json",
         "min-json": "json", "papertiger-sample": "sample"}
PAIRS = (("papertiger-stream", "min-stream"), ("papertiger-json", "min-json"),
         ("papertiger-sample", "min-json"))


def order(names: list[str], case: int) -> list[str]:
    """The runners of one case, rotated by the case's index, so each runs first in turn."""
    shift = case % len(names)
    return names[shift:] + names[:shift]


def main() -> None:
    global SHARED
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--k", type=int, default=64)
    ap.add_argument("--latencies", default="0,500")
    ap.add_argument("--concurrency", default="64,256")
    ap.add_argument("--modes", default="stream,json",
                    help="which papertiger modes (and their bare loops) to run: stream, json, "
                         "sample (stream = \"sample\", compared with the JSON loop)")
    ap.add_argument("--chunk-tokens", type=int, default=16,
                    help="tokens per SSE event from the server (PEERS.md: 16; vLLM sends ~1)")
    ap.add_argument("--shared", type=Path, help="the shared folder (default ../shared)")
    ap.add_argument("--endpoints", type=int, default=0,
                    help="also run papertiger over this many loopback servers (bench/multi_endpoint.py)")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON lines here")
    args = ap.parse_args()
    if args.shared:
        SHARED = args.shared.resolve() / "bench"
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} not found: the benchmark needs the shared folder's bench/ (--shared DIR)")
    modes = {m.strip() for m in args.modes.split(",")}
    names = [n for n in RUNNERS if MODES[n] in modes]
    if "sample" in modes and "min-json" not in names:  # the sampled mode's yardstick
        names.append("min-json")
    n = 60 * args.k
    rows = []
    case = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        suites, template = write_suite(folder)
        for latency in [int(x) for x in args.latencies.split(",")]:
            server, url = start_server(latency, args.chunk_tokens)
            try:
                for conc in [int(x) for x in args.concurrency.split(",")]:
                    for name in order(names, case):
                        ours, streamed = RUNNERS[name]
                        if ours:
                            result = run_papertiger(url, folder, args.k, conc, suites, template,
                                                    stream=streamed)
                        else:
                            result = run_min_client(url, args.k, conc, stream=streamed is True)
                        rows.append(row(name, n, latency, conc, *result))
                        print(json.dumps(rows[-1]), flush=True)
                    case += 1
            finally:
                server.terminate()
                server.wait(10)
            if args.endpoints:
                rows.extend(multi_endpoint_rows(args, latency, folder, suites, template, n))
    print(f"\nserver: 1,024-token replies, {args.chunk_tokens} tokens per SSE event; "
          "streamed runners read SSE, json runners one JSON body per reply")
    report(rows)
    if args.json:
        args.json.write_text("".join(json.dumps(r) + "\n" for r in rows))


def multi_endpoint_rows(args: argparse.Namespace, latency: int, folder: Path, suites: Path,
                        template: Path, n: int) -> list[dict[str, object]]:
    """papertiger over several loopback servers beside one (bench/multi_endpoint.py)."""
    sys.path.insert(0, str(HERE))
    import multi_endpoint  # type: ignore[import-not-found]

    out = []
    for conc in [int(x) for x in args.concurrency.split(",")]:
        for count in (1, args.endpoints):
            wall, cpu, correct = multi_endpoint.run_case(
                endpoints=count, latency_ms=latency, k=args.k, concurrency=conc,
                chunk_tokens=args.chunk_tokens, folder=folder, suites=suites, template=template,
                shared=SHARED)
            out.append(row(f"papertiger-{count}-endpoint{'s' if count > 1 else ''}", n, latency,
                           conc, wall, cpu, correct))
            print(json.dumps(out[-1]), flush=True)
    return out


def report(rows: list[dict[str, object]]) -> None:
    print("\n| latency | conc | runner | wall s | compl/s | share of ideal | CPU-ms/compl | correct |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        share = "–" if r["ideal_share"] is None else f"{100 * float(r['ideal_share']):.1f} %"
        print(f"| {r['latency_ms']} ms | {r['concurrency']} | {r['runner']} | {r['wall_s']} | "
              f"{r['per_s']} | {share} | {r['cpu_ms_per_completion']} | {r['correct']}/{r['n']} |")
    print("\nratios (papertiger / the bare loop doing the same HTTP work):")
    for latency, conc in sorted({(r["latency_ms"], r["concurrency"]) for r in rows}):  # type: ignore[type-var]
        case = {r["runner"]: r for r in rows if (r["latency_ms"], r["concurrency"]) == (latency, conc)}
        for ours, bare in PAIRS:
            if ours not in case or bare not in case:
                continue
            p, m = case[ours], case[bare]
            line = (f"  {latency} ms, {conc} in flight, {ours} / {bare}: "
                    f"wall {float(p['wall_s']) / float(m['wall_s']):.2f}×, "
                    f"CPU {float(p['cpu_ms_per_completion']) / float(m['cpu_ms_per_completion']):.2f}×")
            if p["ideal_share"] is not None and m["ideal_share"] is not None:
                gap = 100 * (float(m["ideal_share"]) - float(p["ideal_share"]))
                line += f", share of ideal {gap:+.1f} points behind"
            print(line)


if __name__ == "__main__":
    main()
