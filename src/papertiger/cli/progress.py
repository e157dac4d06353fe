"""A rich progress display per model: done/total, errors, retries, cost so far, ETA."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from papertiger.runner import ModelProgress


class RichObserver:
    """Implements the runner's observer with one progress bar per model."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("errors {task.fields[errors]} · retries {task.fields[retries]} · ${task.fields[cost]:.4f}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.closed = False
        self.shown: dict[str, float] = {}
        self.latest: dict[str, ModelProgress] = {}

    def started(self, progress: dict[str, ModelProgress]) -> None:
        self.progress.start()
        for name, p in progress.items():
            self.tasks[name] = self.progress.add_task(
                name, total=p.total, completed=p.done_before, errors=0, retries=0, cost=0.0
            )

    def advanced(self, p: ModelProgress) -> None:
        self.latest[p.model] = p
        now = time.monotonic()
        done = p.done_before + p.attempted >= p.total
        if not done and now - self.shown.get(p.model, 0.0) < 0.1:
            return  # the display refreshes 10 times a second; more updates are wasted work
        self.shown[p.model] = now
        self._show(p)

    def _show(self, p: ModelProgress) -> None:
        self.progress.update(
            self.tasks[p.model],
            completed=p.done_before + p.attempted,
            errors=p.errors,
            retries=p.retries,
            cost=p.cost_usd,
        )

    def stopping(self, reason: str) -> None:
        self.console.print(f"[yellow]{escape(reason)}[/]")

    def waiting(self, holder: str) -> None:
        self.console.print(f"waiting for {escape(holder)} to finish writing the store ...")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for p in self.latest.values():  # the last counts, whatever the throttle skipped
            self._show(p)
        self.progress.stop()
