"""papertiger: is that benchmark score real?

Notebook use::

    import papertiger
    papertiger.load_published()                       # the essay's AIME table, a DataFrame
    rep = papertiger.report()                         # the typed report of that table
    rep.section.to_frame()                            # per-model falls as a DataFrame
    rep = papertiger.report(papertiger.AttemptSource("results.db", suite="aime"))
    papertiger.attempts("results.db", suite="aime")   # one row per attempt, with its grade

The CLI (`papertiger ...`) is a thin shell over these same functions. Names are imported
lazily, so `import papertiger.store` does not pay for scipy and statsmodels.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_EXPORTS = {
    "AttemptSource": ("papertiger.analysis", "AttemptSource"),
    "ConditionChoice": ("papertiger.analysis", "ConditionChoice"),
    "GroupComparison": ("papertiger.analysis", "GroupComparison"),
    "InputError": ("papertiger.errors", "InputError"),
    "PapertigerError": ("papertiger.errors", "PapertigerError"),
    "Report": ("papertiger.analysis", "Report"),
    "ReportOptions": ("papertiger.analysis", "ReportOptions"),
    "Selection": ("papertiger.analysis", "Selection"),
    "ShrinkageSection": ("papertiger.analysis", "ShrinkageSection"),
    "Skipped": ("papertiger.analysis", "Skipped"),
    "TestResult": ("papertiger.analysis", "TestResult"),
    "add_falls": ("papertiger.analysis", "add_falls"),
    "analyse": ("papertiger.analysis", "analyse"),
    "attempts": ("papertiger.analysis", "attempts_table"),
    "load_published": ("papertiger.published", "load_published"),
    "load_scores": ("papertiger.published", "load_scores"),
    "read_scores_csv": ("papertiger.published", "read_scores_csv"),
    "report": ("papertiger.analysis", "build_report"),
}

__all__ = [
    "AttemptSource",
    "ConditionChoice",
    "GroupComparison",
    "InputError",
    "PapertigerError",
    "Report",
    "ReportOptions",
    "Selection",
    "ShrinkageSection",
    "Skipped",
    "TestResult",
    "__version__",
    "add_falls",
    "analyse",
    "attempts",
    "load_published",
    "load_scores",
    "read_scores_csv",
    "report",
]

if TYPE_CHECKING:
    from papertiger.analysis import (
        AttemptSource,
        ConditionChoice,
        GroupComparison,
        Report,
        ReportOptions,
        Selection,
        ShrinkageSection,
        Skipped,
        TestResult,
        add_falls,
        analyse,
    )
    from papertiger.analysis import attempts_table as attempts
    from papertiger.analysis import build_report as report
    from papertiger.errors import InputError, PapertigerError
    from papertiger.published import load_published, load_scores, read_scores_csv


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'papertiger' has no attribute {name!r}")
    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
