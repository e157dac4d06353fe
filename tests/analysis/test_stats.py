"""Group-comparison statistics checked against scipy, statsmodels and brute force."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.power import TTestIndPower

from papertiger.analysis.ancova import ancova_logit
from papertiger.analysis.power import cohens_d, power_two_sample
from papertiger.analysis.stats import (
    bootstrap_diff_ci,
    compare_tests,
    hedges_g,
    lab_permutation_test,
    mann_whitney,
    permutation_test,
    student_t,
    welch_diff_ci,
    welch_t,
)

# % falls computed from the essay's table (fresh − old, per model).
CHINESE = [-17.7, -28.0, -33.7, -21.2, -2.4, -28.9, -14.9]
WESTERN = [-1.1, -10.9, -3.2, -3.5, -20.6, 1.8, -60.0, -11.8, -8.2, -3.9, -2.2, -1.7]
ALTERNATIVES = ("two-sided", "less", "greater")


def _samples(seed: int, n_a: int = 6, n_b: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(-10, 8, n_a), rng.normal(-5, 12, n_b)


def _brute_force_p(a: list, b: list) -> dict[str, Fraction]:
    """p-values by looping over every labelling; exact arithmetic when the inputs are ints."""
    pooled, n_a = list(a) + list(b), len(a)
    exact = all(isinstance(v, int) for v in pooled)

    n_b, total = len(pooled) - n_a, sum(pooled)

    def diff(idx: tuple[int, ...]) -> float | int:
        s_a = sum(pooled[i] for i in idx)
        if exact:  # n_a·n_b × the difference of means, an integer: comparisons are exact
            return n_b * s_a - n_a * (total - s_a)
        chosen = set(idx)
        return s_a / n_a - sum(v for i, v in enumerate(pooled) if i not in chosen) / n_b

    d_obs = diff(tuple(range(n_a)))
    ds = [diff(idx) for idx in itertools.combinations(range(len(pooled)), n_a)]
    return {
        "less": Fraction(sum(d <= d_obs for d in ds), len(ds)),
        "greater": Fraction(sum(d >= d_obs for d in ds), len(ds)),
        "two-sided": Fraction(sum(abs(d) >= abs(d_obs) for d in ds), len(ds)),
    }


# --- t tests and Mann–Whitney ------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_t_tests_agree_with_scipy(seed: int, alternative: str) -> None:
    a, b = _samples(seed)
    for func, equal_var in ((welch_t, False), (student_t, True)):
        res = func(a, b, alternative, metric="pct")
        ref = sps.ttest_ind(a, b, equal_var=equal_var, alternative=alternative)
        assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
        assert res.p_value == pytest.approx(ref.pvalue, rel=1e-12)
        assert (res.n_a, res.n_b, res.metric, res.alternative) == (6, 8, "pct", alternative)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_mann_whitney_agrees_with_scipy(seed: int, alternative: str) -> None:
    a, b = _samples(seed)
    res = mann_whitney(a, b, alternative)
    ref = sps.mannwhitneyu(a, b, alternative=alternative, method="exact")
    assert res.method == "exact"
    assert res.statistic == ref.statistic
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-12)


def test_mann_whitney_falls_back_to_asymptotic_with_ties() -> None:
    a, b = [1.0, 2.0, 2.0, 3.0], [2.0, 4.0, 5.0, 6.0]
    res = mann_whitney(a, b, "less")
    ref = sps.mannwhitneyu(a, b, alternative="less", method="asymptotic")
    assert res.method.startswith("asymptotic")
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-12)


@pytest.mark.parametrize("func", [welch_t, student_t, mann_whitney, permutation_test])
def test_one_sided_is_half_of_two_sided_in_the_direction_of_the_statistic(func) -> None:
    a, b = np.array([-20.0, -15.0, -30.0, -12.0, -25.0]), np.array([-2.0, -8.0, 1.0, -5.0, -3.0])
    two, less, greater = (func(a, b, alt) for alt in ALTERNATIVES)
    assert less.p_value == pytest.approx(two.p_value / 2, rel=1e-9)
    assert greater.p_value > 0.5


# --- permutation test --------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_exact_permutation_matches_brute_force_on_floats(seed: int) -> None:
    a, b = _samples(seed, 4, 5)
    expected = _brute_force_p(list(a), list(b))
    for alt in ALTERNATIVES:
        res = permutation_test(a, b, alt)
        assert res.method == "exact, all 126 labellings"
        assert res.p_value == float(expected[alt])


def test_exact_permutation_matches_brute_force_with_ties() -> None:
    # Integer data: many labellings tie with the observed one, and the brute force is
    # exact on ints, so this checks the tie tolerance.
    a, b = [3, 1, 4, 1], [5, 9, 2, 6, 5]
    expected = _brute_force_p(a, b)
    for alt in ALTERNATIVES:
        assert permutation_test(a, b, alt).p_value == float(expected[alt])
    same = [2, 2, 2, 2]
    assert permutation_test(same[:2], same[2:], "two-sided").p_value == 1.0


@pytest.mark.parametrize("alternative", ["less", "greater"])
def test_exact_permutation_matches_scipy_one_sided(alternative: str) -> None:
    a, b = _samples(7, 4, 5)
    ref = sps.permutation_test(
        (a, b), lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
        permutation_type="independent", n_resamples=np.inf, alternative=alternative,
        vectorized=True,
    )
    res = permutation_test(a, b, alternative)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-12)


def test_exact_permutation_two_sided_matches_scipy_when_symmetric() -> None:
    # With equal group sizes the permutation distribution is symmetric, so |d| ≥ |d_obs|
    # equals scipy's two-sided 2·min(one-sided).
    a, b = _samples(3, 5, 5)
    ref = sps.permutation_test(
        (a, b), lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
        permutation_type="independent", n_resamples=np.inf, vectorized=True,
    )
    assert permutation_test(a, b).p_value == pytest.approx(ref.pvalue, rel=1e-12)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_monte_carlo_permutation_is_close_to_exact_and_seeded(alternative: str) -> None:
    a, b = _samples(11, 5, 6)
    exact = permutation_test(a, b, alternative)
    mc = permutation_test(a, b, alternative, max_enumerations=10, n_resamples=20_000, seed=3)
    assert mc.method.startswith("Monte Carlo, 20000 resamples")
    assert abs(mc.p_value - exact.p_value) < 0.02
    again = permutation_test(a, b, alternative, max_enumerations=10, n_resamples=20_000, seed=3)
    assert again.p_value == mc.p_value
    assert mc.p_value >= 1 / 20_001


def test_lab_permutation_averages_within_lab_and_notes_shared_labs() -> None:
    values = [-20.0, -10.0, -30.0, -5.0, -1.0, -3.0, -7.0, 2.0, -4.0]
    groups = ["A", "A", "A", "A", "B", "B", "B", "B", "B"]
    labs = ["x", "x", "y", "z", "u", "u", "v", "w", "z"]
    res = lab_permutation_test(values, groups, labs, "A", "B", "less", metric="pct")
    lab_a = [-15.0, -30.0, -5.0]  # x, y, z
    lab_b = [-2.0, -7.0, 2.0, -4.0]  # u, v, w, z
    ref = permutation_test(lab_a, lab_b, "less")
    assert res.p_value == ref.p_value
    assert res.statistic == pytest.approx(ref.statistic)
    assert (res.n_a, res.n_b) == (3, 4)
    assert "3 labs in A, 4 in B" in res.method
    assert "labs in both groups counted once per group: z" in res.method


def test_lab_permutation_needs_two_labs_per_group() -> None:
    with pytest.raises(ValueError, match="lab"):
        lab_permutation_test([1.0, 2.0, 3.0, 4.0], ["A", "A", "B", "B"], ["x", "x", "y", "z"],
                             "A", "B")


# --- the essay's data ---------------------------------------------------------------------


def test_essay_data_every_test(capsys: pytest.CaptureFixture[str]) -> None:
    results = compare_tests(CHINESE, WESTERN, metric="pct")
    assert len(results) == 8
    assert [r.name for r in results[::2]] == [
        "Welch t", "Student t", "Mann–Whitney U", "Permutation (difference of means)"]
    assert [r.alternative for r in results] == ["two-sided", "less"] * 4
    with capsys.disabled():
        print("\nEssay % falls, Chinese (n=7) vs Western (n=12):")
        for r in results:
            print(f"  {r.name:<36} {r.alternative:<9} stat={r.statistic:9.4f} "
                  f"p={r.p_value:.4f}  [{r.method}]")
    for r in results:
        assert 0.0 <= r.p_value <= 1.0
        assert (r.n_a, r.n_b) == (7, 12)
    perm = [r for r in results if r.name.startswith("Permutation")]
    assert all(r.method == f"exact, all {math.comb(19, 7)} labellings" for r in perm)
    assert math.comb(19, 7) == 50388
    welch_two = results[0]
    ref = sps.ttest_ind(CHINESE, WESTERN, equal_var=False)
    assert welch_two.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert np.mean(CHINESE) - np.mean(WESTERN) == pytest.approx(perm[0].statistic, rel=1e-12)


def test_essay_permutation_matches_brute_force() -> None:
    # In tenths of a percent the falls are integers, so the brute force is exact and
    # labellings whose mean difference ties the observed one are counted correctly.
    expected = _brute_force_p([round(10 * v) for v in CHINESE], [round(10 * v) for v in WESTERN])
    assert permutation_test(CHINESE, WESTERN, "less").p_value == float(expected["less"])
    assert permutation_test(CHINESE, WESTERN).p_value == float(expected["two-sided"])


# --- intervals and effect size ------------------------------------------------------------


def test_welch_ci_matches_hand_computation() -> None:
    a, b = np.array(CHINESE), np.array(WESTERN)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = sps.t.ppf(0.95, df) * math.sqrt(va + vb)
    diff = a.mean() - b.mean()
    ci = welch_diff_ci(a, b, level=0.90)
    assert ci.estimate == pytest.approx(diff, rel=1e-12)
    assert (ci.low, ci.high) == pytest.approx((diff - half, diff + half), rel=1e-12)
    assert ci.level == 0.90
    assert "Welch" in ci.method


def test_bootstrap_ci_contains_estimate_and_is_reproducible() -> None:
    ci = bootstrap_diff_ci(CHINESE, WESTERN, n_resamples=2000, seed=5)
    assert ci.low < ci.estimate < ci.high
    assert ci.estimate == pytest.approx(np.mean(CHINESE) - np.mean(WESTERN))
    assert ci == bootstrap_diff_ci(CHINESE, WESTERN, n_resamples=2000, seed=5)
    assert ci != bootstrap_diff_ci(CHINESE, WESTERN, n_resamples=2000, seed=6)
    assert ci.method.startswith(("BCa", "percentile"))


def test_hedges_g_matches_hand_computation() -> None:
    a, b = np.array(CHINESE), np.array(WESTERN)
    n_a, n_b = a.size, b.size
    sp = math.sqrt(((n_a - 1) * a.var(ddof=1) + (n_b - 1) * b.var(ddof=1)) / (n_a + n_b - 2))
    j = 1 - 3 / (4 * (n_a + n_b) - 9)
    assert hedges_g(a, b) == pytest.approx(j * (a.mean() - b.mean()) / sp, rel=1e-12)
    assert cohens_d(a, b) == pytest.approx((a.mean() - b.mean()) / sp, rel=1e-12)


# --- ANCOVA ------------------------------------------------------------------------------


def _ancova_data() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(42)
    old_a, old_b = rng.uniform(0.3, 0.9, 7), rng.uniform(0.3, 0.9, 12)
    fresh_a = np.clip(old_a * 0.6 + rng.normal(0, 0.05, 7), 0, 1)
    fresh_b = np.clip(old_b * 0.85 + rng.normal(0, 0.05, 12), 0, 1)
    fresh_b[0] = 0.0  # exercises the clipping
    return old_a, fresh_a, old_b, fresh_b


def test_ancova_coefficient_and_hc3_se_match_numpy() -> None:
    old_a, fresh_a, old_b, fresh_b = _ancova_data()
    res = ancova_logit(old_a, fresh_a, old_b, fresh_b, "two-sided", clip=0.01)

    def logit(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 0.01, 0.99)
        return np.log(p / (1 - p))

    x = np.column_stack([np.ones(19), logit(np.r_[old_a, old_b]), np.r_[np.ones(7), np.zeros(12)]])
    y = logit(np.r_[fresh_a, fresh_b])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    assert res.effect.estimate == pytest.approx(beta[2], abs=1e-9)
    assert res.slope == pytest.approx(beta[1], abs=1e-9)
    bread = np.linalg.inv(x.T @ x)
    h = np.einsum("ij,jk,ik->i", x, bread, x)
    e = y - x @ beta
    cov = bread @ (x.T * (e / (1 - h)) ** 2) @ x @ bread
    se = math.sqrt(cov[2, 2])
    assert res.test.statistic == pytest.approx(beta[2] / se, rel=1e-9)
    assert res.test.p_value == pytest.approx(2 * sps.t.sf(abs(beta[2] / se), 16), rel=1e-9)
    half = sps.t.ppf(0.975, 16) * se
    assert (res.effect.low, res.effect.high) == pytest.approx((beta[2] - half, beta[2] + half))


def test_ancova_sidedness_and_percent_input() -> None:
    old_a, fresh_a, old_b, fresh_b = _ancova_data()
    two = ancova_logit(old_a, fresh_a, old_b, fresh_b, "two-sided")
    less = ancova_logit(old_a, fresh_a, old_b, fresh_b, "less")
    greater = ancova_logit(old_a, fresh_a, old_b, fresh_b, "greater")
    assert two.test.statistic < 0  # group A was built to fall more
    assert less.test.p_value == pytest.approx(two.test.p_value / 2, rel=1e-9)
    assert greater.test.p_value == pytest.approx(1 - less.test.p_value, rel=1e-9)
    pct = ancova_logit(*(100 * v for v in _ancova_data()), "less")
    assert pct.percent_input and not less.percent_input
    assert pct.effect.estimate == pytest.approx(less.effect.estimate, rel=1e-9)
    assert pct.test.p_value == pytest.approx(less.test.p_value, rel=1e-9)


def test_ancova_rejects_bad_input() -> None:
    old_a, fresh_a, old_b, fresh_b = _ancova_data()
    with pytest.raises(ValueError, match="same length"):
        ancova_logit(old_a[:-1], fresh_a, old_b, fresh_b)
    with pytest.raises(ValueError, match="percents"):
        ancova_logit(old_a, fresh_a, old_b, np.r_[fresh_b[:-1], 150.0])
    with pytest.raises(ValueError, match="non-finite"):
        ancova_logit(old_a, fresh_a, old_b, np.r_[fresh_b[:-1], np.nan])


# --- power -------------------------------------------------------------------------------


@pytest.mark.parametrize(("alternative", "sm_alt"), [("two-sided", "two-sided"), ("less", "smaller")])
def test_power_matches_statsmodels(alternative: str, sm_alt: str) -> None:
    res = power_two_sample(CHINESE, WESTERN, alternative=alternative)
    d = cohens_d(CHINESE, WESTERN)
    engine = TTestIndPower()
    ref = engine.power(effect_size=d, nobs1=7, alpha=0.05, ratio=12 / 7, alternative=sm_alt)
    assert res.effect_size == pytest.approx(d)
    assert res.power_now == pytest.approx(ref, rel=1e-9)
    n = res.n_per_group_needed
    assert n is not None
    at_ceil = engine.power(effect_size=d, nobs1=math.ceil(n), alpha=0.05, ratio=1.0,
                           alternative=sm_alt)
    below = engine.power(effect_size=d, nobs1=math.ceil(n) - 1, alpha=0.05, ratio=1.0,
                         alternative=sm_alt)
    assert at_ceil >= 0.8 > below


def test_power_needed_for_a_huge_effect_is_the_smallest_design() -> None:
    res = power_two_sample([0.0, 0.1, 0.2], [10.0, 10.1, 10.2])
    assert res.power_now == pytest.approx(1.0)
    assert res.n_per_group_needed == 2.0


def test_power_needed_is_none_for_zero_or_wrong_way_effect() -> None:
    assert power_two_sample([1.0, 3.0], [0.0, 4.0]).n_per_group_needed is None
    assert power_two_sample(CHINESE, WESTERN, alternative="greater").n_per_group_needed is None


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize("func", [welch_t, student_t, mann_whitney, permutation_test])
def test_tests_reject_bad_input(func) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        func([1.0, np.nan, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="alternative"):
        func([1.0, 2.0], [3.0, 4.0], "smaller")
    with pytest.raises(ValueError, match="1-D"):
        func([[1.0, 2.0]], [3.0, 4.0])


def test_t_and_effect_need_two_per_group_and_some_variance() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        welch_t([1.0], [2.0, 3.0])
    with pytest.raises(ValueError, match="constant"):
        welch_t([1.0, 1.0], [2.0, 2.0])
    with pytest.raises(ValueError, match="constant"):
        hedges_g([1.0, 1.0], [2.0, 2.0])
    with pytest.raises(ValueError, match="level"):
        welch_diff_ci([1.0, 2.0], [2.0, 3.0], level=95)
