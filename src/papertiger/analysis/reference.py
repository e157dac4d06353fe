"""Reference-model regression in the manner of ConStat (arXiv 2405.16281; STATISTICS.md §5).

Reference models (assumed clean, at least 5) give a monotone map H from fresh-form score to
old-form score; a model's excess δ = S_old − H(S_fresh) is the old-form score its fresh-form
score does not explain. H is logit-linear below `SPLINE_MIN` references (exactly anchored at
chance and at 1 when its slope is positive) and a smoothing spline above (scipy
make_smoothing_spline on the sorted references plus the anchor points (chance, chance) and
(1, 1), made monotone by a running maximum). Scores are fractions; `chance` rescales them.

Bootstrap: items of both forms resampled (the same indices for all models) and reference
models resampled; H refitted per draw. The one-sided p-value for δ > 0 and the interval are
the basic bootstrap's. With aggregate scores only, the references alone are resampled, and the
result says that the models' own sampling noise is missing from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize
from scipy.interpolate import make_smoothing_spline
from scipy.special import expit, logit

from papertiger.analysis.results import Interval

__all__ = [
    "CurveMethod",
    "ModelExcess",
    "ReferenceRegression",
    "gcv_lambda",
    "reference_regression",
    "reference_regression_scores",
]

CurveMethod = Literal["auto", "logit-linear", "spline"]
SPLINE_MIN = 10  # references needed before the spline replaces the logit-linear map
MIN_REFERENCES = 5
_EPS = 0.005  # logits are taken of scores clipped to [ε, 1 − ε]
_GRID = np.linspace(0.0, 1.0, 401)
Curve = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ModelExcess:
    """One model: its scores, predicted old score, excess δ with CI, one-sided p for δ > 0."""

    model: int
    label: str
    old: float
    fresh: float
    predicted_old: float
    excess: Interval
    p_value: float
    flagged: bool
    extrapolated: bool
    is_reference: bool


@dataclass(frozen=True, eq=False)
class ReferenceRegression:
    """H on a grid (for plots), each model's excess, and what the bootstrap resampled."""

    curve: str
    references: tuple[int, ...]
    fresh_range: tuple[float, float]
    grid_fresh: np.ndarray
    grid_old: np.ndarray
    models: tuple[ModelExcess, ...]
    resampled: str
    alpha: float
    level: float
    n_boot: int
    seed: int
    chance: float
    notes: tuple[str, ...] = ()


def _logit_linear(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Curve:
    lx, ly = logit(np.clip(x, _EPS, 1 - _EPS)), logit(np.clip(y, _EPS, 1 - _EPS))
    mx, my = np.average(lx, weights=w), np.average(ly, weights=w)
    sxx = float(np.sum(w * (lx - mx) ** 2))
    slope = max(float(np.sum(w * (lx - mx) * (ly - my))) / sxx, 0.0) if sxx > 0 else 0.0
    icpt = my - slope * mx

    def curve(u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        out = expit(icpt + slope * logit(np.clip(u, 1e-12, 1 - 1e-12)))
        return np.where(u <= 0, 0.0, np.where(u >= 1, 1.0, out)) if slope > 0 else out

    return curve


def _spline_points(x: np.ndarray, y: np.ndarray, w: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tied x merged (weighted mean y), then the anchors (0, 0) and (1, 1) as heavy as all refs."""
    x, y, w = x[w > 0], y[w > 0], w[w > 0]
    ux, inv = np.unique(x, return_inverse=True)
    wy, ww = np.bincount(inv, weights=w * y), np.bincount(inv, weights=w)
    keep = (ux > 0) & (ux < 1)
    heavy = float(w.sum())
    return (np.concatenate([[0.0], ux[keep], [1.0]]), np.concatenate([[0.0], wy[keep] / ww[keep], [1.0]]),
            np.concatenate([[heavy], ww[keep], [heavy]]))


def gcv_lambda(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """The smoothing parameter by GCV as scipy chooses it (bounded search on (0, n)), once.

    Criterion as in make_smoothing_spline: mean squared residual / (1 − tr(H)/n)²; the hat
    matrix comes from one multi-output fit of the identity, so no private scipy call.
    """
    xs, ys, ws = _spline_points(x, y, w)
    n = xs.size
    if n < 5:
        return math.nan
    eye = np.eye(n)

    def gcv(lam: float) -> float:
        hat = make_smoothing_spline(xs, eye, w=ws, lam=lam)(xs)
        return float(np.mean((ys - hat @ ys) ** 2) / (1.0 - np.trace(hat) / n) ** 2)

    return float(optimize.minimize_scalar(gcv, bounds=(0.0, float(n)), method="bounded").x)


def _spline(x: np.ndarray, y: np.ndarray, w: np.ndarray, lam: float) -> Curve:
    xs, ys, ws = _spline_points(x, y, w)
    if xs.size < 5 or not math.isfinite(lam):
        return _logit_linear(x[w > 0], y[w > 0], w[w > 0])
    grid = np.maximum.accumulate(np.clip(make_smoothing_spline(xs, ys, w=ws, lam=lam)(_GRID), 0, 1))

    def curve(u: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(u, dtype=float), _GRID, grid)

    return curve


def _fit(method: str, x: np.ndarray, y: np.ndarray, w: np.ndarray, lam: float) -> Curve:
    return _spline(x, y, w, lam) if method == "smoothing spline" else _logit_linear(x, y, w)


def _choose(method: CurveMethod, n_refs: int) -> str:
    if method not in ("auto", "logit-linear", "spline"):
        raise ValueError(f"method must be 'auto', 'logit-linear' or 'spline', got {method!r}")
    if method == "spline" or (method == "auto" and n_refs >= SPLINE_MIN):
        return "smoothing spline"
    return "logit-linear"


def _refs(reference: Sequence[int], n_models: int) -> np.ndarray:
    refs = np.unique(np.asarray(list(reference), dtype=int))
    if refs.size < MIN_REFERENCES:
        raise ValueError(f"need at least {MIN_REFERENCES} reference models, got {refs.size}")
    if refs.min() < 0 or refs.max() >= n_models:
        raise ValueError(f"reference indices must lie in 0..{n_models - 1}")
    if refs.size == n_models:
        raise ValueError("every model is a reference: there is no model to test")
    return refs


def _run(old: np.ndarray, fresh: np.ndarray, refs: np.ndarray,
         draw: Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]],
         method: CurveMethod, chance: float, n_boot: int, level: float, alpha: float, seed: int,
         labels: Sequence[str] | None, resampled: str) -> ReferenceRegression:
    if not 0.0 <= chance < 1.0 or not 0.0 < level < 1.0 or not 0.0 < alpha < 1.0 or n_boot < 1:
        raise ValueError("need 0 ≤ chance < 1, level and alpha in (0, 1), n_boot ≥ 1")
    n = old.size
    names = list(labels) if labels is not None else [f"#{m}" for m in range(n)]
    if len(names) != n:
        raise ValueError(f"{len(names)} labels for {n} models")
    curve_name = _choose(method, refs.size)

    def scale(s: np.ndarray) -> np.ndarray:
        return np.asarray((s - chance) / (1.0 - chance))

    ones = np.ones(refs.size)
    lam = gcv_lambda(scale(fresh[refs]), scale(old[refs]), ones) \
        if curve_name == "smoothing spline" else math.nan

    def excess(o: np.ndarray, f: np.ndarray, w: np.ndarray) -> np.ndarray:
        h = _fit(curve_name, scale(f[refs]), scale(o[refs]), w, lam)
        return np.asarray(o - (chance + (1 - chance) * h(scale(f))))

    est = excess(old, fresh, ones)
    rng = np.random.default_rng(seed)
    draws = np.empty((n_boot, n))
    for r in range(n_boot):
        o, f = draw(rng)
        w = np.bincount(rng.integers(0, refs.size, refs.size), minlength=refs.size).astype(float)
        draws[r] = excess(o, f, w)
    dev = draws - est  # NaN where a draw left a model without attempted items
    p = (1.0 + np.sum(dev >= est, axis=0)) / (np.sum(np.isfinite(dev), axis=0) + 1.0)
    q_lo, q_hi = np.nanquantile(dev, [(1 - level) / 2, (1 + level) / 2], axis=0)
    lo, hi = float(fresh[refs].min()), float(fresh[refs].max())
    is_ref = np.isin(np.arange(n), refs)
    smooth = f" (GCV λ = {lam:.2g}, kept for every draw)" if math.isfinite(lam) else ""
    how = f"{curve_name} H{smooth}; basic bootstrap, {n_boot} resamples of {resampled} (seed {seed})"
    rows = []
    for m in range(n):
        ci = (Interval(float(est[m]), math.nan, math.nan, level, "in-sample residual of a reference")
              if is_ref[m] else Interval(float(est[m]), float(est[m] - q_hi[m]),
                                         float(est[m] - q_lo[m]), level, how))
        pm = math.nan if is_ref[m] else float(p[m])
        rows.append(ModelExcess(model=m, label=names[m], old=float(old[m]), fresh=float(fresh[m]),
                                predicted_old=float(old[m] - est[m]), excess=ci, p_value=pm,
                                flagged=bool(pm < alpha), is_reference=bool(is_ref[m]),
                                extrapolated=bool(not is_ref[m] and not lo <= fresh[m] <= hi)))
    curve = _fit(curve_name, scale(fresh[refs]), scale(old[refs]), ones, lam)
    notes = []
    if any(r.extrapolated for r in rows):
        notes.append(f"models outside the references' fresh-score range [{lo:.3f}, {hi:.3f}] "
                     "rest on extrapolation (and near the ceiling on the anchor at 1)")
    return ReferenceRegression(
        curve=curve_name, references=tuple(int(r) for r in refs), fresh_range=(lo, hi),
        grid_fresh=chance + (1 - chance) * _GRID, grid_old=chance + (1 - chance) * curve(_GRID),
        models=tuple(rows), resampled=resampled, alpha=alpha, level=level, n_boot=n_boot,
        seed=seed, chance=chance, notes=tuple(notes))


def _matrix(correct: npt.ArrayLike, trials: npt.ArrayLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    c, k = np.asarray(correct, dtype=float), np.asarray(trials, dtype=float)
    if c.ndim != 2 or c.shape != k.shape:
        raise ValueError(f"{name}: correct and trials must be models × items of one shape")
    if (k < 0).any() or (c < 0).any() or (c > k).any() or not np.isfinite(c).all():
        raise ValueError(f"{name}: counts must satisfy 0 ≤ correct ≤ trials")
    if ((k > 0).sum(axis=1) == 0).any():
        raise ValueError(f"{name}: every model needs at least one attempted item")
    return np.where(k > 0, c / np.where(k > 0, k, 1.0), 0.0), (k > 0).astype(float)


def _weights(n: int, rng: np.random.Generator) -> np.ndarray:
    return np.bincount(rng.integers(0, n, n), minlength=n).astype(float)


def _scores(p: np.ndarray, a: np.ndarray, w: np.ndarray) -> np.ndarray:
    den = a @ w
    return np.asarray(np.where(den > 0, (p * a) @ w / np.where(den > 0, den, 1.0), np.nan))


def reference_regression(
    old_correct: npt.ArrayLike, old_trials: npt.ArrayLike,
    fresh_correct: npt.ArrayLike, fresh_trials: npt.ArrayLike, reference: Sequence[int], *,
    method: CurveMethod = "auto", chance: float = 0.0, n_boot: int = 1000, level: float = 0.95,
    alpha: float = 0.05, seed: int = 0, model_labels: Sequence[str] | None = None,
) -> ReferenceRegression:
    """Item-level version: models × items counts per form; items and references resampled."""
    p_old, a_old = _matrix(old_correct, old_trials, "old form")
    p_new, a_new = _matrix(fresh_correct, fresh_trials, "fresh form")
    if p_old.shape[0] != p_new.shape[0]:
        raise ValueError("the two forms hold different numbers of models")
    refs = _refs(reference, p_old.shape[0])
    old = _scores(p_old, a_old, np.ones(p_old.shape[1]))
    fresh = _scores(p_new, a_new, np.ones(p_new.shape[1]))

    def draw(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return (_scores(p_old, a_old, _weights(p_old.shape[1], rng)),
                _scores(p_new, a_new, _weights(p_new.shape[1], rng)))

    return _run(old, fresh, refs, draw, method, chance, n_boot, level, alpha, seed, model_labels,
                f"items within each form ({p_old.shape[1]} old, {p_new.shape[1]} fresh; same "
                f"indices for all models) and of the {refs.size} reference models")


def reference_regression_scores(
    old_scores: npt.ArrayLike, fresh_scores: npt.ArrayLike, reference: Sequence[int], *,
    method: CurveMethod = "auto", chance: float = 0.0, n_boot: int = 1000, level: float = 0.95,
    alpha: float = 0.05, seed: int = 0, model_labels: Sequence[str] | None = None,
) -> ReferenceRegression:
    """Aggregate-score version (fractions 0–1, no item data): only references are resampled."""
    old, fresh = np.asarray(old_scores, dtype=float), np.asarray(fresh_scores, dtype=float)
    if old.ndim != 1 or old.shape != fresh.shape:
        raise ValueError("old and fresh scores must be 1-D of one length")
    if not (np.isfinite(old).all() and np.isfinite(fresh).all()) or old.min() < 0 \
            or fresh.min() < 0 or old.max() > 1 or fresh.max() > 1:
        raise ValueError("scores must be finite fractions in [0, 1] (divide percentages by 100)")
    refs = _refs(reference, old.size)
    return _run(old, fresh, refs, lambda rng: (old, fresh), method, chance, n_boot, level, alpha,
                seed, model_labels,
                f"the {refs.size} reference models only (aggregate scores, no item data): the "
                "models' own sampling noise is not in the intervals, so p-values are too small")
