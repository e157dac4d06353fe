"""Grade stored attempts again, offline. A new grader version adds rows; none is edited."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from papertiger.grading import get_grader
from papertiger.schema import Grade, Suite
from papertiger.store import open_store


@dataclass(frozen=True)
class RegradeSummary:
    """How many attempts were graded, how many grade rows were new, what was skipped."""

    grader: str
    version: str
    graded: int
    added: int
    skipped_unknown_item: int


def regrade(db: Path, suite: Suite, grader_name: str | None = None) -> RegradeSummary:
    """Re-grade every successful attempt of `suite` in the store with `grader_name`
    (default: the suite's grader). Gold answers come from the suite's items."""
    grader = get_grader(grader_name or suite.grader)
    gold = {
        (bench.name, p.item_id): p.answer
        for bench in (suite.old, suite.fresh)
        for p in bench.problems
    }
    grades: list[tuple[str, Grade]] = []
    unknown = 0
    with open_store(db) as store:
        for record in store.iter_attempts(status="ok"):
            if record.suite != suite.name:
                continue
            answer = gold.get((record.benchmark, record.item_id))
            if answer is None:
                unknown += 1
                continue
            grades.append((record.key, grader.grade(record.completion(), answer)))
        added = store.put_grades(grades)
    return RegradeSummary(grader.name, grader.version, len(grades), added, unknown)
