"""What to run: models × a suite × k samples with one prompt, into one store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from papertiger.prompts import PromptTemplate
from papertiger.providers import RetryPolicy
from papertiger.schema import ModelSpec, Suite


@dataclass(frozen=True)
class RunSpec:
    """One `papertiger run`: validated once at the edge, then passed as one object.

    `concurrency` overrides every model's own cap when set. Each sample's seed is
    `seed_base + sample_index`, so k samples of an item differ on servers that honour seeds.
    """

    models: tuple[ModelSpec, ...]
    suite: Suite
    samples: int
    template: PromptTemplate
    db: Path
    max_cost: float | None = None
    concurrency: int | None = None
    seed_base: int = 0
    flush_interval_s: float = 0.5
    retry: RetryPolicy = field(default_factory=RetryPolicy)
