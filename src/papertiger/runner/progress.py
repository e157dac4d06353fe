"""Live counters of a run, per model, for the CLI's progress display and the summary."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class ModelProgress:
    """Mutable counters for one model; the runner updates, the CLI reads."""

    model: str
    total: int
    done_before: int
    ok: int = 0
    errors: int = 0
    retries: int = 0
    correct: int = 0
    cost_usd: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> int:
        """Attempts finished so far, including those from earlier runs."""
        return self.done_before + self.ok

    @property
    def attempted(self) -> int:
        """Attempts this run has completed, successfully or not."""
        return self.ok + self.errors


class RunObserver(Protocol):
    """What the runner reports while it works (the CLI implements it with rich)."""

    def started(self, progress: dict[str, ModelProgress]) -> None: ...

    def advanced(self, progress: ModelProgress) -> None: ...

    def stopping(self, reason: str) -> None: ...


class QuietObserver:
    """An observer that shows nothing (library use, tests)."""

    def started(self, progress: dict[str, ModelProgress]) -> None:
        """Nothing to show."""

    def advanced(self, progress: ModelProgress) -> None:
        """Nothing to show."""

    def stopping(self, reason: str) -> None:
        """Nothing to show."""
