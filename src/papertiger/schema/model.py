"""A model in the catalogue: where to reach it, how to sample it, what it costs, who made it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ModelSpec(BaseModel):
    """One `[[model]]` entry. The API key is never held here, only its variable's name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    group: str | None = None
    lab: str | None = None
    lineage: str | None = None
    released: dt.date | None = None
    training_cutoff: dt.date | None = None
    price_in: float | None = Field(default=None, ge=0)
    price_out: float | None = Field(default=None, ge=0)
    concurrency: int = Field(default=16, ge=1)
    rpm: float | None = Field(default=None, gt=0)
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = None
    top_p: float | None = None
    reasoning_effort: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float = Field(default=600.0, gt=0)
    stream: bool = True  # False: one JSON body per reply, cheaper, but no time to first token

    @property
    def endpoint_model(self) -> str:
        """The model id sent to the endpoint (defaults to the catalogue name)."""
        return self.model or self.name
