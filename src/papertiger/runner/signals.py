"""Ctrl-C and SIGTERM stop a run or a probe once, cleanly: the task is cancelled so its
commits run, and any later signal is ignored so it cannot cut the last commit."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["cancel_on_signals"]


@contextlib.contextmanager
def cancel_on_signals(task: asyncio.Task[Any], caught: list[str]) -> Iterator[None]:
    """SIGINT and SIGTERM cancel `task` once (their names go into `caught`); later ones are
    ignored. Outside the main thread signals cannot be handled, so nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()

    def stop(signame: str) -> None:
        caught.append(signame)
        if len(caught) == 1:
            task.cancel()

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop, sig.name)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not on this platform or loop
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
            if caught:  # stopping already: a further signal must not cut the last commits
                signal.signal(sig, signal.SIG_IGN)
