"""Published model-level score tables: the embedded AIME table and user CSV files.

The output shape is one row per model with `model`, `old`, `fresh` (scores in percent)
and metadata columns (`group`, `lab`, `lineage`, `released`, `training_cutoff`, ...).
"""

from papertiger.published.embedded import (
    EMBEDDED_NAME,
    embedded_metadata,
    embedded_scores,
)
from papertiger.published.groups import KNOWN_GROUPS, normalise_group
from papertiger.published.harnesses import load_harness_tables
from papertiger.published.scores import (
    ScoreTable,
    load_published,
    load_scores,
    read_scores_csv,
)

__all__ = [
    "EMBEDDED_NAME",
    "KNOWN_GROUPS",
    "ScoreTable",
    "embedded_metadata",
    "embedded_scores",
    "load_harness_tables",
    "load_published",
    "load_scores",
    "normalise_group",
    "read_scores_csv",
]
