#!/usr/bin/env python3
"""Export speed and memory: `papertiger export` to Parquet and CSV, this working tree
beside the committed one (git HEAD), measured in the same run.

Stores are built once and cached under bench/.cache (gitignored): the schema through
`open_store`, then attempts written with direct SQL in the runner's shape — a grade per
successful attempt (5 % graded twice, the export takes the latest), 2 % errors, the items
with their problem text. Two shapes of text:

  short  a one-line answer and no raw response (what the scripted provider stores; the
         store of the issue, whose export is 28 MB of Parquet for 1.6 million attempts)
  long   a ~3 KB answer, and its raw response (a chat.completion JSON body around it,
         zlib-compressed as the runner packs it, ~1.3 KB stored)

Each cell runs `python -m papertiger export --db STORE -o OUT` as a child process and
reports wall time and the child's peak resident memory (getrusage of a wrapper process
that waits for it). The committed version runs from a `git worktree` checkout with
PYTHONPATH pointing at it. When both versions finish, the outputs are compared: CSV byte
for byte, Parquet by rows, columns and types (the old export typed all-missing columns
as null; the new one keeps their type, so those columns are left out of the comparison).

Targets (issue 11): 1.6 million attempts exported in ≤ 15 s and ≤ 500 MB.

    .venv/bin/python bench/export.py [--attempts 1600000] [--texts short,long]
        [--formats parquet,csv] [--previous HEAD] [--previous-timeout 900]
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))

TARGET_S, TARGET_MB = 15.0, 500.0
ITEMS, SAMPLES = 500, 64  # per model; models = attempts / (ITEMS × SAMPLES), rounded up
_WRAP = (  # runs one command under a memory cap, then prints its peak RSS (kB) and CPU s
    "import resource, subprocess, sys\n"
    "cap = int(sys.argv[1])\n"
    "resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
    "rc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL).returncode\n"
    "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print('peak-kb', use.ru_maxrss, use.ru_utime + use.ru_stime, file=sys.stderr)\n"
    "sys.exit(rc)\n"
)
_ATTEMPT_INSERT_COLUMNS = (
    "key, run_id, source, model, endpoint_model, endpoint, suite, form, form_released,"
    " item_id, item_hash, task, prompt_name, prompt_hash, sampling_json, seed_base, condition,"
    " sample_index, seed, status, text, reasoning, finish_reason, prompt_tokens,"
    " completion_tokens, reasoning_tokens, cost_usd, latency_s, queue_s, ttft_s,"
    " output_tokens_per_s, retries, error, error_code, raw, created_at"
)


def _corpus(seed: int = 0) -> str:
    """A few MB of word salad with math in it: compresses about as an answer does."""
    rng = random.Random(seed)
    letters = "etaoinshrdlucmfwypvbgkqjxz"
    words = ["".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(3000)]
    words += ["$x^2$", "\\frac{1}{2}", "=", "+", "Therefore,", "\\boxed{204}", "\n\n"]
    return " ".join(rng.choices(words, k=700_000))


def _attempt_rows(n: int, texts: str) -> Iterator[tuple[tuple[object, ...], list[tuple[object, ...]]]]:
    """(attempt row, its grade rows) for attempt numbers 0..n-1, created 1.3 ms apart."""
    from papertiger.schema import condition_id
    from papertiger.store.records import iso_utc, pack_raw

    rng = random.Random(1)
    corpus = _corpus() if texts == "long" else ""
    sampling = '{"extra":{},"max_tokens":null,"reasoning_effort":null,"temperature":0.6,"top_p":null}'
    cond = condition_id("solve", "h", sampling, 0)
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for i in range(n):
        model, item, sample = f"m{i // (ITEMS * SAMPLES):03d}", (i // SAMPLES) % ITEMS, i % SAMPLES
        form = "f2025" if item >= ITEMS // 2 else "f2024"
        item_id = f"{form}-{item:04d}"
        key = hashlib.blake2b(i.to_bytes(8, "little"), digest_size=16).hexdigest()
        created = iso_utc(start + dt.timedelta(microseconds=1300 * i + rng.randrange(1000)))
        ok = rng.random() >= 0.02
        text = raw = None
        if ok and texts == "long":
            at = rng.randrange(len(corpus) - 4000)
            text = corpus[at : at + rng.randint(2000, 4000)]
            raw = pack_raw(json.dumps({
                "id": f"chatcmpl-{key[:24]}", "object": "chat.completion", "created": 1793000000 + i,
                "model": model, "choices": [{"index": 0, "finish_reason": "stop",
                                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 130, "completion_tokens": len(text) // 4,
                          "total_tokens": 130 + len(text) // 4}}))
        elif ok:
            text = f"Adding the cases gives {rng.randrange(1000)}, so the answer is \\boxed{{{item}}}."
        row = ("k" + key, "r", "papertiger", model, model, "http://127.0.0.1:8000/v1", "sim",
               form, "2024-02-01" if form == "f2024" else "2025-02-06", item_id, "x", "solve",
               "boxed", "h", sampling, 0, cond, sample, sample, "ok" if ok else "error", text,
               None, "stop" if ok else None, 130, rng.randrange(200, 1200) if ok else None, None,
               0.0011 if ok else None, rng.random() * 30, 0.01, rng.random(), 80 + rng.random() * 40,
               0, None if ok else "HTTP 503: overloaded", None if ok else "http_5xx", raw, created)
        grades: list[tuple[object, ...]] = []
        if ok:
            correct = int(rng.random() < 0.6)
            grades.append(("k" + key, "integer", "1", "g1", str(item), float(correct), correct,
                           "boxed", "", created))
            if rng.random() < 0.05:
                grades.append(("k" + key, "math_verify", "1", "g1", str(item), 1.0, 1, "verify",
                               "fallback", iso_utc(start + dt.timedelta(days=40, microseconds=i))))
        yield row, grades


def build(path: Path, n: int, texts: str) -> None:
    """This version's schema through `open_store`, then rows in bulk, then each attempt's
    latest grade copied onto it as the store keeps it."""
    from papertiger.store import open_store

    open_store(path).close()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    con.execute("INSERT INTO runs (run_id, started_at, argv_json, spec_json) VALUES"
                " ('r', '2026-11-01T00:00:00.000000+00:00', '[]', '{}')")
    problem = "Find the number of ordered pairs $(x, y)$ of integers such that " * 4
    con.executemany(
        "INSERT INTO items (suite, form, item_id, item_hash, problem, answer, released, updated_at)"
        " VALUES ('sim', ?, ?, 'x', ?, ?, NULL, '2026-11-01T00:00:00.000000+00:00')",
        [("f2025" if i >= ITEMS // 2 else "f2024", f"{'f2025' if i >= ITEMS // 2 else 'f2024'}-{i:04d}",
          f"{problem}{i}.", str(i)) for i in range(ITEMS)])
    attempts: list[tuple[object, ...]] = []
    grades: list[tuple[object, ...]] = []
    insert_a = f"INSERT INTO attempts ({_ATTEMPT_INSERT_COLUMNS}) VALUES ({','.join('?' * 36)})"
    insert_g = ("INSERT INTO grades (attempt_key, grader, version, gold_hash, extracted, score,"
                " correct, method, flags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    for row, graded in _attempt_rows(n, texts):
        attempts.append(row)
        grades.extend(graded)
        if len(attempts) >= 50_000:
            con.executemany(insert_a, attempts)
            con.executemany(insert_g, grades)
            attempts, grades = [], []
    con.executemany(insert_a, attempts)
    con.executemany(insert_g, grades)
    from papertiger.store.migrations import LATEST_GRADE_ALL

    con.execute(LATEST_GRADE_ALL + " WHERE status = 'ok'")
    con.execute("COMMIT")
    con.close()


def cached(n: int, texts: str) -> Path:
    from common import cached_store  # type: ignore[import-not-found]

    return cached_store(CACHE, f"export-{texts}-{n}", Path(__file__), lambda tmp: build(tmp, n, texts))


Timing = tuple[float | None, float | None, float | None, str]  # wall s, CPU s, peak MB, status


def timed(cmd: list[str], env: dict[str, str], timeout: float, cap_gb: float) -> Timing:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process, run with its
    address space capped (a runaway version fails with MemoryError instead of pushing
    the machine into swap or the OOM killer); None when it ran out of time."""
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-c", _WRAP, str(int(cap_gb * 2**30)), *cmd], env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, None, f"> {timeout:.0f} s (stopped)"
    wall = time.monotonic() - started
    lines = proc.stderr.strip().splitlines()
    mark = next((x.split() for x in reversed(lines) if x.startswith("peak-kb")), None)
    peak, cpu = (float(mark[1]) / 1024, float(mark[2])) if mark else (None, None)
    if proc.returncode != 0:
        last = [x for x in lines if not x.startswith("peak-kb")][-1:]
        return wall, cpu, peak, f"failed (exit {proc.returncode}): {last[0][:60] if last else ''}"
    return wall, cpu, peak, "ok"


def previous_tree(rev: str) -> Path | None:
    """A checkout of `rev` (a detached git worktree in /tmp), or None when git cannot make one."""
    from common import checkout  # type: ignore[import-not-found]

    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], capture_output=True,
                         text=True).stdout.strip()
    return checkout(rev, Path("/tmp") / f"papertiger-export-{sha or rev}")


def same_output(fmt: str, new: Path, old: Path) -> str:
    """'identical' / 'same table' when the two exports agree, else what differs."""
    if fmt == "csv":
        return "identical" if filecmp.cmp(new, old, shallow=False) else "DIFFERENT bytes"
    import pyarrow.parquet as pq

    a, b = pq.ParquetFile(new), pq.ParquetFile(old)
    if a.metadata.num_rows != b.metadata.num_rows:
        return f"DIFFERENT rows ({a.metadata.num_rows} vs {b.metadata.num_rows})"
    sa, sb = a.schema_arrow, b.schema_arrow
    if sa.names != sb.names:
        return "DIFFERENT columns"
    typed = [n for n in sa.names if str(sb.field(n).type) != "null"]
    if any(sa.field(n).type != sb.field(n).type for n in typed):
        return "DIFFERENT types"
    untyped = [n for n in sa.names if n not in typed]
    if untyped and any(c.null_count != len(c) for c in a.read(columns=untyped).columns):
        return "DIFFERENT (a column all missing before has values)"
    left, right = _batches(a, typed), _batches(b, typed)
    x, y = next(left, None), next(right, None)
    while x is not None and y is not None:  # walk both files, whatever their row groups
        n = min(x.num_rows, y.num_rows)
        if not x.slice(0, n).equals(y.slice(0, n)):
            return "DIFFERENT values"
        x = x.slice(n) if n < x.num_rows else next(left, None)
        y = y.slice(n) if n < y.num_rows else next(right, None)
    return "same table"


def _batches(file: pq.ParquetFile, columns: list[str]) -> Iterator[pa.Table]:
    import pyarrow as pa

    for batch in file.iter_batches(batch_size=20_000, columns=columns):
        yield pa.Table.from_batches([batch])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--attempts", type=int, default=1_600_000)
    ap.add_argument("--texts", default="short,long")
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--previous", default="HEAD")
    ap.add_argument("--previous-timeout", type=float, default=900)
    ap.add_argument("--memory-cap-gb", type=float, default=16, help="address-space cap of each export")
    args = ap.parse_args()
    python = sys.executable
    env_new = {**os.environ, "PYTHONPATH": str(SRC)}
    old_tree = previous_tree(args.previous)
    env_old = {**os.environ, "PYTHONPATH": str(old_tree / "src")} if old_tree else None
    out = CACHE / "out"
    out.mkdir(parents=True, exist_ok=True)
    _header(args.attempts)
    print("| texts | format | version | wall s | CPU s | peak MB | output MB | status | target | old = new |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for texts in args.texts.split(","):
        store = cached(args.attempts, texts)
        for fmt in args.formats.split(","):
            files: dict[str, Path] = {}
            for version, env in (("this", env_new), (args.previous, env_old)):
                if env is None:
                    continue
                target = out / f"{version}.{fmt}"
                target.unlink(missing_ok=True)
                timeout = 900 if version == "this" else args.previous_timeout
                cmd = [python, "-m", "papertiger", "export", "--db", str(store), "-o", str(target)]
                wall, cpu, peak, status = timed(cmd, env, timeout, args.memory_cap_gb)
                size = target.stat().st_size / 2**20 if status == "ok" else None
                if status == "ok":
                    files[version] = target
                met = "–"
                if status == "ok" and args.attempts >= 1_600_000 and wall is not None and peak is not None:
                    met = "met" if wall <= TARGET_S and peak <= TARGET_MB else "missed"
                check = same_output(fmt, files["this"], target) if version != "this" and len(files) == 2 else ""
                print(f"| {texts} | {fmt} | {version} | {_num(wall, 1)} | {_num(cpu, 1)} | {_num(peak, 0)} | "
                      f"{_num(size, 0)} | {status} | {met} | {check} |", flush=True)
            for path in files.values():
                path.unlink(missing_ok=True)


def _header(attempts: int) -> None:
    import pyarrow

    load = os.getloadavg()
    print(f"{attempts:,} attempts; targets (at 1.6 million): ≤ {TARGET_S:.0f} s, ≤ {TARGET_MB:.0f} MB")
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.1f} at the start; Python "
          f"{sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, pyarrow {pyarrow.__version__}\n")


def _num(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


if __name__ == "__main__":
    main()
