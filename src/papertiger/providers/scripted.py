"""A scripted fake model that ships with papertiger (as Inspect ships `mockllm`).

It answers a known problem right with a configured probability per form, deterministically
from the model's name, the prompt and the request's seed, and reports usage and timings,
so `papertiger run --provider scripted` shows the whole flow without a key or a server,
and tests use it where HTTP is not the point.

Options (`provider_options` in the catalogue entry):

    accuracy = 0.6                                  # every form
    accuracy = [0.8, 0.6, 0.55]                     # by form, in the suite's release order
    accuracy = { aime2024 = 0.8, aime2025 = 0.6 }   # by form name (others: `default`)
    default = 0.5                                   # forms not named (default 0.5)
    completion_tokens = 800                         # mean output tokens (default 600)
    latency_s = 0.0                                 # seconds per reply (default 0: instant)

A prompt that contains none of the suite's problems is answered with a fixed wrong text.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from papertiger.errors import ConfigError
from papertiger.providers.base import ProviderContext, register_provider
from papertiger.schema import ChatRequest, Completion, ModelSpec

__all__ = ["ScriptedModel", "ScriptedProvider"]


def _unit(*parts: object) -> float:
    """A deterministic draw in [0, 1) from the parts."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


@dataclass(frozen=True)
class ScriptedModel:
    """One scripted model's behaviour, read from its `provider_options`."""

    name: str
    accuracy: Mapping[str, float]
    default: float = 0.5
    completion_tokens: int = 600
    latency_s: float = 0.0

    @classmethod
    def from_spec(cls, spec: ModelSpec, forms: Sequence[str]) -> ScriptedModel:
        options = dict(spec.provider_options)
        unknown = sorted(set(options) - {"accuracy", "default", "completion_tokens", "latency_s"})
        if unknown:
            raise ConfigError(f"model {spec.name!r}: unknown scripted option {unknown[0]!r}")
        accuracy = options.get("accuracy", {})
        default = float(options.get("default", 0.5))
        if isinstance(accuracy, int | float):
            default, accuracy = float(accuracy), {}
        elif isinstance(accuracy, list):
            accuracy = dict(zip(forms, accuracy, strict=False))
        elif not isinstance(accuracy, Mapping):
            raise ConfigError(f"model {spec.name!r}: scripted accuracy must be a number, list or table")
        values = {str(k): float(v) for k, v in accuracy.items()}
        for form, p in [*values.items(), ("default", default)]:
            if not 0.0 <= p <= 1.0:
                raise ConfigError(f"model {spec.name!r}: scripted accuracy for {form} must be in [0, 1]")
        return cls(
            name=spec.name,
            accuracy=values,
            default=default,
            completion_tokens=int(options.get("completion_tokens", 600)),
            latency_s=float(options.get("latency_s", 0.0)),
        )

    def p(self, form: str) -> float:
        """The chance of a right answer on `form`."""
        return self.accuracy.get(form, self.default)


def _wrong(gold: str, draw: float) -> str:
    if gold.strip().lstrip("-").isdigit():
        return str((int(gold) + 1 + int(draw * 997)) % 1000)
    return f"{gold} + {1 + int(draw * 9)}"


class ScriptedProvider:
    """Answers from a script; see the module doc for the options."""

    def __init__(
        self, models: Mapping[str, ScriptedModel], answers: Mapping[str, tuple[str, str]]
    ) -> None:
        self.models = dict(models)
        self.answers = dict(answers)
        self._by_length = sorted(self.answers, key=len, reverse=True)
        self._seen: dict[str, tuple[str, str] | None] = {}

    def _lookup(self, prompt: str) -> tuple[str, str] | None:
        if prompt not in self._seen:
            found = next((text for text in self._by_length if text in prompt), None)
            self._seen[prompt] = None if found is None else self.answers[found]
        return self._seen[prompt]

    async def complete(self, request: ChatRequest) -> Completion:
        """A deterministic reply: right with the model's accuracy on the item's form."""
        model = self.models.get(request.model)
        if model is None:
            return Completion(
                key=request.key, status="error", error=f"no scripted model {request.model!r}"
            )
        prompt = request.prompt_text()
        found = self._lookup(prompt)
        draw = _unit(model.name, prompt, request.seed)
        if found is None:
            answer, form = "0", None
        else:
            form, gold = found
            answer = gold if draw < model.p(form) else _wrong(gold, _unit("wrong", draw))
        tokens = max(1, int(model.completion_tokens * (0.5 + _unit("tokens", draw))))
        if model.latency_s:
            await asyncio.sleep(model.latency_s)
        text = f"Working through the problem{'' if form else ' (not recognised)'}. The answer is \\boxed{{{answer}}}."
        latency = model.latency_s
        return Completion(
            key=request.key,
            status="ok",
            text=text,
            finish_reason="stop",
            prompt_tokens=len(prompt) // 4 + 8,
            completion_tokens=tokens,
            latency_s=latency,
            ttft_s=latency * 0.2 if latency else None,
            output_tokens_per_s=tokens / (latency * 0.8) if latency else None,
            raw=None,
        )

    async def aclose(self) -> None:
        """Nothing to release."""


def _scripted_factory(models: Sequence[ModelSpec], context: ProviderContext) -> ScriptedProvider:
    return ScriptedProvider(
        {m.name: ScriptedModel.from_spec(m, context.forms) for m in models}, context.answers
    )


register_provider("scripted", _scripted_factory)
