"""Analyses: shrinkage, group tests, multiverse, item-level statistics, one report entry."""

from papertiger.analysis.attempts import (
    AttemptSource,
    ConditionChoice,
    SelectedAttempts,
    select_attempts,
)
from papertiger.analysis.compose import attempts_table, build_report
from papertiger.analysis.falls import add_falls, summarise_groups
from papertiger.analysis.freshness import freshness
from papertiger.analysis.items import form_metrics, pair_table
from papertiger.analysis.results import (
    FormMetrics,
    GroupComparison,
    GroupRow,
    Interval,
    MetricsTable,
    ModelRow,
    Multiverse,
    MultiverseRow,
    PowerResult,
    Report,
    ShrinkageSection,
    Skipped,
    TestResult,
)
from papertiger.analysis.shrinkage import ReportOptions, analyse
from papertiger.analysis.subsets import Selection, select

__all__ = [
    "AttemptSource",
    "ConditionChoice",
    "FormMetrics",
    "GroupComparison",
    "GroupRow",
    "Interval",
    "MetricsTable",
    "ModelRow",
    "Multiverse",
    "MultiverseRow",
    "PowerResult",
    "Report",
    "ReportOptions",
    "SelectedAttempts",
    "Selection",
    "ShrinkageSection",
    "Skipped",
    "TestResult",
    "add_falls",
    "analyse",
    "attempts_table",
    "build_report",
    "form_metrics",
    "freshness",
    "pair_table",
    "select",
    "select_attempts",
    "summarise_groups",
]
