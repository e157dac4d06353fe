"""The multiverse table: metric × subset × test → p-value, so a reader sees how much the
conclusion depends on analysis choices."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from papertiger.analysis import stats
from papertiger.analysis.compare import group_values, lab_tests
from papertiger.analysis.results import METRIC_COLUMNS, Multiverse, MultiverseRow, TestResult
from papertiger.analysis.subsets import Selection, select


def standard_subsets(
    current: Selection, fresh_released: dt.date | None
) -> list[tuple[str, Selection]]:
    """All models, the user's selection (if any), frontier 5, old ≥ 50, cutoff filter."""
    subsets = [("all models", Selection())]
    if current != Selection():
        subsets.append((f"selected: {current.describe()}", current))
    subsets.append(("frontier 5 per group", Selection(frontier=5)))
    subsets.append(("old ≥ 50", Selection(min_old=50.0)))
    if fresh_released is not None:
        subsets.append(
            (f"cutoff before {fresh_released.isoformat()}", Selection(trained_before=fresh_released))
        )
    return subsets


def _tests(
    frame: pd.DataFrame, metric: str, group_by: str, pair: tuple[str, str], ab: list[np.ndarray]
) -> list[TestResult]:
    a, b = ab
    if len(a) < 2 or len(b) < 2:
        return []
    try:
        return [*stats.compare_tests(a, b, metric=metric), *lab_tests(frame, metric, group_by, pair)]
    except ValueError:  # e.g. both groups constant: no test is defined
        return []


def multiverse(
    frame: pd.DataFrame,
    group_by: str,
    pair: tuple[str, str],
    subsets: list[tuple[str, Selection]],
) -> Multiverse:
    """Every test on every metric in every subset; subsets too small are listed with n."""
    rows: list[MultiverseRow] = []
    tests: list[str] = []
    for label, selection in subsets:
        sub = select(frame, selection, group_by).frame
        n_a = int((sub[group_by].astype(str) == pair[0]).sum())
        n_b = int((sub[group_by].astype(str) == pair[1]).sum())
        for metric, column in METRIC_COLUMNS.items():
            ab = [group_values(sub, group_by, g, column) for g in pair]
            ab = [v[~np.isnan(v)] for v in ab]
            diff = float(ab[0].mean() - ab[1].mean()) if len(ab[0]) and len(ab[1]) else np.nan
            p: dict[tuple[str, str], float] = {}
            for result in _tests(sub, metric, group_by, pair, ab):
                if result.name not in tests:
                    tests.append(result.name)
                p[(result.name, result.alternative)] = float(result.p_value)
            rows.append(MultiverseRow(metric, label, n_a, n_b, diff, p))
    return Multiverse(tuple(tests), tuple(rows))
