"""The attempt, papertiger's atom: who was asked which item, how, and what came back.

An attempt's identity says everything that can change its output: the model and the id
sent to its endpoint, where the attempt came from (a papertiger run or an imported file),
the suite, form and item (through a hash of the problem text), the task, the prompt, the
sampling parameters, the sample index and the seed. `attempt_key` hashes exactly that. It
never hashes the gold answer: correcting an answer is a regrade, not a re-run.

A *condition* is what several attempts must share to be pooled into one score: the task,
the prompt, the sampling parameters and the seed base. Analyses group by model ×
condition × form and never pool conditions silently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from papertiger.schema.completion import Completion
from papertiger.schema.request import SamplingParams

KEY_PREFIX = "b2:"
CONDITION_PREFIX = "c:"
RUN_SOURCE = "papertiger"

Task = Literal["solve", "continue", "judge"]
TASKS: tuple[str, ...] = ("solve", "continue", "judge")


def text_hash(text: str) -> str:
    """A short content hash of a problem text (the item's part of the key)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _digest(parts: object) -> str:
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()


class Condition(BaseModel):
    """Task, prompt, sampling and seed base: what attempts must share to be pooled."""

    model_config = ConfigDict(frozen=True)

    task: Task = "solve"
    prompt_name: str
    prompt_hash: str
    sampling: SamplingParams = SamplingParams()
    seed_base: int | None = None

    @property
    def id(self) -> str:
        """Stable short id: `c:` and 12 hex digits (the prompt's name is not part of it)."""
        return condition_id(self.task, self.prompt_hash, self.sampling.canonical(), self.seed_base)


def condition_id(task: str, prompt_hash: str, sampling_json: str, seed_base: int | None) -> str:
    """The id of a condition from its stored parts (also used by store migrations).

    `sampling_json` is re-canonicalised, so key order in stored JSON does not matter.
    """
    try:
        sampling = json.loads(sampling_json or "{}")
    except ValueError:
        sampling = sampling_json
    parts = {"task": task, "prompt": prompt_hash, "sampling": sampling, "seed_base": seed_base}
    return CONDITION_PREFIX + _digest(parts)[:12]


class AttemptIdentity(BaseModel):
    """Everything that identifies one attempt (and nothing that merely describes a run).

    `form_released` describes the form and is kept for analysis, but is not part of the
    key; nor are the run, the endpoint that served the attempt, timeouts or concurrency.
    """

    model_config = ConfigDict(frozen=True)

    model: str
    endpoint_model: str
    source: str = RUN_SOURCE
    suite: str
    form: str
    form_released: dt.date | None = None
    item_id: str
    item_hash: str
    task: Task = "solve"
    prompt_name: str
    prompt_hash: str
    sampling: SamplingParams = SamplingParams()
    sample_index: int = Field(ge=0)
    seed: int | None = None

    @property
    def seed_base(self) -> int | None:
        """The seed of sample 0: seeds run seed_base, seed_base + 1, ..."""
        return None if self.seed is None else self.seed - self.sample_index

    @property
    def condition(self) -> Condition:
        """The condition this attempt belongs to."""
        return Condition(
            task=self.task,
            prompt_name=self.prompt_name,
            prompt_hash=self.prompt_hash,
            sampling=self.sampling,
            seed_base=self.seed_base,
        )


def attempt_key(identity: AttemptIdentity) -> str:
    """The attempt's stable key: a hash of its identity (problem text, never the answer)."""
    return key_from_parts(
        model=identity.model,
        endpoint_model=identity.endpoint_model,
        source=identity.source,
        suite=identity.suite,
        form=identity.form,
        item=identity.item_id,
        item_hash=identity.item_hash,
        task=identity.task,
        prompt=identity.prompt_hash,
        sampling=identity.sampling.model_dump(),
        sample=identity.sample_index,
        seed=identity.seed,
    )


def key_from_parts(**parts: object) -> str:
    """`attempt_key` on already-dumped parts (the planner's fast path; same result)."""
    return KEY_PREFIX + _digest(parts)


class Attempt(BaseModel):
    """One attempt: its identity and what came back, plus where and when it ran."""

    model_config = ConfigDict(frozen=True)

    identity: AttemptIdentity
    completion: Completion
    run_id: str | None = None
    endpoint: str | None = None
    cost_usd: float | None = None

    @property
    def key(self) -> str:
        """The attempt key (the completion carries it)."""
        return self.completion.key
