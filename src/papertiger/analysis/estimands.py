"""Two estimands for a form score and a model's fall, side by side (STATISTICS.md §1–2).

*Fixed forms*: the items are the population; only sampling noise counts ("would a re-run on
these very items differ?"). Var(s̄) = Σ_i p_i(1 − p_i)/K_i / n², estimated without bias by
p̂_i(1 − p̂_i)/(K_i − 1) per item. With a single sample on some item that is impossible, and
the upper bound s̄(1 − s̄)/n (Jensen: mean p(1 − p) ≤ s̄(1 − s̄)) is used and named instead.

*Super-population*: the items are a sample of items of their kind ("does it generalise?");
items are resampled with their samples nested in them (the item bootstrap).

Scores are fractions (0–1); falls are fresh − old, in percentage points (×100) and in percent
of the old score. % fall's fixed-forms interval is Fieller's, which is unbounded when the old
score is not distinguishable from zero (a floor effect), rather than a misleading finite one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from papertiger.analysis.results import Interval

__all__ = [
    "Estimand",
    "FallEstimate",
    "ScoreEstimate",
    "Verdict",
    "expanded_level",
    "fall_estimate",
    "percentile_interval",
    "score_estimate",
    "verdict",
]

Estimand = Literal["fixed forms", "super-population"]
Verdict = Literal["fell", "rose", "within noise"]
FLOOR = 0.10  # an old score below this makes % fall a floor effect


@dataclass(frozen=True)
class ScoreEstimate:
    """One form's score (fraction correct) under both estimands."""

    score: float
    n_items: int
    n_trials: int
    se_fixed: float
    se_super: float
    fixed: Interval
    super_population: Interval


@dataclass(frozen=True)
class FallEstimate:
    """One model's fall (fresh − old) in pp and %, each under both estimands, with a verdict."""

    old: ScoreEstimate
    fresh: ScoreEstimate
    pp_fixed: Interval
    pp_super: Interval
    pct_fixed: Interval
    pct_super: Interval
    verdict: Verdict
    verdict_estimand: Estimand
    notes: tuple[str, ...] = ()


def _check_level(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return float(level)


def _counts(correct: npt.ArrayLike, trials: npt.ArrayLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Validated per-item counts with unattempted items (trials 0) dropped."""
    c, k = np.asarray(correct), np.asarray(trials)
    if c.ndim != 1 or c.shape != k.shape:
        raise ValueError(f"{name}: correct and trials must be 1-D of one length, got "
                         f"{c.shape} and {k.shape}")
    c, k = c.astype(float), k.astype(float)
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(k))):
        raise ValueError(f"{name}: counts must be finite")
    if np.any(k < 0) or np.any(c < 0) or np.any(c > k) or np.any(c != np.round(c)) \
            or np.any(k != np.round(k)):
        raise ValueError(f"{name}: counts must be integers with 0 ≤ correct ≤ trials")
    keep = k > 0
    if keep.sum() < 2:
        raise ValueError(f"{name}: need at least 2 attempted items, got {int(keep.sum())}")
    return c[keep], k[keep]


def expanded_level(level: float, n_units: int) -> float:
    """Hesterberg's expanded percentile: the level whose z is sqrt(n/(n − 1))·t_{n−1}.

    A plain percentile interval over n resampled units is too narrow by about that factor
    (≈ 93% instead of 95% with 30 items per form).
    """
    if n_units < 2:
        return level
    z = math.sqrt(n_units / (n_units - 1)) * float(sps.t.ppf(0.5 + level / 2, n_units - 1))
    return float(2.0 * sps.norm.cdf(z) - 1.0)


def percentile_interval(draws: np.ndarray, estimate: float, level: float, method: str,
                        n_units: int = 0) -> Interval:
    """Percentile interval of the finite bootstrap draws (NaN when none is finite).

    With `n_units` (the number of resampled units, e.g. items per form) the expanded
    percentile interval is used; the reported level stays the nominal one.
    """
    finite = draws[np.isfinite(draws)]
    if finite.size == 0:
        return Interval(estimate, math.nan, math.nan, level, method)
    alpha = (1.0 - expanded_level(level, n_units)) / 2.0
    low, high = np.quantile(finite, [alpha, 1.0 - alpha])
    return Interval(estimate, float(low), float(high), level, method)


def _fixed_var(c: np.ndarray, k: np.ndarray) -> tuple[float, str]:
    """Fixed-forms Var(s̄): unbiased per item, or the Jensen bound when some K_i = 1."""
    p, n = c / k, c.size
    if np.any(k < 2):
        s = float(p.mean())
        return s * (1.0 - s) / n, "upper bound s̄(1 − s̄)/n (some items have one sample)"
    return float(np.sum(p * (1.0 - p) / (k - 1.0)) / n**2), "Σ p̂(1 − p̂)/(K − 1) / n²"


def _wilson_eff(s: float, var: float, z: float) -> tuple[float, float]:
    """Wilson interval with the effective size n_eff = s(1 − s)/Var: stays inside [0, 1]."""
    if var <= 0.0 or s in (0.0, 1.0):
        return s, s
    n_eff = s * (1.0 - s) / var
    centre = (s + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z / (1 + z * z / n_eff) * math.sqrt(s * (1 - s) / n_eff + z * z / (4 * n_eff**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def _boot_scores(c: np.ndarray, k: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    p = c / k
    return np.asarray(p[rng.integers(0, p.size, size=(n_boot, p.size))].mean(axis=1))


def _score(c: np.ndarray, k: np.ndarray, draws: np.ndarray, level: float,
           method_boot: str) -> ScoreEstimate:
    s = float(np.mean(c / k))
    var, how = _fixed_var(c, k)
    z = float(sps.norm.ppf(0.5 + level / 2))
    low, high = _wilson_eff(s, var, z)
    fixed = Interval(s, low, high, level, f"fixed forms: Wilson with n_eff = s̄(1 − s̄)/Var, Var = {how}")
    sup = percentile_interval(draws, s, level, method_boot, n_units=c.size)
    return ScoreEstimate(score=s, n_items=c.size, n_trials=int(k.sum()), se_fixed=math.sqrt(var),
                         se_super=float(np.std(draws, ddof=1)) if draws.size > 1 else math.nan,
                         fixed=fixed, super_population=sup)


def score_estimate(correct: npt.ArrayLike, trials: npt.ArrayLike, level: float = 0.95,
                   n_boot: int = 2000, seed: int = 0) -> ScoreEstimate:
    """A form's score under the fixed-forms and super-population estimands."""
    level = _check_level(level)
    c, k = _counts(correct, trials, "form")
    draws = _boot_scores(c, k, n_boot, np.random.default_rng(seed))
    return _score(c, k, draws, level, f"super-population: expanded percentile bootstrap over {c.size} "
                                      f"items, {n_boot} resamples (seed {seed})")


def _fieller(s_old: float, v_old: float, s_new: float, v_new: float, z: float) -> tuple[float, float]:
    """Fieller interval for s_new/s_old − 1 (independent estimates), in percent."""
    a = s_old**2 - z * z * v_old
    if a <= 0.0:
        return -math.inf, math.inf
    b = s_old * s_new
    c = s_new**2 - z * z * v_new
    disc = b * b - a * c
    root = math.sqrt(max(disc, 0.0))
    return 100.0 * ((b - root) / a - 1.0), 100.0 * ((b + root) / a - 1.0)


def verdict(interval: Interval) -> Verdict:
    """'fell' when the whole interval of the fall is below 0, 'rose' above, else 'within noise'."""
    if interval.high < 0.0:
        return "fell"
    if interval.low > 0.0:
        return "rose"
    return "within noise"


def fall_estimate(
    old_correct: npt.ArrayLike, old_trials: npt.ArrayLike,
    fresh_correct: npt.ArrayLike, fresh_trials: npt.ArrayLike,
    level: float = 0.95, n_boot: int = 2000, seed: int = 0,
    estimand: Estimand = "super-population",
) -> FallEstimate:
    """One model's fall under both estimands; the verdict reads the pp interval of `estimand`.

    Fixed forms: pp fall with the normal interval on Var_old + Var_fresh (the forms hold
    different items, so they are independent); % fall with Fieller's interval. Super-population:
    items resampled within each form (percentile bootstrap), draws with old = 0 dropped from %.
    """
    level = _check_level(level)
    if estimand not in ("fixed forms", "super-population"):
        raise ValueError(f"estimand must be 'fixed forms' or 'super-population', got {estimand!r}")
    co, ko = _counts(old_correct, old_trials, "old form")
    cf, kf = _counts(fresh_correct, fresh_trials, "fresh form")
    rng = np.random.default_rng(seed)
    d_old, d_new = _boot_scores(co, ko, n_boot, rng), _boot_scores(cf, kf, n_boot, rng)
    boot = (f"super-population: expanded percentile bootstrap, items resampled within each form "
            f"({co.size} old, {cf.size} fresh), {n_boot} resamples (seed {seed})")
    old, fresh = _score(co, ko, d_old, level, boot), _score(cf, kf, d_new, level, boot)
    z = float(sps.norm.ppf(0.5 + level / 2))
    pp = 100.0 * (fresh.score - old.score)
    se_pp = 100.0 * math.hypot(old.se_fixed, fresh.se_fixed)
    pp_fixed = Interval(pp, pp - z * se_pp, pp + z * se_pp, level,
                        "fixed forms: normal, SE² = SE_old² + SE_fresh² (within-item binomial)")
    n_units = min(co.size, cf.size)
    pp_super = percentile_interval(100.0 * (d_new - d_old), pp, level, boot, n_units)
    pct = 100.0 * (fresh.score / old.score - 1.0) if old.score > 0 else math.nan
    lo, hi = _fieller(old.score, old.se_fixed**2, fresh.score, fresh.se_fixed**2, z)
    pct_fixed = Interval(pct, lo, hi, level, "fixed forms: Fieller interval for the ratio")
    ratio = np.full(n_boot, math.nan)
    np.divide(100.0 * (d_new - d_old), d_old, out=ratio, where=d_old > 0)
    dropped = int(np.sum(~(d_old > 0)))
    pct_super = percentile_interval(ratio, pct, level, f"{boot}; {dropped} draws with old = 0 dropped",
                                    n_units)
    notes: list[str] = []
    if old.score < FLOOR:
        notes.append(f"old score {old.score:.1%} is near the floor: % fall is dominated by it; "
                     "read the pp fall")
    if not math.isfinite(lo):
        notes.append("old score not distinguishable from 0 under fixed forms: % fall unbounded")
    chosen = pp_fixed if estimand == "fixed forms" else pp_super
    return FallEstimate(old=old, fresh=fresh, pp_fixed=pp_fixed, pp_super=pp_super,
                        pct_fixed=pct_fixed, pct_super=pct_super, verdict=verdict(chosen),
                        verdict_estimand=estimand, notes=tuple(notes))
