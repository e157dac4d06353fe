"""A grader's verdict on one completion, tagged with the grader's name and version."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict

Flag = Literal["fallback", "truncated", "grader_error", "grader_timeout"]
FLAGS: tuple[str, ...] = ("fallback", "truncated", "grader_error", "grader_timeout")


def gold_hash(gold: str) -> str:
    """Short hash of the gold answer a grade was computed against."""
    return hashlib.sha256(str(gold).encode("utf-8")).hexdigest()[:16]


class Grade(BaseModel):
    """The score of one completion, how the answer was found, and what to distrust.

    `score` is 1.0 or 0.0 for correctness (the probe stores similarities in [0, 1]);
    `method` says where the answer came from ('boxed', 'therefore', 'last_integer',
    'math_verify', 'none', ...). `flags`: `fallback` (only a last-integer guess was found),
    `truncated` (the reply hit the token limit), `grader_error` and `grader_timeout` (the
    checker failed: the score is 0 and the flag says why, so it is never silently wrong).
    `gold_hash` names the gold answer used, so a corrected answer grades anew.
    """

    model_config = ConfigDict(frozen=True)

    grader: str
    version: str
    extracted: str | None
    score: float
    method: str
    flags: frozenset[Flag] = frozenset()
    gold_hash: str | None = None

    @property
    def correct(self) -> bool:
        """Whether the score counts as solved (score 1.0)."""
        return self.score >= 1.0

    @property
    def fallback(self) -> bool:
        """Only a last-integer guess was found."""
        return "fallback" in self.flags

    @property
    def truncated(self) -> bool:
        """The reply hit the token limit."""
        return "truncated" in self.flags
