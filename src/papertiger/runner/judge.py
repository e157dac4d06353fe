"""The judge pass of `papertiger dedup --judge`: ask a model whether two problems are one.

Each marked candidate pair is sent once to a catalogue model with the fixed prompt
`JUDGE_TEMPLATE` (fresh item as Problem A, the earlier source as Problem B). Its reply is
stored as an attempt of task ``judge`` (prompt ``dedup-judge``, hashed like the solve
templates: sha256 of the template text), so the pass resumes: an attempt already stored as
'ok' is never sent again and its verdict is re-read from the stored text.

The attempt's form and item are the fresh item's; its item hash is the hash of both texts
(`pair_hash`), so another source, or a changed text, is another attempt. Sampling is the
catalogue entry's, the seed `seed` (0 by default), one sample.

The verdict is read from the reply's last non-empty line: the last of the words ``SAME``
or ``DIFFERENT`` written there in capitals decides ('same' / 'different'); a last line
with neither is 'unclear'. A failed request has no verdict (None) and is retried by the
next run.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from papertiger.config import attempt_cost
from papertiger.dedup import Candidate
from papertiger.errors import ConfigError
from papertiger.providers import Provider, ProviderContext, create_provider
from papertiger.providers.router import SERVED_BY
from papertiger.schema import (
    Attempt,
    AttemptIdentity,
    ChatRequest,
    Completion,
    ModelSpec,
    attempt_key,
    text_hash,
)
from papertiger.store import AttemptFilter, SQLiteStore

__all__ = [
    "JUDGE_PROMPT_HASH",
    "JUDGE_PROMPT_NAME",
    "JUDGE_TEMPLATE",
    "JudgeSummary",
    "Verdict",
    "check_judge_model",
    "judge_attempt",
    "judge_candidates",
    "judge_candidates_async",
    "judge_prompt",
    "pair_hash",
    "pair_key",
    "parse_verdict",
]

Verdict = Literal["same", "different", "unclear"]
PairKey = tuple[str, str, str, str]  # (form, item_id, source_form, source_id)

JUDGE_PROMPT_NAME = "dedup-judge"
JUDGE_TEMPLATE = (
    "You are checking a mathematics benchmark for near-duplicate problems.\n"
    "\n"
    "Are the two problems below the same problem up to rewording or changed numbers? "
    "Answer SAME if they ask the same mathematical question in the same setting, so that "
    "a solution of one is a solution of the other once the wording or the numbers are "
    "adjusted. Answer DIFFERENT if they only share a topic, a technique or a setting.\n"
    "\n"
    "Problem A:\n"
    "{problem_a}\n"
    "\n"
    "Problem B:\n"
    "{problem_b}\n"
    "\n"
    "Explain briefly, then give your verdict alone on the last line: SAME or DIFFERENT."
)
JUDGE_PROMPT_HASH = hashlib.sha256(JUDGE_TEMPLATE.encode("utf-8")).hexdigest()
_VERDICT_RE = re.compile(r"\b(SAME|DIFFERENT)\b")


def judge_prompt(fresh: str, earlier: str) -> str:
    """The judge's prompt for one pair (filled with str.replace: LaTeX is full of braces)."""
    return JUDGE_TEMPLATE.replace("{problem_a}", fresh, 1).replace("{problem_b}", earlier, 1)


def pair_hash(fresh: str, earlier: str) -> str:
    """Hash of both texts of a pair: the judge attempt's item hash and the flags' pair hash."""
    return text_hash(fresh + "\x00" + earlier)


def pair_key(candidate: Candidate) -> PairKey:
    """(form, item_id, source_form, source_id): how verdicts are looked up."""
    return (candidate.target.form, candidate.target.id, candidate.earlier.form, candidate.earlier.id)


def parse_verdict(text: str | None) -> Verdict | None:
    """'same' / 'different' from the last non-empty line, 'unclear' otherwise; None: no reply."""
    if text is None:
        return None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return "unclear"
    found = _VERDICT_RE.findall(lines[-1])
    if not found:
        return "unclear"
    return "same" if found[-1] == "SAME" else "different"


def judge_attempt(
    model: ModelSpec, suite: str, candidate: Candidate, *, seed: int | None = 0
) -> tuple[AttemptIdentity, ChatRequest]:
    """The identity and request of one pair's judge attempt."""
    target, source = candidate.target, candidate.earlier
    identity = AttemptIdentity(
        model=model.name,
        endpoint_model=model.endpoint_model,
        suite=suite,
        form=target.form,
        form_released=target.released,
        item_id=target.id,
        item_hash=pair_hash(target.text, source.text),
        task="judge",
        prompt_name=JUDGE_PROMPT_NAME,
        prompt_hash=JUDGE_PROMPT_HASH,
        sampling=model.sampling,
        sample_index=0,
        seed=seed,
    )
    request = ChatRequest(
        key=attempt_key(identity),
        model=model.name,
        messages=({"role": "user", "content": judge_prompt(target.text, source.text)},),
        sampling=model.sampling,
        seed=seed,
    )
    return identity, request


@dataclass(frozen=True)
class JudgeSummary:
    """What a judge pass did; `verdicts` and `keys` are by `pair_key` for every pair."""

    model: str
    pairs: int
    requests: int
    done_before: int
    ok: int
    errors: int
    cost_usd: float
    run_id: str | None
    verdicts: dict[PairKey, Verdict | None] = field(default_factory=dict)
    keys: dict[PairKey, str] = field(default_factory=dict)


def check_judge_model(model: ModelSpec) -> None:
    """Fail before the first request, not with one failed attempt per pair."""
    if model.provider == "openai" and not model.base_url:
        raise ConfigError(f"judge model {model.name!r} has no base_url in the catalogue")
    if model.provider == "openai" and model.api_key_env and not os.environ.get(model.api_key_env):
        raise ConfigError(
            f"judge model {model.name!r} reads its API key from ${model.api_key_env}, "
            "which is not set in the environment"
        )


def _stored_texts(
    store: SQLiteStore, model: ModelSpec, suite: str, keys: set[str]
) -> dict[str, str]:
    where = AttemptFilter(suites=[suite], models=[model.name], tasks=["judge"], status="ok")
    return {
        a.key: a.completion.text or "" for a in store.iter_attempts(where=where) if a.key in keys
    }


async def judge_candidates_async(
    candidates: Sequence[Candidate],
    model: ModelSpec,
    store: SQLiteStore,
    suite: str,
    *,
    provider: Provider | None = None,
    seed: int | None = 0,
    argv: Sequence[str] = (),
) -> JudgeSummary:
    """Judge each pair once (resuming from `store`), storing every reply as it arrives.

    `provider` defaults to `create_provider(model.provider, [model], ProviderContext())`.
    """
    planned: dict[str, tuple[AttemptIdentity, ChatRequest]] = {}
    keys: dict[PairKey, str] = {}
    for candidate in candidates:
        identity, request = judge_attempt(model, suite, candidate, seed=seed)
        keys[pair_key(candidate)] = request.key
        planned.setdefault(request.key, (identity, request))
    finished = store.finished_keys(list(planned))
    todo = [planned[k] for k in planned if k not in finished]
    texts = _stored_texts(store, model, suite, finished)
    run_id: str | None = None
    ok = errors = 0
    costs: list[float] = []
    if todo:
        if provider is None:
            check_judge_model(model)
        run_id = store.start_run(
            argv=list(argv),
            spec={
                "task": "judge",
                "suite": suite,
                "prompts": [{"name": JUDGE_PROMPT_NAME, "hash": JUDGE_PROMPT_HASH}],
                "models": [model.model_dump(mode="json")],
                "pairs": len(todo),
            },
        )
        owned = provider is None
        active = provider or create_provider(model.provider, [model], ProviderContext())
        gate = asyncio.Semaphore(max(1, model.concurrency) * max(1, len(model.base_urls)))
        outcome = "interrupted"

        async def one(identity: AttemptIdentity, request: ChatRequest) -> Completion:
            async with gate:
                SERVED_BY.set(None)
                completion = await active.complete(request)
            price = attempt_cost(
                model.price_in, model.price_out,
                completion.prompt_tokens, completion.completion_tokens,
            )
            attempt = Attempt(
                identity=identity, completion=completion, run_id=run_id,
                endpoint=SERVED_BY.get() or model.base_url, cost_usd=price,
            )
            store.put_attempts([attempt])  # one small commit per reply: nothing lost
            costs.append(price or 0.0)
            return completion

        try:
            done = await asyncio.gather(*(one(i, r) for i, r in todo))
            outcome = "completed"
        finally:
            if owned:
                await active.aclose()
            store.finish_run(run_id, outcome=outcome)
        for completion in done:
            if completion.status == "ok":
                ok += 1
                texts[completion.key] = completion.text or ""
            else:
                errors += 1
    verdicts = {
        pk: (parse_verdict(texts[key]) if key in texts else None) for pk, key in keys.items()
    }
    return JudgeSummary(
        model=model.name,
        pairs=len(keys),
        requests=len(todo),
        done_before=len(finished),
        ok=ok,
        errors=errors,
        cost_usd=sum(costs),
        run_id=run_id,
        verdicts=verdicts,
        keys=keys,
    )


def judge_candidates(
    candidates: Sequence[Candidate],
    model: ModelSpec,
    store: SQLiteStore,
    suite: str,
    *,
    provider: Provider | None = None,
    seed: int | None = 0,
    argv: Sequence[str] = (),
) -> JudgeSummary:
    """Synchronous wrapper of `judge_candidates_async`."""
    return asyncio.run(
        judge_candidates_async(
            candidates, model, store, suite, provider=provider, seed=seed, argv=argv
        )
    )
