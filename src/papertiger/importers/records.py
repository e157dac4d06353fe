"""The neutral record every importer yields: one model answer to one item, as the tool kept it.

An `ImportedSample` says what another tool recorded for one repeat (sample, epoch, run) of
one item, with the tool's own words for model, task and item. Mapping it onto papertiger's
attempts (which model, suite, form and item it is) happens above this layer; the readers
only parse, normalise types and say clearly where a file is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, Protocol

__all__ = ["TOOLS", "ImportedSample", "Reader", "Tool"]

Tool = Literal["lm-eval", "inspect", "lighteval", "matharena", "csv"]
TOOLS: tuple[Tool, ...] = ("lm-eval", "inspect", "lighteval", "matharena", "csv")


@dataclass(frozen=True)
class ImportedSample:
    """One repeat of one item as another tool recorded it.

    Identity, as the tool spelled it:
      source_tool, source_file, source_locator ("line 12", "row 7", "sample 3 epoch 2"),
      model (None when the file does not say), task (the tool's task or benchmark name),
      suite/form (only where the file names papertiger's own suite and form: the CSV),
      item_key (the tool's item id as text), sample_index (0-based repeat, epoch or run),
      filter (lm-eval's filter name; several filters give several records per repeat).
    Item content for matching: problem, gold, prompt (the prompt as sent, when kept).
    What came back: response, reasoning, and the tool's own grade: extracted, correct,
      score, with `metric` naming the metric or scorer they came from. `correct` is None
      when the tool's verdict is not about this one repeat (e.g. a maj@k or avg@n value
      kept per document); the document-level values are then in `extra`.
    Usage where kept: prompt/completion/reasoning tokens, cost_usd, latency_s.
    error: the sample failed in the tool (Inspect); such records are never graded.
    extra: small, JSON-friendly details worth keeping (hashes, metric values, warnings).
    """

    source_tool: Tool
    source_file: str
    source_locator: str
    model: str | None
    task: str | None
    item_key: str
    sample_index: int
    problem: str | None = None
    gold: str | None = None
    prompt: str | None = None
    suite: str | None = None
    form: str | None = None
    filter: str | None = None
    response: str | None = None
    reasoning: str | None = None
    extracted: str | None = None
    correct: bool | None = None
    score: float | None = None
    metric: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_usd: float | None = None
    latency_s: float | None = None
    error: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.sample_index < 0:
            raise ValueError(f"sample_index must be >= 0, got {self.sample_index}")
        if not isinstance(self.extra, MappingProxyType):
            object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    @property
    def has_text(self) -> bool:
        """Whether there is model text papertiger could grade itself."""
        return self.error is None and bool(self.response)


class Reader(Protocol):
    """A tool's reader: one file in, its records out, streamed where the format allows."""

    def __call__(self, path: Path) -> Iterator[ImportedSample]: ...
