"""What the benchmarks share: the loopback fake server and the workload suite, a child
process measured, stores built once and cached, and a checkout of an earlier version to
run beside this one."""

from __future__ import annotations

import hashlib
import json
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def checkout(rev: str, where: Path) -> Path | None:
    """`rev` as a detached git worktree at `where` (kept for the next run), or None when
    git cannot make one."""
    if not where.exists():
        made = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), rev],
                              capture_output=True, text=True)
        if made.returncode != 0:
            print(f"  cannot check out {rev}: {made.stderr.strip()}", file=sys.stderr)
            return None
    return where


def cached_store(folder: Path, name: str, script: Path, build: Callable[[Path], object]) -> Path:
    """`folder/name-TAG.db`, built by `build(temporary path)` when missing; TAG hashes the
    benchmark script, so a changed generator builds anew. A partial build never counts."""
    folder.mkdir(exist_ok=True)
    tag = hashlib.sha256(script.read_bytes()).hexdigest()[:8]
    path = folder / f"{name}-{tag}.db"
    if not path.exists():
        started = time.monotonic()
        tmp = path.with_suffix(".tmp")
        for leftover in folder.glob(f"{tmp.name}*"):
            leftover.unlink()
        build(tmp)
        tmp.rename(path)
        print(f"  built {path.name} ({path.stat().st_size / 2**20:,.0f} MB) in "
              f"{time.monotonic() - started:.0f} s", file=sys.stderr)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(shared: Path, latency_ms: int, chunk_tokens: int) -> tuple[subprocess.Popen[bytes], str]:
    """`shared`/fake_openai_server.py (aiohttp, 1,024-token replies) in its own process,
    once it accepts connections: the process and its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(shared / "fake_openai_server.py"), "--backend", "aiohttp",
         "--port", str(port), "--latency-ms", str(latency_ms), "--tokens", "1024",
         "--stream-chunk-tokens", str(chunk_tokens)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("fake server did not start")


def write_suite(folder: Path, shared: Path) -> tuple[Path, Path]:
    """The 60 workload problems as a 30 + 30 suite; the user message is the problem text,
    and the gold answer is the server's `fake_answer`, so every reply grades correct."""
    rows = [json.loads(x) for x in (shared / "workload" / "aime_synth.jsonl").read_text().splitlines()]
    for name, part in (("a", rows[:30]), ("b", rows[30:])):
        with (folder / f"synth_{name}.jsonl").open("w") as handle:
            for row in part:
                handle.write(json.dumps({"id": row["id"], "problem": row["prompt"],
                                         "answer": str(row["fake_answer"])}) + "\n")
    suites = folder / "suites.toml"
    suites.write_text(
        '[[suite]]\nname = "synth"\ngrader = "integer"\n'
        '[suite.old]\nname = "synth_a"\npath = "synth_a.jsonl"\ncount = 30\n'
        '[suite.fresh]\nname = "synth_b"\npath = "synth_b.jsonl"\ncount = 30\n'
    )
    template = folder / "bare.txt"
    template.write_text("{problem}")
    return suites, template


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + sys) and stdout of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, cpu, proc.stdout
