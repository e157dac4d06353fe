"""One writer per store: an advisory lock on a sidecar file (`results.db.lock`).

A second `papertiger run` on a store in use would pay for every attempt twice (both see
the same keys as not yet done). The writer takes an exclusive `flock` on the sidecar and
writes who it is (process id, host, start time, command) into it. The operating system
drops a `flock` when its process dies, `kill -9` included, so a lock left by a killed
process is simply taken over by the next writer; the stale description it left is
overwritten. Readers (`report`, `export`) never take the lock: SQLite's WAL lets them read
while the writer commits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from papertiger.errors import StoreError

__all__ = ["StoreBusy", "writer_lock"]


class StoreBusy(StoreError):
    """Another process is writing to the store; `holder` says which."""

    def __init__(self, message: str, holder: dict[str, object]) -> None:
        self.holder = holder
        super().__init__(message)


def _describe(holder: dict[str, object]) -> str:
    parts = [f"process {holder.get('pid', '?')}"]
    if holder.get("host"):
        parts.append(f"on {holder['host']}")
    if holder.get("started_at"):
        parts.append(f"since {holder['started_at']}")
    command = holder.get("argv")
    if isinstance(command, list) and command:
        parts.append(f"({' '.join(str(a) for a in command)[:120]})")
    return " ".join(parts)


def _read_holder(handle: IO[str]) -> dict[str, object]:
    handle.seek(0)
    try:
        data = json.loads(handle.read() or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def writer_lock(
    db: Path,
    *,
    wait: bool = False,
    poll_s: float = 0.5,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[dict[str, object]]:
    """Hold the store's writer lock for the block; yield what was written into it.

    Without `wait`, a store in use raises `StoreBusy` at once, naming the holder; with
    `wait`, it blocks until the holder finishes (`on_wait` is told once, with the holder).
    ':memory:' stores need no lock.
    """
    if str(db) == ":memory:":
        yield {}
        return
    path = Path(f"{db}.lock")
    try:
        handle = path.open("a+", encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot create the writer lock {path}: {exc.strerror}") from None
    with handle:
        if not _try_lock(handle):
            holder = _read_holder(handle)
            if not wait:
                raise StoreBusy(
                    f"{db} is being written by {_describe(holder)}; wait for it to finish, "
                    "or add --wait to start when it does",
                    holder,
                )
            if on_wait is not None:
                on_wait(_describe(holder))
            while not _try_lock(handle):
                time.sleep(poll_s)
        me: dict[str, object] = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "argv": ["papertiger", *sys.argv[1:]],
        }
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(me))
        handle.flush()
        try:
            yield me
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
