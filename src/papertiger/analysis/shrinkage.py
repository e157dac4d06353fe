"""The shrinkage analysis of one pair of forms: per-model falls, group means, the group
comparison and the multiverse, as one typed `ShrinkageSection`."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from papertiger.analysis.compare import compare_groups
from papertiger.analysis.falls import FALL_COLUMNS, add_falls, group_order, summarise_groups
from papertiger.analysis.freshness import freshness
from papertiger.analysis.multiverse import multiverse, standard_subsets
from papertiger.analysis.results import (
    METRIC_COLUMNS,
    GroupComparison,
    GroupRow,
    Interval,
    ModelRow,
    ShrinkageSection,
    Skipped,
)
from papertiger.analysis.subsets import Selection, select
from papertiger.errors import ConfigError
from papertiger.published import ScoreTable

FRESH_AIME_2025 = dt.date(2025, 2, 6)
_ROW_FIELDS = {"model", "old", "fresh", *FALL_COLUMNS, "errors", "verdict", "verdict_super"}
_CI = tuple(f"{c}{k}_{e}" for c in ("pp_fall", "pct_fall") for k in ("", "_fixed")
            for e in ("low", "high"))


@dataclass(frozen=True)
class ReportOptions:
    """How to analyse; the CLI flags map one to one onto these fields.

    `fresh_released` is the later form's release date for a score table (a store's forms
    carry their own dates).
    """

    metric: str = "pct"
    group_by: str = "group"
    compare: tuple[str, str] | None = None
    selection: Selection = field(default_factory=Selection)
    fresh_released: dt.date | None = FRESH_AIME_2025
    seed: int = 0
    # Further sections (see analysis/sections):
    n_boot: int = 2000
    alpha: float = 0.05
    anchor: str = "equal-means"  # Rasch anchor: equal-means | reference
    reference_models: tuple[str, ...] = ()  # clean models (Rasch anchor, ConStat references)
    reference_group: str | None = None  # ... or every model of this group
    reference_before: dt.date | None = None  # ... or every model with a cutoff before this
    effect_size: float | None = None  # power for this stated effect, not only the observed
    humans: str | None = None  # per-form human score statistics (CSV)
    topics: str | None = None  # per-item topic labels (CSV)
    cost_reference: str | None = None  # the model the effective discount is relative to
    exclude_flagged: bool = False  # leave out items flagged as near-duplicates
    transcripts: bool = True  # the HTML attempt browser shows model answers
    aliases: str | None = None  # user alias file (CSV: canonical, alias, source, note)


def _pair(options: ReportOptions, order: list[str]) -> tuple[str, str] | None:
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


def _check(table: ScoreTable, options: ReportOptions) -> pd.DataFrame:
    if options.metric not in METRIC_COLUMNS:
        raise ConfigError(f"--metric must be one of {', '.join(METRIC_COLUMNS)}")
    if table.frame.empty:
        why = "; ".join(table.notes)
        raise ConfigError(
            f"{table.source}: no model has scores on both forms" + (f" ({why})" if why else "")
        )
    frame = add_falls(table.frame)
    if options.group_by not in frame.columns:
        raise ConfigError(
            f"--group-by: no column {options.group_by!r} "
            f"(columns: {', '.join(c for c in frame.columns if c not in METRIC_COLUMNS.values())})"
        )
    return frame


def analyse(table: ScoreTable, options: ReportOptions | None = None) -> ShrinkageSection:
    """The whole shrinkage analysis of a model-level score table (one pair of forms)."""
    options = options or ReportOptions()
    frame = _check(table, options)
    notes = list(table.notes)
    unknown = frame[options.group_by].isna()
    if unknown.any():
        names = ", ".join(frame.loc[unknown, "model"].astype(str))
        notes.append(f"{int(unknown.sum())} models without a {options.group_by} left out: {names}")
        frame = frame[~unknown]
    frame = frame.assign(**{options.group_by: frame[options.group_by].astype(str)})
    selected = select(frame, options.selection, options.group_by)
    notes.extend(selected.notes)
    models = selected.frame
    order = group_order(models, options.group_by)
    pair = _pair(options, order)
    comparison = _comparison(models, options, pair, order)
    subsets = standard_subsets(options.selection, options.fresh_released)
    verse = (
        multiverse(frame, options.group_by, pair, subsets)
        if pair
        else Skipped("multiverse", "it needs exactly two groups (use --compare A,B)")
    )
    notes.extend(_floor_warnings(models))
    rows = tuple(
        _model_row(r, options) for r in _sorted(models, options.group_by, order).to_dict("records")
    )
    return ShrinkageSection(
        old_label=table.old_label,
        fresh_label=table.fresh_label,
        fresh_released=options.fresh_released,
        group_by=options.group_by,
        metric=options.metric,
        models=rows,
        groups=_group_rows(summarise_groups(models, options.group_by, order)),
        comparison=comparison,
        multiverse=verse,
        notes=tuple(notes),
    )


def _float(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _interval(
    record: Mapping[Hashable, Any], column: str, kind: str = ""
) -> Interval | None:
    low, high = record.get(f"{column}{kind}_low"), record.get(f"{column}{kind}_high")
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return None
    method = ("fixed forms: sampling noise of these items" if kind
              else "super-population: items resampled within each form")
    return Interval(_float(record[column]), float(low), float(high), method=method)


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _model_row(record: Mapping[Hashable, Any], options: ReportOptions) -> ModelRow:
    verdict, basis = freshness(
        options.fresh_released, record.get("training_cutoff"), record.get("released")
    )
    meta = {
        str(k): (None if not isinstance(v, str) and pd.isna(v) else v)
        for k, v in record.items()
        if k not in _ROW_FIELDS and k not in _CI and k != options.group_by
    }
    errors = record.get("errors")
    return ModelRow(
        model=str(record["model"]),
        group=str(record[options.group_by]),
        old=_float(record["old"]),
        fresh=_float(record["fresh"]),
        pp_fall=_float(record["pp_fall"]),
        pct_fall=_float(record["pct_fall"]),
        logit_fall=_float(record["logit_fall"]),
        freshness=verdict,
        freshness_basis=basis,
        pp_ci=_interval(record, "pp_fall"),
        pct_ci=_interval(record, "pct_fall"),
        pp_ci_fixed=_interval(record, "pp_fall", "_fixed"),
        pct_ci_fixed=_interval(record, "pct_fall", "_fixed"),
        verdict=_text(record.get("verdict")),
        verdict_super=_text(record.get("verdict_super")),
        errors=0 if errors is None or pd.isna(errors) else int(errors),
        meta=meta,
    )


def _group_rows(groups: pd.DataFrame) -> tuple[GroupRow, ...]:
    return tuple(
        GroupRow(
            group=str(g["group"]),
            n=int(g["n"]),
            old=_float(g["old"]),
            fresh=_float(g["fresh"]),
            pp_fall=_float(g["pp_fall"]),
            pct_fall=_float(g["pct_fall"]),
            logit_fall=_float(g["logit_fall"]),
            overall=i == len(groups) - 1,
        )
        for i, g in enumerate(groups.to_dict("records"))
    )


def _comparison(
    models: pd.DataFrame, options: ReportOptions, pair: tuple[str, str] | None, order: list[str]
) -> GroupComparison | Skipped:
    if len(order) < 2:
        have = f"only {order[0]}" if order else "no model"
        return Skipped(
            "group comparison", f"{have} in this selection: a comparison needs two groups"
        )
    if pair is None:
        return Skipped(
            "group comparison", "it needs exactly two groups (use --compare A,B to pick two)"
        )
    try:
        return compare_groups(models, options.metric, options.group_by, pair, seed=options.seed)
    except ValueError as exc:
        return Skipped("group comparison", str(exc))


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
