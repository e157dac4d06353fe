"""The elicitation gap: how much more a model solves given k tries than given one.

The essay asks whether the Chinese models are "harder to elicit": a bigger gap between
pass@1 and pass@K. Per model × form the unbiased pass@k curve (STATISTICS.md §1) for k =
1, 2, 4, …, K with a bootstrap band over items, the gap pass@K − pass@1 and its normalised
form (the share of the unsolved mass that K tries recover), and the group comparison of
the gap on each form and of the normalised gap on the latest form (models are the
units). The group helpers here are shared by the prompt, tokenomics and speed sections.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from papertiger.analysis import stats
from papertiger.analysis.attempts import USAGE_COLUMNS
from papertiger.analysis.falls import group_order
from papertiger.analysis.itemstats import pass_at_k
from papertiger.analysis.results import GroupComparison, Interval, Skipped
from papertiger.analysis.sections.base import SectionInput, register_builder

if TYPE_CHECKING:
    from papertiger.analysis.attempts import SelectedAttempts
    from papertiger.analysis.shrinkage import ReportOptions

__all__ = [
    "USAGE_COLUMNS",
    "Contrast",
    "ElicitationSection",
    "PassCurve",
    "build_elicitation",
    "contrast",
    "draw_sums",
    "group_pair",
    "ks_for",
    "model_groups",
    "model_order",
    "ordered_groups",
    "percentile_interval",
    "ratio_interval",
    "usage_frame",
]

SECTION = "elicitation gap"


@dataclass(frozen=True)
class PassCurve:
    """One model's pass@k on one form (percent), with a bootstrap band over items.

    `samples` is K, the fewest samples any of its items has (`uneven` when items differ);
    `gap` is pass@K − pass@1 in points; `normalised` is that gap as a percentage of
    100 − pass@1 (None when pass@1 is already 100)."""

    model: str
    group: str | None
    form: str
    samples: int
    items: int
    ks: tuple[int, ...]
    pass_at: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    gap: Interval
    normalised: Interval | None
    uneven: bool = False


@dataclass(frozen=True)
class Contrast:
    """A group comparison of one per-model quantity (e.g. the gap on one form)."""

    label: str
    quantity: str
    comparison: GroupComparison | Skipped


@dataclass(frozen=True)
class ElicitationSection:
    """pass@k curves per model × form, gaps, and their group comparisons."""

    curves: tuple[PassCurve, ...]
    forms: tuple[str, ...]
    fresh: str
    group_by: str
    groups: tuple[str, ...]
    contrasts: tuple[Contrast, ...]
    level: float
    n_boot: int
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Long form: one row per model × form × k."""
        rows = [
            {"model": c.model, self.group_by: c.group, "form": c.form, "samples": c.samples,
             "k": k, "pass_at_k": p, "low": lo, "high": hi}
            for c in self.curves
            for k, p, lo, hi in zip(c.ks, c.pass_at, c.low, c.high, strict=True)
        ]
        return pd.DataFrame(rows)

    def gaps_frame(self) -> pd.DataFrame:
        """One row per model × form: pass@1, pass@K, the gap and the normalised gap."""
        return pd.DataFrame([
            {"model": c.model, self.group_by: c.group, "form": c.form, "samples": c.samples,
             "items": c.items, "pass_at_1": c.pass_at[0], "pass_at_K": c.pass_at[-1],
             "gap": c.gap.estimate, "gap_low": c.gap.low, "gap_high": c.gap.high,
             "normalised_gap": c.normalised.estimate if c.normalised else None,
             "normalised_low": c.normalised.low if c.normalised else None,
             "normalised_high": c.normalised.high if c.normalised else None}
            for c in self.curves
        ])


# -- helpers shared by the attempt sections ------------------------------------------------


def model_groups(selected: SelectedAttempts, group_by: str) -> dict[str, str | None]:
    """Each model's value of the group-by column (None when unknown)."""
    meta = selected.models
    if group_by not in meta.columns:
        return {}
    out: dict[str, str | None] = {}
    for model, group in zip(meta["model"].astype(str), meta[group_by], strict=True):
        out[model] = None if group is None or pd.isna(group) else str(group)
    return out


def ordered_groups(groups: Mapping[str, str | None]) -> tuple[str, ...]:
    """Groups in display order (Chinese, Western first; then sorted)."""
    frame = pd.DataFrame({"g": [g for g in groups.values() if g is not None]})
    return tuple(group_order(frame, "g")) if not frame.empty else ()


def model_order(models: Sequence[str], groups: Mapping[str, str | None]) -> list[str]:
    """Models by group (in display order, unknown last), then by name."""
    rank = {g: i for i, g in enumerate(ordered_groups(groups))}
    return sorted(models, key=lambda m: (rank.get(groups.get(m) or "", len(rank)), m))


def group_pair(groups: Mapping[str, str | None], options: ReportOptions) -> tuple[str, str] | None:
    """The two groups to compare: `--compare`, else the only two there are."""
    order = ordered_groups(groups)
    if options.compare is not None:
        return options.compare if all(g in order for g in options.compare) else None
    return (order[0], order[1]) if len(order) == 2 else None


def contrast(
    values: Mapping[str, float], groups: Mapping[str, str | None], options: ReportOptions,
    label: str, quantity: str,
) -> Contrast:
    """Group A − group B on a per-model quantity with every test of the group comparison
    (two-sided, and each one-sided direction); Skipped with the reason when it can't run."""
    pair = group_pair(groups, options)
    if pair is None:
        why = (f"--compare {','.join(options.compare)}: no such pair of groups"
               if options.compare else
               f"it needs exactly two groups in {options.group_by!r} (use --compare A,B)")
        return Contrast(label, quantity, Skipped(label, why))
    a = np.asarray([v for m, v in values.items() if groups.get(m) == pair[0] and math.isfinite(v)])
    b = np.asarray([v for m, v in values.items() if groups.get(m) == pair[1] and math.isfinite(v)])
    try:
        if a.size < 2 or b.size < 2:
            raise ValueError(f"need at least 2 models per group, have {a.size} and {b.size}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # scipy's precision warnings become notes
            tests = list(stats.compare_tests(a, b, metric=quantity))
            tests += [test(a, b, "greater", quantity) for test in
                      (stats.welch_t, stats.student_t, stats.mann_whitney, stats.permutation_test)]
        notes = tuple(dict.fromkeys(f"scipy: {w.message}" for w in caught))
        comparison: GroupComparison | Skipped = GroupComparison(
            metric=quantity, group_by=options.group_by, group_a=pair[0], group_b=pair[1],
            n_a=int(a.size), n_b=int(b.size), mean_a=float(a.mean()), mean_b=float(b.mean()),
            difference=stats.welch_diff_ci(a, b, level=1.0 - options.alpha),
            bootstrap=stats.bootstrap_diff_ci(a, b, level=1.0 - options.alpha,
                                              n_resamples=options.n_boot, seed=options.seed),
            hedges_g=stats.hedges_g(a, b),
            tests=tuple(tests), notes=notes,
        )
    except ValueError as exc:
        comparison = Skipped(label, str(exc))
    return Contrast(label, quantity, comparison)


def percentile_interval(
    estimate: float, draws: np.ndarray, level: float, method: str
) -> Interval:
    """Percentile interval of bootstrap draws (non-finite draws ignored)."""
    finite = draws[np.isfinite(draws)]
    if finite.size == 0:
        return Interval(estimate, math.nan, math.nan, level, method)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(finite, [alpha, 1.0 - alpha])
    return Interval(float(estimate), float(low), float(high), level, method)


def draw_sums(arrays: Sequence[np.ndarray], strata: Sequence[np.ndarray], n_boot: int,
               seed: Sequence[int]) -> list[np.ndarray]:
    """Bootstrap sums of per-item arrays, items resampled within each stratum, the same
    draws for every array (so ratios of two models are paired by item)."""
    rng = np.random.default_rng(list(seed))
    sums = [np.zeros(n_boot) for _ in arrays]
    for idx in strata:
        pick = idx[rng.integers(0, idx.size, size=(n_boot, idx.size))]
        for total, values in zip(sums, arrays, strict=True):
            total += values[pick].sum(axis=1)
    return sums


def ratio_interval(num: np.ndarray, den: np.ndarray, estimate: float, level: float,
                    how: str) -> Interval:
    """Percentile interval of num/den draws, inf where den = 0 (order statistics, so an
    infinite bound stays infinite rather than becoming NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.inf)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(ratio, [alpha, 1.0 - alpha], method="inverted_cdf")
    return Interval(estimate, float(low), float(high), level, how)


def usage_frame(selected: SelectedAttempts) -> pd.DataFrame:
    """Per attempt, the usage, timing and grade columns tokenomics and speed read (read
    once per report; treat it as read-only)."""
    return selected.usage_frame()


def ks_for(samples: int) -> tuple[int, ...]:
    """k = 1, 2, 4, … up to K, and K itself."""
    ks = [1]
    while ks[-1] * 2 <= samples:
        ks.append(ks[-1] * 2)
    if ks[-1] != samples:
        ks.append(samples)
    return tuple(ks)


# -- the section ---------------------------------------------------------------------------


def _pass_matrix(trials: np.ndarray, correct: np.ndarray, ks: tuple[int, ...]) -> np.ndarray:
    """Per item × k, the unbiased pass@k in percent (cached: items share (n, c) pairs)."""
    cache: dict[tuple[int, int, int], float] = {}
    out = np.empty((trials.size, len(ks)))
    for i, (n, c) in enumerate(zip(trials.tolist(), correct.tolist(), strict=True)):
        for j, k in enumerate(ks):
            key = (n, c, k)
            if key not in cache:
                cache[key] = 100.0 * pass_at_k(n, c, k)
            out[i, j] = cache[key]
    return out


def _curve(
    model: str, group: str | None, form: str, trials: np.ndarray, correct: np.ndarray,
    options: ReportOptions, rng: np.random.Generator,
) -> PassCurve:
    samples = int(trials.min())
    ks = ks_for(samples)
    matrix = _pass_matrix(trials, correct, ks)
    level = 1.0 - options.alpha
    estimate = matrix.mean(axis=0)
    idx = rng.integers(0, trials.size, size=(options.n_boot, trials.size))
    draws = matrix[idx].mean(axis=1)  # n_boot × len(ks)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(draws, [alpha, 1.0 - alpha], axis=0)
    how = f"percentile bootstrap over {trials.size} items, {options.n_boot} resamples"
    gap_draws = draws[:, -1] - draws[:, 0]
    gap = percentile_interval(float(estimate[-1] - estimate[0]), gap_draws, level, how)
    normalised = None
    if estimate[0] < 100.0:
        room = 100.0 - draws[:, 0]
        norm_draws = np.divide(100.0 * gap_draws, room, out=np.full_like(room, np.nan),
                               where=room > 0)
        normalised = percentile_interval(100.0 * gap.estimate / (100.0 - estimate[0]),
                                         norm_draws, level, how)
    return PassCurve(
        model=model, group=group, form=form, samples=samples, items=int(trials.size), ks=ks,
        pass_at=tuple(float(v) for v in estimate), low=tuple(float(v) for v in low),
        high=tuple(float(v) for v in high), gap=gap, normalised=normalised,
        uneven=bool(trials.max() != samples),
    )


def _gap_at(trials: np.ndarray, correct: np.ndarray, k: int) -> tuple[float, float]:
    """(pass@k − pass@1, normalised) in points and percent, for the common-k comparison."""
    matrix = _pass_matrix(trials, correct, (1, k)).mean(axis=0)
    gap = float(matrix[1] - matrix[0])
    return gap, (100.0 * gap / (100.0 - matrix[0]) if matrix[0] < 100.0 else math.nan)


def build_elicitation(inputs: SectionInput) -> ElicitationSection | Skipped | None:
    """pass@k curves and gaps from stored attempts; None for published scores."""
    counts, selected, options = inputs.counts, inputs.selected, inputs.options
    if counts is None or selected is None:
        return None
    groups = model_groups(selected, options.group_by)
    curves: list[PassCurve] = []
    notes: list[str] = []
    contrasts: list[Contrast] = []
    short: list[str] = []
    for f, form in enumerate(counts.forms):
        idx = counts.form_items(form)
        at_common: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for model in model_order(counts.models, groups):
            m = counts.model_index(model)
            trials, correct = counts.trials[m, idx], counts.correct[m, idx]
            use = trials > 0
            if not use.any():
                continue
            if int(trials[use].min()) < 2:
                short.append(f"{model} on {form}")
                continue
            rng = np.random.default_rng([options.seed, m, f])
            curves.append(_curve(model, groups.get(model), form, trials[use], correct[use],
                                 options, rng))
            at_common[model] = (trials[use], correct[use])
        if len(at_common) >= 2:
            latest = form == counts.forms[-1]
            found = _form_contrasts(form, latest, at_common, groups, options, notes)
            contrasts = found + contrasts if latest else contrasts + found  # latest first
    if not curves:
        return Skipped(SECTION, "needs ≥ 2 samples per item; run with --samples K")
    if short:
        notes.append(f"left out (fewer than 2 samples on some item): {', '.join(short)}")
    uneven = sorted({f"{c.model} on {c.form}" for c in curves if c.uneven})
    if uneven:
        notes.append("items with unequal sample counts: K is the fewest, and pass@k for "
                     f"k ≤ K uses every sample of each item ({', '.join(uneven)})")
    present = {c.group for c in curves if c.group is not None}
    return ElicitationSection(
        curves=tuple(curves), forms=counts.forms, fresh=counts.forms[-1],
        group_by=options.group_by,
        groups=tuple(g for g in ordered_groups(groups) if g in present),
        contrasts=tuple(contrasts), level=1.0 - options.alpha, n_boot=options.n_boot,
        notes=tuple(notes),
    )


def _form_contrasts(
    form: str, fresh: bool, models: Mapping[str, tuple[np.ndarray, np.ndarray]],
    groups: Mapping[str, str | None], options: ReportOptions, notes: list[str],
) -> list[Contrast]:
    k = min(int(t.min()) for t, _ in models.values())
    if any(int(t.min()) != k for t, _ in models.values()):
        notes.append(f"{form}: models have different K; the group comparison uses the "
                     f"common k = {k}")
    gaps = {m: _gap_at(t, c, k) for m, (t, c) in models.items()}
    label = f"{form}{' (latest form)' if fresh else ''}"
    out = [contrast({m: g for m, (g, _) in gaps.items()}, groups, options,
                    f"gap pass@{k} − pass@1 on {label}", f"pass@{k} − pass@1 (pp)")]
    if fresh:  # the normalised gap is compared on the latest form only (permutation tests cost)
        out.append(contrast({m: n for m, (_, n) in gaps.items()}, groups, options,
                            f"normalised gap on {label}",
                            f"share of unsolved recovered by {k} tries (%)"))
    return out


register_builder(SECTION, build_elicitation)
