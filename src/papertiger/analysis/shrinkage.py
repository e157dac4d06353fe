"""The shrinkage analysis: per-model falls, group means, the group comparison, multiverse."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from papertiger.analysis.compare import compare_groups
from papertiger.analysis.falls import add_falls, group_order, summarise_groups
from papertiger.analysis.multiverse import multiverse, standard_subsets
from papertiger.analysis.results import METRIC_COLUMNS, GroupComparison, ShrinkageReport
from papertiger.analysis.subsets import Selection, select
from papertiger.errors import ConfigError
from papertiger.published import ScoreTable

FRESH_AIME_2025 = dt.date(2025, 2, 6)


@dataclass(frozen=True)
class ReportOptions:
    """How to analyse a score table; the CLI flags map one to one onto these fields."""

    metric: str = "pct"
    group_by: str = "group"
    compare: tuple[str, str] | None = None
    selection: Selection = field(default_factory=Selection)
    fresh_released: dt.date | None = FRESH_AIME_2025
    seed: int = 0


def _pair(frame: pd.DataFrame, options: ReportOptions, order: list[str]) -> tuple[str, str] | None:
    if options.compare is not None:
        missing = [g for g in options.compare if g not in order]
        if missing:
            raise ConfigError(
                f"--compare: no group {missing[0]!r} in column {options.group_by!r} "
                f"(groups: {', '.join(order)})"
            )
        return options.compare
    if len(order) == 2:
        return order[0], order[1]
    return None


def analyse(table: ScoreTable, options: ReportOptions | None = None) -> ShrinkageReport:
    """Run the whole shrinkage analysis on a model-level score table."""
    options = options or ReportOptions()
    if options.metric not in METRIC_COLUMNS:
        raise ConfigError(f"--metric must be one of {', '.join(METRIC_COLUMNS)}")
    if table.frame.empty:
        why = "; ".join(table.notes)
        raise ConfigError(f"{table.source}: no model has scores on both sets" + (f" ({why})" if why else ""))
    frame = add_falls(table.frame)
    if options.group_by not in frame.columns:
        raise ConfigError(
            f"--group-by: no column {options.group_by!r} "
            f"(columns: {', '.join(c for c in frame.columns if c not in METRIC_COLUMNS.values())})"
        )
    notes = list(table.notes)
    unknown = frame[options.group_by].isna()
    if unknown.any():
        names = ", ".join(frame.loc[unknown, "model"].astype(str))
        notes.append(f"{int(unknown.sum())} models without a {options.group_by} left out: {names}")
        frame = frame[~unknown]
    frame[options.group_by] = frame[options.group_by].astype(str)
    selected = select(frame, options.selection, options.group_by)
    notes.extend(selected.notes)
    models = selected.frame
    order = group_order(models, options.group_by)
    pair = _pair(models, options, order)
    comparison = _comparison(models, options, pair, notes)
    verse = (
        multiverse(
            frame, options.group_by, pair, standard_subsets(options.selection, options.fresh_released)
        )
        if pair
        else pd.DataFrame()
    )
    notes.extend(_floor_warnings(models))
    return ShrinkageReport(
        title=f"{table.old_label} → {table.fresh_label}: how far do scores fall?",
        source=table.source,
        old_label=table.old_label,
        fresh_label=table.fresh_label,
        metric=options.metric,
        group_by=options.group_by,
        models=_sorted(models, options.group_by, order),
        groups=summarise_groups(models, options.group_by, order),
        comparison=comparison,
        multiverse=verse,
        notes=tuple(notes),
    )


def _comparison(
    models: pd.DataFrame,
    options: ReportOptions,
    pair: tuple[str, str] | None,
    notes: list[str],
) -> GroupComparison | None:
    if pair is None:
        notes.append(
            "no group comparison: it needs exactly two groups (use --compare A,B to pick two)"
        )
        return None
    try:
        return compare_groups(models, options.metric, options.group_by, pair, seed=options.seed)
    except ValueError as exc:
        notes.append(f"no group comparison: {exc}")
        return None


def _sorted(models: pd.DataFrame, group_by: str, order: list[str]) -> pd.DataFrame:
    rank = {g: i for i, g in enumerate(order)}
    key = models[group_by].map(rank)
    return models.assign(_rank=key).sort_values(["_rank"], kind="stable").drop(columns="_rank")


def _floor_warnings(models: pd.DataFrame) -> list[str]:
    low = models[models["old"].astype(float) < 25]
    if low.empty:
        return []
    names = ", ".join(low["model"].astype(str))
    return [
        f"old score below 25 for {names}: % fall is dominated by the floor there "
        "(15 → 6 is −60 %); compare with --metric pp or logit"
    ]
