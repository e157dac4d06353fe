"""How attempts become rows and rows attempts, and what a batch write did.

The store holds `schema.Attempt`s: an identity, a completion, and where and when it ran.
Rows are built straight from those objects (no validation on the hot path: the objects
were validated when they were made) and read back into them, so a regrade can rebuild
everything it needs without the network.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

from papertiger.schema import (
    Attempt,
    AttemptIdentity,
    Completion,
    Grade,
    SamplingParams,
    condition_id,
)

IDENTITY_COLUMNS: tuple[str, ...] = (
    "key",
    "run_id",
    "source",
    "model",
    "endpoint_model",
    "endpoint",
    "suite",
    "form",
    "form_released",
    "item_id",
    "item_hash",
    "task",
    "prompt_name",
    "prompt_hash",
    "sampling_json",
    "seed_base",
    "condition",
    "sample_index",
    "seed",
)
RESULT_COLUMNS: tuple[str, ...] = (
    "status",
    "text",
    "reasoning",
    "finish_reason",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cost_usd",
    "latency_s",
    "queue_s",
    "ttft_s",
    "output_tokens_per_s",
    "retries",
    "error",
    "error_code",
    "raw",
    "created_at",
)
ATTEMPT_COLUMNS: tuple[str, ...] = IDENTITY_COLUMNS + RESULT_COLUMNS


def utc_now() -> dt.datetime:
    """The current time, timezone-aware in UTC (stored timestamps are always UTC)."""
    return dt.datetime.now(dt.UTC)


def iso_utc(moment: dt.datetime) -> str:
    """Fixed-width ISO 8601 in UTC, so stored timestamps sort as text."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def pack_raw(raw: str | None) -> bytes | None:
    """The verbatim response, zlib-compressed for storage.

    A streamed reply is the SSE body as received (about 20 KB for 1,024 tokens, ten times
    that at one token per event); it compresses about 17-fold, so a k = 64 run of 60 items
    stays megabytes, not gigabytes. Compression is lossless: `unpack_raw` gives it back.
    """
    return None if raw is None else zlib.compress(raw.encode("utf-8"), 1)


def unpack_raw(value: object) -> str | None:
    """Inverse of `pack_raw`; plain text (older rows, error history) passes through."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes | memoryview):
        return zlib.decompress(bytes(value)).decode("utf-8")
    raise TypeError(f"unexpected raw value of type {type(value).__name__}")


def attempt_row(attempt: Attempt, created_at: str) -> tuple[Any, ...]:
    """The row of one attempt, in ATTEMPT_COLUMNS order."""
    i, c = attempt.identity, attempt.completion
    sampling = i.sampling.canonical()
    seed_base = i.seed_base
    return (
        c.key,
        attempt.run_id,
        i.source,
        i.model,
        i.endpoint_model,
        attempt.endpoint,
        i.suite,
        i.form,
        None if i.form_released is None else i.form_released.isoformat(),
        i.item_id,
        i.item_hash or None,
        i.task,
        i.prompt_name,
        i.prompt_hash,
        sampling,
        seed_base,
        condition_id(i.task, i.prompt_hash, sampling, seed_base),
        i.sample_index,
        i.seed,
        c.status,
        c.text,
        c.reasoning,
        c.finish_reason,
        c.prompt_tokens,
        c.completion_tokens,
        c.reasoning_tokens,
        attempt.cost_usd,
        c.latency_s,
        c.queue_s,
        c.ttft_s,
        c.output_tokens_per_s,
        c.retries,
        c.error,
        c.error_code,
        pack_raw(c.raw),
        created_at,
    )


def attempt_from_row(values: dict[str, Any]) -> Attempt:
    """An `Attempt` from one stored row (a dict by column name)."""
    released = values.get("form_released")
    identity = AttemptIdentity(
        model=values["model"],
        endpoint_model=values["endpoint_model"],
        source=values["source"],
        suite=values["suite"],
        form=values["form"],
        form_released=dt.date.fromisoformat(released) if released else None,
        item_id=values["item_id"],
        item_hash=values["item_hash"] or "",
        task=values["task"],
        prompt_name=values["prompt_name"],
        prompt_hash=values["prompt_hash"],
        sampling=SamplingParams.model_validate_json(values["sampling_json"] or "{}"),
        sample_index=values["sample_index"],
        seed=values["seed"],
    )
    completion = Completion(
        key=values["key"],
        **{name: values[name] for name in Completion.model_fields if name != "key"},
    )
    return Attempt(
        identity=identity,
        completion=completion,
        run_id=values["run_id"],
        endpoint=values["endpoint"],
        cost_usd=values["cost_usd"],
    )


def grade_row(key: str, grade: Grade, created_at: str) -> tuple[Any, ...]:
    """One `grades` row (flags stored as a sorted, comma-separated list)."""
    return (
        key,
        grade.grader,
        grade.version,
        grade.gold_hash,
        grade.extracted,
        float(grade.score),
        int(grade.correct),
        grade.method,
        ",".join(sorted(grade.flags)),
        created_at,
    )


@dataclass(frozen=True)
class PutResult:
    """What one `put_attempts` batch did.

    `skipped` counts attempts whose key already held an 'ok' attempt (never overwritten);
    `replaced` counts earlier 'error' attempts superseded by a newer try.
    """

    inserted: int = 0
    replaced: int = 0
    skipped: int = 0
    grades_added: int = 0
