"""Frozen typed records shared by every layer: the project's vocabulary. No I/O."""

from papertiger.schema.completion import Completion, CompletionStatus
from papertiger.schema.grade import Grade
from papertiger.schema.model import ModelSpec
from papertiger.schema.problem import BenchmarkSet, Problem, Suite
from papertiger.schema.request import ChatRequest, SamplingParams, attempt_key

__all__ = [
    "BenchmarkSet",
    "ChatRequest",
    "Completion",
    "CompletionStatus",
    "Grade",
    "ModelSpec",
    "Problem",
    "SamplingParams",
    "Suite",
    "attempt_key",
]
