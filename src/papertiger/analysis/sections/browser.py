"""The attempt browser: every model × item of every form, and the samples behind each cell.

A reader who doubts a number can open the cell and read what the model answered. Texts
are model output, untrusted: the renderer escapes them. To keep the report one readable
file, at most `SAMPLES_SHOWN` samples per cell are shown and every text is cut at
`TEXT_LIMIT` characters, with its full length stated; `--no-transcripts` leaves the texts
out (answers, grades and flags stay).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
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
    """One model on one item: share of samples correct, and the first samples."""

    model: str
    item_id: str
    correct: int
    trials: int
    samples: tuple[BrowserSample, ...]


@dataclass(frozen=True)
class AttemptBrowser:
    """Per form: the items (with their gold answers), the models and the cells."""

    forms: tuple[str, ...]
    items: dict[str, tuple[tuple[str, str | None], ...]]  # form → ((item id, gold), ...)
    models: tuple[str, ...]
    cells: dict[tuple[str, str, str], BrowserCell]  # (form, model, item) → cell
    transcripts: bool
    samples_shown: int

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


def build(inputs: SectionInput) -> AttemptBrowser | None:
    selected, counts = inputs.selected, inputs.counts
    if selected is None or counts is None or not counts.items:
        return None
    from papertiger.store import open_store

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
    items = {form: tuple((item, gold.get((form, item))) for f, item in counts.items if f == form)
             for form in counts.forms}
    cells = {}
    for m, model in enumerate(counts.models):
        for j, (form, item) in enumerate(counts.items):
            if counts.trials[m, j] + counts.errors[m, j] == 0:
                continue
            cells[(form, model, item)] = BrowserCell(
                model, item, int(counts.correct[m, j]), int(counts.trials[m, j]),
                tuple(samples.get((form, model, item), ())))
    return AttemptBrowser(counts.forms, items, counts.models, cells,
                          inputs.options.transcripts, SAMPLES_SHOWN)


register_builder("attempt browser", build)
