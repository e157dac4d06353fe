"""The attempt browser: every model × item of every form, and the samples behind each cell.

A reader who doubts a number can open the cell and read what the model answered. Texts
are model output, untrusted: the renderer escapes them. To keep the report one readable
file, at most `SAMPLES_SHOWN` samples per cell are shown and every text is cut at
`TEXT_LIMIT` characters, with its full length stated; `--no-transcripts` leaves the texts
out (answers, grades and flags stay).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from papertiger.analysis.sections.base import SectionInput, register_builder

__all__ = ["AttemptBrowser", "BrowserCell", "BrowserSample"]

SAMPLES_SHOWN = 4
TEXT_LIMIT = 1500
REASONING_LIMIT = 800


@dataclass(frozen=True)
class BrowserSample:
    """One sample as a reader sees it (texts cut, their full lengths kept)."""

    index: int
    status: str
    extracted: str | None
    correct: bool | None
    flags: str
    completion_tokens: int | None
    text: str | None
    text_length: int
    reasoning: str | None
    reasoning_length: int
    error: str | None


@dataclass(frozen=True)
class BrowserCell:
    """One model on one item: how many of its samples are correct."""

    model: str
    item_id: str
    correct: int
    trials: int


Samples = dict[tuple[str, str, str], tuple[BrowserSample, ...]]


@dataclass(frozen=True)
class AttemptBrowser:
    """Per form: the item ids, the models and the cells. The samples behind the cells (and
    the gold answers) are read from the store only when the HTML report asks for them."""

    forms: tuple[str, ...]
    item_ids: dict[str, tuple[str, ...]]  # form → item ids in report order
    models: tuple[str, ...]
    cells: dict[tuple[str, str, str], BrowserCell]  # (form, model, item) → cell
    transcripts: bool
    samples_shown: int
    load: Callable[[], tuple[Samples, dict[tuple[str, str], str | None]]] = field(
        repr=False, compare=False)

    @functools.cached_property
    def _loaded(self) -> tuple[Samples, dict[tuple[str, str], str | None]]:
        return self.load()

    def samples(self, form: str, model: str, item: str) -> tuple[BrowserSample, ...]:
        """The first samples of one cell, texts cut."""
        return self._loaded[0].get((form, model, item), ())

    def gold(self, form: str, item: str) -> str | None:
        return self._loaded[1].get((form, item))

    def to_frame(self) -> pd.DataFrame:
        """One row per cell: form, model, item, correct, trials."""
        return pd.DataFrame([
            {"form": f, "model": c.model, "item_id": c.item_id, "correct": c.correct,
             "trials": c.trials}
            for (f, _, _), c in self.cells.items()
        ])


def _cut(text: Any, limit: int) -> tuple[str | None, int]:
    if not isinstance(text, str):
        return None, 0
    return (text if len(text) <= limit else text[:limit]), len(text)


def _load(inputs: SectionInput) -> tuple[Samples, dict[tuple[str, str], str | None]]:
    """The first SAMPLES_SHOWN samples of every cell, and the gold answers."""
    from papertiger.store import open_store

    selected = inputs.selected
    assert selected is not None
    where = dataclasses.replace(selected.where, max_sample=SAMPLES_SHOWN)
    columns = ("key", "model", "form", "item_id", "sample_index", "status", "completion_tokens",
               "error", *(("text", "reasoning") if inputs.options.transcripts else ()))
    with open_store(selected.db, readonly=True) as store:
        frame = store.attempts_frame(selected.grader, where=where, columns=columns)
    keep = ~pd.MultiIndex.from_arrays([frame["form"], frame["item_id"]]).isin(
        list(selected.excluded)) if selected.excluded else slice(None)
    frame = frame.loc[keep].sort_values(["form", "item_id", "model", "sample_index"])
    samples: dict[tuple[str, str, str], list[BrowserSample]] = {}
    for row in frame.to_dict("records"):
        text, n_text = _cut(row.get("text"), TEXT_LIMIT)
        reasoning, n_reason = _cut(row.get("reasoning"), REASONING_LIMIT)
        correct = row.get("correct")
        samples.setdefault((str(row["form"]), str(row["model"]), str(row["item_id"])), []).append(
            BrowserSample(
                index=int(row["sample_index"]), status=str(row["status"]),
                extracted=None if pd.isna(row.get("extracted")) else str(row["extracted"]),
                correct=None if pd.isna(correct) else bool(correct),
                flags=str(row.get("flags") or ""),
                completion_tokens=None if pd.isna(row.get("completion_tokens")) else int(row["completion_tokens"]),
                text=text, text_length=n_text, reasoning=reasoning, reasoning_length=n_reason,
                error=None if pd.isna(row.get("error")) else str(row["error"]),
            ))
    gold = {(str(f), str(i)): None if pd.isna(g) else str(g)
            for f, i, g in zip(frame["form"], frame["item_id"], frame["gold"], strict=True)}
    return {k: tuple(v) for k, v in samples.items()}, gold


def build(inputs: SectionInput) -> AttemptBrowser | None:
    selected, counts = inputs.selected, inputs.counts
    if selected is None or counts is None or not counts.items:
        return None
    item_ids = {form: tuple(item for f, item in counts.items if f == form) for form in counts.forms}
    cells = {}
    for m, model in enumerate(counts.models):
        for j, (form, item) in enumerate(counts.items):
            if counts.trials[m, j] + counts.errors[m, j] == 0:
                continue
            cells[(form, model, item)] = BrowserCell(
                model, item, int(counts.correct[m, j]), int(counts.trials[m, j]))
    return AttemptBrowser(counts.forms, item_ids, counts.models, cells,
                          inputs.options.transcripts, SAMPLES_SHOWN,
                          load=functools.partial(_load, inputs))


register_builder("attempt browser", build)
