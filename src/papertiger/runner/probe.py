"""The memorisation probe (arXiv 2507.10532): show the start of a problem, score what follows.

For each model × form × item × wording (`problem`, and `problem_alt` where the set has a
second wording) × prefix ratio, one greedy attempt of task ``continue``. The statement is
cut with `grading.continuation.split_prefix` (the ratio counts characters, the cut falls on
whitespace, never inside math); the prefix is sent, the remainder kept to score against.

Mode, per model: ``completion`` sends the bare prefix to the raw completions endpoint (no
chat template); ``chat`` sends `CHAT_TEMPLATE`, a fixed continuation instruction ending
with the prefix. ``auto`` keeps the mode a model's stored probe attempts already use (a
resumed probe never switches), else sends one tiny completions request
(`runner.probe_run.detect_modes`): a 404, 405 or 501 (or a 400 that names chat or
completions) means chat; success means completion.

The mode, ratio and wording are the attempt's prompt name (``probe-completion@0.6``,
``probe-chat@0.4/problem_alt``); its prompt hash is the sha256 of the template, the ratio
and the wording, so each is a condition of its own. Sampling is greedy: temperature 0,
`max_tokens` twice the remainder's length in tokens (estimated at 3 characters a token)
plus 32 for an answer, capped (1024 by default), the model's `extra` fields kept; seed 0.

Each successful attempt gets four grades: ``continuation-exact``, ``continuation-rouge_l``
and ``continuation-edit`` (the `ContinuationGrader` scores against the remainder, gold hash
= the remainder's) and ``continuation-answer``: 1 when the suite's grader finds the true
answer in the continuation by a box or an answer phrase, 0 otherwise (a last-number
fallback never counts: the continuation is mostly problem text, full of numbers).
This module plans and grades; `runner.probe_run` sends and stores.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Literal

from papertiger.errors import ConfigError
from papertiger.grading import Grader
from papertiger.grading.continuation import ContinuationGrader, split_prefix
from papertiger.providers import RetryPolicy
from papertiger.schema import (
    AttemptIdentity,
    BenchmarkSet,
    ChatRequest,
    Completion,
    Grade,
    ModelSpec,
    Problem,
    SamplingParams,
    Suite,
    attempt_key,
    gold_hash,
    text_hash,
)
from papertiger.store import AttemptFilter, SQLiteStore

__all__ = [
    "CHAT_TEMPLATE",
    "COMPLETION_TEMPLATE",
    "PROBE_GRADERS",
    "PROBE_RATIOS",
    "ProbeItem",
    "ProbeMode",
    "ProbePlan",
    "ProbeSpec",
    "check_probe_spec",
    "plan_probe",
    "probe_grades",
    "probe_items",
    "probe_prompt_hash",
    "probe_prompt_name",
    "resolve_modes",
    "stored_modes",
]

ProbeMode = Literal["completion", "chat"]
Wording = Literal["problem", "problem_alt"]
PROBE_RATIOS = (0.4, 0.6, 0.8)
PROBE_GRADERS = (
    "continuation-exact", "continuation-rouge_l", "continuation-edit", "continuation-answer",
)
COMPLETION_TEMPLATE = "{prefix}"
CHAT_TEMPLATE = (
    "Below is the beginning of a mathematics competition problem. Continue it exactly as it "
    "continues in its source, word for word, starting where it stops. Write the rest of the "
    "statement first, without repeating the beginning; after it, if you know the problem's "
    "answer, give it as \\boxed{}.\n\n{prefix}"
)
MAX_TOKENS = 1024
CHARS_PER_TOKEN = 3.0  # LaTeX-heavy statements tokenise densely
ANSWER_TOKENS = 32
PROBE_SEED = 0
_CONTINUATION = ContinuationGrader()


def probe_prompt_name(mode: str, ratio: float, wording: str = "problem") -> str:
    """'probe-completion@0.6', with '/problem_alt' for the second wording."""
    name = f"probe-{mode}@{ratio:g}"
    return name if wording == "problem" else f"{name}/{wording}"


def probe_prompt_hash(mode: str, ratio: float, wording: str = "problem") -> str:
    """sha256 of the mode's template, the ratio and the wording."""
    template = COMPLETION_TEMPLATE if mode == "completion" else CHAT_TEMPLATE
    return hashlib.sha256(f"{template}\x00ratio={ratio:g}\x00wording={wording}".encode()).hexdigest()


def _max_tokens(remainder: str, cap: int) -> int:
    return max(1, min(cap, 2 * math.ceil(len(remainder) / CHARS_PER_TOKEN) + ANSWER_TOKENS))


@dataclass(frozen=True)
class ProbeSpec:
    """One `papertiger probe memorization`: models, suite, store, ratios and the mode.

    `mode` is 'auto', 'completion' or 'chat' for every model; `concurrency` overrides each
    model's cap; `max_tokens` caps every reply; `provider` overrides each model's provider.
    """

    models: tuple[ModelSpec, ...]
    suite: Suite
    db: Path
    ratios: tuple[float, ...] = PROBE_RATIOS
    mode: Literal["auto", "completion", "chat"] = "auto"
    concurrency: int | None = None
    max_tokens: int = MAX_TOKENS
    provider: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    flush_batch: int = 32

    def provider_for(self, model: ModelSpec) -> str:
        """The provider name that serves `model` in this probe."""
        return self.provider or model.provider


@dataclass(frozen=True)
class ProbeItem:
    """One planned probe attempt: the cut, its identity and the request to send."""

    model: ModelSpec
    problem: Problem
    wording: Wording
    ratio: float
    mode: ProbeMode
    prefix: str
    remainder: str
    identity: AttemptIdentity
    request: ChatRequest

    @property
    def key(self) -> str:
        """The attempt key."""
        return self.request.key


@dataclass(frozen=True)
class ProbePlan:
    """Every planned attempt, those still to do, each model's mode and what was not cut."""

    items: tuple[ProbeItem, ...]
    todo: tuple[ProbeItem, ...]
    modes: Mapping[str, ProbeMode]
    uncut: tuple[str, ...] = ()

    @property
    def done(self) -> int:
        """Attempts already finished in the store."""
        return len(self.items) - len(self.todo)


def check_probe_spec(spec: ProbeSpec) -> None:
    """Refuse ratios, caps and models that cannot probe, before anything is sent."""
    if not spec.ratios:
        raise ConfigError("--prefix: give at least one prefix ratio")
    for ratio in spec.ratios:
        if not (math.isfinite(ratio) and 0.0 < ratio < 1.0):
            raise ConfigError(f"--prefix {ratio:g}: a prefix ratio is strictly between 0 and 1")
    names = [f"{r:g}" for r in spec.ratios]
    if len(set(names)) != len(names):
        raise ConfigError(f"--prefix: ratios repeat ({', '.join(names)})")
    if spec.mode not in ("auto", "completion", "chat"):
        raise ConfigError(f"--mode {spec.mode!r}: choose auto, completion or chat")
    if spec.max_tokens < 1:
        raise ConfigError("--max-tokens must be at least 1")
    if spec.concurrency is not None and spec.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    for model in spec.models:
        if spec.provider_for(model) == "openai" and not model.base_url:
            raise ConfigError(f"model {model.name!r} has no base_url in the catalogue")


def _wordings(problem: Problem) -> list[tuple[Wording, str]]:
    out: list[tuple[Wording, str]] = [("problem", problem.problem)]
    alt = problem.problem_alt
    if alt and alt.strip() and alt.strip() != problem.problem.strip():
        out.append(("problem_alt", alt))
    return out


def _item(spec: ProbeSpec, model: ModelSpec, form: BenchmarkSet, problem: Problem,
          cut: tuple[Wording, str, str, str], ratio: float, mode: ProbeMode) -> ProbeItem:
    wording, text, prefix, remainder = cut
    sampling = SamplingParams(temperature=0.0, max_tokens=_max_tokens(remainder, spec.max_tokens),
                              extra=model.sampling.extra)
    identity = AttemptIdentity(
        model=model.name, endpoint_model=model.endpoint_model, suite=spec.suite.name,
        form=form.name, form_released=form.released, item_id=problem.item_id,
        item_hash=text_hash(text), task="continue",
        prompt_name=probe_prompt_name(mode, ratio, wording),
        prompt_hash=probe_prompt_hash(mode, ratio, wording),
        sampling=sampling, sample_index=0, seed=PROBE_SEED,
    )
    key = attempt_key(identity)
    if mode == "completion":
        request = ChatRequest(key=key, model=model.name, kind="completion", prompt=prefix,
                              sampling=sampling, seed=PROBE_SEED)
    else:
        content = CHAT_TEMPLATE.replace("{prefix}", prefix, 1)  # not str.format: LaTeX has braces
        request = ChatRequest(key=key, model=model.name,
                              messages=({"role": "user", "content": content},),
                              sampling=sampling, seed=PROBE_SEED)
    return ProbeItem(model, problem, wording, ratio, mode, prefix, remainder, identity, request)


def probe_items(spec: ProbeSpec, modes: Mapping[str, ProbeMode]) -> tuple[list[ProbeItem], list[str]]:
    """Every attempt (model, ratio, then item i of each form), and the texts not cut."""
    columns = [[(f, p) for p in f.problems] for f in spec.suite.forms]
    order = [pair for row in zip_longest(*columns) for pair in row if pair is not None]
    items: list[ProbeItem] = []
    uncut: dict[str, None] = {}
    cuts: dict[tuple[str, str, float], list[tuple[Wording, str, str, str]]] = {}
    for form, problem in order:
        for ratio in spec.ratios:
            found = []
            for wording, text in _wordings(problem):
                try:
                    prefix, remainder = split_prefix(text, ratio)
                except ValueError:
                    uncut[f"{form.name}/{problem.item_id} ({wording})"] = None
                    continue
                found.append((wording, text, prefix, remainder))
            cuts[(form.name, problem.item_id, ratio)] = found
    for model in spec.models:
        for ratio in spec.ratios:
            for form, problem in order:
                for cut in cuts[(form.name, problem.item_id, ratio)]:
                    items.append(_item(spec, model, form, problem, cut, ratio, modes[model.name]))
    return items, list(uncut)


def stored_modes(store: SQLiteStore, spec: ProbeSpec) -> dict[str, ProbeMode]:
    """The mode most of each model's stored probe attempts of this suite use."""
    where = AttemptFilter(suites=[spec.suite.name], tasks=["continue"],
                          models=[m.name for m in spec.models])
    frame = store.attempts_frame(where=where, columns=("key", "model", "prompt_name"))
    counts: dict[str, Counter[ProbeMode]] = {}
    modes: tuple[ProbeMode, ...] = ("completion", "chat")
    for model, name in zip(frame["model"], frame["prompt_name"], strict=True):
        for mode in modes:
            if str(name).startswith(f"probe-{mode}@"):
                counts.setdefault(str(model), Counter())[mode] += 1
    return {m: c.most_common(1)[0][0] for m, c in counts.items()}


def resolve_modes(spec: ProbeSpec, store: SQLiteStore) -> dict[str, ProbeMode | None]:
    """Each model's mode: the spec's, else (auto) the stored one, else None (preflight)."""
    if spec.mode != "auto":
        return {m.name: spec.mode for m in spec.models}
    stored = stored_modes(store, spec)
    return {m.name: stored.get(m.name) for m in spec.models}


def plan_probe(spec: ProbeSpec, store: SQLiteStore, modes: Mapping[str, ProbeMode]) -> ProbePlan:
    """The plan against the store: finished keys are skipped (resume)."""
    check_probe_spec(spec)
    items, uncut = probe_items(spec, modes)
    finished = store.finished_keys([i.key for i in items])
    todo = tuple(i for i in items if i.key not in finished)
    return ProbePlan(tuple(items), todo, dict(modes), tuple(uncut))


def probe_grades(item: ProbeItem, completion: Completion, grader: Grader) -> list[Grade]:
    """The four grades of one successful probe attempt (see the module doc)."""
    scores = _CONTINUATION.score_completion(completion, item.remainder, prefix=item.prefix)
    ref = gold_hash(item.remainder)
    grades = [
        Grade(grader=f"continuation-{name}", version=_CONTINUATION.version, extracted=None,
              score=value, method="continuation", gold_hash=ref)
        for name, value in (("exact", scores.exact), ("rouge_l", scores.rouge_l),
                            ("edit", scores.edit_similarity))
    ]
    answer = grader.grade(completion, item.problem.answer)
    hit = answer.correct and not answer.fallback
    grades.append(Grade(
        grader="continuation-answer",
        version=f"{_CONTINUATION.version}+{grader.name}-{grader.version}",
        extracted=answer.extracted, score=1.0 if hit else 0.0, method=answer.method,
        flags=answer.flags, gold_hash=answer.gold_hash,
    ))
    return grades
