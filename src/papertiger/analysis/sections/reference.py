"""Reference-model regression per model, in the manner of ConStat (issue 8 §3; STATISTICS.md §5).

Reference models (assumed clean, at least 5, chosen by the user) give a monotone map H from
fresh-form score to old-form score; every other model's excess = old − H(fresh) is the
old-form score its fresh-form score does not explain, with a bootstrap interval and a
one-sided p-value for excess > 0. One result per pair of consecutive forms (the same pairs
as the shrinkage sections: AIME 2024 → 2025 and 2025 → 2026 are separate questions, and a
model clean on one pair need not be on the other). From item-level attempts items of both
forms and the references are resampled; from published scores only the references are, and
the section says so.

The references are chosen as for the Rasch anchor (`equating.choose_references`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from papertiger.analysis.reference import (
    MIN_REFERENCES,
    ReferenceRegression,
    reference_regression,
    reference_regression_scores,
)
from papertiger.analysis.results import Interval, Skipped
from papertiger.analysis.sections.base import SectionInput, register_builder
from papertiger.analysis.sections.elicitation import model_groups, ordered_groups
from papertiger.analysis.sections.equating import HOW_TO_CHOOSE, References, choose_references

if TYPE_CHECKING:
    from papertiger.analysis.counts import ItemCounts
    from papertiger.analysis.shrinkage import ReportOptions
    from papertiger.published import ScoreTable

__all__ = [
    "REFERENCE_BOOT_CAP",
    "ReferencePair",
    "ReferenceRow",
    "ReferenceSection",
    "build_reference",
]

SECTION = "reference-model regression"
REFERENCE_BOOT_CAP = 500  # draws per pair: p-values to 0.002, and a report that stays fast


@dataclass(frozen=True)
class ReferenceRow:
    """One model on one pair: scores (percent), H's prediction, excess (pp) with its CI."""

    model: str
    group: str | None
    old: float
    fresh: float
    predicted_old: float
    excess: Interval
    p_value: float
    flagged: bool
    extrapolated: bool
    is_reference: bool


@dataclass(frozen=True)
class ReferencePair:
    """The regression of one pair of forms: H on a grid (percent), every model's row."""

    old_form: str
    fresh_form: str
    curve: str
    references: tuple[str, ...]
    fresh_range: tuple[float, float]
    grid_fresh: tuple[float, ...]
    grid_old: tuple[float, ...]
    rows: tuple[ReferenceRow, ...]
    resampled: str
    item_level: bool
    n_boot: int
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.old_form} \u2192 {self.fresh_form}"

    def to_frame(self) -> pd.DataFrame:
        """One row per model (excess with `_low`/`_high`)."""
        return pd.DataFrame([{
            "model": r.model, "group": r.group, "old_form": self.old_form,
            "fresh_form": self.fresh_form, "old": r.old, "fresh": r.fresh,
            "predicted_old": r.predicted_old, "excess": r.excess.estimate,
            "excess_low": r.excess.low, "excess_high": r.excess.high, "p_value": r.p_value,
            "flagged": r.flagged, "extrapolated": r.extrapolated, "is_reference": r.is_reference,
        } for r in self.rows])


@dataclass(frozen=True)
class ReferenceSection:
    """One regression per pair of consecutive forms (or per score table), or why not."""

    pairs: tuple[ReferencePair | Skipped, ...]
    group_by: str
    groups: tuple[str, ...]
    references: tuple[str, ...]
    chosen_by: str
    item_level: bool
    alpha: float
    level: float
    n_boot: int
    method: str
    notes: tuple[str, ...] = ()

    @property
    def computed(self) -> tuple[ReferencePair, ...]:
        return tuple(p for p in self.pairs if isinstance(p, ReferencePair))

    def to_frame(self) -> pd.DataFrame:
        """Every pair's model rows, with the forms they compare."""
        frames = [p.to_frame() for p in self.computed]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _pct(value: float) -> float:
    return 100.0 * value if math.isfinite(value) else math.nan


def _pair(fit: ReferenceRegression, old_form: str, fresh_form: str, names: list[str],
          groups: dict[str, str | None], item_level: bool) -> ReferencePair:
    rows = tuple(
        ReferenceRow(model=names[e.model], group=groups.get(names[e.model]), old=_pct(e.old),
                     fresh=_pct(e.fresh), predicted_old=_pct(e.predicted_old),
                     excess=Interval(_pct(e.excess.estimate), _pct(e.excess.low),
                                     _pct(e.excess.high), e.excess.level, e.excess.method),
                     p_value=e.p_value, flagged=e.flagged, extrapolated=e.extrapolated,
                     is_reference=e.is_reference)
        for e in fit.models)
    lo, hi = fit.fresh_range
    return ReferencePair(
        old_form=old_form, fresh_form=fresh_form, curve=fit.curve,
        references=tuple(names[r] for r in fit.references), fresh_range=(_pct(lo), _pct(hi)),
        grid_fresh=tuple(float(v) for v in 100.0 * fit.grid_fresh),
        grid_old=tuple(float(v) for v in 100.0 * fit.grid_old), rows=rows,
        resampled=fit.resampled, item_level=item_level, n_boot=fit.n_boot, notes=fit.notes)


def _too_few(label: str, found: Sequence[str], refs: References,
             where: str = "with scores on both forms") -> Skipped:
    which = f" ({', '.join(found)})" if found else ""
    return Skipped(label, f"{len(found)} reference model(s) {where}{which}, "
                          f"chosen by {refs.chosen_by}; need at least {MIN_REFERENCES}: "
                          f"{HOW_TO_CHOOSE}")


def _item_pairs(counts: ItemCounts, refs: References, groups: dict[str, str | None],
                options: ReportOptions, n_boot: int) -> list[ReferencePair | Skipped]:
    out: list[ReferencePair | Skipped] = []
    for old, fresh in zip(counts.forms, counts.forms[1:], strict=False):
        label = f"{old} \u2192 {fresh}"
        io, jf = counts.form_items(old), counts.form_items(fresh)
        both = (counts.trials[:, io] > 0).any(axis=1) & (counts.trials[:, jf] > 0).any(axis=1)
        keep = np.flatnonzero(both)
        names = [counts.models[m] for m in keep]
        ref_idx = [k for k, m in enumerate(names) if m in refs.names]
        if len(ref_idx) < MIN_REFERENCES:
            out.append(_too_few(label, [names[k] for k in ref_idx], refs))
            continue
        if len(ref_idx) == len(names):
            out.append(Skipped(label, "every model with scores on both forms is a reference: "
                                      "there is no model to test"))
            continue
        c, t = counts.correct[keep], counts.trials[keep]
        fit = reference_regression(c[:, io], t[:, io], c[:, jf], t[:, jf], ref_idx,
                                   n_boot=n_boot, level=1.0 - options.alpha, alpha=options.alpha,
                                   seed=options.seed, model_labels=names)
        out.append(_pair(fit, old, fresh, names, groups, item_level=True))
    return out


def _table_groups(frame: pd.DataFrame, group_by: str) -> dict[str, str | None]:
    if group_by not in frame.columns:
        return {}
    return {str(m): None if g is None or (not isinstance(g, str) and pd.isna(g)) else str(g)
            for m, g in zip(frame["model"], frame[group_by], strict=True)}


def _score_pair(table: ScoreTable, refs: References, options: ReportOptions, n_boot: int,
                several: bool) -> ReferencePair | Skipped:
    harness = f" ({table.harness or table.source})" if several else ""
    old_label, fresh_label = f"{table.old_label}{harness}", f"{table.fresh_label}{harness}"
    frame = table.frame
    frame = frame[frame["old"].astype(float).notna() & frame["fresh"].astype(float).notna()]
    names = [str(m) for m in frame["model"]]
    ref_idx = [k for k, m in enumerate(names) if m in refs.names]
    label = f"{old_label} \u2192 {fresh_label}"
    if len(ref_idx) < MIN_REFERENCES:
        return _too_few(label, [names[k] for k in ref_idx], refs)
    if len(ref_idx) == len(names):
        return Skipped(label, "every model of the table is a reference: there is no model to test")
    fit = reference_regression_scores(
        frame["old"].astype(float).to_numpy() / 100.0, frame["fresh"].astype(float).to_numpy() / 100.0,
        ref_idx, n_boot=n_boot, level=1.0 - options.alpha, alpha=options.alpha, seed=options.seed,
        model_labels=names)
    return _pair(fit, old_label, fresh_label, names, _table_groups(frame, options.group_by),
                 item_level=False)


def build_reference(inputs: SectionInput) -> ReferenceSection | Skipped | None:
    """The section for a store (item counts, ≥ 2 forms) or for published score tables."""
    options = inputs.options
    n_boot = min(options.n_boot, REFERENCE_BOOT_CAP)
    if inputs.counts is not None and inputs.selected is not None:
        counts = inputs.counts
        if len(counts.forms) < 2:
            return None
        groups = model_groups(inputs.selected, options.group_by)
        refs = choose_references(counts.models, inputs.selected.models, options)
    elif inputs.table is not None:
        tables = inputs.tables or (inputs.table,)
        frame = pd.concat([t.frame for t in tables], ignore_index=True)
        groups = _table_groups(frame.drop_duplicates("model"), options.group_by)
        models = tuple(dict.fromkeys(str(m) for m in frame["model"]))
        refs = choose_references(models, frame.drop_duplicates("model"), options)
    else:
        return None
    if not refs.asked:
        return Skipped(SECTION, f"no reference models chosen: {HOW_TO_CHOOSE} (at least "
                                f"{MIN_REFERENCES})")
    if len(refs.names) < MIN_REFERENCES:
        return _too_few(SECTION, refs.names, refs, "found")
    if inputs.counts is not None:
        pairs = _item_pairs(inputs.counts, refs, groups, options, n_boot)
        how = ("from item-level attempts: the bootstrap resamples the items of both forms "
               "(the same draws for every model) and the reference models")
    else:
        tables = inputs.tables or (inputs.table,)  # type: ignore[assignment]
        pairs = [_score_pair(t, refs, options, n_boot, len(tables) > 1)
                 for t in tables if t is not None]
        how = ("from aggregate scores: the bootstrap resamples the reference models only, so "
               "the models' own sampling noise is missing and the intervals are too narrow")
    notes = []
    if refs.unknown:
        notes.append(f"--reference names no model of this report: {', '.join(refs.unknown)}")
    if n_boot < options.n_boot:
        notes.append(f"{n_boot} bootstrap draws per pair (capped from {options.n_boot})")
    method = (f"H: monotone map fresh → old fitted on the references (logit-linear below 10 "
              f"references, else a smoothing spline anchored at (0, 0) and (100, 100)); excess = "
              f"old − H(fresh); basic bootstrap, {n_boot} draws (seed {options.seed}), {how}; "
              f"one-sided p for excess > 0, flagged below α = {options.alpha:g}; one result per "
              "pair of consecutive forms")
    return ReferenceSection(
        pairs=tuple(pairs), group_by=options.group_by, groups=ordered_groups(groups),
        references=refs.names, chosen_by=refs.chosen_by, item_level=inputs.counts is not None,
        alpha=options.alpha, level=1.0 - options.alpha, n_boot=n_boot, method=method,
        notes=tuple(notes))


register_builder(SECTION, build_reference)
