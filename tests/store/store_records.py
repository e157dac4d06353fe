"""Record and grade factories shared by the store tests (and their subprocesses)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from papertiger.schema import Completion, Grade
from papertiger.store import AttemptRecord

RecordFactory = Callable[..., AttemptRecord]


def make_record(key: str, status: str = "ok", **overrides: Any) -> AttemptRecord:
    """An attempt with plausible identity fields; any field can be overridden."""
    completion_fields = set(Completion.model_fields)
    completion = {
        "key": key,
        "status": status,
        "text": "The answer is \\boxed{204}." if status == "ok" else None,
        "error": None if status == "ok" else "HTTP 503",
        "prompt_tokens": 120,
        "completion_tokens": 900,
        "latency_s": 12.5,
    }
    identity: dict[str, Any] = {
        "run_id": "run-1",
        "model": "deepseek-chat",
        "endpoint_model": "deepseek-chat",
        "base_url": "https://api.deepseek.com",
        "suite": "aime",
        "benchmark": "aime2024",
        "role": "old",
        "item_id": "aime2024-I-01",
        "sample_index": 0,
        "seed": 7,
        "prompt_name": "basic",
        "prompt_hash": "p1",
        "sampling_json": '{"temperature":0.6}',
    }
    for name, value in overrides.items():
        (completion if name in completion_fields else identity)[name] = value
    return AttemptRecord.from_completion(Completion(**completion), **identity)


def make_grade(correct: bool = True, grader: str = "integer", version: str = "1") -> Grade:
    return Grade(grader=grader, version=version, extracted="204", correct=correct, method="boxed")
