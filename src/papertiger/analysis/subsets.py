"""Subsets of models: frontier per group, a floor on the old score, a training cutoff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from papertiger.errors import ConfigError


@dataclass(frozen=True)
class Selection:
    """Which models to analyse. Empty selection = all models."""

    frontier: int | None = None
    min_old: float | None = None
    trained_before: dt.date | None = None
    exclude: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """A short label such as 'frontier 5, old ≥ 50'; 'all models' when empty."""
        parts = []
        if self.exclude:
            parts.append(f"excluding {', '.join(self.exclude)}")
        if self.min_old is not None:
            parts.append(f"old ≥ {self.min_old:g}")
        if self.trained_before is not None:
            parts.append(f"cutoff before {self.trained_before.isoformat()}")
        if self.frontier is not None:
            parts.append(f"frontier {self.frontier} per group")
        return ", ".join(parts) if parts else "all models"


@dataclass(frozen=True)
class Selected:
    """The models kept and a note on each model dropped and why."""

    frame: pd.DataFrame
    notes: tuple[str, ...]


def _cutoff(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return None


def select(frame: pd.DataFrame, selection: Selection, group_by: str) -> Selected:
    """Apply exclusions, the old-score floor, the cutoff filter, then the frontier cut."""
    notes: list[str] = []
    out = _exclude(frame, selection.exclude, notes)
    if selection.min_old is not None:
        keep = out["old"].astype(float) >= selection.min_old
        if (~keep).any():
            notes.append(f"--min-old {selection.min_old:g} dropped {int((~keep).sum())} models")
        out = out[keep]
    if selection.trained_before is not None:
        out = _trained_before(out, selection.trained_before, notes)
    if selection.frontier is not None:
        out = _frontier(out, selection.frontier, group_by, notes)
    return Selected(out.reset_index(drop=True), tuple(notes))


def _exclude(frame: pd.DataFrame, names: Sequence[str], notes: list[str]) -> pd.DataFrame:
    if not names:
        return frame
    lowered = {n.strip().lower() for n in names}
    present = set(frame["model"].astype(str).str.lower())
    missing = sorted(n for n in names if n.strip().lower() not in present)
    if missing:
        raise ConfigError(f"--exclude: no model named {', '.join(map(repr, missing))}")
    keep = ~frame["model"].astype(str).str.lower().isin(lowered)
    notes.append(f"--exclude dropped {int((~keep).sum())} models")
    return frame[keep]


def _trained_before(frame: pd.DataFrame, date: dt.date, notes: list[str]) -> pd.DataFrame:
    if "training_cutoff" not in frame.columns:
        notes.append(f"--trained-before {date}: no training_cutoff column, dropped all models")
        return frame.iloc[0:0]
    cutoffs = frame["training_cutoff"].map(_cutoff)
    unknown = cutoffs.isna()
    later = ~unknown & cutoffs.map(lambda c: c is not None and c >= date)
    notes.append(
        f"--trained-before {date.isoformat()} dropped {int(unknown.sum())} models with unknown "
        f"cutoff and {int(later.sum())} with a cutoff on or after it"
    )
    return frame[~unknown & ~later]


def _frontier(frame: pd.DataFrame, n: int, group_by: str, notes: list[str]) -> pd.DataFrame:
    if n < 1:
        raise ConfigError("--frontier must be at least 1")
    ranked = frame.sort_values("old", ascending=False, kind="stable")
    kept = ranked.groupby(group_by, sort=False, dropna=False).head(n)
    dropped = len(frame) - len(kept)
    if dropped:
        notes.append(f"--frontier {n} kept the top {n} per group by old score ({dropped} dropped)")
    return kept.sort_index()
