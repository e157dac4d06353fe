"""A realistic ShrinkageReport built by hand from the essay's AIME 2024 → 2025 table."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy import stats  # type: ignore[import-untyped]

from papertiger.analysis.results import (
    GroupComparison,
    Interval,
    PowerResult,
    ShrinkageReport,
    TestResult,
)

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
    frame["training_cutoff"] = "2024-10"
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


def tests_for(a: np.ndarray, b: np.ndarray) -> tuple[TestResult, ...]:
    """Real Welch and Mann-Whitney results, and a plausible permutation test."""
    n_a, n_b = len(a), len(b)
    welch = stats.ttest_ind(a, b, equal_var=False, alternative="less")
    welch2 = stats.ttest_ind(a, b, equal_var=False)
    mwu = stats.mannwhitneyu(a, b, alternative="less")
    rows = [
        ("Welch t", "less", welch.statistic, welch.pvalue, "Welch's t-test"),
        ("Welch t", "two-sided", welch2.statistic, welch2.pvalue, "Welch's t-test"),
        ("Mann-Whitney U", "less", mwu.statistic, mwu.pvalue, "exact"),
        ("Permutation", "two-sided", a.mean() - b.mean(), 0.0912, "exact, all 50388 splits"),
    ]
    return tuple(
        TestResult(name, "pct", alt, float(stat), float(p), how, n_a, n_b)  # type: ignore[arg-type]
        for name, alt, stat, p, how in rows
    )


def comparison_for(models: pd.DataFrame) -> GroupComparison:
    """Chinese vs Western on % fall."""
    a = models.loc[models["group"] == "Chinese", "pct_fall"].to_numpy()
    b = models.loc[models["group"] == "Western", "pct_fall"].to_numpy()
    diff = float(a.mean() - b.mean())
    n_a, n_b = len(a), len(b)
    return GroupComparison(
        metric="pct",
        group_by="origin",
        group_a="Chinese",
        group_b="Western",
        n_a=n_a,
        n_b=n_b,
        mean_a=float(a.mean()),
        mean_b=float(b.mean()),
        difference=Interval(diff, diff - 12.9, diff + 12.9, 0.95, "Welch t interval"),
        bootstrap=Interval(
            diff, diff - 11.8, diff + 9.4, 0.95, "percentile bootstrap, 10,000 resamples"
        ),
        hedges_g=-0.78,
        tests=tests_for(a, b),
        ancova=TestResult(
            "ANCOVA", "pct", "two-sided", -1.61, 0.127, "OLS: fall ~ group + old", n_a, n_b
        ),
        ancova_effect=Interval(
            -8.9, -20.6, 2.8, 0.95, "group coefficient, adjusting for old score"
        ),
        power=PowerResult(-0.78, 0.05, 0.39, 27.0, 0.8, "two-sample t, two-sided"),
        notes=("Welch's t is the pre-registered primary test.",),
    )


def multiverse_for(comparison: GroupComparison) -> pd.DataFrame:
    rows = []
    for metric, scale in (("pct", 1.0), ("pp", 0.6), ("logit", 0.04)):
        for subset, n_a, n_b in (("all", 7, 12), ("frontier (old ≥ 60)", 5, 8)):
            for test, alternative, p in (
                ("Welch t", "less", 0.045),
                ("Mann-Whitney U", "two-sided", 0.11),
            ):
                rows.append(
                    {
                        "metric": metric,
                        "subset": subset,
                        "n_a": n_a,
                        "n_b": n_b,
                        "difference": comparison.difference.estimate * scale,
                        "test": test,
                        "alternative": alternative,
                        "p_value": p * (1.3 if n_a == 5 else 1),
                    }
                )
    return pd.DataFrame(rows)


def build_report(rows: list[tuple[str, str, float, float]]) -> ShrinkageReport:
    models = models_frame(rows)
    comparison = comparison_for(models)
    return ShrinkageReport(
        title="AIME 2024 vs 2025: shrinkage by lab origin",
        source="Artificial Analysis harness (published scores, as quoted in the essay)",
        old_label="AIME 2024",
        fresh_label="AIME 2025",
        metric="pct",
        group_by="origin",
        models=models,
        groups=groups_frame(models),
        comparison=comparison,
        multiverse=multiverse_for(comparison),
        notes=(
            "Falls are fresh − old: negative means the model did worse on the fresh version.",
            "Humans did about 4% better on AIME 2025 than on AIME 2024.",
        ),
    )


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
def make_report() -> Callable[[Rows], ShrinkageReport]:
    """Build a full report (falls, groups, comparison, multiverse) from rows."""
    return build_report


@pytest.fixture(scope="session")
def evil_name() -> str:
    return EVIL_NAME


@pytest.fixture
def report() -> ShrinkageReport:
    """The essay's 19 models, Chinese vs Western."""
    return build_report(essay_rows())


@pytest.fixture
def evil_report() -> ShrinkageReport:
    """The essay's models plus one whose name is an XSS attempt; hostile notes too."""
    built = build_report([*essay_rows(), (EVIL_NAME, "Western", 50.0, 40.0)])
    return dataclasses.replace(built, notes=(*built.notes, f"note {EVIL_NAME}"))
