"""Item-level scoring statistics: pass@k, maj@k, standard errors and bootstrap intervals.

A form (one AIME year) has n items; each item has K samples scored 0/1. The form score is
the mean over items of the per-item means p̂_i. Bootstraps resample items (samples stay
nested in their item), which estimates the super-population score: "does it generalise to
unseen items of this kind?".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from papertiger.analysis.results import Interval

__all__ = [
    "FallIntervals",
    "bootstrap_fall_ci",
    "bootstrap_score_ci",
    "fall_se",
    "item_means",
    "maj_at_k",
    "maj_at_k_graded",
    "pass_at_k",
    "pass_at_k_items",
    "score_se",
    "wilson_interval",
]


@dataclass(frozen=True)
class FallIntervals:
    """One model's fall with bootstrap intervals: in percentage points and in percent."""

    pp: Interval
    pct: Interval


def _check_level(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return float(level)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 − C(n−c, k)/C(n, k), in a stable product form.

    The plug-in 1 − (1 − c/n)^k is biased low, so it is never used.
    """
    if not (isinstance(n, int | np.integer) and isinstance(c, int | np.integer)
            and isinstance(k, int | np.integer)):
        raise ValueError(f"n, c, k must be integers, got {n!r}, {c!r}, {k!r}")
    if n < 1 or not 0 <= c <= n:
        raise ValueError(f"need n ≥ 1 and 0 ≤ c ≤ n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 ≤ k ≤ n, got k={k}, n={n}")
    if n - c < k:
        return 1.0
    j = np.arange(n - c + 1, n + 1, dtype=float)
    return float(1.0 - np.prod(1.0 - k / j))


def pass_at_k_items(n_per_item: Sequence[int], c_per_item: Sequence[int], k: int) -> float:
    """Form-level pass@k: the mean over items of the per-item unbiased estimate."""
    if len(n_per_item) != len(c_per_item):
        raise ValueError(f"{len(n_per_item)} sample counts but {len(c_per_item)} correct counts")
    if len(n_per_item) == 0:
        raise ValueError("pass@k needs at least one item")
    return float(np.mean([pass_at_k(int(n), int(c), k) for n, c in zip(n_per_item, c_per_item,
                                                                          strict=True)]))


def _majority(votes: Sequence[str | None]) -> str | None:
    """Most frequent non-None answer; a tie goes to the tied answer seen first."""
    counts = Counter(v for v in votes if v is not None)
    if not counts:
        return None
    top = max(counts.values())
    return next(v for v in votes if v is not None and counts[v] == top)


def maj_at_k(
    answers_per_item: Sequence[Sequence[str | None]], correct_answer_per_item: Sequence[str],
    k: int,
) -> float:
    """maj@k: share of items whose majority answer among the first k samples is correct.

    None (no extractable answer) never wins a vote; an item with only None is incorrect.
    Ties go deterministically to the tied answer that appears first among the k samples.
    """
    if len(answers_per_item) != len(correct_answer_per_item):
        raise ValueError(f"{len(answers_per_item)} items of answers but "
                         f"{len(correct_answer_per_item)} correct answers")
    if not answers_per_item:
        raise ValueError("maj@k needs at least one item")
    if k < 1:
        raise ValueError(f"k must be ≥ 1, got {k}")
    hits = 0
    for i, (answers, truth) in enumerate(zip(answers_per_item, correct_answer_per_item,
                                             strict=True)):
        if len(answers) < k:
            raise ValueError(f"item {i} has {len(answers)} samples, fewer than k = {k}")
        winner = _majority(list(answers[:k]))
        hits += winner is not None and winner == truth
    return hits / len(answers_per_item)


def maj_at_k_graded(
    answers_per_item: Sequence[Sequence[str | None]],
    correct_per_item: Sequence[Sequence[bool]],
    k: int,
) -> float:
    """maj@k from graded samples: the majority answer among the first k samples counts as
    correct when a sample giving that answer was graded correct.

    Unlike comparing the winner with a gold string, this follows the grader's notion of
    equality for the winning answer (math-verify accepts `1/2` for `0.5`); answers written
    differently still vote separately. Ties and None as in `maj_at_k`.
    """
    if len(answers_per_item) != len(correct_per_item):
        raise ValueError("answers and grades differ in number of items")
    if not answers_per_item:
        raise ValueError("maj@k needs at least one item")
    hits = 0
    for i, (answers, correct) in enumerate(zip(answers_per_item, correct_per_item, strict=True)):
        if len(answers) < k or len(correct) < k:
            raise ValueError(f"item {i} has fewer than k = {k} samples")
        winner = _majority(list(answers[:k]))
        hits += winner is not None and any(
            bool(c) for a, c in zip(answers[:k], correct[:k], strict=True) if a == winner
        )
    return hits / len(answers_per_item)


def _check_p_hat(p_hat: npt.ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(p_hat, dtype=float)
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"{name} must be 1-D with at least 2 items, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0.0) or np.any(arr > 1.0):
        raise ValueError(f"{name} must hold per-item proportions in [0, 1]")
    return arr


def score_se(p_hat_per_item: npt.ArrayLike) -> float:
    """SE of the form score from per-item proportions: SE² = Σ(p̂_i − s̄)² / (n(n − 1))."""
    p = _check_p_hat(p_hat_per_item, "p_hat_per_item")
    n = p.size
    return float(math.sqrt(np.sum((p - p.mean()) ** 2) / (n * (n - 1))))


def fall_se(old_p_hat: npt.ArrayLike, fresh_p_hat: npt.ArrayLike) -> float:
    """SE of the pp fall (fresh − old) in percentage points; the forms hold different items."""
    return 100.0 * math.hypot(score_se(old_p_hat), score_se(fresh_p_hat))


def item_means(correct_matrix: Sequence[npt.ArrayLike]) -> np.ndarray:
    """Per-item means p̂_i of ragged per-item 0/1 (or partial-credit) sample arrays."""
    if len(correct_matrix) < 2:
        raise ValueError(f"need at least 2 items, got {len(correct_matrix)}")
    means = np.empty(len(correct_matrix))
    for i, row in enumerate(correct_matrix):
        arr = np.asarray(row, dtype=float).ravel()
        if arr.size == 0:
            raise ValueError(f"item {i} has no samples")
        if not np.all(np.isfinite(arr)) or np.any(arr < 0.0) or np.any(arr > 1.0):
            raise ValueError(f"item {i} has scores outside [0, 1]")
        means[i] = arr.mean()
    return means


def _resampled_scores(p: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Form scores of n_resamples bootstrap draws of items (with replacement)."""
    idx = rng.integers(0, p.size, size=(n_resamples, p.size))
    return np.asarray(p[idx].mean(axis=1), dtype=float)


def _percentile(draws: np.ndarray, level: float) -> tuple[float, float]:
    alpha = (1.0 - level) / 2.0
    finite = draws[np.isfinite(draws)]
    if finite.size == 0:
        return math.nan, math.nan
    low, high = np.quantile(finite, [alpha, 1.0 - alpha])
    return float(low), float(high)


def bootstrap_score_ci(
    correct_matrix: Sequence[npt.ArrayLike], level: float = 0.95, n_resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap CI of the form score, resampling items (super-population estimand)."""
    level = _check_level(level)
    p = item_means(correct_matrix)
    draws = _resampled_scores(p, n_resamples, np.random.default_rng(seed))
    low, high = _percentile(draws, level)
    return Interval(estimate=float(p.mean()), low=low, high=high, level=level,
                    method=f"percentile bootstrap over {p.size} items, {n_resamples} resamples "
                           f"(seed {seed})")


def bootstrap_fall_ci(
    old_items: Sequence[npt.ArrayLike], fresh_items: Sequence[npt.ArrayLike],
    level: float = 0.95, n_resamples: int = 2000, seed: int = 0,
) -> FallIntervals:
    """Bootstrap CIs of one model's fall, resampling items within each form independently.

    pp fall = 100·(fresh − old); % fall = 100·(fresh/old − 1). Draws with old = 0 have no %
    fall and are dropped from that interval (the count is in `method`); a small old score
    makes % fall unstable (a floor effect), so read it beside the pp fall.
    """
    level = _check_level(level)
    p_old, p_fresh = item_means(old_items), item_means(fresh_items)
    rng = np.random.default_rng(seed)
    old = _resampled_scores(p_old, n_resamples, rng)
    fresh = _resampled_scores(p_fresh, n_resamples, rng)
    pp = 100.0 * (fresh - old)
    pct = np.full(n_resamples, math.nan)
    np.divide(100.0 * (fresh - old), old, out=pct, where=old > 0.0)
    s_old, s_fresh = float(p_old.mean()), float(p_fresh.mean())
    pct_hat = 100.0 * (s_fresh / s_old - 1.0) if s_old > 0.0 else math.nan
    base = (f"percentile bootstrap, items resampled within each form ({p_old.size} old, "
            f"{p_fresh.size} fresh), {n_resamples} resamples (seed {seed})")
    dropped = int(np.sum(~(old > 0.0)))
    pp_low, pp_high = _percentile(pp, level)
    pct_low, pct_high = _percentile(pct, level)
    return FallIntervals(
        pp=Interval(estimate=100.0 * (s_fresh - s_old), low=pp_low, high=pp_high, level=level,
                    method=base),
        pct=Interval(estimate=pct_hat, low=pct_low, high=pct_high, level=level,
                     method=f"{base}; {dropped} draws with old score 0 dropped"),
    )


def wilson_interval(successes: int, n: int, level: float = 0.95) -> Interval:
    """Wilson score interval for a proportion: sensible near 0 and 1, unlike the normal one."""
    level = _check_level(level)
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"need n ≥ 1 and 0 ≤ successes ≤ n, got {successes}, {n}")
    from statsmodels.stats.proportion import proportion_confint  # imported only when used

    low, high = proportion_confint(successes, n, alpha=1.0 - level, method="wilson")
    return Interval(estimate=successes / n, low=float(low), high=float(high), level=level,
                    method="Wilson score interval")
