"""Expand a RunSpec into attempts, drop those already finished (resume), estimate cost.

The old and fresh sets are expanded with one template, one sampling configuration and one
grader, so the two halves of a suite are always run identically.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from papertiger.config import attempt_cost
from papertiger.prompts import render
from papertiger.runner.spec import RunSpec
from papertiger.schema import (
    BenchmarkSet,
    ChatRequest,
    ModelSpec,
    Problem,
    SamplingParams,
    attempt_key,
)
from papertiger.store import Role

DEFAULT_OUTPUT_TOKENS = 8192


@dataclass(frozen=True)
class WorkItem:
    """One planned attempt: which model, item, role and sample, and the request to send."""

    model: ModelSpec
    role: Role
    benchmark: str
    problem: Problem
    sample_index: int
    request: ChatRequest


@dataclass(frozen=True)
class ModelPlan:
    """Counts and estimates for one model."""

    model: str
    total: int
    done: int
    todo: int
    prompt_tokens: int
    output_tokens: int
    output_tokens_source: str
    cost_usd: float | None


@dataclass(frozen=True)
class Plan:
    """Every planned attempt, those still to do, and per-model estimates."""

    items: tuple[WorkItem, ...]
    todo: tuple[WorkItem, ...]
    models: tuple[ModelPlan, ...]

    @property
    def done(self) -> int:
        """Attempts already finished in the store."""
        return len(self.items) - len(self.todo)

    @property
    def cost_usd(self) -> float | None:
        """Estimated cost of the attempts still to do (None if any price is unknown)."""
        costs = [m.cost_usd for m in self.models if m.todo]
        return None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)


def sampling_for(model: ModelSpec) -> SamplingParams:
    """The sampling parameters a catalogue entry asks for."""
    return SamplingParams(
        temperature=model.temperature,
        top_p=model.top_p,
        max_tokens=model.max_tokens,
        reasoning_effort=model.reasoning_effort,
        extra=dict(model.extra),
    )


def _text_hash(problem: Problem) -> str:
    return hashlib.sha256(f"{problem.problem}\x00{problem.answer}".encode()).hexdigest()[:16]


def work_items(spec: RunSpec) -> list[WorkItem]:
    """All attempts of the run, in a stable order (model, role, item, sample)."""
    items = []
    for model in spec.models:
        sampling = sampling_for(model)
        sampling_dump = sampling.model_dump()
        halves: tuple[tuple[Role, BenchmarkSet], ...] = (
            ("old", spec.suite.old),
            ("fresh", spec.suite.fresh),
        )
        for role, bench in halves:
            for problem in bench.problems:
                messages = tuple(render(spec.template, problem))
                parts = {
                    "model": model.name,
                    "endpoint_model": model.endpoint_model,
                    "suite": spec.suite.name,
                    "benchmark": bench.name,
                    "item": problem.item_id,
                    "item_text": _text_hash(problem),
                    "prompt": spec.template.hash,
                    "sampling": sampling_dump,
                }
                for index in range(spec.samples):
                    # model_construct: every field is already a validated value
                    seed = spec.seed_base + index
                    request = ChatRequest.model_construct(
                        key=attempt_key(**parts, sample=index, seed=seed),
                        base_url=model.base_url or "",
                        model=model.endpoint_model,
                        messages=messages,
                        sampling=sampling,
                        seed=seed,
                        api_key_env=model.api_key_env,
                        timeout_s=model.timeout_s,
                        stream=model.stream,
                    )
                    items.append(WorkItem(model, role, bench.name, problem, index, request))
    return items


def make_plan(
    spec: RunSpec,
    finished: Iterable[str],
    mean_output_tokens: Mapping[str, float] | None = None,
    items: list[WorkItem] | None = None,
) -> Plan:
    """The plan, skipping finished keys; `mean_output_tokens` (per model, from the store)
    refines the output-token estimate, else max_tokens, else a stated default."""
    items = work_items(spec) if items is None else items
    done = set(finished)
    todo = tuple(i for i in items if i.request.key not in done)
    totals = Counter(i.model.name for i in items)
    todos: dict[str, list[WorkItem]] = {}
    for item in todo:
        todos.setdefault(item.model.name, []).append(item)
    models = tuple(
        _estimate(m, totals[m.name], todos.get(m.name, []), (mean_output_tokens or {}).get(m.name))
        for m in spec.models
    )
    return Plan(tuple(items), todo, models)


def _estimate(
    model: ModelSpec, total: int, todo: list[WorkItem], observed: float | None
) -> ModelPlan:
    prompt = sum(len(item.request.messages[0]["content"]) // 4 + 8 for item in todo)
    if observed is not None:
        per, source = observed, "mean of stored attempts"
    elif model.max_tokens is not None:
        per, source = float(model.max_tokens), "max_tokens (upper bound)"
    else:
        per, source = float(DEFAULT_OUTPUT_TOKENS), f"assumed {DEFAULT_OUTPUT_TOKENS} per attempt"
    output = int(per * len(todo))
    cost = attempt_cost(model.price_in, model.price_out, prompt, output)
    return ModelPlan(model.name, total, total - len(todo), len(todo), prompt, output, source, cost)
