"""Attempt and grade factories shared by the store tests (and their subprocesses)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from papertiger.schema import Attempt, AttemptIdentity, Completion, Grade, SamplingParams

RecordFactory = Callable[..., Attempt]
_ATTEMPT_FIELDS = ("run_id", "endpoint", "cost_usd")


def make_record(key: str, status: str = "ok", **overrides: Any) -> Attempt:
    """An attempt with plausible identity fields; any field can be overridden by name."""
    completion: dict[str, Any] = {
        "key": key,
        "status": status,
        "text": "The answer is \\boxed{204}." if status == "ok" else None,
        "error": None if status == "ok" else "HTTP 503",
        "prompt_tokens": 120,
        "completion_tokens": 900,
        "latency_s": 12.5,
    }
    identity: dict[str, Any] = {
        "model": "deepseek-chat",
        "endpoint_model": "deepseek-chat",
        "suite": "aime",
        "form": "aime2024",
        "item_id": "aime2024-I-01",
        "item_hash": "0123456789abcdef",
        "sample_index": 0,
        "seed": 7,
        "prompt_name": "basic",
        "prompt_hash": "p1",
        "sampling": SamplingParams(temperature=0.6),
    }
    attempt: dict[str, Any] = {"run_id": "run-1", "endpoint": "https://api.deepseek.com"}
    for name, value in overrides.items():
        if name in _ATTEMPT_FIELDS:
            attempt[name] = value
        elif name in Completion.model_fields:
            completion[name] = value
        else:
            identity[name] = value
    return Attempt(
        identity=AttemptIdentity(**identity), completion=Completion(**completion), **attempt
    )


def make_grade(correct: bool = True, grader: str = "integer", version: str = "1") -> Grade:
    return Grade(
        grader=grader, version=version, extracted="204", score=float(correct), method="boxed"
    )
