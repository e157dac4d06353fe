"""Stream arXiv's metadata snapshot (plain, gzip or zip) into monthly mention counts.

Speed comes from not parsing what cannot count: the categories value is read straight
from the line's bytes, and only lines in the chosen categories are decoded as JSON and
matched. Out-of-scope lines get a cheap shape check (starts with `{`, ends with `}`) so a
truncated or garbled line is still reported; a well-formed out-of-scope line is not
validated further. Memory is flat: the result is a tally per (month, families mentioned).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from papertiger.adoption.families import Family, Matcher, unique
from papertiger.adoption.records import Paper, Problem, parse_line
from papertiger.adoption.streams import open_snapshot
from papertiger.errors import ConfigError, InputError

DEFAULT_CATEGORIES = ("cs.CL", "cs.LG", "cs.AI")
MAX_PROBLEMS = 200  # kept in full; beyond this only counted, so memory stays flat
_KEY = b'"categories":'
_PROGRESS_EVERY = 1 << 13  # lines between progress callbacks

Progress = Callable[[int, int, int], None]  # (bytes read, bytes in all, records so far)


@dataclass
class Scan:
    """Counts from one pass over a snapshot: papers per (month, families mentioned)."""

    path: str
    families: tuple[Family, ...]
    categories: tuple[str, ...]
    primary_only: bool
    tally: Counter[tuple[str, tuple[int, ...]]] = field(default_factory=Counter)
    records: int = 0  # non-blank lines
    in_scope: int = 0
    bytes: int = 0  # uncompressed bytes read
    malformed: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    def problem(self, problem: Problem) -> None:
        self.malformed += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def describe(self, problem: Problem) -> str:
        return problem.describe(self.path)


def scan_snapshot(
    path: str | Path,
    families: Sequence[Family],
    *,
    categories: Sequence[str] = DEFAULT_CATEGORIES,
    primary_only: bool = False,
    on_progress: Progress | None = None,
) -> Scan:
    """Count, per month of first version, papers in `categories` and which families each names.

    A paper is in scope when any of its categories is listed (only its primary one with
    `primary_only`). Malformed records are skipped and listed in `Scan.problems`; a file
    with no readable record at all is an InputError.
    """
    if not families:
        raise ConfigError("no model families to look for")
    unique(families)
    cats = tuple(dict.fromkeys(c.strip() for c in categories if c.strip()))
    if not cats:
        raise ConfigError("no arXiv categories given")
    scan = Scan(str(path), tuple(families), cats, primary_only)
    started = time.perf_counter()
    with open_snapshot(path) as (stream, position, total):
        _count(stream, scan, Matcher(families), position, total, on_progress)
    scan.seconds = time.perf_counter() - started
    if scan.records == scan.malformed:
        first = scan.describe(scan.problems[0]) if scan.problems else f"{path}: no records"
        raise InputError(f"no readable arXiv records ({first})", path=None)
    return scan


def _count(  # noqa: C901 - one hot loop, kept flat on purpose for speed
    stream: Iterable[bytes],
    scan: Scan,
    matcher: Matcher,
    position: Callable[[], int],
    total: int,
    on_progress: Progress | None,
) -> None:
    wanted = frozenset(c.encode() for c in scan.categories)
    names = frozenset(scan.categories)
    primary, skip = scan.primary_only, len(_KEY)
    tally, records, size, number = scan.tally, 0, 0, 0
    for line in stream:
        number += 1
        size += len(line)
        if on_progress is not None and not number % _PROGRESS_EVERY:
            on_progress(position(), total, records)
        start = line.find(_KEY)
        if start >= 0:
            start = line.find(b'"', start + skip) + 1  # the value's opening quote
            cats = line[start : line.find(b'"', start)].split()
            hit = bool(cats) and (cats[0] in wanted if primary else not wanted.isdisjoint(cats))
            if not hit and line[0] == 123 and line.rstrip()[-1:] == b"}":
                records += 1
                continue
        elif not line.strip():
            continue
        records += 1
        paper = parse_line(line, number)
        if isinstance(paper, Problem):
            scan.problem(paper)
        elif _in_scope(paper, names, primary):
            scan.in_scope += 1
            tally[(paper.month, matcher.mentions(paper.text))] += 1
    scan.records, scan.bytes = records, size
    if on_progress is not None:
        on_progress(total, total, records)


def _in_scope(paper: Paper, names: frozenset[str], primary: bool) -> bool:
    if not paper.categories:
        return False
    return paper.categories[0] in names if primary else not names.isdisjoint(paper.categories)
