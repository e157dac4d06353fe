"""papertiger: is that benchmark score real?

Notebook use::

    import papertiger
    scores = papertiger.load_published()            # the essay's AIME table, a DataFrame
    report = papertiger.analyse(papertiger.load_scores())
    report.models, report.groups, report.multiverse  # DataFrames

The CLI (`papertiger ...`) is a thin shell over these same functions.
"""

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

__version__ = "0.1.0"

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
