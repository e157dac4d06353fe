"""Fixed-forms and super-population estimands: formulas, coverage of each truth, verdicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from papertiger.analysis.estimands import (
    expanded_level,
    fall_estimate,
    percentile_interval,
    score_estimate,
    verdict,
)
from papertiger.analysis.results import Interval

N_ITEMS, K = 30, 8


def test_fixed_forms_variance_is_the_unbiased_within_item_formula() -> None:
    correct, trials = np.array([0, 3, 8, 5, 1]), np.array([8, 8, 8, 8, 4])
    est = score_estimate(correct, trials, n_boot=200)
    p = correct / trials
    assert est.score == pytest.approx(p.mean())
    assert est.se_fixed**2 == pytest.approx(np.sum(p * (1 - p) / (trials - 1)) / 25)
    assert est.n_items == 5 and est.n_trials == 36
    assert 0.0 <= est.fixed.low < est.score < est.fixed.high <= 1.0
    single = score_estimate([1, 0, 1], [1, 1, 1], n_boot=50)
    assert single.se_fixed**2 == pytest.approx((2 / 3) * (1 / 3) / 3)
    assert "upper bound" in single.fixed.method


def test_unattempted_items_are_dropped_and_bad_counts_rejected() -> None:
    assert score_estimate([1, 2, 0], [4, 4, 0], n_boot=10).n_items == 2
    with pytest.raises(ValueError, match="0 ≤ correct ≤ trials"):
        score_estimate([5, 1], [4, 4])
    with pytest.raises(ValueError, match="at least 2"):
        score_estimate([1, 0], [4, 0])
    with pytest.raises(ValueError, match="estimand"):
        fall_estimate([1, 2], [4, 4], [1, 2], [4, 4], estimand="both")  # type: ignore[arg-type]


def test_fixed_forms_intervals_cover_the_fixed_forms_truth() -> None:
    """Items fixed, only the K samples redrawn: the truth is the mean of the items' p."""
    rng = np.random.default_rng(0)
    p_old, p_new = rng.beta(0.8, 0.8, N_ITEMS), rng.beta(0.8, 1.2, N_ITEMS)
    truth_s, truth_pp = p_old.mean(), 100 * (p_new.mean() - p_old.mean())
    truth_pct = 100 * (p_new.mean() / p_old.mean() - 1)
    trials = np.full(N_ITEMS, K)
    hits = np.zeros(3)
    reps = 800
    for _ in range(reps):
        co, cn = rng.binomial(K, p_old), rng.binomial(K, p_new)
        fall = fall_estimate(co, trials, cn, trials, n_boot=2)
        hits += [fall.old.fixed.low <= truth_s <= fall.old.fixed.high,
                 fall.pp_fixed.low <= truth_pp <= fall.pp_fixed.high,
                 fall.pct_fixed.low <= truth_pct <= fall.pct_fixed.high]
    coverage = hits / reps
    assert np.all(coverage >= 0.925) and np.all(coverage <= 0.975), coverage


def test_super_population_intervals_cover_the_population_truth() -> None:
    """Items redrawn from their population each time: the truth is E[p] (here 0.5 and 0.4)."""
    rng = np.random.default_rng(1)
    trials = np.full(N_ITEMS, K)
    hits = np.zeros(2)
    reps = 400
    for r in range(reps):
        p_old, p_new = rng.beta(1.0, 1.0, N_ITEMS), rng.beta(1.0, 1.5, N_ITEMS)
        fall = fall_estimate(rng.binomial(K, p_old), trials, rng.binomial(K, p_new), trials,
                             n_boot=600, seed=r)
        hits += [fall.old.super_population.low <= 0.5 <= fall.old.super_population.high,
                 fall.pp_super.low <= -10.0 <= fall.pp_super.high]
    coverage = hits / reps
    assert np.all(coverage >= 0.92) and np.all(coverage <= 0.98), coverage


def test_super_population_is_wider_than_fixed_forms() -> None:
    rng = np.random.default_rng(2)
    p = rng.beta(0.7, 0.7, N_ITEMS)
    est = score_estimate(rng.binomial(K, p), np.full(N_ITEMS, K))
    assert est.se_super > 1.5 * est.se_fixed
    width = est.super_population.high - est.super_population.low
    assert width > est.fixed.high - est.fixed.low


def test_verdicts_name_their_estimand() -> None:
    trials = np.full(N_ITEMS, K)
    high, low = np.full(N_ITEMS, 7), np.full(N_ITEMS, 2)
    fell = fall_estimate(high, trials, low, trials, n_boot=300)
    assert fell.verdict == "fell" and fell.verdict_estimand == "super-population"
    assert fell.pp_fixed.estimate == pytest.approx(-62.5)
    assert fell.pct_fixed.estimate == pytest.approx(100 * (2 / 7 - 1))
    assert fall_estimate(low, trials, high, trials, n_boot=300).verdict == "rose"
    mixed = np.tile([8, 0], N_ITEMS // 2)
    flat = fall_estimate(mixed, trials, mixed[::-1], trials, n_boot=300, estimand="fixed forms")
    assert flat.verdict == "within noise" and flat.verdict_estimand == "fixed forms"
    assert verdict(Interval(-1.0, -2.0, -0.5)) == "fell"
    assert verdict(Interval(0.0, -2.0, 0.5)) == "within noise"


def test_floor_effect_is_flagged_and_fieller_goes_unbounded() -> None:
    trials = np.full(N_ITEMS, K)
    old = np.zeros(N_ITEMS, int)
    old[0] = 1
    fall = fall_estimate(old, trials, np.zeros(N_ITEMS, int), trials, n_boot=200)
    assert any("floor" in n for n in fall.notes)
    assert math.isinf(fall.pct_fixed.low) and any("unbounded" in n for n in fall.notes)


def test_expanded_percentile_widens_small_samples_only() -> None:
    assert expanded_level(0.95, 30) == pytest.approx(0.9624, abs=5e-4)
    assert expanded_level(0.95, 10_000) == pytest.approx(0.95, abs=1e-3)
    assert expanded_level(0.95, 0) == 0.95
    draws = np.linspace(0, 1, 1001)
    plain = percentile_interval(draws, 0.5, 0.95, "x")
    wide = percentile_interval(draws, 0.5, 0.95, "x", n_units=30)
    assert wide.low < plain.low and wide.high > plain.high and wide.level == 0.95
    assert math.isnan(percentile_interval(np.array([np.nan]), 0.5, 0.95, "x").low)
