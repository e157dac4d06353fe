"""Which of the suite's items an imported record is: by a mapping file, by text, or by id.

Keys must line up with live runs' item identity, so every record is matched to one item of
the suite before it is stored, in this order:

1. `--map FILE` (CSV `source_item,item_id`, optional `task` and `form` columns): explicit
   wins;
2. the problem text the tool kept, whitespace normalised, against each item's text and its
   second published wording (`problem_alt`), across all of the suite's forms;
3. the tool's item id, through the conventions below, within the record's form (given by
   `--form` or the table's `form` column, else guessed from a year in the task name:
   `aime24`, `aime_2025`; else a year in the id itself; else the suite's only form):
   - the suite's own id (`aime2024-I-03`), or the form name and the key (`I-03`);
   - exam and number spelled out (`2024-I-3`, `II-07`, `2025_II_15`);
   - a bare number is a position in the form's item order: 0-based for lm-eval and
     lighteval (`doc_id`, row), 1-based for Inspect (generated ids) and MathArena
     (`problem_idx` 1..30 → I-01..II-15 for AIME); when the task names an exam part
     (MathArena's `aime_2025_II`) the number counts within that part.

A record that none of these place is not stored; the caller reports it by id with the
reason. An id match whose kept text differs from the item's is counted as such.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from papertiger.errors import InputError
from papertiger.importers.records import ImportedSample
from papertiger.schema import BenchmarkSet, Problem, Suite

__all__ = ["ItemMap", "ItemMatcher", "Match", "MatchMethod", "Miss", "normalise_text"]

MatchMethod = Literal["map", "text", "id"]
_ZERO_BASED = frozenset({"lm-eval", "lighteval"})
_POSITIONAL = frozenset({"lm-eval", "lighteval", "inspect", "matharena"})
_EXAM_NUMBER = re.compile(r"(?:^|[^A-Za-z])(II|I)[-_ ]*0*(\d{1,2})$", re.IGNORECASE)
_PART = re.compile(r"(?:^|[-_ ])(II|I)$", re.IGNORECASE)
_YEAR4 = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
_YEAR2 = re.compile(r"(?<![\d])(\d\d)(?!\d)")


def normalise_text(text: str) -> str:
    """Problem text for comparison: runs of whitespace become one space, ends stripped."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Match:
    """The suite item a record is, and how that was decided."""

    form: BenchmarkSet
    problem: Problem
    method: MatchMethod
    text_differs: bool = False  # matched by id, but the tool's problem text is another


@dataclass(frozen=True)
class Miss:
    """Why a record matched no item (it is then reported, never stored)."""

    reason: str


@dataclass(frozen=True)
class _MapRow:
    line: int
    form: str
    item_id: str


@dataclass(frozen=True)
class ItemMap:
    """A mapping file: the tool's item id (optionally per task) → the suite's item id."""

    path: str
    rows: dict[tuple[str | None, str], _MapRow] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path, suite: Suite) -> ItemMap:
        """Read and check a `source_item,item_id[,task][,form]` CSV against the suite."""
        label = str(path)
        if not path.is_file():
            raise InputError("mapping file not found", path=label)
        ids = {(f.name, p.item_id) for f in suite.forms for p in f.problems}
        rows: dict[tuple[str | None, str], _MapRow] = {}
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            names = [n.strip().lower() for n in reader.fieldnames or []]
            for required in ("source_item", "item_id"):
                if required not in names:
                    raise InputError(
                        "required column is missing; expected source_item,item_id "
                        "(and optionally task, form)",
                        path=label,
                        line=1,
                        field=required,
                    )
            start = reader.line_num + 1
            for raw in reader:
                line, start = start, reader.line_num + 1
                row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
                if not any(row.values()):
                    continue
                key = (row.get("task") or None, row["source_item"])
                rows[key] = cls._row(row, line, label, suite, ids, rows.get(key))
        return cls(label, rows)

    @staticmethod
    def _row(
        row: dict[str, str],
        line: int,
        label: str,
        suite: Suite,
        ids: set[tuple[str, str]],
        earlier: _MapRow | None,
    ) -> _MapRow:
        for column in ("source_item", "item_id"):
            if not row.get(column):
                raise InputError("required cell is empty", path=label, line=line, field=column)
        if earlier is not None:
            raise InputError(
                f"source item {row['source_item']!r} is mapped twice (first at line {earlier.line})",
                path=label,
                line=line,
                field="source_item",
            )
        item_id, form = row["item_id"], row.get("form") or None
        forms = [f for f, i in ids if i == item_id and (form is None or f == form)]
        if len(forms) != 1:
            found = "is in several forms; add a form column" if forms else "is not in"
            raise InputError(
                f"item {item_id!r} {found} suite {suite.name!r}"
                + (f" (form {form!r})" if form and not forms else ""),
                path=label,
                line=line,
                field="item_id",
            )
        return _MapRow(line, forms[0], item_id)

    def find(self, task: str | None, key: str) -> _MapRow | None:
        """The row for this tool item (a row naming the task first, then one without)."""
        return self.rows.get((task, key)) or self.rows.get((None, key))


class ItemMatcher:
    """Places records on a suite's items (see the module docstring for the order)."""

    def __init__(self, suite: Suite, form: str | None = None, item_map: ItemMap | None = None):
        if form is not None and form not in suite.form_names:
            raise InputError(
                f"--form {form!r} is not a form of suite {suite.name!r} "
                f"(forms: {', '.join(suite.form_names)})"
            )
        self.suite, self.form, self.item_map = suite, form, item_map
        self._forms = {f.name: f for f in suite.forms}
        self._by_id = {(f.name, p.item_id): p for f in suite.forms for p in f.problems}
        self._by_text: dict[str, list[tuple[BenchmarkSet, Problem]]] = {}
        for f in suite.forms:
            for p in f.problems:
                texts = {normalise_text(p.problem)}
                if p.problem_alt:
                    texts.add(normalise_text(p.problem_alt))
                for text in texts:
                    self._by_text.setdefault(text, []).append((f, p))

    def match(self, sample: ImportedSample) -> Match | Miss:
        """The item `sample` is, or why none is."""
        declared = self.form or sample.form
        if self.form and sample.form and sample.form != self.form:
            return Miss(f"the record names form {sample.form!r}, but --form is {self.form!r}")
        if declared is not None and declared not in self._forms:
            return Miss(f"form {declared!r} is not in suite {self.suite.name!r}")
        if sample.suite is not None and sample.suite != self.suite.name:
            return Miss(f"the record names suite {sample.suite!r}, not {self.suite.name!r}")
        if self.item_map is not None:
            row = self.item_map.find(sample.task, sample.item_key)
            if row is not None:
                form = self._forms[row.form]
                return Match(form, self._by_id[(row.form, row.item_id)], "map")
        if sample.problem:
            found = self._text_match(sample.problem, declared)
            if found is not None:
                return found
        return self._id_match(sample, declared)

    def _text_match(self, problem: str, declared: str | None) -> Match | Miss | None:
        candidates = self._by_text.get(normalise_text(problem), [])
        if declared is not None:
            inside = [(f, p) for f, p in candidates if f.name == declared]
            if candidates and not inside:
                where = ", ".join(p.item_id for _, p in candidates)
                return Miss(f"its problem text is {where}, not an item of form {declared!r}")
            candidates = inside
        if len(candidates) == 1:
            form, item = candidates[0]
            return Match(form, item, "text")
        return None

    def _id_match(self, sample: ImportedSample, declared: str | None) -> Match | Miss:
        key = sample.item_key.strip()
        for form in self.suite.forms:  # the suite's own ids are unique enough to try first
            if (declared is None or form.name == declared) and (form.name, key) in self._by_id:
                return self._by_key(sample, form, self._by_id[(form.name, key)])
        form_name = declared or self._guess_form(key, short=False) or self._guess_form(sample.task)
        if form_name is None and len(self.suite.forms) == 1:
            form_name = self.suite.forms[0].name
        if form_name is None:
            return Miss(
                f"no item has this problem text or id, and the form cannot be told from the "
                f"task {sample.task!r}; give --form (forms: {', '.join(self.suite.form_names)})"
            )
        form = self._forms[form_name]
        item = self._conventions(sample, form, key)
        if item is None:
            return Miss(f"no item of form {form_name!r} has this problem text or id")
        return self._by_key(sample, form, item)

    def _by_key(self, sample: ImportedSample, form: BenchmarkSet, item: Problem) -> Match:
        differs = False
        if sample.problem:
            texts = {normalise_text(item.problem)}
            if item.problem_alt:
                texts.add(normalise_text(item.problem_alt))
            differs = normalise_text(sample.problem) not in texts
        return Match(form, item, "id", differs)

    def _conventions(self, sample: ImportedSample, form: BenchmarkSet, key: str) -> Problem | None:
        named = self._by_id.get((form.name, f"{form.name}-{key}"))
        if named is not None:
            return named
        spelled = _EXAM_NUMBER.search(key)
        if spelled and not key.isdigit():
            return _by_exam(form.problems, spelled[1].upper(), int(spelled[2]))
        if key.isdigit() and sample.source_tool in _POSITIONAL:
            number = int(key) + (1 if sample.source_tool in _ZERO_BASED else 0)
            part = _PART.search(sample.task or "")
            if part:
                return _by_exam(form.problems, part[1].upper(), number)
            if 1 <= number <= len(form.problems):
                return form.problems[number - 1]
        return None

    def _guess_form(self, text: str | None, *, short: bool = True) -> str | None:
        """The one form whose name holds the year named in `text` (aime24 → aime2024).

        Two-digit years are read only in task names: in an id, `24` is more likely an index.
        """
        if not text:
            return None
        years = _YEAR4.findall(text)
        if not years and short:
            years = [f"20{y}" for y in _YEAR2.findall(text)]
        forms = {f for y in years for f in self._forms if y in f}
        return forms.pop() if len(forms) == 1 else None


def _by_exam(problems: Iterable[Problem], exam: str, number: int) -> Problem | None:
    found = [p for p in problems if (p.exam or "").upper() == exam and p.number == number]
    return found[0] if len(found) == 1 else None
