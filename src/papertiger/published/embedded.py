"""The embedded default: the essay's AIME 2024 vs 2025 table (Artificial Analysis harness).

Scores were transcribed from `paper-ai-tigers.md`; model metadata was researched and each
row cites its sources (see `data/SOURCES.md`).
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

EMBEDDED_NAME = "embedded: essay 'Paper AI Tigers', AIME 2024 vs 2025 (Artificial Analysis)"
_FILE = "aime_aa.csv"


def _read() -> pd.DataFrame:
    ref = resources.files("papertiger.published").joinpath("data", _FILE)
    with ref.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def embedded_scores() -> pd.DataFrame:
    """The essay's table: model, old (AIME 2024), fresh (AIME 2025) and metadata."""
    frame = _read()
    frame = frame.rename(columns={"aime2024": "old", "aime2025": "fresh"})
    frame["old"] = frame["old"].astype(float)
    frame["fresh"] = frame["fresh"].astype(float)
    return frame.replace({"": None})


def embedded_metadata() -> pd.DataFrame:
    """Model metadata only (no scores), for merging into user tables by model name."""
    frame = _read().drop(columns=["aime2024", "aime2025", "source_scores"], errors="ignore")
    return frame.replace({"": None})
