"""Multiplicity summary and design power, checked against statsmodels and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestIndPower

from papertiger.analysis.multiplicity import (
    benjamini_hochberg,
    design_power,
    holm,
    models_needed,
    multiplicity_summary,
)

P = [0.001, 0.04, 0.03, 0.2, 0.6, 0.049, 0.01, 0.9, 0.04]


def test_adjustments_match_statsmodels() -> None:
    for seed in range(5):
        p = np.random.default_rng(seed).uniform(0, 0.2, 17)
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1])
        np.testing.assert_allclose(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1])
    np.testing.assert_allclose(holm(P), multipletests(P, method="holm")[1])


def test_summary_counts_against_chance() -> None:
    s = multiplicity_summary(P, alpha=0.05, labels=[f"t{i}" for i in range(9)])
    assert s.n_tests == 9 and s.n_below == 6
    assert s.expected_by_chance == pytest.approx(0.45)
    assert s.p_at_least_as_many == pytest.approx(sum(sps.binom.pmf(k, 9, 0.05) for k in range(6, 10)))
    assert s.n_holm == 1 and s.holm[0] == pytest.approx(0.009)
    assert s.n_bh == int(np.sum(np.array(s.bh) < 0.05))
    assert s.labels[0] == "t0" and "yardstick" in s.method
    with pytest.raises(ValueError, match="p-values"):
        multiplicity_summary([0.5, 1.2])
    with pytest.raises(ValueError, match="labels"):
        multiplicity_summary(P, labels=["a"])


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_student_power_matches_statsmodels(alternative: str) -> None:
    sm_alt = {"two-sided": "two-sided", "less": "smaller", "greater": "larger"}[alternative]
    effect = -5.0 if alternative == "less" else 5.0
    ours = design_power(effect, 10.0, 10.0, 12, 15, alternative=alternative, test="student")
    ref = TTestIndPower().power(effect_size=effect / 10.0, nobs1=12, ratio=15 / 12, alpha=0.05,
                                alternative=sm_alt)
    assert ours.power == pytest.approx(ref, rel=1e-6)
    n = models_needed(effect, 10.0, 10.0, alternative=alternative, test="student")
    ref_n = TTestIndPower().solve_power(effect_size=effect / 10.0, power=0.8, alpha=0.05,
                                        ratio=1.0, alternative=sm_alt)
    assert n == pytest.approx(ref_n, rel=1e-4)


def test_welch_power_matches_simulation() -> None:
    rng = np.random.default_rng(0)
    effect, sd_a, sd_b, n_a, n_b = -8.0, 6.0, 14.0, 7, 12
    reps = 20_000
    a = rng.normal(effect, sd_a, (reps, n_a))
    b = rng.normal(0.0, sd_b, (reps, n_b))
    p = sps.ttest_ind(a, b, axis=1, equal_var=False, alternative="less").pvalue
    ours = design_power(effect, sd_a, sd_b, n_a, n_b, alternative="less")
    assert ours.power == pytest.approx(np.mean(p < 0.05), abs=0.015)
    assert ours.df < n_a + n_b - 2 and "welch" in ours.method


def test_models_needed_reaches_the_target_and_handles_wrong_directions() -> None:
    n = models_needed(-5.0, 8.0, 12.0, alternative="less")
    assert n is not None
    assert design_power(-5.0, 8.0, 12.0, math.ceil(n), math.ceil(n), alternative="less").power >= 0.8
    assert design_power(-5.0, 8.0, 12.0, math.floor(n), math.floor(n), alternative="less").power < 0.8
    assert models_needed(5.0, 8.0, 12.0, alternative="less") is None
    assert models_needed(0.0, 8.0, 12.0) is None
    assert models_needed(-100.0, 1.0, 1.0) == 2.0
    wrong_way = design_power(5.0, 8.0, 8.0, 10, 10, alternative="less")
    assert wrong_way.power < 0.05
