"""The provider seam: what the runner needs from anything that answers requests.

A provider owns its endpoints (an OpenAI-compatible server's base URL, key variable,
timeout and limits; a local engine; a scripted fake), so a request carries only the model's
catalogue name, the prompt, the sampling and the seed. Providers are made by name from a
registry, like Inspect's `@modelapi` factories: the runner never names a class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from papertiger.errors import ConfigError
from papertiger.schema import ChatRequest, Completion, ModelSpec

__all__ = [
    "PROVIDERS",
    "Provider",
    "ProviderContext",
    "ProviderFactory",
    "RoutingProvider",
    "create_provider",
    "providers_for",
    "register_provider",
]


@runtime_checkable
class Provider(Protocol):
    """Answers requests; every failure comes back as a `status="error"` completion."""

    async def complete(self, request: ChatRequest) -> Completion:
        """One attempt, retries included."""
        ...

    async def aclose(self) -> None:
        """Release connections, processes or engines."""
        ...


@dataclass(frozen=True)
class ProviderContext:
    """What a factory may need beyond the models.

    `answers` maps a problem text to (form, gold answer): only the scripted provider uses
    it, to answer right with a configured probability. `forms` lists the suite's forms in
    release order. `concurrency` overrides every model's own cap when set. `retry` is the
    provider's retry policy object, if it takes one.
    """

    forms: tuple[str, ...] = ()
    answers: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    concurrency: int | None = None
    retry: object | None = None


ProviderFactory = Callable[[Sequence[ModelSpec], ProviderContext], Provider]
PROVIDERS: dict[str, ProviderFactory] = {}


def register_provider(name: str, factory: ProviderFactory) -> None:
    """Make a provider available by name (built-ins register themselves on import)."""
    PROVIDERS[name] = factory


def create_provider(
    name: str, models: Sequence[ModelSpec], context: ProviderContext | None = None
) -> Provider:
    """A provider by registry name for these models."""
    factory = PROVIDERS.get(name)
    if factory is None:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigError(f"unknown provider {name!r}; known providers: {known}")
    return factory(models, context or ProviderContext())


class RoutingProvider:
    """Several providers behind one: each request goes to the provider of its model."""

    def __init__(self, by_model: Mapping[str, Provider]) -> None:
        self.by_model = dict(by_model)

    async def complete(self, request: ChatRequest) -> Completion:
        """Hand the request to its model's provider."""
        provider = self.by_model.get(request.model)
        if provider is None:
            return Completion(
                key=request.key, status="error", error=f"no provider for model {request.model!r}"
            )
        return await provider.complete(request)

    async def preflight(self) -> list[str]:
        """Every distinct provider's preflight problems (providers without one have none)."""
        problems: list[str] = []
        for provider in {id(p): p for p in self.by_model.values()}.values():
            check = getattr(provider, "preflight", None)
            if check is not None:
                problems += await check()
        return problems

    async def aclose(self) -> None:
        """Close every distinct provider once."""
        for provider in {id(p): p for p in self.by_model.values()}.values():
            await provider.aclose()


def providers_for(
    models: Sequence[ModelSpec],
    names: Mapping[str, str],
    context: ProviderContext | None = None,
) -> Provider:
    """One provider for models that may be served by different providers (`names`: model
    name → provider name); a single provider when they share one."""
    groups: dict[str, list[ModelSpec]] = {}
    for model in models:
        groups.setdefault(names[model.name], []).append(model)
    made = {name: create_provider(name, group, context) for name, group in groups.items()}
    if len(made) == 1:
        return next(iter(made.values()))
    return RoutingProvider({m.name: made[names[m.name]] for m in models})
