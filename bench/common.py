"""What the benchmarks share: stores built once and cached, and a checkout of an earlier
version to run beside this one."""

from __future__ import annotations

import hashlib
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
