"""Ctrl-C and SIGTERM stop a run or a probe once, cleanly: the task is cancelled so its
commits run, and any later signal is ignored so it cannot cut the last commit."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

from papertiger.errors import PapertigerError

__all__ = ["Interrupted", "cancel_on_signals", "recorded"]

T = TypeVar("T")


class Interrupted(PapertigerError):
    """The run was stopped by a signal; finished attempts are stored. `signal` names it."""

    def __init__(self, signame: str) -> None:
        self.signal = signame
        super().__init__(f"stopped by {signame}")


async def recorded(work: Coroutine[Any, Any, T], finish: Callable[[str], object],
                   outcome_of: Callable[[T], str] = lambda _: "completed") -> T:
    """Await `work` under the signal handlers and tell `finish` how it ended: its outcome,
    'interrupted' (then `Interrupted` is raised for a signal) or 'failed'."""
    caught: list[str] = []
    task = asyncio.ensure_future(work)
    outcome = "failed"
    try:
        with cancel_on_signals(task, caught):
            result = await task
        outcome = outcome_of(result)
        return result
    except asyncio.CancelledError:
        outcome = "interrupted"
        if caught:
            raise Interrupted(caught[0]) from None
        raise
    except KeyboardInterrupt:
        outcome = "interrupted"
        raise
    finally:
        finish(outcome)


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
