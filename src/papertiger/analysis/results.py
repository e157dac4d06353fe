"""Frozen result objects of the shrinkage analysis; the report layer renders these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

Metric = Literal["pct", "pp", "logit"]
Alternative = Literal["two-sided", "less", "greater"]

METRIC_LABELS: dict[str, str] = {
    "pct": "% fall",
    "pp": "pp fall",
    "logit": "logit fall",
}
METRIC_COLUMNS: dict[str, str] = {
    "pct": "pct_fall",
    "pp": "pp_fall",
    "logit": "logit_fall",
}


@dataclass(frozen=True)
class TestResult:
    """One hypothesis test, labelled with everything a reader needs to trust it.

    `alternative` is scipy's vocabulary applied to (group A − group B): 'less' means the
    one-sided hypothesis that group A's mean is lower (falls more, as falls are negative).
    """

    name: str
    metric: str
    alternative: Alternative
    statistic: float
    p_value: float
    method: str = ""
    n_a: int = 0
    n_b: int = 0


@dataclass(frozen=True)
class Interval:
    """An estimate with a confidence interval."""

    estimate: float
    low: float
    high: float
    level: float = 0.95
    method: str = ""


@dataclass(frozen=True)
class PowerResult:
    """Power of the current design and models per group needed for the target power."""

    effect_size: float
    alpha: float
    power_now: float
    n_per_group_needed: float | None
    target_power: float = 0.8
    method: str = ""


@dataclass(frozen=True)
class GroupComparison:
    """Group A vs group B on one metric: effect, intervals, tests, ANCOVA, power."""

    metric: str
    group_by: str
    group_a: str
    group_b: str
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    difference: Interval
    bootstrap: Interval
    hedges_g: float
    tests: tuple[TestResult, ...]
    ancova: TestResult | None = None
    ancova_effect: Interval | None = None
    power: PowerResult | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShrinkageReport:
    """Everything `papertiger report` shows.

    `models`: one row per model (model, group, old, fresh, pp_fall, pct_fall, logit_fall,
    metadata, optional CI columns). `groups`: per-group means of the same columns plus the
    overall row (plain mean over models). `multiverse`: metric × subset × test → p-value.
    `metrics`: from item-level runs only, one row per model × set (avg@k with CI, pass@k,
    maj@k, errors, tokens).
    """

    title: str
    source: str
    old_label: str
    fresh_label: str
    metric: str
    group_by: str
    models: pd.DataFrame
    groups: pd.DataFrame
    comparison: GroupComparison | None
    multiverse: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)
    metrics: pd.DataFrame | None = None
