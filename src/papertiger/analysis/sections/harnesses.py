"""The harnesses section: the group gap in each harness side by side, and pooled.

Per harness h (one score table each) the gap g_h = mean(A) − mean(B) of the report's fall
metric with its Welch SE and interval (`meta.harness_gap`), then a random-effects pool
(statsmodels `combine_effects`; Paule–Mandel and DerSimonian–Laird τ², the Hartung–Knapp
interval as the headline) with Q, τ² and I² (STATISTICS.md §6). Models are matched across
harnesses through the alias table, so the section says how many are shared and where a
harness's model set differs; freshness says how many of each harness's models were
released after the fresh form (and could have seen it). Harnesses share models, so the
pool summarises them rather than counting independent replications.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pandas as pd

from papertiger.analysis import stats
from papertiger.analysis.falls import add_falls, group_order
from papertiger.analysis.meta import HarnessGap, MetaAnalysis, harness_gap, pool_harnesses
from papertiger.analysis.results import METRIC_COLUMNS, METRIC_LABELS, Interval, Skipped
from papertiger.analysis.sections.base import SectionInput, register_builder
from papertiger.analysis.subsets import select
from papertiger.published import AliasTable, ScoreTable, is_self_report, load_aliases

if TYPE_CHECKING:
    from papertiger.analysis.shrinkage import ReportOptions

__all__ = [
    "HarnessRow",
    "HarnessSection",
    "SharedModel",
    "build_harnesses",
    "harness_frame",
    "report_aliases",
    "table_options",
]

SECTION = "harnesses"


@dataclass(frozen=True)
class HarnessRow:
    """One harness: its group gap (None with `reason` when it cannot be computed), its
    model set and its freshness."""

    harness: str
    source: str
    old_label: str
    fresh_label: str
    n_models: int
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    gap: Interval | None
    se: float | None
    p_welch: float | None
    released_after: int
    no_release: int
    no_cutoff: int
    latest_release: str | None
    as_of: str | None
    self_reports: int
    shared: int
    only_here: int
    reason: str | None = None


@dataclass(frozen=True)
class SharedModel:
    """A model in several harnesses: each harness's name for it and its fall there."""

    canonical: str
    harnesses: tuple[str, ...]
    names: tuple[str, ...]
    falls: tuple[float, ...]

    @property
    def spread(self) -> float:
        """Largest minus smallest fall across its harnesses (metric units)."""
        finite = [f for f in self.falls if math.isfinite(f)]
        return max(finite) - min(finite) if len(finite) > 1 else math.nan


@dataclass(frozen=True)
class HarnessSection:
    """Each harness's gap beside the pooled rows, the shared models and the freshness."""

    metric: str
    group_by: str
    group_a: str
    group_b: str
    level: float
    fresh_released: dt.date | None
    rows: tuple[HarnessRow, ...]
    pooled: tuple[MetaAnalysis, ...]
    pooled_reason: str | None
    shared: tuple[SharedModel, ...]
    overlap: tuple[tuple[int, ...], ...]
    notes: tuple[str, ...] = ()

    @property
    def metric_label(self) -> str:
        return METRIC_LABELS.get(self.metric, self.metric)

    @property
    def headline(self) -> MetaAnalysis | None:
        """The Paule–Mandel pool (the default), if any."""
        return self.pooled[0] if self.pooled else None

    def to_frame(self) -> pd.DataFrame:
        """One row per harness, then one per pooled estimate (Hartung–Knapp interval)."""
        records: list[dict[str, object]] = []
        for r in self.rows:
            records.append({
                "harness": r.harness, "n_models": r.n_models, "n_a": r.n_a, "n_b": r.n_b,
                "mean_a": r.mean_a, "mean_b": r.mean_b,
                "gap": r.gap.estimate if r.gap else None, "low": r.gap.low if r.gap else None,
                "high": r.gap.high if r.gap else None, "se": r.se, "p_welch": r.p_welch,
                "released_after_fresh": r.released_after, "no_cutoff": r.no_cutoff,
                "latest_release": r.latest_release, "as_of": r.as_of,
                "self_reports": r.self_reports, "shared": r.shared, "only_here": r.only_here,
                "weight": None, "reason": r.reason,
            })
        for pool in self.pooled:
            weights = dict(zip([row.harness for row in pool.rows], pool.weights, strict=True))
            for rec in records:
                if pool is self.pooled[0] and rec["harness"] in weights:
                    rec["weight"] = weights[str(rec["harness"])]
            hk = pool.hartung_knapp
            records.append({
                "harness": f"pooled ({pool.method}, Hartung–Knapp)", "n_models": None,
                "gap": hk.estimate, "low": hk.low, "high": hk.high,
                "se": pool.se_hartung_knapp, "p_welch": pool.p_hartung_knapp,
                "tau2": pool.tau2, "i2": pool.i2, "q": pool.q, "q_p": pool.q_p, "k": pool.k,
            })
        return pd.DataFrame(records)

    def shared_frame(self) -> pd.DataFrame:
        """One row per shared model × harness: the name there and the fall."""
        return pd.DataFrame([
            {"canonical": s.canonical, "harness": h, "model": n, "fall": f}
            for s in self.shared for h, n, f in zip(s.harnesses, s.names, s.falls, strict=True)
        ])


def report_aliases(options: ReportOptions) -> AliasTable:
    """The packaged alias table, with the user's file when the options name one."""
    return load_aliases(getattr(options, "aliases", None))


def table_options(table: ScoreTable, options: ReportOptions,
                  aliases: AliasTable | None = None) -> ReportOptions:
    """The options for one harness's table: `--exclude` names matched through the aliases
    and kept only where this table has them (another harness simply lacks the model)."""
    aliases = aliases or report_aliases(options)
    if not options.selection.exclude:
        return options
    wanted = {aliases.canonical(n) for n in options.selection.exclude}
    here = tuple(n for n in table.frame["model"].astype(str) if aliases.canonical(n) in wanted)
    return replace(options, selection=replace(options.selection, exclude=here))


def harness_frame(table: ScoreTable, options: ReportOptions, aliases: AliasTable
                  ) -> tuple[pd.DataFrame, list[str]]:
    """A table's models with falls, after the report's selection (see `table_options`)."""
    frame = add_falls(table.frame)
    frame = frame[frame[options.group_by].notna()] if options.group_by in frame.columns else frame
    picked = select(frame.reset_index(drop=True), table_options(table, options, aliases).selection,
                    options.group_by)
    return picked.frame, list(picked.notes)


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _column(frame: pd.DataFrame, name: str) -> list[object]:
    return list(frame[name]) if name in frame.columns else [None] * len(frame)


def _pair(frames: dict[str, pd.DataFrame], options: ReportOptions) -> tuple[str, str] | str:
    present = pd.concat([f[[options.group_by]] for f in frames.values() if options.group_by in f.columns],
                        ignore_index=True) if frames else pd.DataFrame()
    if present.empty:
        return f"no table has a {options.group_by!r} column"
    order = group_order(present.astype(str), options.group_by)
    if options.compare is not None:
        missing = [g for g in options.compare if g not in order]
        if missing:
            return f"--compare: no group {missing[0]!r} in any harness (groups: {', '.join(order)})"
        return options.compare
    if len(order) != 2:
        return f"it needs exactly two groups in {options.group_by!r}, found {len(order)} (use --compare A,B)"
    return order[0], order[1]


def _row(table: ScoreTable, frame: pd.DataFrame, pair: tuple[str, str], options: ReportOptions,
         shared: int) -> HarnessRow:
    name = table.harness or table.source
    column = METRIC_COLUMNS[options.metric]
    groups = frame[options.group_by].astype(str) if options.group_by in frame.columns else pd.Series([], dtype=str)
    values = frame[column].astype(float)
    a = values[(groups == pair[0]).to_numpy()].dropna().to_numpy()
    b = values[(groups == pair[1]).to_numpy()].dropna().to_numpy()
    released = [_date(v) for v in _column(frame, "released")]
    fresh = options.fresh_released
    known = [d for d in released if d is not None]
    gap: Interval | None = None
    se: float | None = None
    p: float | None = None
    reason: str | None = None
    try:
        if a.size < 2 or b.size < 2:
            raise ValueError(f"{pair[0]} has {a.size} models and {pair[1]} {b.size}; each needs 2")
        se = harness_gap(a, b, name).se
        gap = stats.welch_diff_ci(a, b, level=1.0 - options.alpha)
        p = float(stats.welch_t(a, b, "two-sided", options.metric).p_value)
    except ValueError as exc:
        gap, se, p, reason = None, None, None, str(exc)
    return HarnessRow(
        harness=name, source=table.source, old_label=table.old_label,
        fresh_label=table.fresh_label, n_models=len(frame), n_a=int(a.size), n_b=int(b.size),
        mean_a=float(a.mean()) if a.size else math.nan,
        mean_b=float(b.mean()) if b.size else math.nan, gap=gap, se=se, p_welch=p,
        released_after=sum(1 for d in known if fresh is not None and d >= fresh),
        no_release=len(released) - len(known),
        no_cutoff=sum(1 for v in _column(frame, "training_cutoff") if _date(v) is None),
        latest_release=max(known).isoformat() if known else None, as_of=table.as_of,
        self_reports=sum(1 for v in _column(frame, "source_kind") if is_self_report(v)),
        shared=shared, only_here=len(frame) - shared, reason=reason,
    )


def _shared(frames: dict[str, pd.DataFrame], metric: str, aliases: AliasTable
            ) -> tuple[tuple[SharedModel, ...], dict[str, int], tuple[tuple[int, ...], ...]]:
    column = METRIC_COLUMNS[metric]
    seen: dict[str, list[tuple[str, str, float]]] = {}
    canon: dict[str, set[str]] = {}
    for harness, frame in frames.items():
        canon[harness] = set()
        for name, fall in zip(frame["model"].astype(str), frame[column].astype(float), strict=True):
            key = aliases.canonical(name)
            canon[harness].add(key)
            seen.setdefault(key, []).append((harness, name, float(fall)))
    shared = tuple(
        SharedModel(key, tuple(h for h, _, _ in entries), tuple(n for _, n, _ in entries),
                    tuple(f for _, _, f in entries))
        for key, entries in seen.items() if len({h for h, _, _ in entries}) > 1)
    keys = {s.canonical for s in shared}
    counts = {h: sum(1 for n in frames[h]["model"].astype(str) if aliases.canonical(n) in keys)
              for h in frames}
    names = list(frames)
    overlap = tuple(tuple(len(canon[x] & canon[y]) for y in names) for x in names)
    return shared, counts, overlap


def _pool(rows: list[HarnessRow], level: float) -> tuple[tuple[MetaAnalysis, ...], str | None]:
    usable = [r for r in rows if r.gap is not None and r.se is not None and r.se > 0]
    if len(usable) < 2:
        return (), f"pooling needs at least 2 harnesses with a gap, have {len(usable)}"
    gaps = [HarnessGap(r.harness, r.gap.estimate, r.se, r.n_a, r.n_b)
            for r in usable if r.gap is not None and r.se is not None]
    return tuple(pool_harnesses(gaps, method=m, level=level) for m in ("pm", "dl")), None


def build_harnesses(inputs: SectionInput) -> HarnessSection | Skipped | None:
    """The harness comparison; None unless the source is ≥ 2 score tables."""
    tables, options = inputs.tables, inputs.options
    if len(tables) < 2:
        return None
    if options.metric not in METRIC_COLUMNS:
        return Skipped(SECTION, f"unknown metric {options.metric!r}")
    aliases = report_aliases(options)
    frames: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    for table in tables:
        name = table.harness or table.source
        if table.frame.empty:
            notes.append(f"{name}: no model has scores on both forms")
            continue
        frame, picked = harness_frame(table, options, aliases)
        frames[name] = frame
        notes.extend(f"{name}: {n}" for n in picked)
    everywhere = {aliases.canonical(str(m)) for t in tables for m in t.frame["model"]}
    absent = [n for n in options.selection.exclude if aliases.canonical(n) not in everywhere]
    if absent:
        notes.append(f"--exclude: no harness has {', '.join(map(repr, absent))}")
    pair = _pair(frames, options)
    if isinstance(pair, str):
        return Skipped(SECTION, pair)
    shared, counts, overlap = _shared(frames, options.metric, aliases)
    by_name = {t.harness or t.source: t for t in tables}
    rows = [_row(by_name[h], f, pair, options, counts[h]) for h, f in frames.items()]
    level = 1.0 - options.alpha
    pooled, why = _pool(rows, level)
    if shared:
        notes.append(f"{len(shared)} models appear in more than one harness (matched by the alias "
                     "table): their gaps are not independent, so the pool summarises rather than "
                     "replicates")
    labels = {(r.old_label, r.fresh_label) for r in rows}
    if len(labels) > 1:
        notes.append("the harnesses compare different forms: "
                     + "; ".join(f"{r.harness}: {r.old_label} → {r.fresh_label}" for r in rows))
    return HarnessSection(
        metric=options.metric, group_by=options.group_by, group_a=pair[0], group_b=pair[1],
        level=level, fresh_released=options.fresh_released, rows=tuple(rows), pooled=pooled,
        pooled_reason=why, shared=shared, overlap=overlap,
        notes=tuple(notes) + (tuple(pooled[0].notes) if pooled else ()))


register_builder(SECTION, build_harnesses)
