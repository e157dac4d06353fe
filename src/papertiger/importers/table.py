"""A hand-kept per-item table (CSV, or TSV) -> `ImportedSample`s.

For runs no tool logged, such as the essay's browser run: one row per model x item x
sample. Columns (header names are case-insensitive; docs/importers.md has the details):

  required   model, item, and at least one of correct / response
  optional   suite, form, sample (0-based, default 0), correct (1/0, true/false, yes/no),
             score, response (or text), reasoning, extracted, gold, problem,
             prompt_tokens (or input_tokens), completion_tokens (or output_tokens),
             reasoning_tokens, cost_usd (or cost), latency_s, error
Other columns are kept in `extra`. Empty cells mean "not recorded".
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from papertiger.importers._io import Spot, as_float, as_int, verdict
from papertiger.importers.records import ImportedSample

__all__ = ["COLUMNS", "read_table"]

COLUMNS = (
    "model",
    "suite",
    "form",
    "item",
    "sample",
    "correct",
    "score",
    "response",
    "reasoning",
    "extracted",
    "gold",
    "problem",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cost_usd",
    "latency_s",
    "error",
)
_ALIASES = {
    "text": "response",
    "input_tokens": "prompt_tokens",
    "output_tokens": "completion_tokens",
    "cost": "cost_usd",
}


def read_table(path: Path) -> Iterator[ImportedSample]:
    """Records of one hand-kept CSV (or, for a `.tsv` name, tab-separated) table."""
    spot = Spot(str(path))
    if not path.is_file():
        spot.fail("file not found")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with path.open(encoding="utf-8-sig", newline="") as handle:  # Excel writes a BOM
        reader = csv.DictReader(handle, delimiter=delimiter)
        header = _header(reader.fieldnames, spot)
        seen: dict[tuple[str, ...], int] = {}
        start = reader.line_num + 1
        for raw in reader:
            here = Spot(str(path), start)
            start = reader.line_num + 1
            if None in raw:
                here.fail(f"has more cells than the header has columns ({len(header)})")
            row = {header[k]: v.strip() for k, v in raw.items() if k is not None and v is not None}
            row = {k: v for k, v in row.items() if v != ""}
            if not row:
                continue
            record = _record(row, here)
            key = (
                record.model or "",
                record.suite or "",
                record.form or "",
                record.item_key,
                str(record.sample_index),
            )
            if key in seen:
                here.fail(
                    f"model {record.model!r} item {record.item_key!r} sample "
                    f"{record.sample_index} appears twice (first at line {seen[key]})",
                    "sample",
                )
            seen[key] = here.line or 0
            yield record


def _header(names: Any, spot: Spot) -> dict[str, str]:
    if not names:
        spot.fail("the table is empty; expected a header row: " + ", ".join(COLUMNS[:6]) + " ...")
    header: dict[str, str] = {}
    for name in names:
        canonical = name.strip().lower()
        canonical = _ALIASES.get(canonical, canonical)
        if canonical in header.values():
            spot.fail(f"column {canonical!r} is given twice", name)
        header[name] = canonical
    for required in ("model", "item"):
        if required not in header.values():
            spot.fail(f"required column is missing; the header has: {', '.join(names)}", required)
    if "correct" not in header.values() and "response" not in header.values():
        spot.fail("needs a 'correct' column, a 'response' column, or both", "correct")
    return header


def _record(row: dict[str, str], spot: Spot) -> ImportedSample:
    for required in ("model", "item"):
        if required not in row:
            spot.fail("required cell is empty", required)
    correct, score = _correct(row, spot)
    form = row.get("form")
    extra = {k: v for k, v in row.items() if k not in COLUMNS}
    return ImportedSample(
        source_tool="csv",
        source_file=spot.path,
        source_locator=spot.locator,
        model=row["model"],
        task=form,
        item_key=row["item"],
        sample_index=_sample(row, spot),
        problem=row.get("problem"),
        gold=row.get("gold"),
        suite=row.get("suite"),
        form=form,
        response=row.get("response"),
        reasoning=row.get("reasoning"),
        extracted=row.get("extracted"),
        correct=correct,
        score=score,
        metric="correct" if correct is not None else ("score" if score is not None else None),
        prompt_tokens=_count(row, "prompt_tokens", spot),
        completion_tokens=_count(row, "completion_tokens", spot),
        reasoning_tokens=_count(row, "reasoning_tokens", spot),
        cost_usd=_amount(row, "cost_usd", spot),
        latency_s=_amount(row, "latency_s", spot),
        error=row.get("error"),
        extra=extra,
    )


def _correct(row: dict[str, str], spot: Spot) -> tuple[bool | None, float | None]:
    correct: bool | None = None
    score = as_float(row.get("score"), spot, "score")
    if "correct" in row:
        correct, value = verdict(row["correct"])
        if correct is None:
            spot.fail(
                f"expected 1/0, true/false, yes/no or correct/incorrect, found {row['correct']!r}",
                "correct",
            )
        score = value if score is None else score
    if correct is None and "response" not in row and score is None:
        spot.fail("a row needs a verdict ('correct' or 'score') or the response text", "correct")
    return correct, score


def _sample(row: dict[str, str], spot: Spot) -> int:
    value = as_int(row.get("sample"), spot, "sample")
    if value is None:
        return 0
    if value < 0:
        spot.fail(f"expected a 0-based sample index, found {value}", "sample")
    return value


def _count(row: dict[str, str], column: str, spot: Spot) -> int | None:
    value = as_int(row.get(column), spot, column)
    if value is not None and value < 0:
        spot.fail(f"expected a count >= 0, found {value}", column)
    return value


def _amount(row: dict[str, str], column: str, spot: Spot) -> float | None:
    value = as_float(row.get(column), spot, column)
    if value is not None and value < 0:
        spot.fail(f"expected a value >= 0, found {value}", column)
    return value
