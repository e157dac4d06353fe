"""Frozen typed records shared by every layer: the project's vocabulary. No I/O."""

from papertiger.schema.attempt import (
    RUN_SOURCE,
    TASKS,
    Attempt,
    AttemptIdentity,
    Condition,
    Task,
    attempt_key,
    condition_id,
    key_from_parts,
    text_hash,
)
from papertiger.schema.completion import Completion, CompletionStatus
from papertiger.schema.grade import FLAGS, Flag, Grade, gold_hash
from papertiger.schema.model import ModelSpec
from papertiger.schema.problem import AnswerFormat, BenchmarkSet, Form, Problem, Suite
from papertiger.schema.request import ChatRequest, RequestKind, SamplingParams

__all__ = [
    "FLAGS",
    "RUN_SOURCE",
    "TASKS",
    "AnswerFormat",
    "Attempt",
    "AttemptIdentity",
    "BenchmarkSet",
    "ChatRequest",
    "Completion",
    "CompletionStatus",
    "Condition",
    "Flag",
    "Form",
    "Grade",
    "ModelSpec",
    "Problem",
    "RequestKind",
    "SamplingParams",
    "Suite",
    "Task",
    "attempt_key",
    "condition_id",
    "gold_hash",
    "key_from_parts",
    "text_hash",
]
