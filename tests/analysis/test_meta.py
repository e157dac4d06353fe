"""Harness meta-analysis checked against statsmodels' combine_effects on the same inputs."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.meta_analysis import combine_effects

from papertiger.analysis.meta import HarnessGap, harness_gap, pool_harnesses

# Heterogeneous gaps (pp of % fall) as four harnesses might give them.
GAPS = [-0.4, -8.5, 2.1, -4.0, -12.0]
SES = [3.0, 2.5, 4.0, 1.5, 5.0]
ROWS = [HarnessGap(h, g, s) for h, g, s in zip(["AA", "GAIR", "Vals", "MathArena", "own"],
                                                GAPS, SES, strict=True)]


@pytest.mark.parametrize(("method", "sm_method"), [("pm", "iterated"), ("dl", "chi2")])
def test_matches_combine_effects(method: str, sm_method: str) -> None:
    ours = pool_harnesses(ROWS, method=method)  # type: ignore[arg-type]
    ref = combine_effects(np.array(GAPS), np.array(SES) ** 2, method_re=sm_method, use_t=True)
    assert ref.tau2 > 0  # heterogeneous enough that no truncation happens
    assert ours.tau2 == pytest.approx(ref.tau2, rel=1e-10)
    assert ours.random.estimate == pytest.approx(ref.mean_effect_re, rel=1e-10)
    assert ours.se_random == pytest.approx(ref.sd_eff_w_re, rel=1e-10)
    assert ours.se_hartung_knapp == pytest.approx(ref.sd_eff_w_re_hksj, rel=1e-10)
    ci_fe, ci_re, _, ci_re_hk = ref.conf_int(alpha=0.05, use_t=True)
    assert (ours.hartung_knapp.low, ours.hartung_knapp.high) == pytest.approx(tuple(ci_re_hk))
    _, ci_re_norm, _, _ = ref.conf_int(alpha=0.05, use_t=False)
    assert (ours.random.low, ours.random.high) == pytest.approx(tuple(ci_re_norm))
    ci_fe_norm = ref.conf_int(alpha=0.05, use_t=False)[0]
    assert (ours.fixed.low, ours.fixed.high) == pytest.approx(tuple(ci_fe_norm))
    assert ours.q == pytest.approx(ref.q) and ours.i2 == pytest.approx(ref.i2)
    assert ours.q_p == pytest.approx(ref.test_homogeneity().pvalue)
    assert sum(ours.weights) == pytest.approx(1.0)
    assert ours.k == 5 and [r.harness for r in ours.rows][0] == "AA"
    t = ours.random.estimate / ours.se_hartung_knapp
    assert ours.p_hartung_knapp == pytest.approx(2 * sps.t.sf(abs(t), 4))


def test_negative_dl_tau2_is_truncated_to_the_fixed_effect() -> None:
    rows = [HarnessGap("a", -5.0, 3.0), HarnessGap("b", -5.2, 3.0), HarnessGap("c", -4.9, 4.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # statsmodels: sqrt of a negative weight sum
        ref = combine_effects(np.array([-5.0, -5.2, -4.9]), np.array([9.0, 9.0, 16.0]),
                              method_re="dl")
    assert ref.tau2 < 0  # statsmodels leaves it negative
    ours = pool_harnesses(rows, method="dl")
    assert ours.tau2 == 0.0 and ours.i2 == 0.0
    assert ours.random.estimate == pytest.approx(ref.mean_effect_fe)
    assert ours.se_random == pytest.approx(ref.sd_eff_w_fe)
    assert any("truncated" in n for n in ours.notes)


def test_harness_gap_is_the_welch_difference() -> None:
    a, b = [-17.7, -28.0, -33.7, -21.2], [-1.1, -10.9, -3.2, -3.5, -20.6]
    gap = harness_gap(a, b, "AA")
    assert gap.gap == pytest.approx(np.mean(a) - np.mean(b))
    assert gap.se == pytest.approx(math.sqrt(np.var(a, ddof=1) / 4 + np.var(b, ddof=1) / 5))
    assert (gap.n_a, gap.n_b) == (4, 5)


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        pool_harnesses(ROWS[:1])
    with pytest.raises(ValueError, match="positive SE"):
        pool_harnesses([HarnessGap("a", 1.0, 0.0), HarnessGap("b", 1.0, 1.0)])
    with pytest.raises(ValueError, match="method"):
        pool_harnesses(ROWS, method="reml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="constant"):
        harness_gap([1.0, 1.0], [2.0, 2.0], "x")
