"""A model in the catalogue: where to reach it, how to sample it, what it costs, who made it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from papertiger.schema.request import SamplingParams

SAMPLING_FIELDS = ("temperature", "top_p", "max_tokens", "reasoning_effort", "extra")


def http_url(value: str) -> str:
    """The URL, stripped, if it is http(s) with a host; else a ValueError saying so."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"must be an http:// or https:// URL with a host, e.g. "
            f"https://api.deepseek.com/v1 (got {value!r})"
        )
    return value.strip()


class ModelSpec(BaseModel):
    """One `[[model]]` entry. The API key is never held here, only its variable's name.

    Sampling settings live in one `SamplingParams`; in TOML they may be written flat
    (`temperature = 0.6`) or as a `[model.sampling]` table. `provider` names the provider
    that serves the model ('openai' for any OpenAI-compatible endpoint, 'scripted' for
    the built-in fake model); `provider_options` are that provider's own settings.

    `base_url` may list several servers of the same model (`base_url = [A, B]`): it then
    holds the first and `extra_base_urls` the rest, so code that needs one URL keeps
    working; `base_urls` gives them all. `concurrency` and `rpm` apply to each of them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    provider: str = "openai"
    base_url: str | None = None
    extra_base_urls: tuple[str, ...] = ()  # the rest of a `base_url = [...]` list
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
    sampling: SamplingParams = SamplingParams()
    timeout_s: float = Field(default=600.0, gt=0)
    # False: one JSON body per reply (cheaper, no time to first token); "sample": stream
    # one request in STREAM_SAMPLE_EVERY (chosen by attempt key), enough for timing quartiles
    stream: bool | Literal["sample"] = True
    provider_options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("stream", mode="before")
    @classmethod
    def _stream(cls, value: Any) -> Any:
        if isinstance(value, bool) or value == "sample":
            return value
        raise ValueError(f'stream must be true, false or "sample", got {value!r}')

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        """An endpoint is an http(s) URL with a host: anything else fails every attempt."""
        return None if value is None else http_url(value)

    @field_validator("extra_base_urls")
    @classmethod
    def _http_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(http_url(v) for v in value)

    @model_validator(mode="before")
    @classmethod
    def _url_list(cls, data: Any) -> Any:
        """`base_url = [A, B, ...]`: the first stays `base_url`, the rest go beside it."""
        if not isinstance(data, dict) or not isinstance(data.get("base_url"), list | tuple):
            return data
        urls = list(data["base_url"])
        if not urls:
            raise ValueError("base_url is an empty list; give one URL or several")
        if data.get("extra_base_urls"):
            raise ValueError("list every endpoint in base_url = [...], not in extra_base_urls")
        return {**data, "base_url": urls[0], "extra_base_urls": tuple(urls[1:])}

    @model_validator(mode="after")
    def _distinct_urls(self) -> ModelSpec:
        """The same server twice would double its cap and skew the spreading."""
        if self.extra_base_urls and self.base_url is None:
            raise ValueError("extra_base_urls needs a base_url")
        seen: set[str] = set()
        for url in self.base_urls:
            if url.rstrip("/") in seen:
                raise ValueError(f"base_url lists {url!r} twice")
            seen.add(url.rstrip("/"))
        return self

    @model_validator(mode="before")
    @classmethod
    def _flat_sampling(cls, data: Any) -> Any:
        """Accept `temperature = ...` beside `[model.sampling]`; both at once is an error."""
        if not isinstance(data, dict):
            return data
        flat = {k: data[k] for k in SAMPLING_FIELDS if k in data}
        if not flat:
            return data
        out = {k: v for k, v in data.items() if k not in SAMPLING_FIELDS}
        nested = out.get("sampling")
        if isinstance(nested, SamplingParams):
            nested = nested.model_dump(exclude_defaults=True)
        nested = dict(nested or {})
        both = sorted(set(flat) & set(nested))
        if both:
            raise ValueError(f"{both[0]!r} is set both flat and in [model.sampling]")
        out["sampling"] = {**nested, **flat}
        return out

    @property
    def base_urls(self) -> tuple[str, ...]:
        """Every server of this model, the first one first (empty when none is set)."""
        return () if self.base_url is None else (self.base_url, *self.extra_base_urls)

    @property
    def endpoint_model(self) -> str:
        """The model id sent to the endpoint (defaults to the catalogue name)."""
        return self.model or self.name

    @property
    def max_tokens(self) -> int | None:
        """The sampling's output-token cap, if set."""
        return self.sampling.max_tokens
