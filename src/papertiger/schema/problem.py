"""Benchmark items, forms (dated versions of a benchmark) and suites (series of forms)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

AnswerFormat = Literal["integer", "latex"]


class Problem(BaseModel):
    """One benchmark item, normalised from whatever source it came from.

    `problem_alt` is a second published wording of the same item, when one exists.
    """

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
    problem_alt: str | None = None


class BenchmarkSet(BaseModel):
    """One form of a benchmark (e.g. AIME 2024): its items and release date."""

    model_config = ConfigDict(frozen=True)

    name: str
    problems: tuple[Problem, ...]
    answer_format: AnswerFormat = "integer"
    released: dt.date | None = None


Form = BenchmarkSet


class Suite(BaseModel):
    """An ordered series of two or more forms of equal intended difficulty, graded alike.

    Forms are in release order (earliest first). Which forms are fresh is a property of
    each model (released after its training cutoff), not of the suite.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    forms: tuple[BenchmarkSet, ...]
    grader: str = "integer"

    @model_validator(mode="after")
    def _check_forms(self) -> Suite:
        names = [f.name for f in self.forms]
        if len(names) < 1:
            raise ValueError("a suite needs at least one form")
        if len(set(names)) != len(names):
            raise ValueError(f"form names must differ (got {', '.join(names)})")
        dates = [f.released for f in self.forms]
        if all(d is not None for d in dates) and dates != sorted(dates):  # type: ignore[type-var]
            raise ValueError("forms must be listed in release order (earliest first)")
        return self

    @property
    def form_names(self) -> tuple[str, ...]:
        """The forms' names, in release order."""
        return tuple(f.name for f in self.forms)

    def form(self, name: str) -> BenchmarkSet:
        """The form called `name`."""
        for f in self.forms:
            if f.name == name:
                return f
        raise KeyError(name)

    def pairs(self) -> tuple[tuple[BenchmarkSet, BenchmarkSet], ...]:
        """Consecutive forms (2024 → 2025, 2025 → 2026): the comparisons a report makes."""
        return tuple(zip(self.forms, self.forms[1:], strict=False))

    def problems(self) -> tuple[Problem, ...]:
        """Every item of every form, in order."""
        return tuple(p for f in self.forms for p in f.problems)

    def subset(self, names: tuple[str, ...]) -> Suite:
        """The suite restricted to the named forms (kept in release order)."""
        unknown = [n for n in names if n not in self.form_names]
        if unknown:
            raise KeyError(unknown[0])
        return self.model_copy(update={"forms": tuple(f for f in self.forms if f.name in names)})
