"""Binomial Rasch model over a series of forms: the difficulty-adjusted fall δ (STATISTICS.md §4).

    logit P(correct[m, i]) = θ_m − b_i + δ_m · fresh[m, form(i)]

Fitted by penalised maximum likelihood with full Newton steps: the item block of the Hessian
is diagonal, so the step solves a 2M × 2M Schur complement (M models) and never builds a GLM.
A N(0, prior_sd²) prior on every θ, δ and b keeps perfect and zero scores finite; at the
default (3 logits) it moves a well-measured parameter by well under 1%.

Identification. A constant c_k may be added to the difficulty of every item of a *component*
of forms, with θ and δ compensating, without changing any probability. Forms are linked into
one component by a model that sees several of them in the same state (several old, or several
fresh), or that sees old and fresh forms with δ undefined (all fresh or all old). Form shifts
inside a component are estimated from the data; between components only an anchor sets them:
(A) "equal-means": each component's items have the same mean difficulty (with one form per
component, as for AIME 2024 → 2025, this is "the forms are equally hard"); (R) "reference":
the named reference models have δ as close to 0 as the design allows (mean δ of the
references = 0 for one free direction). Both are applied after the fit and change no fitted
probability, so the group contrast γ = mean δ(A) − mean δ(B) is anchor-free whenever the
two groups meet the free directions alike (always with two forms); `anchor_free` says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from papertiger.analysis._rasch_fit import Design, fit_newton, make_design, transform
from papertiger.analysis.estimands import percentile_interval
from papertiger.analysis.results import Alternative, Interval, TestResult
from papertiger.analysis.stats import check_alternative, permutation_test

__all__ = ["Anchor", "FormShift", "RaschContrast", "RaschFit", "fit_rasch", "rasch_contrast"]

Anchor = Literal["equal-means", "reference"]


@dataclass(frozen=True)
class FormShift:
    """Mean item difficulty of a form minus that of the first form (logits; > 0 is harder)."""

    form: int
    label: str
    shift: Interval
    basis: str


@dataclass(frozen=True, eq=False)
class RaschFit:
    """A fitted Rasch series. Arrays are per model (M) or per item (I); NaN where undefined.

    `delta_note[m]` says why δ_m is undefined or rests on the prior ('' when neither).
    `delta_draws` (bootstrap × M) feed `rasch_contrast` without a refit.
    """

    anchor: str
    theta: np.ndarray
    delta: np.ndarray
    delta_low: np.ndarray
    delta_high: np.ndarray
    delta_note: tuple[str, ...]
    b: np.ndarray
    form_of_item: np.ndarray
    form_mean_b: np.ndarray
    shifts: tuple[FormShift, ...]
    delta_draws: np.ndarray
    loadings: np.ndarray
    level: float
    n_items_min: int
    n_boot: int
    seed: int
    log_likelihood: float
    converged: bool
    iterations: int
    prior_sd: float
    method: str
    notes: tuple[str, ...] = ()

    def delta_interval(self, model: int) -> Interval:
        """δ of one model with its item-bootstrap interval."""
        return Interval(float(self.delta[model]), float(self.delta_low[model]),
                        float(self.delta_high[model]), self.level, self.method)


@dataclass(frozen=True)
class RaschContrast:
    """γ = mean δ(group A) − mean δ(group B), with a bootstrap CI and a permutation test."""

    group_a: str
    group_b: str
    n_a: int
    n_b: int
    gamma: Interval
    permutation: TestResult
    anchor_free: bool
    left_out: tuple[int, ...]
    notes: tuple[str, ...] = ()


def _anchor_shifts(d: Design, b: np.ndarray, delta: np.ndarray, w: np.ndarray, anchor: Anchor,
                   refs: np.ndarray) -> np.ndarray:
    """Per-component constants c that put the fit on the chosen anchor (see module doc)."""
    wi = w * d.active_items
    comp_i = d.comp_of_form[d.form_of_item]
    c = np.zeros(d.n_comp)
    for k in range(d.n_comp):
        sel = (comp_i == k) & (wi > 0)
        c[k] = -float(np.sum(wi[sel] * b[sel]) / np.sum(wi[sel]))
    if anchor == "reference" and d.n_comp > 1:
        delta_a = delta + d.loadings @ c
        extra = np.linalg.lstsq(d.loadings[refs], -delta_a[refs], rcond=None)[0]
        sizes = np.array([np.sum(wi[comp_i == k]) for k in range(d.n_comp)])
        c = c + extra - float(extra @ sizes / sizes.sum())
    return c


def _form_means(d: Design, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    wi = w * d.active_items
    out = np.full(d.n_forms, math.nan)
    for f in range(d.n_forms):
        sel = (d.form_of_item == f) & (wi > 0)
        if sel.any():
            out[f] = float(np.sum(wi[sel] * b[sel]) / np.sum(wi[sel]))
    return out


def _anchored(d: Design, params: tuple[np.ndarray, np.ndarray, np.ndarray], w: np.ndarray,
              anchor: Anchor, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    theta, delta, b = params
    c = _anchor_shifts(d, b, delta, w, anchor, refs)
    return transform(d, theta, delta, b, c)


def _check_refs(d: Design, anchor: str, reference_models: Sequence[int], names: list[str]) -> np.ndarray:
    if anchor not in ("equal-means", "reference"):
        raise ValueError(f"anchor must be 'equal-means' or 'reference', got {anchor!r}")
    refs = np.asarray(list(reference_models), dtype=int)
    if anchor == "equal-means":
        return refs[:0]
    if refs.size == 0:
        raise ValueError("anchor 'reference' needs at least one reference model")
    for r in refs:
        if not 0 <= r < d.n_models:
            raise ValueError(f"reference model index {r} out of range 0..{d.n_models - 1}")
        if not d.free[r]:
            raise ValueError(f"reference model {names[r]} has no δ ({d.reason[r]}): it cannot anchor")
    if d.n_comp > 1 and np.linalg.matrix_rank(d.loadings[refs]) < d.n_comp - 1:
        raise ValueError("the reference models do not link every form: "
                         f"components {d.components_text()} stay unanchored")
    return refs


def _basis(d: Design, anchor: Anchor, refs: np.ndarray, names: list[str]) -> list[str]:
    first = d.comp_of_form[d.first_form]
    ref_text = ", ".join(names[r] for r in refs)
    out = []
    for f in range(d.n_forms):
        if d.comp_of_form[f] < 0:
            out.append("no items")
        elif f == d.first_form:
            out.append("reference point (shift 0 by definition)")
        elif d.comp_of_form[f] == first:
            out.append("estimated: the design links this form to the first "
                       "(models with several old or several fresh forms, or without δ)")
        elif anchor == "equal-means":
            out.append("anchor A: mean difficulty set equal to the first form's component")
        else:
            out.append(f"anchor R: set by the reference models' δ ({ref_text})")
    return out


def fit_rasch(
    correct: npt.ArrayLike, trials: npt.ArrayLike, form_of_item: npt.ArrayLike,
    fresh: npt.ArrayLike, *, anchor: Anchor, reference_models: Sequence[int] = (),
    form_labels: Sequence[str] | None = None, model_labels: Sequence[str] | None = None,
    n_boot: int = 500, level: float = 0.95, seed: int = 0, prior_sd: float = 3.0,
) -> RaschFit:
    """Fit the series, anchor it, and bootstrap items within each form (same draws for all models).

    `correct`, `trials`: models × items counts (trials 0 = not attempted). `form_of_item`: form
    index per item, forms ordered by release. `fresh`: models × forms, True where the form was
    released after the model's cutoff. `anchor` is required: 'equal-means' or 'reference'
    (with `reference_models`, indices). `n_boot` = 0 skips the intervals.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if prior_sd <= 0 or n_boot < 0:
        raise ValueError(f"need prior_sd > 0 and n_boot ≥ 0, got {prior_sd}, {n_boot}")
    d = make_design(correct, trials, form_of_item, fresh)
    names = list(model_labels) if model_labels is not None else [f"#{m}" for m in range(d.n_models)]
    labels = list(form_labels) if form_labels is not None else [f"form {f}" for f in range(d.n_forms)]
    if len(names) != d.n_models or len(labels) != d.n_forms:
        raise ValueError("model_labels / form_labels do not match the arrays' shapes")
    refs = _check_refs(d, anchor, reference_models, names)
    lam = 1.0 / prior_sd**2
    ones = np.ones(d.n_items)
    # The matrices are small (2M × 2M): a BLAS spreading each product over threads spends
    # more time waking them than computing (3.5× slower on two cores at 100 models).
    with threadpool_limits(limits=1, user_api="blas"):
        raw, converged, iters, loglik = fit_newton(d, ones, lam, None)
        theta, delta, b = _anchored(d, raw, ones, anchor, refs)
        rng = np.random.default_rng(seed)
        delta_draws = np.full((n_boot, d.n_models), math.nan)
        shift_draws = np.full((n_boot, d.n_forms), math.nan)
        not_converged = 0
        for r in range(n_boot):
            w = d.resample_weights(rng)
            par, ok, _, _ = fit_newton(d, w, lam, raw, tol=1e-4)  # quadratic: error ~ tol²
            not_converged += not ok
            _, dl, bb = _anchored(d, par, w, anchor, refs)
            dl[~d.free | ~d.has_weight(w)] = math.nan
            delta_draws[r] = dl
            fm = _form_means(d, bb, w)
            shift_draws[r] = fm - fm[d.first_form]
    delta[~d.free] = math.nan
    method = (f"Rasch (penalised ML, N(0, {prior_sd:g}²) prior), anchor {anchor}; expanded "
              f"percentile bootstrap of items within each form, {n_boot} resamples (seed {seed})")
    n_min = min(idx.size for idx in d.form_items if idx.size)
    lows, highs = np.full(d.n_models, math.nan), np.full(d.n_models, math.nan)
    for m in np.flatnonzero(d.free):
        iv = percentile_interval(delta_draws[:, m], float(delta[m]), level, method, n_min)
        lows[m], highs[m] = iv.low, iv.high
    fm = _form_means(d, b, ones)
    basis = _basis(d, anchor, refs, names)
    shifts = tuple(
        FormShift(f, labels[f], percentile_interval(shift_draws[:, f], float(fm[f] - fm[d.first_form]),
                                                    level, method, n_min), basis[f])
        for f in range(d.n_forms) if d.comp_of_form[f] >= 0
    )
    notes = list(d.notes(names))
    if d.n_comp == 1:
        notes.append("the design links every form: form shifts are estimated, the anchor changes nothing")
    if not converged or not_converged:
        notes.append(f"Newton did not converge on the data ({not converged}) or in "
                     f"{not_converged} of {n_boot} bootstrap fits")
    anchor_text = anchor + (f" ({', '.join(names[r] for r in refs)})" if refs.size else "")
    return RaschFit(anchor=anchor_text, theta=theta, delta=delta, delta_low=lows, delta_high=highs,
                    delta_note=d.delta_notes(), b=np.where(d.active_items, b, math.nan),
                    form_of_item=d.form_of_item, form_mean_b=fm, shifts=shifts,
                    delta_draws=delta_draws, loadings=d.loadings, level=level,
                    n_items_min=n_min, n_boot=n_boot, seed=seed, log_likelihood=loglik,
                    converged=converged, iterations=iters, prior_sd=prior_sd, method=method,
                    notes=tuple(notes))


def rasch_contrast(
    fit: RaschFit, groups: Sequence[str | None], pair: tuple[str, str],
    alternative: Alternative = "two-sided", seed: int = 0,
) -> RaschContrast:
    """γ from the fitted δ: bootstrap CI from the fit's draws, permutation p over models (no refit).

    Labels are permuted among the models of the two groups whose δ is defined; models of the
    pair without δ are left out and listed.
    """
    alt = check_alternative(alternative)
    g = np.array([str(v) if v is not None else "" for v in groups], dtype=object)
    if g.size != fit.delta.size:
        raise ValueError(f"{g.size} group labels for {fit.delta.size} models")
    defined = np.isfinite(fit.delta)
    in_a, in_b = (g == pair[0]) & defined, (g == pair[1]) & defined
    left_out = tuple(int(m) for m in np.flatnonzero(np.isin(g, pair) & ~defined))
    if in_a.sum() < 1 or in_b.sum() < 1 or in_a.sum() + in_b.sum() < 3:
        raise ValueError(f"need models with δ in both groups (3 in all), have {int(in_a.sum())} "
                         f"and {int(in_b.sum())}")
    gamma = float(fit.delta[in_a].mean() - fit.delta[in_b].mean())
    draws = np.full(fit.delta_draws.shape[0], math.nan)
    for r, row in enumerate(fit.delta_draws):
        a, b = row[in_a], row[in_b]
        if np.isfinite(a).any() and np.isfinite(b).any():
            draws[r] = np.nanmean(a) - np.nanmean(b)
    interval = percentile_interval(draws, gamma, fit.level, fit.method, fit.n_items_min)
    perm = permutation_test(fit.delta[in_a], fit.delta[in_b], alt, metric="Rasch δ (logit)",
                            seed=seed)
    anchor_free = bool(np.allclose(fit.loadings[in_a].mean(axis=0), fit.loadings[in_b].mean(axis=0)))
    notes = []
    if left_out:
        notes.append(f"{len(left_out)} model(s) of the two groups have no δ and are left out")
    if not anchor_free:
        notes.append("γ depends on the anchor: the groups differ in which unlinked forms are fresh "
                     "for them")
    return RaschContrast(group_a=pair[0], group_b=pair[1], n_a=int(in_a.sum()),
                         n_b=int(in_b.sum()), gamma=interval, permutation=perm,
                         anchor_free=anchor_free, left_out=left_out, notes=tuple(notes))
