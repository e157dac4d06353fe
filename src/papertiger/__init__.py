"""papertiger: is that benchmark score real?

Notebook use::

    import papertiger
    scores = papertiger.load_published()            # the essay's AIME table, a DataFrame
    report = papertiger.analyse(papertiger.load_scores())
    report.models, report.groups, report.multiverse  # DataFrames

The CLI (`papertiger ...`) is a thin shell over these same functions. Names are imported
lazily, so `import papertiger.store` does not pay for scipy and statsmodels.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "GroupComparison": "papertiger.analysis",
    "InputError": "papertiger.errors",
    "PapertigerError": "papertiger.errors",
    "ReportOptions": "papertiger.analysis",
    "Selection": "papertiger.analysis",
    "ShrinkageReport": "papertiger.analysis",
    "TestResult": "papertiger.analysis",
    "add_falls": "papertiger.analysis",
    "analyse": "papertiger.analysis",
    "load_published": "papertiger.published",
    "load_scores": "papertiger.published",
    "read_scores_csv": "papertiger.published",
}

__all__ = [
    "GroupComparison",
    "InputError",
    "PapertigerError",
    "ReportOptions",
    "Selection",
    "ShrinkageReport",
    "TestResult",
    "__version__",
    "add_falls",
    "analyse",
    "load_published",
    "load_scores",
    "read_scores_csv",
]

if TYPE_CHECKING:
    from papertiger.analysis import (
        GroupComparison,
        ReportOptions,
        Selection,
        ShrinkageReport,
        TestResult,
        add_falls,
        analyse,
    )
    from papertiger.errors import InputError, PapertigerError
    from papertiger.published import load_published, load_scores, read_scores_csv


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'papertiger' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
