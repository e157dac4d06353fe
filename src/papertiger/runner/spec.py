"""What to run: models × a suite's forms × k samples under one or more prompts, into a store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from papertiger.prompts import PromptTemplate
from papertiger.providers import RetryPolicy
from papertiger.schema import ModelSpec, Suite


@dataclass(frozen=True)
class RunSpec:
    """One `papertiger run`: validated once at the edge, then passed as one object.

    Each prompt template is a condition of its own: every item is run under each.
    `concurrency` overrides every model's own cap when set. Each sample's seed is
    `seed_base + sample_index`, so k samples of an item differ on servers that honour
    seeds. `provider` overrides each model's own provider name when set. Finished
    attempts are committed after `flush_batch` of them or `flush_interval_s`, whichever
    comes first.
    """

    models: tuple[ModelSpec, ...]
    suite: Suite
    samples: int
    templates: tuple[PromptTemplate, ...]
    db: Path
    max_cost: float | None = None
    concurrency: int | None = None
    seed_base: int = 0
    flush_interval_s: float = 0.1
    flush_batch: int = 32
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    provider: str | None = None

    @property
    def template(self) -> PromptTemplate:
        """The first (often the only) prompt template."""
        return self.templates[0]

    def provider_for(self, model: ModelSpec) -> str:
        """The provider name that serves `model` in this run."""
        return self.provider or model.provider
