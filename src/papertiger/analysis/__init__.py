"""Analyses over tidy frames: shrinkage, group tests, multiverse, item-level statistics."""

from papertiger.analysis.falls import add_falls, summarise_groups
from papertiger.analysis.items import StoredResults, load_results, model_metrics, score_table
from papertiger.analysis.results import (
    GroupComparison,
    Interval,
    PowerResult,
    ShrinkageReport,
    TestResult,
)
from papertiger.analysis.shrinkage import ReportOptions, analyse
from papertiger.analysis.subsets import Selection, select

__all__ = [
    "GroupComparison",
    "Interval",
    "PowerResult",
    "ReportOptions",
    "Selection",
    "ShrinkageReport",
    "StoredResults",
    "TestResult",
    "add_falls",
    "analyse",
    "load_results",
    "model_metrics",
    "score_table",
    "select",
    "summarise_groups",
]
