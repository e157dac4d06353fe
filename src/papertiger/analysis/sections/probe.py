"""The memorisation probe's section: text recall and answer accuracy, old forms vs fresh.

Reads the suite's task ``continue`` attempts whose prompt is a probe prompt
(``probe-<mode>@<ratio>``, ``…/problem_alt`` for the second wording; see runner/probe.py)
and their grades ``continuation-exact``, ``-rouge_l``, ``-edit`` (how much of the true
remainder came back) and ``-answer`` (whether the continuation reached the true answer):
the newest version of each per attempt. The two kinds of metric are kept apart everywhere.

An item's wordings are averaged first, so items are the unit: per model × mode × form ×
ratio × metric, the mean over items with a percentile bootstrap CI over items. Per model ×
mode × ratio × metric: the old forms (not fresh for the model: released on or before its
training cutoff, or failing that its release date) against the fresh ones, and old − fresh
with a bootstrap CI resampling the items of each side. Without any dates for a model, the
earliest form counts as old and the latest as fresh ("release order"). Memorisation shows
as high recall on old forms only: a positive old − fresh gap. Failed attempts have no
grade and are counted, not scored.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from papertiger.analysis.attempts import model_metadata
from papertiger.analysis.freshness import as_date, freshness
from papertiger.analysis.results import Interval, Skipped
from papertiger.analysis.sections.base import SectionInput, register_builder
from papertiger.analysis.stats import bootstrap_diff_ci
from papertiger.store import AttemptFilter, open_store

__all__ = [
    "METRICS",
    "METRIC_LABELS",
    "TEXT_METRICS",
    "ProbeCell",
    "ProbeGap",
    "ProbeSection",
    "build_probe",
    "parse_probe_prompt",
]

METRICS = ("exact", "rouge_l", "edit", "answer")
TEXT_METRICS = ("exact", "rouge_l", "edit")
METRIC_LABELS = {"exact": "exact match", "rouge_l": "ROUGE-L", "edit": "edit similarity",
                 "answer": "answer accuracy"}
BY_ORDER = "release order (no model dates)"
_PROMPT_RE = re.compile(r"^probe-(completion|chat)@([0-9]*\.?[0-9]+)(?:/(problem_alt))?$")
_COLUMNS = ("key", "model", "form", "form_released", "item_id", "prompt_name", "status")
TITLE = "Memorisation probe: does the rest of the problem come back?"


def parse_probe_prompt(name: str) -> tuple[str, float, str] | None:
    """(mode, ratio, wording) of a probe prompt name; None for any other prompt."""
    m = _PROMPT_RE.match(str(name))
    if m is None:
        return None
    return m.group(1), float(m.group(2)), m.group(3) or "problem"


@dataclass(frozen=True)
class ProbeCell:
    """One model × mode × form × ratio × metric × wording ('both' averages an item's two)."""

    model: str
    mode: str
    form: str
    side: str  # 'old', 'fresh' or 'neither' for this model
    ratio: float
    metric: str
    wording: str
    n_items: int
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class ProbeGap:
    """Old against fresh forms for one model × mode × ratio × metric; `reason` when none."""

    model: str
    mode: str
    ratio: float
    metric: str
    basis: str
    old_forms: tuple[str, ...]
    fresh_forms: tuple[str, ...]
    old: Interval | None
    fresh: Interval | None
    difference: Interval | None
    n_old: int
    n_fresh: int
    reason: str | None = None


@dataclass(frozen=True)
class ProbeSection:
    """The probe's result: per-form cells, old-vs-fresh gaps, and what was left out."""

    suite: str
    models: tuple[str, ...]
    forms: tuple[str, ...]
    ratios: tuple[float, ...]
    cells: tuple[ProbeCell, ...]
    gaps: tuple[ProbeGap, ...]
    attempts: int
    errors: int
    level: float
    n_boot: int
    notes: tuple[str, ...] = ()
    title: str = TITLE

    def to_frame(self) -> pd.DataFrame:
        """One row per cell (model, mode, form, side, ratio, metric, wording, n, mean, CI)."""
        return pd.DataFrame([asdict(c) for c in self.cells],
                            columns=list(ProbeCell.__dataclass_fields__))

    def gaps_frame(self) -> pd.DataFrame:
        """One row per gap: old, fresh and old − fresh with their intervals."""
        rows = []
        for g in self.gaps:
            row: dict[str, Any] = {k: getattr(g, k) for k in ("model", "mode", "ratio", "metric",
                                                              "basis", "n_old", "n_fresh", "reason")}
            row["old_forms"], row["fresh_forms"] = ", ".join(g.old_forms), ", ".join(g.fresh_forms)
            for name in ("old", "fresh", "difference"):
                iv = getattr(g, name)
                row[name] = iv.estimate if iv else math.nan
                row[f"{name}_low"] = iv.low if iv else math.nan
                row[f"{name}_high"] = iv.high if iv else math.nan
            rows.append(row)
        return pd.DataFrame(rows)


def _mean_ci(values: np.ndarray, level: float, n_boot: int, seed: int) -> Interval:
    """Mean with a percentile bootstrap interval over the values (items)."""
    mean = float(values.mean())
    if values.size < 2 or float(values.min()) == float(values.max()):
        return Interval(mean, mean, mean, level, "constant or single item")
    rng = np.random.default_rng(seed)
    draws = values[rng.integers(0, values.size, size=(n_boot, values.size))].mean(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return Interval(mean, float(low), float(high), level,
                    f"percentile bootstrap over items, {n_boot} resamples (seed {seed})")


def _read(db: Path, suite: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    where = AttemptFilter(suites=[suite] if suite else [], tasks=["continue"])
    readonly = str(db) != ":memory:"
    with open_store(db, readonly=readonly) as store:
        frame = store.attempts_frame(where=where, latest_grader=False, columns=(*_COLUMNS, "suite"))
        runs = store.runs_frame()
    return frame, runs


def _tidy(frame: pd.DataFrame, excluded: frozenset[tuple[str, str]]) -> pd.DataFrame:
    """Probe attempts with mode, ratio, wording and metric; the newest grade per metric."""
    parsed = frame["prompt_name"].map(parse_probe_prompt)
    frame = frame.loc[parsed.notna()].copy()
    if frame.empty:
        return frame
    parsed = parsed.loc[frame.index]
    frame["mode"] = [p[0] for p in parsed]
    frame["ratio"] = [p[1] for p in parsed]
    frame["wording"] = [p[2] for p in parsed]
    if excluded:
        pairs = list(zip(frame["form"].astype(str), frame["item_id"].astype(str), strict=True))
        frame = frame.loc[[p not in excluded for p in pairs]]
    frame["metric"] = frame["grader"].astype("string").str.removeprefix("continuation-")
    return frame


def _graded(frame: pd.DataFrame) -> pd.DataFrame:
    graded = frame.loc[frame["status"].eq("ok") & frame["metric"].isin(METRICS)]
    graded = graded.sort_values("graded_at", kind="stable")
    return graded.drop_duplicates(["key", "metric"], keep="last")


def _sides(models: pd.DataFrame, forms: list[tuple[str, Any]]) -> dict[str, tuple[str, dict[str, str]]]:
    """Per model: the basis and each form's side ('old', 'fresh' or 'neither')."""
    meta = {str(r["model"]): r for _, r in models.iterrows()} if not models.empty else {}
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for name, row in meta.items():
        verdicts = {f: freshness(as_date(d), row.get("training_cutoff"), row.get("released"))
                    for f, d in forms}
        bases = {b for _, b in verdicts.values() if b}
        if bases:
            sides = {f: {"fresh": "fresh", "not fresh": "old"}.get(v, "neither")
                     for f, (v, _) in verdicts.items()}
            out[name] = (" / ".join(sorted(bases)), sides)
    return out


def _by_order(forms: list[tuple[str, Any]]) -> tuple[str, dict[str, str]]:
    sides = {f: "neither" for f, _ in forms}
    if len(forms) >= 2:
        sides[forms[0][0]], sides[forms[-1][0]] = "old", "fresh"
    return BY_ORDER, sides


def _form_order(frame: pd.DataFrame, hint: tuple[tuple[str, Any], ...]) -> list[tuple[str, Any]]:
    dates = {str(f): d for f, d in zip(frame["form"], frame["form_released"], strict=True)}
    known = [f for f, _ in hint if f in dates]
    rest = sorted((f for f in dates if f not in known), key=lambda f: (str(dates[f] or ""), f))
    return [(f, dates[f] if isinstance(dates[f], str) else None) for f in [*known, *rest]]


def _gap(key: tuple[str, str, float, str], items: pd.DataFrame, basis: str,
         sides: dict[str, str], opts: tuple[float, int, int]) -> ProbeGap:
    level, n_boot, seed = opts
    model, mode, ratio, metric = key
    old_forms = tuple(f for f, s in sides.items() if s == "old")
    fresh_forms = tuple(f for f, s in sides.items() if s == "fresh")
    old = items.loc[items["form"].isin(old_forms), "score"].to_numpy(float)
    fresh = items.loc[items["form"].isin(fresh_forms), "score"].to_numpy(float)
    gap = ProbeGap(model=model, mode=mode, ratio=ratio, metric=metric, basis=basis,
                   old_forms=old_forms, fresh_forms=fresh_forms, old=None, fresh=None,
                   difference=None, n_old=old.size, n_fresh=fresh.size)
    if not old.size or not fresh.size:
        side = "old" if not old.size else "fresh"
        return replace(gap, reason=f"no {side} form with probe results for this model")
    gap = replace(gap, old=_mean_ci(old, level, n_boot, seed),
                  fresh=_mean_ci(fresh, level, n_boot, seed))
    if old.size < 2 or fresh.size < 2:
        return replace(gap, reason="fewer than two items on a side: no interval")
    diff = bootstrap_diff_ci(old, fresh, level=level, n_resamples=n_boot, seed=seed)
    return replace(gap, difference=diff)


def _cells(items: pd.DataFrame, wording_items: pd.DataFrame, sides: dict[str, dict[str, str]],
           opts: tuple[float, int, int]) -> list[ProbeCell]:
    level, n_boot, seed = opts
    cells = []
    for frame, fixed in ((items, "both"), (wording_items, None)):
        keys = ["model", "mode", "form", "ratio", "metric"] + ([] if fixed else ["wording"])
        for _, group in frame.groupby(keys, sort=False):
            first = group.iloc[0]
            model, form = str(first["model"]), str(first["form"])
            iv = _mean_ci(group["score"].to_numpy(float), level, n_boot, seed)
            cells.append(ProbeCell(model, str(first["mode"]), form,
                                   sides.get(model, {}).get(form, "neither"),
                                   float(first["ratio"]), str(first["metric"]),
                                   fixed or str(first["wording"]), int(len(group)),
                                   iv.estimate, iv.low, iv.high))
    return cells


def _section(frame: pd.DataFrame, inputs: SectionInput, runs: pd.DataFrame,
             suite: str) -> ProbeSection:
    opts = (1.0 - inputs.options.alpha, inputs.options.n_boot, inputs.options.seed)
    selected = inputs.selected
    forms = _form_order(frame, selected.forms if selected is not None else ())
    models = selected.models if selected is not None else model_metadata(runs)
    graded = _graded(frame)
    per_item = ["model", "mode", "form", "ratio", "metric", "item_id"]
    wording_items = graded.groupby([*per_item, "wording"], as_index=False, sort=False).agg(
        score=("score", "mean"))
    items = wording_items.groupby(per_item, as_index=False, sort=False).agg(score=("score", "mean"))
    dated = _sides(models, forms)
    names = list(dict.fromkeys(frame["model"].astype(str)))
    sides = {m: dated.get(m, _by_order(forms)) for m in names}
    order = {m: i for i, m in enumerate(names)}
    gaps = []
    for _, group in items.groupby(["model", "mode", "ratio", "metric"], sort=False):
        first = group.iloc[0]
        key = (str(first["model"]), str(first["mode"]), float(first["ratio"]), str(first["metric"]))
        gaps.append(_gap(key, group, *sides[key[0]], opts))
    gaps.sort(key=lambda g: (order[g.model], g.mode, METRICS.index(g.metric), g.ratio))
    notes = [f"{m}: old and fresh by {BY_ORDER}: the earliest form against the latest"
             for m in names if m not in dated and len(forms) >= 2]
    errors = int(frame.loc[frame["status"].eq("error"), "key"].nunique())
    if errors:
        notes.append(f"{errors} probe attempts failed; they are not scored (a rerun retries them)")
    cells = _cells(items, wording_items, {m: s for m, (_, s) in sides.items()}, opts)
    form_index = {f: i for i, (f, _) in enumerate(forms)}
    wordings = ("both", "problem", "problem_alt")
    cells.sort(key=lambda c: (order[c.model], c.mode, wordings.index(c.wording),
                              METRICS.index(c.metric), form_index.get(c.form, 0), c.ratio))
    return ProbeSection(
        suite=suite, models=tuple(names), forms=tuple(f for f, _ in forms),
        ratios=tuple(sorted(set(frame["ratio"]))), cells=tuple(cells),
        gaps=tuple(gaps), attempts=int(frame["key"].nunique()), errors=errors,
        level=opts[0], n_boot=opts[1], notes=tuple(notes),
    )


def build_probe(inputs: SectionInput) -> ProbeSection | Skipped | None:
    """The probe section for a store holding probe attempts of the suite, else None."""
    if inputs.source is None:
        return None
    selected = inputs.selected
    suite = selected.suite if selected is not None else inputs.source.suite
    frame, runs = _read(Path(inputs.source.db), suite)
    frame = _tidy(frame, selected.excluded if selected is not None else frozenset())
    if frame.empty:
        return None
    suites = sorted(set(frame["suite"].astype(str)))
    if len(suites) > 1:
        return Skipped("memorisation probe", f"the store holds probe attempts of {len(suites)} "
                       f"suites ({', '.join(suites)}); choose one with --suite")
    if _graded(frame).empty:
        return Skipped("memorisation probe", "no probe attempt succeeded: nothing to score")
    return _section(frame, inputs, runs, suites[0])


register_builder("probe", build_probe)
