#!/usr/bin/env python3
"""Analysis speed: `papertiger report --db` on synthetic stores, this version beside the
previous one, measured in the same run.

Stores are simulated from a Rasch model (θ per model, b per item, a fall δ on the later
form for one group), written straight into SQLite in both schemas — this version's and the
0001 schema the previous version reads — and cached under bench/.cache, so a re-run only
times. Each cell runs the command as a child process (`--format json`, all sections,
2,000 bootstrap draws) and reports wall time and the child's peak resident memory.

Targets (issue 8): ≤ 3 s on 20 models × 60 items × 64 samples, ≤ 30 s on 200 models ×
1,000 items × 64 samples, ≤ 4 GB; `papertiger report` on the embedded table ≤ 1.5 s.

    .venv/bin/python bench/analysis.py [--sizes 20x60x64,100x60x64,200x1000x64]
        [--previous 54277c2] [--previous-timeout 300]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))

PREVIOUS = "54277c2"  # the last version before the attempt-centred store


def simulate(models: int, items: int, samples: int, seed: int = 0):
    """Outcomes [model, item, sample] of a Rasch model; the later half of the items is the
    fresh form, on which the first group's models lose δ = 0.6 logit."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.5, 1.0, models)
    b = rng.normal(0.0, 1.2, items)
    fresh = np.arange(items) >= items // 2
    group = np.arange(models) % 2 == 0
    delta = np.where(group, -0.6, -0.1)
    logit = theta[:, None] - b[None, :] + delta[:, None] * fresh[None, :]
    p = 1 / (1 + np.exp(-logit))
    return rng.random((models, items, samples)) < p[:, :, None], group, fresh


def _rows(models: int, items: int, samples: int, new_schema: bool):
    outcomes, _, fresh = simulate(models, items, samples)
    half = items // 2
    for m in range(models):
        name = f"m{m:03d}"
        for i in range(items):
            form = "f2025" if fresh[i] else "f2024"
            item = f"{form}-{i - half if fresh[i] else i:04d}"
            for s in range(samples):
                key = f"b2:{m:03d}{i:05d}{s:03d}"
                correct = int(outcomes[m, i, s])
                yield key, name, form, item, s, correct


def build_new(path: Path, models: int, items: int, samples: int) -> None:
    """This version's schema, through the store's own migrations, then bulk rows."""
    from papertiger.schema import condition_id
    from papertiger.store import open_store

    open_store(path).close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    sampling = '{"extra":{},"max_tokens":null,"reasoning_effort":null,"temperature":0.6,"top_p":null}'
    cond = condition_id("solve", "h", sampling, 0)
    now = "2026-12-01T00:00:00.000000+00:00"
    spec = {"suite": "sim", "forms": [{"name": "f2024", "released": "2024-02-01"},
                                      {"name": "f2025", "released": "2025-02-06"}],
            "prompts": [{"name": "boxed", "hash": "h"}], "seed_base": 0,
            "models": [{"name": f"m{m:03d}", "group": "CN" if m % 2 == 0 else "US",
                        "training_cutoff": "2024-06-01", "price_in": 1.0, "price_out": 2.0,
                        "sampling": json.loads(sampling)} for m in range(models)]}
    con.execute("INSERT INTO runs (run_id, started_at, argv_json, spec_json) VALUES ('r', ?, '[]', ?)",
                (now, json.dumps(spec)))
    batch_a, batch_g = [], []
    for key, name, form, item, s, correct in _rows(models, items, samples, True):
        batch_a.append((key, "r", "papertiger", name, name, None, "sim", form,
                        "2024-02-01" if form == "f2024" else "2025-02-06", item, "x", "solve",
                        "boxed", "h", sampling, 0, cond, s, s, "ok", "The answer is 1.", None,
                        "stop", 100, 500, None, 0.0011, 1.0, None, 0.2, 500.0, 0, None, None,
                        None, now, None, float(correct), correct, "", str(correct)))
        batch_g.append((key, "integer", "1", None, str(correct), float(correct), correct,
                        "boxed", "", now))
        if len(batch_a) >= 100_000:
            _flush(con, batch_a, batch_g)
            batch_a, batch_g = [], []
    _flush(con, batch_a, batch_g)
    con.execute("UPDATE attempts SET grade_id = (SELECT id FROM grades WHERE attempt_key = attempts.key)")
    con.commit()
    con.close()


def _flush(con: sqlite3.Connection, attempts: list, grades: list) -> None:
    marks = ",".join("?" * len(attempts[0])) if attempts else ""
    if attempts:
        con.executemany(f"INSERT INTO attempts VALUES ({marks})", attempts)
        con.executemany(
            "INSERT INTO grades (attempt_key, grader, version, gold_hash, extracted, score,"
            " correct, method, flags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", grades)


def build_old(path: Path, models: int, items: int, samples: int) -> None:
    """The 0001 schema (papertiger 0.1), as the previous version wrote it."""
    from papertiger.store.migrations import APPLICATION_ID, MIGRATIONS, migrate

    con = sqlite3.connect(path, isolation_level=None)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    migrate(con, MIGRATIONS[:1])
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    sampling = '{"temperature":0.6,"top_p":null,"max_tokens":null,"reasoning_effort":null,"extra":{}}'
    spec = {"suite": "sim", "old": "f2024", "fresh": "f2025", "fresh_released": "2025-02-06",
            "models": [{"name": f"m{m:03d}", "group": "CN" if m % 2 == 0 else "US",
                        "training_cutoff": "2024-06-01"} for m in range(models)]}
    now = "2026-12-01T00:00:00.000000+00:00"
    con.execute("INSERT INTO runs (run_id, started_at, argv_json, spec_json) VALUES ('r', ?, '[]', ?)",
                (now, json.dumps(spec)))
    attempts, grades = [], []
    for key, name, form, item, s, correct in _rows(models, items, samples, False):
        role = "fresh" if form == "f2025" else "old"
        attempts.append((key, "r", name, name, None, "sim", form, role, item, s, s, "boxed", "h",
                         sampling, "ok", "The answer is 1.", None, "stop", 100, 500, None, 1.0,
                         0.2, 500.0, 0, None, None, now))
        grades.append((key, "integer", "1", str(correct), correct, "boxed", 0, 0, now))
        if len(attempts) >= 100_000:
            con.executemany(f"INSERT INTO attempts VALUES ({','.join('?' * 28)})", attempts)
            con.executemany("INSERT INTO grades (attempt_key, grader, version, extracted, correct,"
                            " method, fallback, truncated, created_at) VALUES (?,?,?,?,?,?,?,?,?)", grades)
            attempts, grades = [], []
    if attempts:
        con.executemany(f"INSERT INTO attempts VALUES ({','.join('?' * 28)})", attempts)
        con.executemany("INSERT INTO grades (attempt_key, grader, version, extracted, correct,"
                        " method, fallback, truncated, created_at) VALUES (?,?,?,?,?,?,?,?,?)", grades)
    con.execute("COMMIT")
    con.close()


def cached(kind: str, size: tuple[int, int, int]) -> Path:
    from common import cached_store  # type: ignore[import-not-found]

    build = build_new if kind == "new" else build_old
    return cached_store(CACHE, f"{kind}-{size[0]}x{size[1]}x{size[2]}", Path(__file__),
                        lambda tmp: build(tmp, *size))


def timed(cmd: list[str], env: dict[str, str], timeout: float) -> tuple[float | None, float | None, str]:
    """Wall seconds and peak RSS (MB) of one child process (GNU time's %M); None when it
    ran out of time."""
    started = time.monotonic()
    try:
        proc = subprocess.run(["/usr/bin/time", "-f", "peak-kb %M", *cmd], env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, f"> {timeout:.0f} s (stopped)"
    wall = time.monotonic() - started
    lines = proc.stderr.strip().splitlines()
    peak = next((float(x.split()[1]) / 1024 for x in reversed(lines) if x.startswith("peak-kb")), None)
    if proc.returncode != 0:
        return wall, peak, f"failed: {[x for x in lines if not x.startswith('peak-kb')][-1:]}"
    return wall, peak, "ok"


def previous_tree(rev: str) -> Path | None:
    """A checkout of the previous version (a git worktree), or None when git cannot make one."""
    from common import checkout  # type: ignore[import-not-found]

    return checkout(rev, CACHE / f"papertiger-{rev}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="20x60x64,100x60x64,200x1000x64")
    ap.add_argument("--previous", default=PREVIOUS)
    ap.add_argument("--previous-timeout", type=float, default=300)
    args = ap.parse_args()
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]
    python = sys.executable
    env_new = {**os.environ, "PYTHONPATH": str(SRC)}
    old_tree = previous_tree(args.previous)
    env_old = {**os.environ, "PYTHONPATH": str(old_tree / "src")} if old_tree else None
    print("| case | version | wall s | peak MB | status |")
    print("|---|---|---|---|---|")
    for version, env in (("this", env_new), (args.previous, env_old)):
        if env is None:
            continue
        cmd = [python, "-m", "papertiger", "report", "--format", "json"]
        wall, peak, status = timed(cmd, env, 120)
        print(f"| embedded table | {version} | {wall:.2f} | {peak:.0f} | {status} |" if wall
              else f"| embedded table | {version} | – | – | {status} |")
    for size in sizes:
        label = f"{size[0]} models × {size[1]} items × {size[2]} samples"
        new = cached("new", size)
        wall, peak, status = timed([python, "-m", "papertiger", "report", "--db", str(new),
                                    "--format", "json", "--n-boot", "2000"], env_new, 1800)
        print(f"| {label} | this | {wall:.2f} | {peak:.0f} | {status} |" if wall and peak
              else f"| {label} | this | {wall or '–'} | – | {status} |", flush=True)
        if env_old is not None:
            old = cached("old", size)
            wall, peak, status = timed([python, "-m", "papertiger", "report", "--db", str(old),
                                        "--format", "json"], env_old, args.previous_timeout)
            print(f"| {label} | {args.previous} | {wall:.2f} | {peak:.0f} | {status} |" if wall and peak
                  else f"| {label} | {args.previous} | – | – | {status} |", flush=True)


if __name__ == "__main__":
    main()
