"""The embedded default: the essay's AIME 2024 vs 2025 table (Artificial Analysis harness),
and the other published tables shipped beside it (GAIR, Vals AI).

Scores were transcribed from `paper-ai-tigers.md` (AA) and from the published GAIR and Vals
tables; model metadata was researched and each row cites its sources (see
`data/SOURCES.md`). `source_kind` says whether a row is the harness's own run or a figure
the developer reported.
"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

EMBEDDED_NAME = "embedded: essay 'Paper AI Tigers', AIME 2024 vs 2025 (Artificial Analysis)"
_FILE = "aime_aa.csv"
# Columns that describe one table's row (its scores' origin), not the model: never merged
# into another table by model name.
ROW_COLUMNS = ("aime2024", "aime2025", "source_scores", "source_kind")


@functools.cache
def _cached(file: str) -> pd.DataFrame:
    ref = resources.files("papertiger.published").joinpath("data", file)
    with ref.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def _read(file: str = _FILE) -> pd.DataFrame:
    return _cached(file).copy()


def published_scores(file: str) -> pd.DataFrame:
    """A shipped table (`aime_aa.csv`, `aime_gair.csv`, `aime_vals.csv`): model, old
    (AIME 2024), fresh (AIME 2025) and metadata."""
    frame = _read(file)
    frame = frame.rename(columns={"aime2024": "old", "aime2025": "fresh"})
    frame["old"] = frame["old"].astype(float)
    frame["fresh"] = frame["fresh"].astype(float)
    return frame.replace({"": None})


def embedded_scores() -> pd.DataFrame:
    """The essay's table: model, old (AIME 2024), fresh (AIME 2025) and metadata."""
    return published_scores(_FILE)


def published_metadata(file: str) -> pd.DataFrame:
    """Model metadata only (no scores, nothing about the row's origin) of a shipped table."""
    frame = _read(file).drop(columns=list(ROW_COLUMNS), errors="ignore")
    return frame.replace({"": None})


def embedded_metadata() -> pd.DataFrame:
    """Model metadata only (no scores), for merging into user tables by model name."""
    return published_metadata(_FILE)


SELF_REPORT_KINDS = ("self-report", "self-reported", "developer", "vendor", "developer self-report",
                     "vendor self-report")


def is_self_report(value: object) -> bool:
    """Whether a `source_kind` value marks a developer's (vendor's) own figure, not a harness run."""
    return isinstance(value, str) and value.strip().lower() in SELF_REPORT_KINDS
