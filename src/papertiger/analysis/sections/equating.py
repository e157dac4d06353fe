"""Rasch equating over a series of forms as a report section (issue 8 §1; STATISTICS.md §4).

One binomial Rasch fit over every model, item and form of the suite,

    logit P(correct) = θ_model − b_item + δ_model · fresh(model, form),

so AIME 2024, 2025 and 2026 are equated in one fit and each model is judged on the forms
that are new to it: fresh(model, form) is 1 when the form was released after the model's
training cutoff, or (a weaker test, labelled as such) after its release date. δ < 0 is a
model that does worse on the forms it cannot have seen than its ability on the others
predicts. The headline is the group contrast γ = mean δ(A) − mean δ(B), which needs no
anchor; δ itself and the form shifts rest on the anchor the user chose (equal mean
difficulty of the forms, or δ = 0 for the reference models), which is stated beside them.

Intervals bootstrap items within each form with the same draws for every model: the
super-population estimand (would the fall hold on other items of the same kind?). A refit
costs about M²·I (M models, I items), so the draws scale down with the design
(`rasch_draws`) and the method text says how many were used.

Reference models (anchor here, curve of the reference regression): `choose_references`.
With items flagged by `papertiger dedup --db`, γ is refit without them (equating_flagged).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from papertiger.analysis.freshness import as_date, freshness
from papertiger.analysis.rasch import FormShift, RaschContrast, RaschFit, fit_rasch, rasch_contrast
from papertiger.analysis.results import Interval, Skipped, TestResult
from papertiger.analysis.sections.base import SectionInput, register_builder
from papertiger.analysis.sections.elicitation import group_pair, model_groups, ordered_groups
from papertiger.analysis.sections.equating_flagged import EquatingWithoutFlagged, without_flagged

if TYPE_CHECKING:
    from papertiger.analysis.counts import ItemCounts
    from papertiger.analysis.shrinkage import ReportOptions

__all__ = [
    "ESTIMAND",
    "HOW_TO_CHOOSE",
    "EquatingRow",
    "EquatingSection",
    "GroupDelta",
    "ItemDifficulty",
    "References",
    "build_equating",
    "choose_references",
    "rasch_draws",
]

SECTION = "Rasch equating"
BOOT_CAP = 500  # draws at most (small designs)
BOOT_MIN = 50  # draws at least (large designs: rough intervals, said in the notes)
BOOT_WORK = 4e9  # M² · I · draws the bootstrap may cost (≈ 10 s on one core)
HOW_TO_CHOOSE = ("choose models assumed clean with --reference MODEL (repeatable), "
                 "--reference-group GROUP or --reference-before DATE")
ESTIMAND = ("super-population over items: items resampled within each form, the same draws "
            "for every model (would the fall hold on other items of the same kind?)")


def rasch_draws(requested: int, n_models: int, n_items: int) -> int:
    """Bootstrap draws for the Rasch fit: min(requested, 500, max(50, 4·10⁹ / (M²·I)))."""
    scaled = int(BOOT_WORK / max(1, n_models * n_models * n_items))
    return max(0, min(requested, BOOT_CAP, max(BOOT_MIN, scaled)))


@dataclass(frozen=True)
class References:
    """The chosen reference models (in report order), how, and names that matched nothing."""

    names: tuple[str, ...]
    chosen_by: str
    unknown: tuple[str, ...] = ()

    @property
    def asked(self) -> bool:
        """Whether the options name any reference at all."""
        return bool(self.chosen_by)


def _filters(options: ReportOptions) -> list[str]:
    out = []
    if options.reference_group is not None:
        out.append(f"{options.group_by} = {options.reference_group}")
    if options.reference_before is not None:
        out.append(f"training cutoff stated and before {options.reference_before.isoformat()}")
    return out


def _passes(row: dict[Any, Any], options: ReportOptions) -> bool:
    """Whether a model's metadata passes every reference filter given."""
    if options.reference_group is not None:
        value = row.get(options.group_by)
        if not isinstance(value, str) or value.casefold() != options.reference_group.casefold():
            return False
    if options.reference_before is not None:
        cutoff = as_date(row.get("training_cutoff"))
        return cutoff is not None and cutoff < options.reference_before
    return True


def choose_references(models: Sequence[str], meta: pd.DataFrame,
                      options: ReportOptions) -> References:
    """The references among `models`: the named ones plus those passing every filter given.

    `meta` has a `model` column and, where known, the group-by column and `training_cutoff`.
    """
    rows: dict[str, dict[Any, Any]] = (
        {str(r["model"]): r for r in meta.to_dict("records")} if "model" in meta else {})
    filters = _filters(options)
    chosen = set(options.reference_models) | {
        m for m in models if filters and _passes(rows.get(m, {}), options)}
    how = ([f"named ({', '.join(options.reference_models)})"] if options.reference_models else [])
    how += [" and ".join(filters)] if filters else []
    return References(tuple(m for m in models if m in chosen), "; plus ".join(how),
                      tuple(m for m in options.reference_models if m not in models))


@dataclass(frozen=True)
class EquatingRow:
    """One model: ability θ on its old forms, δ with its item-bootstrap CI (None when
    undefined, `note` says why or that it rests on the prior), which forms are fresh to it."""

    model: str
    group: str | None
    theta: float
    delta: Interval | None
    note: str
    freshness: tuple[str, ...]
    basis: str | None
    is_reference: bool = False


@dataclass(frozen=True)
class GroupDelta:
    """Plain mean of δ over a group's models with δ."""

    group: str
    n: int
    mean: float


@dataclass(frozen=True)
class ItemDifficulty:
    """One item's difficulty b (logits, on the anchor's scale), its form, and how often it
    was solved: `correct_rate` over all samples, `solved_by` the share of the models that
    attempted it with at least one right answer; `fresh_for` models with δ it is fresh to."""

    form: str
    item_id: str
    b: float
    correct_rate: float
    solved_by: float
    n_models: int
    fresh_for: int


@dataclass(frozen=True)
class EquatingSection:
    """The fitted series: per-model rows, γ (or why not), form shifts, item difficulties."""

    forms: tuple[str, ...]
    released: tuple[str | None, ...]
    group_by: str
    groups: tuple[str, ...]
    anchor: str
    anchor_kind: str
    rows: tuple[EquatingRow, ...]
    group_means: tuple[GroupDelta, ...]
    contrast: RaschContrast | Skipped
    one_sided: TestResult | None
    shifts: tuple[FormShift, ...]
    items: tuple[ItemDifficulty, ...]
    method: str
    estimand: str
    n_boot: int
    level: float
    converged: bool
    notes: tuple[str, ...] = ()
    without_flagged: EquatingWithoutFlagged | None = None  # γ without near-duplicate items

    @property
    def fresh_forms(self) -> tuple[str, ...]:
        """Forms that are fresh to at least one model with δ."""
        return tuple(f for f in self.forms if any(i.fresh_for for i in self.items if i.form == f))

    def to_frame(self) -> pd.DataFrame:
        """One row per model: θ, δ with `_low`/`_high`, freshness per form, basis."""
        records = []
        for r in self.rows:
            record = {"model": r.model, self.group_by: r.group, "theta": r.theta,
                      "delta": r.delta.estimate if r.delta else None,
                      "delta_low": r.delta.low if r.delta else None,
                      "delta_high": r.delta.high if r.delta else None, "note": r.note,
                      "basis": r.basis, "is_reference": r.is_reference}
            record.update({f"fresh_{f}": v for f, v in zip(self.forms, r.freshness, strict=True)})
            records.append(record)
        return pd.DataFrame(records)

    def items_frame(self) -> pd.DataFrame:
        """One row per item: form, difficulty b, correct rate, share of models solving it."""
        return pd.DataFrame([vars(i) for i in self.items])

    def shifts_frame(self) -> pd.DataFrame:
        """One row per form: the shift of its mean difficulty and what it rests on."""
        return pd.DataFrame([{"form": s.label, "shift": s.shift.estimate, "low": s.shift.low,
                              "high": s.shift.high, "basis": s.basis} for s in self.shifts])


def _fresh_matrix(counts: ItemCounts, meta: pd.DataFrame, released: tuple[str | None, ...]
                  ) -> tuple[np.ndarray, list[tuple[str, ...]], list[str | None]]:
    """fresh[m, f], each model's verdict per form, and the basis of its verdicts."""
    rows = {str(r["model"]): r for r in meta.to_dict("records")} if "model" in meta else {}
    dates = [as_date(r) for r in released]
    fresh = np.zeros((len(counts.models), len(counts.forms)), dtype=bool)
    verdicts: list[tuple[str, ...]] = []
    bases: list[str | None] = []
    for m, model in enumerate(counts.models):
        row = rows.get(model, {})
        got = [freshness(d, row.get("training_cutoff"), row.get("released")) for d in dates]
        fresh[m] = [v == "fresh" for v, _ in got]
        verdicts.append(tuple(v for v, _ in got))
        bases.append(next((b for _, b in got if b), None))
    return fresh, verdicts, bases


def _items(counts: ItemCounts, correct: np.ndarray, trials: np.ndarray, b: np.ndarray,
           fresh_mf: np.ndarray, free: np.ndarray) -> tuple[ItemDifficulty, ...]:
    attempted = trials > 0
    n = attempted.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):  # unattempted items: NaN
        rate = correct.sum(axis=0) / trials.sum(axis=0)
        solved = ((correct > 0) & attempted).sum(axis=0) / n
    fresh_for = (attempted & free[:, None] & fresh_mf[:, counts.form_of_item]).sum(axis=0)
    return tuple(ItemDifficulty(form, item_id, float(b[j]), float(rate[j]), float(solved[j]),
                                int(n[j]), int(fresh_for[j]))
                 for j, (form, item_id) in enumerate(counts.items))


def _contrast(fit: RaschFit, labels: list[str | None], groups: dict[str, str | None],
              options: ReportOptions) -> tuple[RaschContrast | Skipped, TestResult | None]:
    """γ two-sided (the headline) and the one-sided permutation test that group A falls more."""
    label = "group contrast \u03b3"
    pair = group_pair(groups, options)
    if pair is None:
        why = (f"--compare {','.join(options.compare)}: no such pair of groups"
               if options.compare else
               f"it needs exactly two groups in {options.group_by!r} (use --compare A,B)")
        return Skipped(label, why), None
    try:
        two = rasch_contrast(fit, labels, pair, "two-sided", seed=options.seed)
        less = rasch_contrast(fit, labels, pair, "less", seed=options.seed)
    except ValueError as exc:
        return Skipped(label, str(exc)), None
    return two, less.permutation


def _free(counts: ItemCounts, trials: np.ndarray, fresh: np.ndarray) -> np.ndarray:
    """Models with δ: attempted items on an old form and on a fresh one."""
    attempted = np.stack([(trials[:, counts.form_of_item == f] > 0).any(axis=1)
                          for f in range(len(counts.forms))], axis=1)
    return np.asarray((attempted & fresh).any(axis=1) & (attempted & ~fresh).any(axis=1))


def _masked(counts: ItemCounts, verdicts: list[tuple[str, ...]]
            ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Correct and trials with every (model, form) of unknown freshness left out, and those
    pairs."""
    correct, trials = counts.correct.copy(), counts.trials.copy()
    unknown = []
    for m, row in enumerate(verdicts):
        for f, verdict in enumerate(row):
            cols = counts.form_of_item == f
            if verdict == "unknown" and (trials[m, cols] > 0).any():
                correct[m, cols] = 0
                trials[m, cols] = 0
                unknown.append((m, f))
    return correct, trials, unknown


def _anchor_models(counts: ItemCounts, selected_models: pd.DataFrame, options: ReportOptions,
                   free: np.ndarray, notes: list[str]) -> list[int] | Skipped:
    """Indices of the reference models that anchor δ = 0 (those with δ), or why none can."""
    if options.anchor != "reference":
        return []
    refs = choose_references(counts.models, selected_models, options)
    if not refs.names:
        why = "no reference models chosen" if not refs.asked else \
            f"no model matches the references ({refs.chosen_by})"
        return Skipped(SECTION, f"--anchor reference: {why}; {HOW_TO_CHOOSE}")
    idx = [counts.models.index(m) for m in refs.names]
    dropped = [counts.models[r] for r in idx if not free[r]]
    if dropped:
        notes.append(f"reference models without δ cannot anchor and are left out of the "
                     f"anchor: {', '.join(dropped)}")
    usable = [r for r in idx if free[r]]
    if not usable:
        return Skipped(SECTION, "--anchor reference: none of the reference models "
                                f"({', '.join(refs.names)}) has both old and fresh forms, so "
                                "none has a δ to set to 0")
    return usable


def _group_means(rows: tuple[EquatingRow, ...], order: tuple[str, ...]) -> tuple[GroupDelta, ...]:
    means = []
    for g in order:
        values = [r.delta.estimate for r in rows if r.group == g and r.delta is not None]
        if values:
            means.append(GroupDelta(g, len(values), float(np.mean(values))))
    return tuple(means)


def _fit_notes(free: np.ndarray, n_boot: int, options: ReportOptions, shape: tuple[int, int],
               bases: list[str | None]) -> list[str]:
    notes = []
    if not free.any():
        notes.append("no model has both old and fresh forms: δ is undefined for every model "
                     "(set training cutoffs or release dates in the catalogue)")
    if n_boot < min(options.n_boot, BOOT_CAP):
        notes.append(f"{n_boot} bootstrap draws for {shape[0]} models × {shape[1]} items "
                     "(each refit costs about M²·I): the intervals are rough")
    if any(b == "release date (weaker)" for b in bases):
        notes.append("freshness by release date (no training cutoff stated) is the weaker "
                     "test: a model may have been trained well before its release")
    return notes


def build_equating(inputs: SectionInput) -> EquatingSection | Skipped | None:
    """The Rasch series of an attempt source with two forms or more (else None)."""
    counts, selected = inputs.counts, inputs.selected
    if counts is None or selected is None or len(counts.forms) < 2:
        return None
    options = inputs.options
    released = tuple(r if isinstance(r, str) and r else None for r in counts.released) \
        if counts.released else tuple(dict(selected.forms).get(f) for f in counts.forms)
    fresh, verdicts, bases = _fresh_matrix(counts, selected.models, released)
    correct, trials, unknown = _masked(counts, verdicts)
    notes = _unknown_notes(counts, unknown, released)
    if not trials.any():
        return Skipped(SECTION, "freshness is unknown for every model and form: give the models "
                                "a training_cutoff (or released) date in the catalogue and the "
                                "forms a release date")
    free = _free(counts, trials, fresh)
    ref_idx = _anchor_models(counts, selected.models, options, free, notes)
    if isinstance(ref_idx, Skipped):
        return ref_idx
    n_boot = rasch_draws(options.n_boot, len(counts.models), int((trials.sum(0) > 0).sum()))
    try:
        fit = fit_rasch(correct, trials, counts.form_of_item, fresh,
                        anchor="reference" if options.anchor == "reference" else "equal-means",
                        reference_models=ref_idx, form_labels=counts.forms,
                        model_labels=counts.models, n_boot=n_boot, level=1.0 - options.alpha,
                        seed=options.seed)
    except ValueError as exc:
        return Skipped(SECTION, str(exc))
    groups = model_groups(selected, options.group_by)
    contrast, one_sided = _contrast(fit, [groups.get(m) for m in counts.models], groups, options)
    rows = tuple(
        EquatingRow(model=model, group=groups.get(model), theta=float(fit.theta[m]),
                    delta=fit.delta_interval(m) if math.isfinite(fit.delta[m]) else None,
                    note=fit.delta_note[m], freshness=verdicts[m], basis=bases[m],
                    is_reference=m in set(ref_idx))
        for m, model in enumerate(counts.models))
    order = ordered_groups(groups)
    notes += [*fit.notes, *_fit_notes(free, n_boot, options, trials.shape, bases)]
    flagged = without_flagged(counts, (correct, trials, fresh), selected.flagged, groups,
                              group_pair(groups, options), fit, options.anchor, list(ref_idx))
    return EquatingSection(
        forms=counts.forms, released=released, group_by=options.group_by, groups=order,
        anchor=fit.anchor, anchor_kind=options.anchor, rows=rows,
        group_means=_group_means(rows, order), contrast=contrast, one_sided=one_sided,
        shifts=fit.shifts, items=_items(counts, correct, trials, fit.b, fresh, free),
        method=(f"{fit.method}; draws scaled to the design: min(--n-boot, {BOOT_CAP}, "
                f"max({BOOT_MIN}, 4·10⁹ / (models² · items)))"),
        estimand=ESTIMAND, n_boot=n_boot, level=1.0 - options.alpha, converged=fit.converged,
        notes=tuple(dict.fromkeys(notes)), without_flagged=flagged)


def _unknown_notes(counts: ItemCounts, unknown: list[tuple[int, int]],
                   released: tuple[str | None, ...]) -> list[str]:
    notes = []
    undated = [counts.forms[f] for f, r in enumerate(released) if r is None]
    if undated:
        notes.append(f"forms without a release date (freshness unknown, left out): "
                     f"{', '.join(undated)}")
    models = sorted({counts.models[m] for m, f in unknown if released[f] is not None})
    if models:
        notes.append(f"models with neither a training cutoff nor a release date (freshness "
                     f"unknown, their attempts left out): {', '.join(models)}")
    return notes


register_builder(SECTION, build_equating)
