"""Baseline-adjusted group comparison (ANCOVA on the logit scale).

% fall depends strongly on the baseline score (15 → 6 is −60 %), so the group contrast is
also estimated with the old-form score as a covariate: logit(fresh) ~ logit(old) + group.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from papertiger.analysis.results import Interval, TestResult
from papertiger.analysis.stats import check_alternative, check_level, check_sample

__all__ = ["AncovaResult", "ancova_logit"]


@dataclass(frozen=True)
class AncovaResult:
    """The group coefficient as a test and as an effect (logit units), plus the fitted slope.

    `effect.estimate` is the shift in logit(fresh) of group A relative to group B at equal
    old-form score; negative means group A falls more.
    """

    test: TestResult
    effect: Interval
    slope: float
    n_a: int
    n_b: int
    percent_input: bool


def _to_fraction(scores: np.ndarray, clip: float) -> tuple[np.ndarray, bool]:
    """Scores as fractions clipped to [clip, 1 − clip]; percents (any value > 1) are divided by 100.

    Returns the clipped fractions and whether the input was read as percents.
    """
    if not 0.0 < clip < 0.5:
        raise ValueError(f"clip must be in (0, 0.5), got {clip}")
    percent = bool(np.any(scores > 1.0))
    frac = scores / 100.0 if percent else scores
    if np.any(frac < 0.0) or np.any(frac > 1.0):
        raise ValueError("scores must be fractions in [0, 1] or percents in [0, 100]")
    return np.clip(frac, clip, 1.0 - clip), percent


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1.0 - p))


def ancova_logit(
    old_a: npt.ArrayLike, fresh_a: npt.ArrayLike, old_b: npt.ArrayLike, fresh_b: npt.ArrayLike,
    alternative: str = "two-sided", clip: float = 0.005, level: float = 0.95,
) -> AncovaResult:
    """OLS logit(fresh) ~ logit(old) + 1[group A] with HC3 errors; the test is on the group term.

    Scores are fractions in [0, 1], or percents in [0, 100] when any value (over all four
    arrays) exceeds 1; they are clipped to [clip, 1 − clip] before the logit. p-values and the
    interval use the t distribution with the residual df; one-sided p follows `alternative`.
    """
    alt = check_alternative(alternative)
    level = check_level(level)
    arrays = [check_sample(v, name) for v, name in
              ((old_a, "old_a"), (fresh_a, "fresh_a"), (old_b, "old_b"), (fresh_b, "fresh_b"))]
    if arrays[0].size != arrays[1].size or arrays[2].size != arrays[3].size:
        raise ValueError("old and fresh scores of a group must have the same length")
    frac, percent = _to_fraction(np.concatenate(arrays), clip)
    n_a, n_b = arrays[0].size, arrays[2].size
    o_a, f_a, o_b, f_b = np.split(frac, np.cumsum([n_a, n_a, n_b]))
    old, fresh = np.concatenate([o_a, o_b]), np.concatenate([f_a, f_b])
    group = np.r_[np.ones(n_a), np.zeros(n_b)]
    design = np.column_stack([np.ones(n_a + n_b), _logit(old), group])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        from statsmodels.regression.linear_model import OLS  # not statsmodels.api: 0.4 s lighter

        fit = OLS(_logit(fresh), design).fit(cov_type="HC3", use_t=True)
    coef, se, df = float(fit.params[2]), float(fit.bse[2]), float(fit.df_resid)
    if not (math.isfinite(se) and se > 0.0 and df >= 1):
        raise ValueError("ANCOVA design is degenerate (too few models or a perfect fit)")
    t = coef / se
    p = {"two-sided": 2.0 * sps.t.sf(abs(t), df), "less": sps.t.cdf(t, df),
         "greater": sps.t.sf(t, df)}[alt]
    half = float(sps.t.ppf((1 + level) / 2, df)) * se
    unit = "percent" if percent else "fraction"
    method = (f"OLS logit(fresh) ~ logit(old) + group, HC3 errors, t with df = {df:.0f}; "
              f"scores read as {unit}s, clipped to [{clip}, {1 - clip}]")
    test = TestResult(name="ANCOVA (logit, baseline-adjusted)", metric="logit", alternative=alt,
                      statistic=t, p_value=float(p), method=method, n_a=n_a, n_b=n_b)
    effect = Interval(estimate=coef, low=coef - half, high=coef + half, level=level,
                      method="group coefficient (logit units), HC3 t interval")
    return AncovaResult(test=test, effect=effect, slope=float(fit.params[1]), n_a=n_a, n_b=n_b,
                        percent_input=percent)
