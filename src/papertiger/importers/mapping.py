"""An imported record and its matched item -> a papertiger `Attempt` and its grades.

Identity (what the key hashes):
- `model`: `--model`, else the tool's name for it; `endpoint_model`: the tool's name;
- `source`: the tool and its run (`runinfo`), never the file's path;
- `suite`, `form`, `item_id`, `item_hash`: the *suite's* item after matching, so keys line
  up with live runs' item identity (`item_hash` hashes the suite's text);
- `task`: "solve"; `sample_index`: the tool's repeat; `seed`: None (see `runinfo`);
- `prompt_hash`: sha256 of the tool's name and the prompt template, which is the recorded
  prompt with the record's problem text replaced by `{problem}`. Without a recorded prompt
  that contains the problem, the template is the fixed text "<prompt not recorded>". The
  tool's name is hashed in because a harness is more than its words (system prompt, chat
  template, solver): a condition never spans two tools, so a report never pools an
  imported run with a live one. The form is *not* hashed in: one run's forms (aime24,
  aime25) must share a condition for the report to pair them.
- `sampling`: what the run recorded, else empty.

Grades: the tool's own verdict first, as grader `source:<tool>` (`source:<tool>:<filter>`
for lm-eval's second and later filters), then papertiger's grade from the suite's grader
where the record has response text. Both are written in one batch, papertiger's last, so
it is the latest grade and the one analyses use; the source's stays beside it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from papertiger.config import attempt_cost
from papertiger.grading import Grader
from papertiger.importers.matching import Match
from papertiger.importers.records import ImportedSample
from papertiger.schema import (
    Attempt,
    AttemptIdentity,
    Completion,
    Grade,
    ModelSpec,
    SamplingParams,
    attempt_key,
    gold_hash,
    text_hash,
)

__all__ = [
    "NOT_RECORDED",
    "SOURCE_GRADER_PREFIX",
    "AttemptContext",
    "own_grade",
    "prompt_of",
    "source_grade",
    "to_attempt",
]

NOT_RECORDED = "<prompt not recorded>"
SOURCE_GRADER_PREFIX = "source:"
PLACEHOLDER = "{problem}"
_LENGTH = {"max_tokens", "model_length", "length"}


@dataclass(frozen=True)
class AttemptContext:
    """What every record of one file shares: the model, run, sampling and grading."""

    model: str
    source: str
    suite: str
    sampling: SamplingParams
    run_id: str | None
    version: str | None  # the tool's version, for its grades
    spec: ModelSpec | None  # the catalogue entry, for prices


def prompt_of(sample: ImportedSample) -> tuple[str, str]:
    """(prompt name, prompt hash) of a record: its tool and its template, hashed together."""
    template = None
    if sample.prompt and sample.problem and sample.problem in sample.prompt:
        template = sample.prompt.replace(sample.problem, PLACEHOLDER, 1)
    name = sample.source_tool if template is not None else f"{sample.source_tool} (no prompt)"
    text = f"{sample.source_tool}\n{template if template is not None else NOT_RECORDED}"
    return name, hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_attempt(sample: ImportedSample, match: Match, context: AttemptContext) -> Attempt:
    """The attempt a record is (status 'error' for a failed sample or one with no answer)."""
    prompt_name, prompt_hash = prompt_of(sample)
    identity = AttemptIdentity(
        model=context.model,
        endpoint_model=sample.model or context.model,
        source=context.source,
        suite=context.suite,
        form=match.form.name,
        form_released=match.form.released,
        item_id=match.problem.item_id,
        item_hash=text_hash(match.problem.problem),
        task="solve",
        prompt_name=prompt_name,
        prompt_hash=prompt_hash,
        sampling=context.sampling,
        sample_index=sample.sample_index,
        seed=None,
    )
    error = sample.error
    if error is None and not sample.response and sample.correct is None and sample.score is None:
        error = "the tool recorded neither a response nor a grade for this sample"
    completion = Completion(
        key=attempt_key(identity),
        status="error" if error is not None else "ok",
        text=sample.response,
        reasoning=sample.reasoning,
        finish_reason=_finish_reason(sample.extra.get("finish_reason")),
        prompt_tokens=sample.prompt_tokens,
        completion_tokens=sample.completion_tokens,
        reasoning_tokens=sample.reasoning_tokens,
        latency_s=sample.latency_s,
        error=error,
        raw=_raw(sample),
    )
    cost = sample.cost_usd
    if cost is None and context.spec is not None:
        cost = attempt_cost(
            context.spec.price_in,
            context.spec.price_out,
            sample.prompt_tokens,
            sample.completion_tokens,
        )
    return Attempt(identity=identity, completion=completion, run_id=context.run_id, cost_usd=cost)


def source_grade(
    sample: ImportedSample, version: str | None, *, primary: bool = True
) -> Grade | None:
    """The tool's own verdict on this repeat as a Grade (None when it kept none)."""
    if sample.error is not None or (sample.correct is None and sample.score is None):
        return None
    name = f"{SOURCE_GRADER_PREFIX}{sample.source_tool}"
    if not primary:
        name += f":{sample.filter}"
    score = float(sample.correct) if sample.correct is not None else float(sample.score or 0.0)
    method = sample.metric or "source"
    if sample.filter is not None:
        method = f"{method},{sample.filter}"
    return Grade(
        grader=name,
        version=version or "1",
        extracted=sample.extracted,
        score=score,
        method=method,
        gold_hash=gold_hash(sample.gold) if sample.gold else None,
    )


def own_grade(attempt: Attempt, gold: str, grader: Grader) -> Grade | None:
    """papertiger's grade of the response text (None for failures and text-less records)."""
    completion = attempt.completion
    if completion.status != "ok" or not completion.text:
        return None
    return grader.grade(completion, gold)


def _finish_reason(value: Any) -> str | None:
    """Inspect's `max_tokens`/`model_length` are OpenAI's `length` (the truncation flag)."""
    if not isinstance(value, str):
        return None
    return "length" if value in _LENGTH else value


def _raw(sample: ImportedSample) -> str:
    """What the tool kept beyond the attempt's columns, verbatim enough to re-derive grades."""
    kept = {
        "tool": sample.source_tool,
        "file": sample.source_file,
        "locator": sample.source_locator,
        "model": sample.model,
        "task": sample.task,
        "item_key": sample.item_key,
        "filter": sample.filter,
        "problem": sample.problem,
        "gold": sample.gold,
        "prompt": sample.prompt,
        "extracted": sample.extracted,
        "correct": sample.correct,
        "score": sample.score,
        "metric": sample.metric,
        "cost_usd": sample.cost_usd,
        "extra": dict(sample.extra),
    }
    return json.dumps({k: v for k, v in kept.items() if v is not None}, default=str)
