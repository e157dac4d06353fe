"""A grader's verdict on one completion, tagged with the grader's name and version."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Grade(BaseModel):
    """Correctness of one completion, and how the answer was found.

    `method` says where the answer came from (e.g. 'therefore', 'boxed', 'answer_label',
    'last_integer', 'math_verify', 'none'); `fallback` is set when only a last-integer
    guess was found; `truncated` when the reply hit the token limit.
    """

    model_config = ConfigDict(frozen=True)

    grader: str
    version: str
    extracted: str | None
    correct: bool
    method: str
    fallback: bool = False
    truncated: bool = False
