"""Power of a two-group comparison, so a reader knows what a null result can and cannot say."""

from __future__ import annotations

import math
import warnings

import numpy.typing as npt

from papertiger.analysis.results import PowerResult
from papertiger.analysis.stats import check_alternative, check_sample

__all__ = ["cohens_d", "power_two_sample"]

# statsmodels names the one-sided alternatives after the effect (A − B), not after scipy.
_SM_ALTERNATIVE = {"two-sided": "two-sided", "less": "smaller", "greater": "larger"}


def cohens_d(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """(mean(A) − mean(B)) / pooled SD, without the small-sample correction (the input to power)."""
    x, y = check_sample(a, "group A"), check_sample(b, "group B")
    n_a, n_b = x.size, y.size
    pooled_var = ((n_a - 1) * x.var(ddof=1) + (n_b - 1) * y.var(ddof=1)) / (n_a + n_b - 2)
    if pooled_var == 0.0:
        raise ValueError("both groups are constant: Cohen's d is undefined")
    return float((x.mean() - y.mean()) / math.sqrt(pooled_var))


def power_two_sample(
    a: npt.ArrayLike, b: npt.ArrayLike, alpha: float = 0.05, target: float = 0.8,
    alternative: str = "two-sided",
) -> PowerResult:
    """Power of the current design at the observed effect, and models per group for `target`.

    The effect size is Cohen's d from the observed (pooled) SDs, so this is "power if the
    observed difference were the truth", not a post-hoc reinterpretation of the p-value.
    The needed n assumes equal groups; it is None when the effect is 0 or points away from a
    one-sided alternative.
    """
    alt = check_alternative(alternative)
    if not 0.0 < alpha < 1.0 or not 0.0 < target < 1.0:
        raise ValueError(f"alpha and target must be in (0, 1), got {alpha}, {target}")
    x, y = check_sample(a, "group A"), check_sample(b, "group B")
    d = cohens_d(x, y)
    sm_alt = _SM_ALTERNATIVE[alt]
    from statsmodels.stats.power import TTestIndPower  # imported only when power is asked

    engine = TTestIndPower()
    power_now = float(engine.power(effect_size=d, nobs1=x.size, alpha=alpha,
                                   ratio=y.size / x.size, alternative=sm_alt))
    wrong_way = (alt == "less" and d >= 0) or (alt == "greater" and d <= 0)
    needed: float | None = None
    at_two = engine.power(effect_size=d, nobs1=2, alpha=alpha, ratio=1.0, alternative=sm_alt)
    if d != 0.0 and not wrong_way and at_two >= target:
        needed = 2.0  # the smallest design a t test allows already reaches the target
    elif d != 0.0 and not wrong_way:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            n = engine.solve_power(effect_size=d, nobs1=None, alpha=alpha, power=target,
                                   ratio=1.0, alternative=sm_alt)
        n = float(n)
        needed = n if math.isfinite(n) and n > 0 else None
    method = (f"two-sample t (statsmodels TTestIndPower), Cohen's d = {d:.3f} from pooled SD, "
              f"{alt}, n = {x.size} vs {y.size}; needed n assumes equal groups")
    return PowerResult(effect_size=d, alpha=alpha, power_now=power_now,
                       n_per_group_needed=needed, target_power=target, method=method)
