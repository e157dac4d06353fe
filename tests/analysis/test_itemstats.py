"""Item-level statistics checked against math.comb, statsmodels and hand computations."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from papertiger.analysis.itemstats import (
    bootstrap_fall_ci,
    bootstrap_score_ci,
    fall_se,
    item_means,
    maj_at_k,
    pass_at_k,
    pass_at_k_items,
    score_se,
    wilson_interval,
)

# --- pass@k ------------------------------------------------------------------------------


def test_pass_at_k_equals_the_combinatorial_formula() -> None:
    for n in range(1, 25):
        for c in range(n + 1):
            for k in range(1, n + 1):
                expected = 1 - math.comb(n - c, k) / math.comb(n, k)
                assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12), (n, c, k)


def test_pass_at_k_large_n_is_stable() -> None:
    # math.comb gives exact integers, so Fraction-free division is exact enough here.
    n, c, k = 200, 13, 64
    expected = 1 - math.comb(n - c, k) / math.comb(n, k)
    assert pass_at_k(n, c, k) == pytest.approx(expected, rel=1e-12)


def test_pass_at_1_is_the_fraction_correct_and_edges() -> None:
    for n in range(1, 40):
        for c in range(n + 1):
            assert pass_at_k(n, c, 1) == pytest.approx(c / n, abs=1e-15)
    assert pass_at_k(10, 8, 3) == 1.0  # n − c < k
    assert pass_at_k(10, 0, 10) == 0.0
    with pytest.raises(ValueError, match="k"):
        pass_at_k(4, 1, 5)
    with pytest.raises(ValueError):
        pass_at_k(4, 5, 1)
    with pytest.raises(ValueError, match="integers"):
        pass_at_k(4.0, 1, 1)  # type: ignore[arg-type]


@given(n=st.integers(1, 80), data=st.data())
def test_pass_at_k_is_monotone_in_k_and_c(n: int, data: st.DataObject) -> None:
    c = data.draw(st.integers(0, n))
    k = data.draw(st.integers(1, n))
    value = pass_at_k(n, c, k)
    assert 0.0 <= value <= 1.0
    if k < n:
        assert pass_at_k(n, c, k + 1) >= value
    if c < n:
        assert pass_at_k(n, c + 1, k) >= value


def test_pass_at_k_items_is_the_mean_over_items() -> None:
    ns, cs = [16, 16, 8, 16], [0, 3, 8, 15]
    expected = np.mean([1 - math.comb(n - c, 4) / math.comb(n, 4) for n, c in zip(ns, cs, strict=True)])
    assert pass_at_k_items(ns, cs, 4) == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError):
        pass_at_k_items([4, 4], [1], 1)


# --- maj@k -------------------------------------------------------------------------------


def test_maj_at_k_counts_the_majority_of_the_first_k() -> None:
    answers = [
        ["7", "7", "3", "9"],  # clear majority, correct
        ["1", "2", "2", "5"],  # majority "2", truth "1": wrong
        ["4", "4", "8", "8", "8", "8"],  # first k = 4 is a tie 4/8, "4" seen first wins
    ]
    truth = ["7", "1", "4"]
    assert maj_at_k(answers, truth, 4) == pytest.approx(2 / 3)
    assert maj_at_k(answers[2:], ["8"], 6) == 1.0  # all six samples: "8" wins 4 to 2


def test_maj_at_k_tie_goes_to_the_answer_seen_first() -> None:
    assert maj_at_k([["a", "b", "b", "a"]], ["b"], 4) == 0.0
    assert maj_at_k([["b", "a", "a", "b"]], ["b"], 4) == 1.0
    assert maj_at_k([["c", "a", "b"]], ["c"], 3) == 1.0


def test_maj_at_k_none_never_wins() -> None:
    assert maj_at_k([[None, None, "5"]], ["5"], 3) == 1.0
    assert maj_at_k([[None, None, None]], ["5"], 3) == 0.0
    assert maj_at_k([[None, "2", None, "3", "3"]], ["3"], 5) == 1.0
    with pytest.raises(ValueError, match="fewer than k"):
        maj_at_k([["1"]], ["1"], 2)


# --- standard errors and intervals ---------------------------------------------------------


def test_score_se_and_fall_se_by_hand() -> None:
    p = [0.0, 0.25, 0.5, 1.0, 1.0]
    mean = sum(p) / 5
    se = math.sqrt(sum((v - mean) ** 2 for v in p) / (5 * 4))
    assert score_se(p) == pytest.approx(se, rel=1e-12)
    q = [0.5, 0.75, 0.0]
    mq = sum(q) / 3
    se_q = math.sqrt(sum((v - mq) ** 2 for v in q) / (3 * 2))
    assert fall_se(p, q) == pytest.approx(100 * math.sqrt(se**2 + se_q**2), rel=1e-12)
    with pytest.raises(ValueError):
        score_se([0.5])
    with pytest.raises(ValueError):
        score_se([0.5, 1.5])


@pytest.mark.parametrize(("successes", "n"), [(0, 30), (1, 30), (15, 30), (29, 30), (30, 30)])
def test_wilson_matches_statsmodels(successes: int, n: int) -> None:
    ci = wilson_interval(successes, n, level=0.9)
    low, high = proportion_confint(successes, n, alpha=0.1, method="wilson")
    assert (ci.low, ci.high) == pytest.approx((low, high), rel=1e-12, abs=1e-15)
    assert ci.estimate == successes / n
    assert ci.low <= ci.estimate <= ci.high
    assert ci.low >= 0.0
    assert ci.high <= 1.0


def _items(seed: int, n_items: int, k: int, ragged: bool = False) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(0, 1, n_items)
    sizes = rng.integers(k // 2, k + 1, n_items) if ragged else np.full(n_items, k)
    return [(rng.uniform(0, 1, s) < d).astype(int) for d, s in zip(difficulty, sizes, strict=True)]


def test_bootstrap_score_ci_contains_estimate_is_seeded_and_fast() -> None:
    items = _items(0, 60, 64)
    start = time.perf_counter()
    ci = bootstrap_score_ci(items, level=0.95, n_resamples=2000, seed=1)
    assert time.perf_counter() - start < 0.5
    assert ci.estimate == pytest.approx(np.mean([x.mean() for x in items]))
    assert ci.low < ci.estimate < ci.high
    assert ci == bootstrap_score_ci(items, level=0.95, n_resamples=2000, seed=1)
    assert ci != bootstrap_score_ci(items, level=0.95, n_resamples=2000, seed=2)
    # The bootstrap SD of a mean over items is close to the analytic SE.
    draws_sd = (ci.high - ci.low) / (2 * 1.96)
    assert draws_sd == pytest.approx(score_se(item_means(items)), rel=0.15)


def test_bootstrap_score_ci_accepts_ragged_items() -> None:
    items = _items(3, 30, 16, ragged=True)
    assert len({len(x) for x in items}) > 1
    ci = bootstrap_score_ci(items, n_resamples=500)
    assert ci.estimate == pytest.approx(np.mean([x.mean() for x in items]))
    assert ci.low <= ci.estimate <= ci.high
    with pytest.raises(ValueError, match="no samples"):
        bootstrap_score_ci([[1, 0], []])


def test_bootstrap_fall_ci_estimates_and_contains_them() -> None:
    old, fresh = _items(4, 30, 64), _items(5, 30, 64)
    s_old = np.mean([x.mean() for x in old])
    s_fresh = np.mean([x.mean() for x in fresh])
    start = time.perf_counter()
    res = bootstrap_fall_ci(old, fresh, level=0.95, n_resamples=2000, seed=0)
    assert time.perf_counter() - start < 0.5
    assert res.pp.estimate == pytest.approx(100 * (s_fresh - s_old))
    assert res.pct.estimate == pytest.approx(100 * (s_fresh / s_old - 1))
    assert res.pp.low < res.pp.estimate < res.pp.high
    assert res.pct.low < res.pct.estimate < res.pct.high
    assert res == bootstrap_fall_ci(old, fresh, level=0.95, n_resamples=2000, seed=0)
    # pp interval width is about 2 × 1.96 × the analytic fall SE.
    se = fall_se(item_means(old), item_means(fresh))
    assert (res.pp.high - res.pp.low) / (2 * 1.96) == pytest.approx(se, rel=0.15)


def test_bootstrap_fall_ci_with_old_score_zero_is_nan_safe() -> None:
    old = [np.zeros(8, dtype=int) for _ in range(10)]
    fresh = _items(6, 10, 8)
    res = bootstrap_fall_ci(old, fresh, n_resamples=200)
    assert math.isnan(res.pct.estimate)
    assert math.isnan(res.pct.low) and math.isnan(res.pct.high)
    assert "200 draws with old score 0 dropped" in res.pct.method
    assert res.pp.low <= res.pp.estimate <= res.pp.high


def test_maj_at_k_graded_follows_the_graders_equality() -> None:
    from papertiger.analysis.itemstats import maj_at_k_graded

    # "1/2" wins the vote; math-verify graded it correct although the gold reads "0.5"
    answers = [["0.5", "1/2", "1/2", "7"]] * 3
    grades = [[True, True, True, False]] * 3
    assert maj_at_k_graded(answers, grades, 4) == 1.0
    assert maj_at_k_graded([["7", "7", "3", None]], [[False, False, True, False]], 4) == 0.0
    assert maj_at_k_graded([[None, None]], [[False, False]], 2) == 0.0
