"""A family of p-values read as a family, and power at a stated effect (not only the observed).

A multiverse of metric × subset × test gives dozens of p-values; a few below α are what
chance alone delivers. The summary counts them against α·m, adjusts them (Holm for the
family-wise error, Benjamini–Hochberg for the false discovery rate), and gives the binomial
chance of at least that many if all were null and independent. They are not independent (the
same models feed every cell), so that chance is a yardstick, not a test.

Power for two-sample designs uses the noncentral t: Welch (its own df and unequal SDs) or
Student (pooled), one- or two-sided, at an effect the reader states in the metric's units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize
from scipy import stats as sps

from papertiger.analysis.results import Alternative
from papertiger.analysis.stats import check_alternative

__all__ = [
    "DesignPower",
    "MultiplicitySummary",
    "TTest",
    "benjamini_hochberg",
    "design_power",
    "holm",
    "models_needed",
    "multiplicity_summary",
]

TTest = Literal["welch", "student"]


@dataclass(frozen=True)
class MultiplicitySummary:
    """How many p-values fall below α, against how many chance alone would give."""

    labels: tuple[str, ...]
    p_values: tuple[float, ...]
    alpha: float
    n_tests: int
    n_below: int
    expected_by_chance: float
    p_at_least_as_many: float
    holm: tuple[float, ...]
    bh: tuple[float, ...]
    n_holm: int
    n_bh: int
    method: str


@dataclass(frozen=True)
class DesignPower:
    """Power of a two-sample t design at a stated effect (difference of means, metric units)."""

    effect: float
    sd_a: float
    sd_b: float
    n_a: int
    n_b: int
    alpha: float
    alternative: Alternative
    test: TTest
    df: float
    noncentrality: float
    power: float
    method: str


def _p_array(p_values: npt.ArrayLike) -> np.ndarray:
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or p.size == 0:
        raise ValueError("need a non-empty 1-D list of p-values")
    if not np.all(np.isfinite(p)) or (p < 0).any() or (p > 1).any():
        raise ValueError("p-values must lie in [0, 1]")
    return p


def holm(p_values: npt.ArrayLike) -> np.ndarray:
    """Holm step-down adjusted p-values: max over earlier ranks of (m − rank)·p, capped at 1."""
    p = _p_array(p_values)
    order = np.argsort(p, kind="stable")
    m = p.size
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def benjamini_hochberg(p_values: npt.ArrayLike) -> np.ndarray:
    """Benjamini–Hochberg step-up adjusted p-values (false discovery rate)."""
    p = _p_array(p_values)
    order = np.argsort(p, kind="stable")
    m = p.size
    scaled = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m)
    out[order] = adj
    return out


def multiplicity_summary(p_values: npt.ArrayLike, alpha: float = 0.05,
                         labels: Sequence[str] | None = None) -> MultiplicitySummary:
    """Count below α vs α·m expected, binomial tail, Holm and BH adjustments."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    p = _p_array(p_values)
    names = tuple(labels) if labels is not None else tuple(f"#{i}" for i in range(p.size))
    if len(names) != p.size:
        raise ValueError(f"{len(names)} labels for {p.size} p-values")
    below = int(np.sum(p < alpha))
    h, bh = holm(p), benjamini_hochberg(p)
    return MultiplicitySummary(
        labels=names, p_values=tuple(float(x) for x in p), alpha=alpha, n_tests=p.size,
        n_below=below, expected_by_chance=alpha * p.size,
        p_at_least_as_many=float(sps.binom.sf(below - 1, p.size, alpha)),
        holm=tuple(float(x) for x in h), bh=tuple(float(x) for x in bh),
        n_holm=int(np.sum(h < alpha)), n_bh=int(np.sum(bh < alpha)),
        method=("count below α vs Binomial(m, α) (assumes independent nulls; the tests here share "
                "data, so read it as a yardstick); Holm step-down; Benjamini–Hochberg step-up"))


def _df(test: TTest, sd_a: float, sd_b: float, n_a: float, n_b: float) -> tuple[float, float]:
    """(SE of the difference, df) for Welch–Satterthwaite or the pooled Student design."""
    if test == "student":
        pooled = ((n_a - 1) * sd_a**2 + (n_b - 1) * sd_b**2) / (n_a + n_b - 2)
        return math.sqrt(pooled * (1 / n_a + 1 / n_b)), n_a + n_b - 2
    va, vb = sd_a**2 / n_a, sd_b**2 / n_b
    return math.sqrt(va + vb), (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))


def _power(effect: float, se: float, df: float, alpha: float, alt: str) -> float:
    nc = effect / se
    if alt == "two-sided":
        crit = float(sps.t.ppf(1 - alpha / 2, df))
        return float(sps.nct.sf(crit, df, nc) + sps.nct.cdf(-crit, df, nc))
    crit = float(sps.t.ppf(1 - alpha, df))
    return float(sps.nct.sf(crit, df, nc) if alt == "greater" else sps.nct.cdf(-crit, df, nc))


def design_power(effect: float, sd_a: float, sd_b: float, n_a: int, n_b: int, alpha: float = 0.05,
                 alternative: str = "two-sided", test: TTest = "welch") -> DesignPower:
    """Power to detect mean(A) − mean(B) = `effect` with these SDs and group sizes.

    'less' is the hypothesis that A is lower (falls more), as in `stats`; an effect pointing
    the other way gives power below α.
    """
    alt = check_alternative(alternative)
    if test not in ("welch", "student"):
        raise ValueError(f"test must be 'welch' or 'student', got {test!r}")
    if n_a < 2 or n_b < 2 or sd_a <= 0 or sd_b <= 0 or not 0 < alpha < 1:
        raise ValueError("need n ≥ 2 per group, positive SDs and alpha in (0, 1)")
    se, df = _df(test, sd_a, sd_b, n_a, n_b)
    power = _power(effect, se, df, alpha, alt)
    return DesignPower(effect=effect, sd_a=sd_a, sd_b=sd_b, n_a=n_a, n_b=n_b, alpha=alpha,
                       alternative=alt, test=test, df=df, noncentrality=effect / se, power=power,
                       method=f"noncentral t, {test} df = {df:.1f}, {alt}")


def models_needed(effect: float, sd_a: float, sd_b: float, alpha: float = 0.05,
                  target: float = 0.8, alternative: str = "two-sided", test: TTest = "welch",
                  ratio: float = 1.0) -> float | None:
    """Models in group A (B gets ratio × as many) for `target` power; None if unreachable.

    A continuous solution (round up for a design); None when the effect is 0 or points
    away from a one-sided alternative.
    """
    alt = check_alternative(alternative)
    if effect == 0 or (alt == "less" and effect > 0) or (alt == "greater" and effect < 0):
        return None
    if not 0 < target < 1 or ratio <= 0:
        raise ValueError("need target in (0, 1) and ratio > 0")

    def gap(n: float) -> float:
        se, df = _df(test, sd_a, sd_b, n, n * ratio)
        return _power(effect, se, df, alpha, alt) - target

    low = max(2.0, 2.0 / ratio)
    if gap(low) >= 0:
        return low
    high = low
    while gap(high) < 0:
        high *= 2
        if high > 1e7:
            return None
    return float(optimize.brentq(gap, low, high, xtol=1e-6))
