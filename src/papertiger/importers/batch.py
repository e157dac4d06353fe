"""One file's records -> the attempts and grades to store, and what could not be placed.

Everything a file yields is decided here before anything is written: which item each
record is, the attempts with their keys, both grades, and the records left out (unmatched
items, and a second record for the same attempt) with the reason, so the caller can report
them by id. lm-eval's filters give one record per (repeat, filter) with the same text: the
first becomes the attempt, the others add their verdicts as `source:lm-eval:<filter>`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from papertiger.errors import InputError
from papertiger.grading import Grader
from papertiger.importers.mapping import (
    AttemptContext,
    own_grade,
    source_grade,
    to_attempt,
)
from papertiger.importers.matching import ItemMatcher, Miss
from papertiger.importers.records import ImportedSample
from papertiger.importers.runinfo import RunInfo, sample_source
from papertiger.schema import Attempt, Grade, ModelSpec, SamplingParams

__all__ = ["PreparedFile", "Unmatched", "prepare_file"]


@dataclass(frozen=True)
class Unmatched:
    """A record left out, by the tool's own id, and why."""

    item_key: str
    task: str | None
    locator: str
    reason: str


@dataclass(frozen=True)
class PreparedFile:
    """What one file will add: attempts, their grades (in write order), and the left-outs."""

    path: Path
    records: int
    attempts: tuple[Attempt, ...]
    grades: tuple[tuple[str, Grade], ...]
    unmatched: tuple[Unmatched, ...]
    matched_by: Mapping[str, int]
    text_differs: int  # matched by id although the kept problem text is another wording
    graded_twice: int  # attempts with both the tool's verdict and papertiger's grade
    disagreements: int  # ... whose verdicts differ
    gold_differs: tuple[str, ...]  # items whose gold in the file differs from the suite's
    models: tuple[tuple[str, SamplingParams], ...]
    prompts: tuple[tuple[str, str], ...]
    sources: tuple[str, ...] = field(default=())


@dataclass
class _Tally:
    attempts: dict[str, Attempt] = field(default_factory=dict)
    first_at: dict[str, str] = field(default_factory=dict)
    source_grades: list[tuple[str, Grade]] = field(default_factory=list)
    own_grades: list[tuple[str, Grade]] = field(default_factory=list)
    primary: dict[str, Grade] = field(default_factory=dict)
    filters: dict[str, set[str | None]] = field(default_factory=dict)
    unmatched: list[Unmatched] = field(default_factory=list)
    matched_by: Counter[str] = field(default_factory=Counter)
    text_differs: int = 0
    gold_differs: set[str] = field(default_factory=set)


def prepare_file(  # noqa: PLR0913 - the file, its records and what they are mapped with
    path: Path,
    samples: Sequence[ImportedSample],
    info: RunInfo,
    matcher: ItemMatcher,
    grader: Grader,
    *,
    model: str | None,
    catalogue: Mapping[str, ModelSpec],
    run_id: str | None,
) -> PreparedFile:
    """Match, map and grade one file's records (raises InputError for a file without a model)."""
    suite = matcher.suite
    names = _model_names(path, samples, model)
    tally = _Tally()
    for sample in samples:
        name = model or sample.model or ""
        context = AttemptContext(
            model=name,
            source=sample_source(info, sample),
            suite=suite.name,
            sampling=info.sampling,
            run_id=run_id,
            version=info.version,
            spec=catalogue.get(name),
        )
        _add(tally, sample, matcher, context, grader)
    both = [(key, g) for key, g in tally.own_grades if key in tally.primary]
    attempts = tuple(tally.attempts.values())
    return PreparedFile(
        path=path,
        records=len(samples),
        attempts=attempts,
        grades=tuple(tally.source_grades + tally.own_grades),
        unmatched=tuple(tally.unmatched),
        matched_by=dict(tally.matched_by),
        text_differs=tally.text_differs,
        graded_twice=len(both),
        disagreements=sum(g.correct != tally.primary[key].correct for key, g in both),
        gold_differs=tuple(sorted(tally.gold_differs)),
        models=tuple((n, info.sampling) for n in names),
        prompts=tuple(
            dict.fromkeys((a.identity.prompt_name, a.identity.prompt_hash) for a in attempts)
        ),
        sources=tuple(sorted({a.identity.source for a in attempts})),
    )


def _model_names(path: Path, samples: Sequence[ImportedSample], model: str | None) -> list[str]:
    named = list(dict.fromkeys(s.model for s in samples if s.model))
    if model is not None:
        if len(named) > 1:
            raise InputError(
                f"the file holds {len(named)} models ({', '.join(named[:5])}); --model can "
                "only name the model of a single-model file: leave it out to keep each name",
                path=str(path),
            )
        return [model] if samples else []
    missing = next((s for s in samples if not s.model), None)
    if missing is not None:
        raise InputError(
            f"the file does not name the model (first at {missing.source_locator}); "
            "give --model NAME",
            path=str(path),
        )
    return named


def _add(
    tally: _Tally,
    sample: ImportedSample,
    matcher: ItemMatcher,
    context: AttemptContext,
    grader: Grader,
) -> None:
    found = matcher.match(sample)
    if isinstance(found, Miss):
        tally.unmatched.append(_left_out(sample, found.reason))
        return
    attempt = to_attempt(sample, found, context)
    key = attempt.key
    if key in tally.attempts:
        _another_filter(tally, sample, key, context)
        return
    tally.attempts[key] = attempt
    tally.first_at[key] = sample.source_locator
    tally.filters[key] = {sample.filter}
    tally.matched_by[found.method] += 1
    tally.text_differs += found.text_differs
    if sample.gold and not _same_gold(sample.gold, found.problem.answer):
        tally.gold_differs.add(found.problem.item_id)
    theirs = source_grade(sample, context.version)
    if theirs is not None:
        tally.source_grades.append((key, theirs))
        tally.primary[key] = theirs
    ours = own_grade(attempt, found.problem.answer, grader)
    if ours is not None:
        tally.own_grades.append((key, ours))


def _another_filter(
    tally: _Tally, sample: ImportedSample, key: str, context: AttemptContext
) -> None:
    """A second record for a stored attempt: another lm-eval filter, or a real clash."""
    seen = tally.filters[key]
    if sample.filter in seen or sample.source_tool != "lm-eval":
        reason = f"the same item and sample as {tally.first_at[key]} (kept that one)"
        tally.unmatched.append(_left_out(sample, reason))
        return
    seen.add(sample.filter)
    grade = source_grade(sample, context.version, primary=False)
    if grade is not None:
        tally.source_grades.append((key, grade))


def _left_out(sample: ImportedSample, reason: str) -> Unmatched:
    return Unmatched(sample.item_key, sample.task, sample.source_locator, reason)


def _same_gold(theirs: str, ours: str) -> bool:
    """Gold answers agree as text, or as integers (`070` is `70`)."""
    a, b = theirs.strip(), ours.strip()
    if a == b:
        return True
    try:
        return int(a) == int(b)
    except ValueError:
        return False
