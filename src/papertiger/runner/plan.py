"""Expand a RunSpec into attempts, drop those already finished (resume), estimate cost.

Every form of the suite is expanded with the same templates, sampling configuration and
grader, so the forms are always run identically. Attempts are ordered so that the forms
interleave (item 1 of each form, then item 2, ...; sample 0 of everything before sample 1):
a run stopped early holds comparable numbers of attempts on each form.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import zip_longest

from papertiger.config import attempt_cost
from papertiger.prompts import PromptTemplate, render
from papertiger.runner.spec import RunSpec
from papertiger.schema import (
    AttemptIdentity,
    BenchmarkSet,
    ChatRequest,
    ModelSpec,
    Problem,
    key_from_parts,
    text_hash,
)

DEFAULT_OUTPUT_TOKENS = 8192


@dataclass(frozen=True)
class WorkItem:
    """One planned attempt: its identity, the item (with its gold), and the request to send."""

    model: ModelSpec
    problem: Problem
    identity: AttemptIdentity
    request: ChatRequest

    @property
    def form(self) -> str:
        """The form's name."""
        return self.identity.form

    @property
    def sample_index(self) -> int:
        """The sample's index (0-based)."""
        return self.identity.sample_index


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


def _interleaved(forms: tuple[BenchmarkSet, ...]) -> list[tuple[BenchmarkSet, Problem]]:
    """(form, item) pairs taking item i of every form before item i + 1."""
    columns = [[(form, p) for p in form.problems] for form in forms]
    return [pair for row in zip_longest(*columns) for pair in row if pair is not None]


def _model_items(
    spec: RunSpec, model: ModelSpec, template: PromptTemplate, order: list[tuple[BenchmarkSet, Problem]]
) -> list[WorkItem]:
    sampling = model.sampling
    sampling_dump = sampling.model_dump()
    rendered = {(f.name, p.item_id): tuple(render(template, p)) for f, p in order}
    hashes = {(f.name, p.item_id): text_hash(p.problem) for f, p in order}
    items = []
    for index in range(spec.samples):
        seed = spec.seed_base + index
        for form, problem in order:
            where = (form.name, problem.item_id)
            # model_construct: every field is already a validated value
            identity = AttemptIdentity.model_construct(
                model=model.name,
                endpoint_model=model.endpoint_model,
                source="papertiger",
                suite=spec.suite.name,
                form=form.name,
                form_released=form.released,
                item_id=problem.item_id,
                item_hash=hashes[where],
                task="solve",
                prompt_name=template.name,
                prompt_hash=template.hash,
                sampling=sampling,
                sample_index=index,
                seed=seed,
            )
            key = key_from_parts(
                model=model.name,
                endpoint_model=model.endpoint_model,
                source="papertiger",
                suite=spec.suite.name,
                form=form.name,
                item=problem.item_id,
                item_hash=hashes[where],
                task="solve",
                prompt=template.hash,
                sampling=sampling_dump,
                sample=index,
                seed=seed,
            )
            request = ChatRequest.model_construct(
                key=key,
                model=model.name,
                messages=rendered[where],
                prompt=None,
                kind="chat",
                sampling=sampling,
                seed=seed,
            )
            items.append(WorkItem(model, problem, identity, request))
    return items


def work_items(spec: RunSpec) -> list[WorkItem]:
    """All attempts of the run, in a stable order (model, prompt, sample, item, form)."""
    order = _interleaved(spec.suite.forms)
    return [
        item
        for model in spec.models
        for template in spec.templates
        for item in _model_items(spec, model, template, order)
    ]


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
    prompt = sum(len(item.request.prompt_text()) // 4 + 8 for item in todo)
    if observed is not None:
        per, source = observed, "observed mean"
    elif model.max_tokens is not None:
        per, source = float(model.max_tokens), "max_tokens (upper bound)"
    else:
        per, source = float(DEFAULT_OUTPUT_TOKENS), f"assumed {DEFAULT_OUTPUT_TOKENS}"
    output = int(per * len(todo))
    cost = attempt_cost(model.price_in, model.price_out, prompt, output)
    return ModelPlan(model.name, total, total - len(todo), len(todo), prompt, output, source, cost)
