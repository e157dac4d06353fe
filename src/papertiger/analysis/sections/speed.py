"""Speed, measured per attempt: time to first token, output tokens per second, end-to-end
time per attempt and per success, as medians with quartiles per model.

The essay: "over API, everyone except Anthropic dominate, even in raw token rate (not
counting efficiency)". A rate alone ignores token hunger, so time per success (total
time ÷ correct) sits beside it. TTFT and tokens/s exist only where the reply was streamed
(or an engine measured them); imported attempts often carry no timings at all, so the
section says how many attempts of each model carry each timing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from papertiger.analysis.results import Skipped
from papertiger.analysis.sections.base import SectionInput, register_builder
from papertiger.analysis.sections.elicitation import (
    Contrast,
    contrast,
    model_groups,
    model_order,
    ordered_groups,
    usage_frame,
)

__all__ = [
    "TIMINGS",
    "SpeedRow",
    "SpeedSection",
    "Spread",
    "build_speed",
    "spread",
]

SECTION = "speed"
# (column, label): the per-attempt timings this section summarises.
TIMINGS = (
    ("output_tokens_per_s", "output tokens/s"),
    ("ttft_s", "time to first token (s)"),
    ("latency_s", "end-to-end time per attempt (s)"),
    ("queue_s", "time queued (s)"),
)


@dataclass(frozen=True)
class Spread:
    """Median and quartiles of one timing, Tukey whiskers (the most extreme values within
    1.5 IQR of the quartiles), and how many attempts carry it."""

    median: float
    q1: float
    q3: float
    whisker_low: float
    whisker_high: float
    n: int


@dataclass(frozen=True)
class SpeedRow:
    """One model's timings over its successful attempts. `time_per_success` is the total
    end-to-end time of all its timed attempts (failed ones too) ÷ its correct answers;
    None with `no_successes` when nothing was right."""

    model: str
    group: str | None
    attempts: int
    ok: int
    correct: int
    timings: dict[str, Spread | None]
    time_per_success: float | None
    no_successes: bool

    def carried(self, column: str) -> int:
        """Attempts that carry `column`."""
        spread = self.timings.get(column)
        return 0 if spread is None else spread.n


@dataclass(frozen=True)
class SpeedSection:
    """Per-model speed rows, and the group comparison of median tokens/s."""

    rows: tuple[SpeedRow, ...]
    group_by: str
    groups: tuple[str, ...]
    contrasts: tuple[Contrast, ...]
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per model: median, q1, q3 and count of each timing."""
        records: list[dict[str, Any]] = []
        for r in self.rows:
            record: dict[str, Any] = {"model": r.model, self.group_by: r.group,
                                      "attempts": r.attempts, "ok": r.ok, "correct": r.correct,
                                      "time_per_success": r.time_per_success,
                                      "no_successes": r.no_successes}
            for column, _ in TIMINGS:
                s = r.timings.get(column)
                for stat in ("median", "q1", "q3", "n"):
                    record[f"{column}_{stat}"] = None if s is None else getattr(s, stat)
            records.append(record)
        return pd.DataFrame(records)

    @property
    def columns(self) -> tuple[str, ...]:
        """The timings at least one model carries."""
        return tuple(c for c, _ in TIMINGS if any(r.carried(c) for r in self.rows))


def spread(values: pd.Series | np.ndarray) -> Spread | None:
    """The Spread of finite values, or None when there are none."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    q1, median, q3 = (float(x) for x in np.quantile(v, [0.25, 0.5, 0.75]))
    reach = 1.5 * (q3 - q1)
    inside = v[(v >= q1 - reach) & (v <= q3 + reach)]
    return Spread(median, q1, q3, float(inside.min()), float(inside.max()), int(v.size))


def _row(model: str, group: str | None, sub: pd.DataFrame) -> SpeedRow:
    ok = sub["status"] == "ok"
    correct = int((sub["correct"].fillna(False).astype(bool) & ok).sum())
    timings = {column: spread(sub.loc[ok, column].astype(float).to_numpy())
               for column, _ in TIMINGS if column in sub.columns}
    latency = sub["latency_s"].astype(float)
    total = float(latency.sum()) if latency.notna().any() else None
    return SpeedRow(
        model=model, group=group, attempts=len(sub), ok=int(ok.sum()), correct=correct,
        timings=timings,
        time_per_success=total / correct if total is not None and correct else None,
        no_successes=total is not None and correct == 0,
    )


def _carry_notes(rows: list[SpeedRow]) -> list[str]:
    """Which attempts carry which timings, said plainly."""
    notes = []
    for column, label in TIMINGS[:3]:
        total = sum(r.ok for r in rows)
        have = sum(r.carried(column) for r in rows)
        missing = [r.model for r in rows if r.ok and not r.carried(column)]
        if have < total:
            who = f"; none for {', '.join(missing)}" if missing else ""
            notes.append(f"{label}: {have} of {total} successful attempts carry it{who}")
    if any(r.carried("ttft_s") < r.ok for r in rows):
        notes.append("time to first token and tokens/s are measured only on streamed replies "
                     "(stream = true, or one in eight with stream = 'sample') or by a local engine; imported "
                     "attempts rarely carry timings")
    return notes


def build_speed(inputs: SectionInput) -> SpeedSection | Skipped | None:
    """Speed per model from stored attempts; None for published scores."""
    selected, options = inputs.selected, inputs.options
    if selected is None or inputs.counts is None:
        return None
    frame = usage_frame(selected)
    columns = [c for c, _ in TIMINGS if c in frame.columns]
    if not columns or not frame[columns].notna().any().any():
        return Skipped(SECTION, "no attempt carries timings (latency, time to first token or "
                                "tokens/s); papertiger run records them, most imports do not")
    groups = model_groups(selected, options.group_by)
    by_model = {str(m): sub for m, sub in frame.groupby("model", sort=False)}
    rows = [_row(m, groups.get(m), by_model[m]) for m in model_order(list(by_model), groups)]
    rates = {r.model: s.median for r in rows
             if (s := r.timings.get("output_tokens_per_s")) is not None}
    contrasts: tuple[Contrast, ...] = ()
    if len(rates) >= 2:
        contrasts = (contrast({m: v for m, v in rates.items() if math.isfinite(v)}, groups,
                              options, "median output tokens/s per model", "tokens/s"),)
    present = {r.group for r in rows if r.group is not None}
    return SpeedSection(
        rows=tuple(rows), group_by=options.group_by,
        groups=tuple(g for g in ordered_groups(groups) if g in present),
        contrasts=contrasts, notes=tuple(_carry_notes(rows)),
    )


register_builder(SECTION, build_speed)
