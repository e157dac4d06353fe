"""A realistic Report: the real analysis of the essay's AIME 2024 → 2025 table."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from papertiger.analysis import ReportOptions, analyse
from papertiger.analysis.results import Report, Skipped
from papertiger.published import ScoreTable

EVIL_NAME = '<script>alert(1)</script> & "x"'

ESSAY: dict[str, list[tuple[str, float, float]]] = {
    "Chinese": [
        ("Kimi K2", 69.3, 57.0),
        ("MiniMax-M1 80k", 84.7, 61.0),
        ("DeepSeek-v3", 39.2, 26.0),
        ("DeepSeek V3 0324", 52.0, 41.0),
        ("Qwen3 235B (Reasoning)", 84.0, 82.0),
        ("Kimi K2-Instruct", 69.6, 49.5),
        ("DeepSeek R1 0528", 89.3, 76.0),
    ],
    "Western": [
        ("Gemini-2.5 Pro", 88.7, 87.7),
        ("Gemini 2.5 Flash (Reasoning)", 82.3, 73.3),
        ("Claude 4 Opus Thinking", 75.7, 73.3),
        ("o4-mini (high)", 94.0, 90.7),
        ("GPT-4.1", 43.7, 34.7),
        ("Nova Premier", 17.0, 17.3),
        ("GPT-4o Nov 24", 15.0, 6.0),
        ("Magistral Medium", 73.6, 64.9),
        ("Claude 3.7 Sonnet", 61.3, 56.3),
        ("OpenAI-o1-0912", 74.4, 71.5),
        ("o3", 90.3, 88.3),
        ("Grok 4", 94.3, 92.7),
    ],
}
FALLS = ["pp_fall", "pct_fall", "logit_fall"]


def _logit(score: pd.Series) -> pd.Series:
    p = (score / 100).clip(0.005, 0.995)
    return pd.Series(np.log(p / (1 - p)), index=score.index)


def models_frame(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """Per-model frame with falls (fresh − old) and a plausible ±CI for pp and % fall."""
    frame = pd.DataFrame(rows, columns=["model", "group", "old", "fresh"])
    frame["pp_fall"] = frame["fresh"] - frame["old"]
    frame["pct_fall"] = 100 * frame["pp_fall"] / frame["old"]
    frame["logit_fall"] = _logit(frame["fresh"]) - _logit(frame["old"])
    frame["lab"] = frame["model"].str.split().str[0]
    frame["training_cutoff"] = "2024-10-01"
    half = 9.0  # about one 30-item AIME's worth of binomial noise, in pp
    frame["pp_fall_low"] = (frame["pp_fall"] - half).clip(lower=-frame["old"])
    frame["pp_fall_high"] = (frame["pp_fall"] + half).clip(upper=100 - frame["old"])
    frame["pct_fall_low"] = 100 * frame["pp_fall_low"] / frame["old"]
    frame["pct_fall_high"] = 100 * frame["pp_fall_high"] / frame["old"]
    return frame


def groups_frame(models: pd.DataFrame) -> pd.DataFrame:
    """Per-group plain means plus the final Overall row."""
    columns = ["old", "fresh", *FALLS]
    per_group = models.groupby("group", sort=False)[columns].mean().reset_index()
    per_group.insert(1, "n", models.groupby("group", sort=False).size().to_numpy())
    overall = pd.DataFrame([{"group": "Overall", "n": len(models), **models[columns].mean()}])
    return pd.concat([per_group, overall], ignore_index=True)


def score_table(rows: list[tuple[str, str, float, float]], ci: bool = True) -> ScoreTable:
    """A score table of these rows, with plausible ±9 pp intervals on the falls when `ci`."""
    frame = models_frame(rows)
    if not ci:
        frame = frame.drop(columns=[c for c in frame.columns if c.endswith(("_low", "_high"))])
    frame = frame.drop(columns=FALLS)
    return ScoreTable(frame, "Artificial Analysis harness (published scores, as quoted in the essay)",
                      "AIME 2024", "AIME 2025")


NOTES = (
    "Falls are fresh − old: negative means the model did worse on the fresh version.",
    "Humans did about 4% better on AIME 2025 than on AIME 2024.",
)


def build_report(
    rows: list[tuple[str, str, float, float]], ci: bool = True, notes: tuple[str, ...] = NOTES
) -> Report:
    """The real analysis of these rows (tests, multiverse, groups), as a one-section Report."""
    section = analyse(score_table(rows, ci), ReportOptions(seed=0))
    section = dataclasses.replace(section, notes=(*section.notes, *notes))
    return Report(
        title="AIME 2024 vs 2025: shrinkage by lab origin",
        source=section_source(),
        group_by="group",
        metric="pct",
        sections=(section,),
        metrics=Skipped("item-level metrics", "published scores are aggregates"),
    )


def section_source() -> str:
    return "Artificial Analysis harness (published scores, as quoted in the essay)"


def essay_rows() -> list[tuple[str, str, float, float]]:
    return [
        (name, group, old, fresh) for group, items in ESSAY.items() for name, old, fresh in items
    ]


Rows = list[tuple[str, str, float, float]]


@pytest.fixture(scope="session")
def essay() -> Rows:
    """(model, group, old, fresh) for the essay's 19 models."""
    return essay_rows()


@pytest.fixture(scope="session")
def make_report() -> Callable[..., Report]:
    """Build a full report (falls, groups, comparison, multiverse) from rows."""
    return build_report


@pytest.fixture(scope="session")
def evil_name() -> str:
    return EVIL_NAME


@pytest.fixture(scope="session")
def report() -> Report:
    """The essay's 19 models, Chinese vs Western."""
    return build_report(essay_rows())


@pytest.fixture(scope="session")
def evil_report() -> Report:
    """The essay's models plus one whose name is an XSS attempt; hostile notes too."""
    built = build_report([*essay_rows(), (EVIL_NAME, "Western", 50.0, 40.0)])
    return dataclasses.replace(built, notes=(*built.notes, f"note {EVIL_NAME}"))
