"""What is sent to a model, and the content hash that identifies an attempt."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

KEY_PREFIX = "b2:"


class SamplingParams(BaseModel):
    """Everything about sampling that can change the output."""

    model_config = ConfigDict(frozen=True)

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    reasoning_effort: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class ChatRequest(BaseModel):
    """One attempt to send: a chat (or plain completion) request with its own seed."""

    model_config = ConfigDict(frozen=True)

    key: str
    base_url: str
    model: str
    messages: tuple[dict[str, str], ...] = ()
    prompt: str | None = None
    kind: Literal["chat", "completion"] = "chat"
    sampling: SamplingParams = SamplingParams()
    seed: int | None = None
    api_key_env: str | None = None
    timeout_s: float = 600.0
    stream: bool = True

    def body(self, *, stream: bool = True) -> dict[str, Any]:
        """The JSON body for /chat/completions or /completions."""
        s = self.sampling
        body: dict[str, Any] = {"model": self.model}
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


def attempt_key(**parts: Any) -> str:
    """Hash the output-affecting parts of an attempt into a tagged, stable key.

    Callers pass only what changes the output (model, endpoint model id, suite, item,
    prompt hash, sampling parameters, sample index); never timeouts or concurrency.
    """
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return KEY_PREFIX + hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()
