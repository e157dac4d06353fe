"""Grade stored attempts again, offline. A new grader version or gold answer adds rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from papertiger.grading import get_grader
from papertiger.schema import RUN_SOURCE, Grade, Suite
from papertiger.store import AttemptFilter, open_store


@dataclass(frozen=True)
class RegradeSummary:
    """How many attempts were graded, how many grade rows were new, what was skipped."""

    grader: str
    version: str
    graded: int
    added: int
    skipped_unknown_item: int


def regrade(db: Path, suite: Suite, grader_name: str | None = None) -> RegradeSummary:
    """Re-grade every successful 'solve' attempt of `suite` in the store with `grader_name`
    (default: the suite's grader) against the suite's current gold answers, which are also
    recorded as the store's items. A grade is new when the grader, its version or the gold
    answer differ from an earlier grade of that attempt."""
    grader = get_grader(grader_name or suite.grader)
    gold = {(form.name, p.item_id): p.answer for form in suite.forms for p in form.problems}
    grades: list[tuple[str, Grade]] = []
    unknown = 0
    with open_store(db) as store:
        store.put_items(suite.name, suite.problems())
        where = AttemptFilter(suites=[suite.name], tasks=["solve"])
        for attempt in store.iter_attempts(status="ok", where=where):
            if attempt.completion.text is None and attempt.identity.source != RUN_SOURCE:
                continue  # an imported verdict without text: nothing to regrade
            answer = gold.get((attempt.identity.form, attempt.identity.item_id))
            if answer is None:
                unknown += 1
                continue
            grades.append((attempt.key, grader.grade(attempt.completion, answer)))
        added = store.put_grades(grades)
    return RegradeSummary(grader.name, grader.version, len(grades), added, unknown)
