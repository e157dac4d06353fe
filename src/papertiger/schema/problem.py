"""Benchmark items, benchmark sets and suites (an old set paired with a fresh one)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

AnswerFormat = Literal["integer", "latex"]


class Problem(BaseModel):
    """One benchmark item, normalised from whatever source it came from."""

    model_config = ConfigDict(frozen=True)

    benchmark: str
    item_id: str
    problem: str
    answer: str
    year: int | None = None
    exam: str | None = None
    number: int | None = None
    topic: str | None = None
    released: dt.date | None = None


class BenchmarkSet(BaseModel):
    """One version of a benchmark (e.g. AIME 2024): its items and release date."""

    model_config = ConfigDict(frozen=True)

    name: str
    problems: tuple[Problem, ...]
    answer_format: AnswerFormat = "integer"
    released: dt.date | None = None


class Suite(BaseModel):
    """An old set and a fresh set of equal intended difficulty, graded the same way."""

    model_config = ConfigDict(frozen=True)

    name: str
    old: BenchmarkSet
    fresh: BenchmarkSet
    grader: str = "integer"
