"""What is sent to a model: the sampling parameters and one request with its own seed.

A request names the model by its catalogue name only. Where that model lives (base URL,
key variable, timeout, limits) belongs to the provider that serves it, so the same request
can go to any endpoint of the model, or to a scripted or local engine.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RequestKind = Literal["chat", "completion"]


class SamplingParams(BaseModel):
    """Everything about sampling that can change the output (held by the catalogue entry)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    reasoning_effort: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    def canonical(self) -> str:
        """Sorted, compact JSON: the form that goes into keys and condition ids."""
        return json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":"), default=str)


class ChatRequest(BaseModel):
    """One attempt to send: a chat (or plain completion) request with its own seed.

    `model` is the catalogue name; the provider maps it to an endpoint and model id.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    model: str
    messages: tuple[dict[str, str], ...] = ()
    prompt: str | None = None
    kind: RequestKind = "chat"
    sampling: SamplingParams = SamplingParams()
    seed: int | None = None

    def prompt_text(self) -> str:
        """The text the model sees (the last user message, or the plain prompt)."""
        if self.kind == "completion":
            return self.prompt or ""
        return self.messages[-1]["content"] if self.messages else ""

    def body(self, endpoint_model: str, *, stream: bool = True) -> dict[str, Any]:
        """The JSON body for /chat/completions or /completions."""
        s = self.sampling
        body: dict[str, Any] = {"model": endpoint_model}
        if self.kind == "chat":
            body["messages"] = [dict(m) for m in self.messages]
        else:
            body["prompt"] = self.prompt or ""
        for name in ("temperature", "top_p", "max_tokens", "reasoning_effort"):
            value = getattr(s, name)
            if value is not None:
                body[name] = value
        if self.seed is not None:
            body["seed"] = self.seed
        body.update(s.extra)
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body
