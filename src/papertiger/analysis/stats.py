"""Group-comparison tests, intervals and effect sizes with models as the units.

Convention: group A vs group B, difference = mean(A) − mean(B), and `alternative` is scipy's
vocabulary applied to A − B. Falls are negative (fresh − old), so 'less' is the one-sided
hypothesis that group A falls more. Every function validates its input and returns a frozen
result object from `papertiger.analysis.results`.

Baseline adjustment (ANCOVA) lives in `ancova.py` and power in `power.py`.
"""

from __future__ import annotations

import functools
import itertools
import math
import warnings
from collections.abc import Iterator, Sequence
from typing import get_args

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from papertiger.analysis.results import Alternative, Interval, TestResult

__all__ = [
    "bootstrap_diff_ci",
    "check_alternative",
    "check_sample",
    "compare_tests",
    "hedges_g",
    "lab_permutation_test",
    "mann_whitney",
    "permutation_test",
    "student_t",
    "welch_diff_ci",
    "welch_t",
]

ArrayLike = npt.ArrayLike
_CHUNK = 50_000  # labellings or resamples handled per vectorised block
_KEEP_COMBINATIONS = 4_000_000  # index entries (32 MB) kept per group size, for reuse


def check_sample(x: ArrayLike, name: str, min_n: int = 2) -> np.ndarray:
    """Return `x` as a 1-D float array, or raise ValueError saying what is wrong with it."""
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size < min_n:
        raise ValueError(f"{name} needs at least {min_n} values, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values (NaN or inf)")
    return arr


def check_alternative(alternative: str) -> Alternative:
    """Reject anything but scipy's 'two-sided', 'less', 'greater'."""
    allowed = get_args(Alternative)
    if alternative not in allowed:
        raise ValueError(f"alternative must be one of {allowed}, got {alternative!r}")
    return alternative  # type: ignore[return-value]


def check_level(level: float) -> float:
    """A confidence level must lie strictly between 0 and 1."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return float(level)


def _t_test(a: ArrayLike, b: ArrayLike, alternative: str, metric: str, equal_var: bool) -> TestResult:
    x, y = check_sample(a, "group A"), check_sample(b, "group B")
    alt = check_alternative(alternative)
    if np.var(x) == 0.0 and np.var(y) == 0.0:
        raise ValueError("both groups are constant: a t test is undefined")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        res = sps.ttest_ind(x, y, equal_var=equal_var, alternative=alt)
    name = "Student t" if equal_var else "Welch t"
    method = "pooled variance" if equal_var else "Welch–Satterthwaite df"
    lossy = [w for w in caught if "precision loss" in str(w.message).lower()]
    for w in caught:
        if w not in lossy:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if lossy:
        method += "; values nearly identical, so p is numerically unreliable"
    return TestResult(name=name, metric=metric, alternative=alt, statistic=float(res.statistic),
                      p_value=float(res.pvalue), method=f"{method}, df = {float(res.df):.2f}",
                      n_a=x.size, n_b=y.size)


def welch_t(a: ArrayLike, b: ArrayLike, alternative: str = "two-sided", metric: str = "") -> TestResult:
    """Welch's t test: does not assume the two groups share a variance (the safer default)."""
    return _t_test(a, b, alternative, metric, equal_var=False)


def student_t(a: ArrayLike, b: ArrayLike, alternative: str = "two-sided", metric: str = "") -> TestResult:
    """Student's t test with pooled variance, reported beside Welch for comparison."""
    return _t_test(a, b, alternative, metric, equal_var=True)


def mann_whitney(
    a: ArrayLike, b: ArrayLike, alternative: str = "two-sided", metric: str = ""
) -> TestResult:
    """Mann–Whitney U (rank test), robust to a single extreme fall; exact when possible.

    Exact when there are no ties and n_a·n_b ≤ 2500, else asymptotic with tie and continuity
    correction. The statistic is U of group A.
    """
    x, y = check_sample(a, "group A", 1), check_sample(b, "group B", 1)
    alt = check_alternative(alternative)
    pooled = np.concatenate([x, y])
    ties = np.unique(pooled).size < pooled.size
    method = "exact" if not ties and x.size * y.size <= 2500 else "asymptotic"
    res = sps.mannwhitneyu(x, y, alternative=alt, method=method)
    label = method if method == "exact" else "asymptotic (normal, tie + continuity correction)"
    return TestResult(name="Mann–Whitney U", metric=metric, alternative=alt,
                      statistic=float(res.statistic), p_value=float(res.pvalue),
                      method=label, n_a=x.size, n_b=y.size)


@functools.lru_cache(maxsize=8)
def _all_combinations(n: int, k: int) -> np.ndarray:
    """All k-subsets of range(n) as one index matrix, kept: a report runs many tests on the
    same group sizes (every metric, subset and sidedness of the multiverse)."""
    flat = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), k)),
                       dtype=np.intp, count=math.comb(n, k) * k)
    flat.setflags(write=False)
    return flat.reshape(-1, k)


def _combination_chunks(n: int, k: int) -> Iterator[np.ndarray]:
    """All k-subsets of range(n) as index matrices of at most _CHUNK rows."""
    if math.comb(n, k) * k <= _KEEP_COMBINATIONS:
        everything = _all_combinations(n, k)
        for start in range(0, everything.shape[0], _CHUNK):
            yield everything[start:start + _CHUNK]
        return
    combos = itertools.combinations(range(n), k)
    while True:
        flat = np.fromiter(itertools.chain.from_iterable(itertools.islice(combos, _CHUNK)),
                           dtype=np.intp)
        if flat.size == 0:
            return
        yield flat.reshape(-1, k)


def _count_extreme(sums_a: np.ndarray, pooled_total: float, n_a: int, n_b: int,
                   d_obs: float, tol: float) -> np.ndarray:
    """Counts of labellings at least as extreme as observed: [less, greater, two-sided]."""
    d = sums_a / n_a - (pooled_total - sums_a) / n_b
    return np.array([np.sum(d <= d_obs + tol), np.sum(d >= d_obs - tol),
                     np.sum(np.abs(d) >= abs(d_obs) - tol)])


def permutation_test(
    a: ArrayLike, b: ArrayLike, alternative: str = "two-sided", metric: str = "",
    max_enumerations: int = 1_000_000, n_resamples: int = 100_000, seed: int = 0,
) -> TestResult:
    """Permutation test of mean(A) − mean(B): valid for tiny groups with no normality assumption.

    Enumerates all C(n, n_a) labellings when that is ≤ max_enumerations (exact p), else
    draws n_resamples random labellings with p = (b + 1)/(B + 1). Two-sided counts
    |d| ≥ |d_obs|; ties are judged with a relative tolerance of 1e-12.
    """
    x, y = check_sample(a, "group A", 1), check_sample(b, "group B", 1)
    alt = check_alternative(alternative)
    d_obs, p_all, method = _permutation_p(x.tobytes(), y.tobytes(), max_enumerations,
                                          n_resamples, seed)
    p = p_all[{"less": 0, "greater": 1, "two-sided": 2}[alt]]
    return TestResult(name="Permutation (difference of means)", metric=metric, alternative=alt,
                      statistic=d_obs, p_value=float(min(p, 1.0)), method=method,
                      n_a=x.size, n_b=y.size)


@functools.lru_cache(maxsize=512)
def _permutation_p(
    a: bytes, b: bytes, max_enumerations: int, n_resamples: int, seed: int
) -> tuple[float, tuple[float, float, float], str]:
    """d_obs, p for [less, greater, two-sided] and the method, computed once per pair of
    samples: the report asks for several sidednesses of the same test."""
    x, y = np.frombuffer(a), np.frombuffer(b)
    pooled = np.concatenate([x, y])
    n_a, n_b = x.size, y.size
    total = float(pooled.sum())
    d_obs = float(x.sum() / n_a - (total - x.sum()) / n_b)
    tol = 1e-12 * (abs(d_obs) + float(np.max(np.abs(pooled))))
    n_labellings = math.comb(n_a + n_b, n_a)
    counts = np.zeros(3, dtype=np.int64)
    if n_labellings <= max_enumerations:
        for idx in _combination_chunks(n_a + n_b, n_a):
            counts += _count_extreme(pooled[idx].sum(axis=1), total, n_a, n_b, d_obs, tol)
        p_all = counts / n_labellings
        method = f"exact, all {n_labellings} labellings"
    else:
        rng = np.random.default_rng(seed)
        done = 0
        while done < n_resamples:
            m = min(_CHUNK, n_resamples - done)
            perm = rng.permuted(np.broadcast_to(pooled, (m, pooled.size)), axis=1)
            counts += _count_extreme(perm[:, :n_a].sum(axis=1), total, n_a, n_b, d_obs, tol)
            done += m
        p_all = (counts + 1) / (n_resamples + 1)
        method = f"Monte Carlo, {n_resamples} resamples (seed {seed}) of {n_labellings} labellings"
    return d_obs, (float(p_all[0]), float(p_all[1]), float(p_all[2])), method


def lab_permutation_test(
    values: ArrayLike, groups: Sequence[str], labs: Sequence[str], group_a: str, group_b: str,
    alternative: str = "two-sided", metric: str = "",
) -> TestResult:
    """Permutation test with labs as the units, since models from one lab are not independent.

    Values are averaged within each (lab, group) and the exact permutation test is run on
    those means. A lab with models in both groups contributes one unit to each; `method`
    says so.
    """
    vals = check_sample(values, "values", 1)
    if not len(groups) == len(labs) == vals.size:
        raise ValueError(f"values, groups and labs differ in length: "
                         f"{vals.size}, {len(groups)}, {len(labs)}")
    if any(v is None or (isinstance(v, float) and math.isnan(v)) or v == "" for v in labs):
        raise ValueError("every model needs a lab for the lab-level test")
    g = np.array([str(v) for v in groups], dtype=object)
    lab = np.array([str(v) for v in labs], dtype=object)
    means: dict[str, list[float]] = {group_a: [], group_b: []}
    lab_sets: dict[str, set[str]] = {}
    for grp in (group_a, group_b):
        in_group = g == grp
        lab_sets[grp] = set(lab[in_group])
        for name in sorted(lab_sets[grp]):
            means[grp].append(float(vals[in_group & (lab == name)].mean()))
        if len(means[grp]) < 2:
            raise ValueError(f"group {grp!r} has {len(means[grp])} lab(s); need at least 2")
    res = permutation_test(means[group_a], means[group_b], alternative, metric)
    shared = sorted(lab_sets[group_a] & lab_sets[group_b])
    method = (f"lab means ({len(means[group_a])} labs in {group_a}, {len(means[group_b])} in "
              f"{group_b}); {res.method}")
    if shared:
        method += f"; labs in both groups counted once per group: {', '.join(shared)}"
    return TestResult(name="Permutation of lab means", metric=metric, alternative=res.alternative,
                      statistic=res.statistic, p_value=res.p_value, method=method,
                      n_a=len(means[group_a]), n_b=len(means[group_b]))


def welch_diff_ci(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> Interval:
    """CI for mean(A) − mean(B) with Welch–Satterthwaite df (unequal variances)."""
    x, y = check_sample(a, "group A"), check_sample(b, "group B")
    level = check_level(level)
    va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    if va + vb == 0.0:
        raise ValueError("both groups are constant: the Welch interval is undefined")
    df = (va + vb) ** 2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1))
    half = float(sps.t.ppf((1 + level) / 2, df)) * math.sqrt(va + vb)
    diff = float(x.mean() - y.mean())
    return Interval(estimate=diff, low=diff - half, high=diff + half, level=level,
                    method=f"Welch t interval, df = {df:.2f}")


def _mean_diff(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.mean(x, axis=axis) - np.mean(y, axis=axis), dtype=float)


def bootstrap_diff_ci(
    a: ArrayLike, b: ArrayLike, level: float = 0.95, n_resamples: int = 10_000, seed: int = 0
) -> Interval:
    """Bootstrap CI for mean(A) − mean(B), resampling each group independently.

    BCa (scipy.stats.bootstrap) when it is defined, else the percentile interval; `method`
    says which.
    """
    x, y = check_sample(a, "group A"), check_sample(b, "group B")
    level = check_level(level)
    diff = float(x.mean() - y.mean())
    low = high = math.nan
    for how in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sps.bootstrap((x, y), _mean_diff, n_resamples=n_resamples, vectorized=True,
                                confidence_level=level, method=how, rng=np.random.default_rng(seed))
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if math.isfinite(low) and math.isfinite(high):
            break
    return Interval(estimate=diff, low=low, high=high, level=level,
                    method=f"{how} bootstrap, {n_resamples} resamples (seed {seed})")


def hedges_g(a: ArrayLike, b: ArrayLike) -> float:
    """Standardised difference (pooled SD) with the small-sample correction J = 1 − 3/(4N − 9)."""
    x, y = check_sample(a, "group A"), check_sample(b, "group B")
    n_a, n_b = x.size, y.size
    pooled_var = ((n_a - 1) * x.var(ddof=1) + (n_b - 1) * y.var(ddof=1)) / (n_a + n_b - 2)
    if pooled_var == 0.0:
        raise ValueError("both groups are constant: Hedges' g is undefined")
    j = 1.0 - 3.0 / (4.0 * (n_a + n_b) - 9.0)
    return float(j * (x.mean() - y.mean()) / math.sqrt(pooled_var))


def compare_tests(a: ArrayLike, b: ArrayLike, metric: str = "") -> tuple[TestResult, ...]:
    """Welch, Student, Mann–Whitney and permutation tests, each two-sided and 'less' (A falls more).

    Eight results, so a reader sees at once how much the conclusion depends on the test.
    """
    results: list[TestResult] = []
    for test in (welch_t, student_t, mann_whitney, permutation_test):
        for alt in ("two-sided", "less"):
            results.append(test(a, b, alt, metric))
    return tuple(results)
