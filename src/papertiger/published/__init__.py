"""Published model-level score tables: the embedded AIME table, the other shipped harness
tables (GAIR, Vals AI), the alias table that matches models across them, and user CSVs.

The output shape is one row per model with `model`, `old`, `fresh` (scores in percent)
and metadata columns (`group`, `lab`, `lineage`, `released`, `training_cutoff`,
`source_kind`, ...).
"""

from papertiger.published.aliases import AliasRow, AliasTable, load_aliases, normalise_name
from papertiger.published.embedded import (
    EMBEDDED_NAME,
    SELF_REPORT_KINDS,
    embedded_metadata,
    embedded_scores,
    is_self_report,
    published_metadata,
    published_scores,
)
from papertiger.published.groups import KNOWN_GROUPS, normalise_group
from papertiger.published.harnesses import (
    ESSAY_DATE,
    PUBLISHED_TABLES,
    PublishedTable,
    load_harness_tables,
    published_table,
)
from papertiger.published.scores import (
    ScoreTable,
    load_published,
    load_scores,
    read_scores_csv,
)

__all__ = [
    "EMBEDDED_NAME",
    "ESSAY_DATE",
    "KNOWN_GROUPS",
    "PUBLISHED_TABLES",
    "SELF_REPORT_KINDS",
    "AliasRow",
    "AliasTable",
    "PublishedTable",
    "ScoreTable",
    "embedded_metadata",
    "embedded_scores",
    "is_self_report",
    "load_aliases",
    "load_harness_tables",
    "load_published",
    "load_scores",
    "normalise_group",
    "normalise_name",
    "published_metadata",
    "published_scores",
    "published_table",
    "read_scores_csv",
]
