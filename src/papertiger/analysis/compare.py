"""Compare two groups of models on one fall metric: effect, intervals, tests, power."""

from __future__ import annotations

import numpy as np
import pandas as pd

from papertiger.analysis import stats
from papertiger.analysis.ancova import AncovaResult, ancova_logit
from papertiger.analysis.power import power_two_sample
from papertiger.analysis.results import (
    METRIC_COLUMNS,
    GroupComparison,
    TestResult,
)


def group_values(frame: pd.DataFrame, group_by: str, group: str, column: str) -> np.ndarray:
    """One group's values of a metric column (NaN kept: callers say what they drop)."""
    members = frame[frame[group_by].astype(str) == group]
    return members[column].astype(float).to_numpy()


def lab_tests(
    frame: pd.DataFrame, metric: str, group_by: str, pair: tuple[str, str]
) -> list[TestResult]:
    """Permutation tests with labs as the units (models from one lab are not independent).

    Models without a lab count as their own lab. Both sidednesses; empty when too few labs.
    """
    column = METRIC_COLUMNS[metric]
    if "lab" not in frame.columns or frame["lab"].isna().all():
        return []
    sub = frame[frame[group_by].astype(str).isin(pair)].dropna(subset=[column])
    labs = sub["lab"].fillna(sub["model"]).astype(str).to_numpy()
    try:
        return [
            stats.lab_permutation_test(
                sub[column].astype(float).to_numpy(),
                sub[group_by].astype(str).tolist(),
                labs.tolist(),
                pair[0],
                pair[1],
                alternative,
                metric=metric,
            )
            for alternative in ("two-sided", "less")
        ]
    except ValueError:
        return []


def compare_groups(
    frame: pd.DataFrame, metric: str, group_by: str, pair: tuple[str, str], seed: int = 0
) -> GroupComparison:
    """Every statistic of STATISTICS.md §3 for group A (pair[0]) minus group B (pair[1])."""
    column = METRIC_COLUMNS[metric]
    a = group_values(frame, group_by, pair[0], column)
    b = group_values(frame, group_by, pair[1], column)
    notes: list[str] = []
    if np.isnan(a).any() or np.isnan(b).any():
        notes.append(f"{int(np.isnan(a).sum() + np.isnan(b).sum())} models without {column} left out")
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"need at least 2 models per group, have {len(a)} and {len(b)}")
    tests = list(stats.compare_tests(a, b, metric=metric))
    tests.extend(lab_tests(frame, metric, group_by, pair))
    ancova = _ancova(frame, group_by, pair)
    return GroupComparison(
        metric=metric,
        group_by=group_by,
        group_a=pair[0],
        group_b=pair[1],
        n_a=len(a),
        n_b=len(b),
        mean_a=float(a.mean()),
        mean_b=float(b.mean()),
        difference=stats.welch_diff_ci(a, b),
        bootstrap=stats.bootstrap_diff_ci(a, b, seed=seed),
        hedges_g=stats.hedges_g(a, b),
        tests=tuple(tests),
        ancova=ancova.test if ancova else None,
        ancova_effect=ancova.effect if ancova else None,
        power=power_two_sample(a, b),
        notes=tuple(notes),
    )


def _ancova(frame: pd.DataFrame, group_by: str, pair: tuple[str, str]) -> AncovaResult | None:
    parts = [frame[frame[group_by].astype(str) == g] for g in pair]
    if min(len(p) for p in parts) < 2:
        return None
    a, b = parts
    a = a.dropna(subset=["old", "fresh"])
    b = b.dropna(subset=["old", "fresh"])
    try:
        return _fit_ancova(a, b)
    except ValueError:  # a degenerate design (e.g. no spread): no ANCOVA row
        return None


def _fit_ancova(a: pd.DataFrame, b: pd.DataFrame) -> AncovaResult:
    return ancova_logit(
        a["old"].astype(float).to_numpy(),
        a["fresh"].astype(float).to_numpy(),
        b["old"].astype(float).to_numpy(),
        b["fresh"].astype(float).to_numpy(),
        alternative="less",
    )
