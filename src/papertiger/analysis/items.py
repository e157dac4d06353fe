"""Item-level results → per-model metrics per form, and score tables for pairs of forms.

Failed requests (status 'error') are neither right nor wrong: they are left out of every
denominator and counted separately. A form's score is the mean over items of each item's
share of correct samples (avg@k = pass@1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from papertiger.analysis.attempts import SelectedAttempts
from papertiger.analysis.counts import ItemCounts
from papertiger.analysis.estimands import fall_estimate, score_estimate, verdict
from papertiger.analysis.itemstats import (
    bootstrap_score_ci,
    maj_at_k_graded,
    pass_at_k_items,
)
from papertiger.analysis.results import FormMetrics, Interval, MetricsTable
from papertiger.published import ScoreTable

FLAG_NAMES = ("fallback", "truncated", "grader_error", "grader_timeout")


def _ok(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["status"] == "ok"]


def correct_lists(rows: pd.DataFrame) -> list[np.ndarray]:
    """Per item (sorted by id), the 0/1 outcomes of its successful samples in order."""
    ok = _ok(rows).sort_values(["item_id", "sample_index"])
    values = ok["correct"].fillna(False).astype(float).to_numpy()
    _, starts = np.unique(ok["item_id"].to_numpy(), return_index=True)
    return np.split(values, starts[1:]) if len(values) else []


def _ks(samples: int) -> list[int]:
    ks = [1]
    while ks[-1] * 2 <= samples:
        ks.append(ks[-1] * 2)
    if ks[-1] != samples:
        ks.append(samples)
    return ks


def _flag_counts(ok: pd.DataFrame) -> dict[str, int]:
    flags = ok["flags"].fillna("").astype(str) if "flags" in ok.columns else pd.Series(dtype=str)
    return {name: int(flags.str.contains(name, regex=False).sum()) for name in FLAG_NAMES}


def _form_metrics(model: str, form: str, rows: pd.DataFrame, seed: int) -> FormMetrics:
    ok = _ok(rows)
    counts = ok.groupby("item_id").size()
    k_min = int(counts.min()) if len(counts) else 0
    lists = correct_lists(rows)
    avg = None
    pass_at: dict[int, float] = {}
    maj = None
    if lists:
        estimate = 100 * float(np.mean([x.mean() for x in lists]))
        avg = Interval(estimate, float("nan"), float("nan"), method="one item: no interval")
        if len(lists) >= 2:
            ci = bootstrap_score_ci(lists, seed=seed)
            avg = Interval(estimate, 100 * ci.low, 100 * ci.high, method="bootstrap over items")
        n_items = [len(x) for x in lists]
        c_items = [int(x.sum()) for x in lists]
        pass_at = {k: 100 * pass_at_k_items(n_items, c_items, k) for k in _ks(k_min)}
        ordered = ok.sort_values(["item_id", "sample_index"])
        answers = [g["extracted"].tolist() for _, g in ordered.groupby("item_id", sort=True)]
        grades = [g["correct"].fillna(False).astype(bool).tolist() for _, g in ordered.groupby("item_id", sort=True)]
        maj = 100 * maj_at_k_graded(answers, grades, k_min)
    tokens = ok["completion_tokens"].astype(float)
    flagged = _flag_counts(ok)
    return FormMetrics(
        model=model,
        form=form,
        items=int(rows["item_id"].nunique()),
        attempts=len(rows),
        errors=int((rows["status"] == "error").sum()),
        samples=k_min,
        avg=avg,
        pass_at=pass_at,
        maj_k=k_min,
        maj=maj,
        truncated=flagged.pop("truncated"),
        flagged=flagged,
        mean_completion_tokens=float(tokens.mean()) if tokens.notna().any() else None,
    )


def form_metrics(
    selected: SelectedAttempts, seed: int = 0, counts: ItemCounts | None = None
) -> MetricsTable:
    """One row per model × form: avg@k with a CI, pass@k, maj@k, errors, flags, tokens.

    Read from SQL aggregates (counts per item, votes per answer, flags per form), so the
    cost does not grow with the number of attempts; a store analysed with a named grader
    (`AttemptSource.grader`) is read attempt by attempt instead.
    """
    if selected.grader is not None:
        return _metrics_from_frame(selected, seed)
    counts = counts or selected.counts()
    majority = _majority(selected.aggregate("majority"))
    stats = {(str(r[0]), str(r[1])): r for r in selected.aggregate("form_stats")}
    rows = []
    for m, model in enumerate(counts.models):
        for form in counts.forms:
            stat = stats.get((model, form))
            if stat is None:
                continue
            idx = counts.form_items(form)
            rows.append(_metrics_row(model, form, counts, m, idx, stat, majority, seed))
    return MetricsTable(tuple(rows))


def _majority(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str, str], bool]:
    """Per (model, form, item): whether the most voted answer was graded correct (a tie
    goes to the tied answer seen first)."""
    best: dict[tuple[str, str, str], tuple[int, int, bool]] = {}
    for model, form, item, _answer, votes, correct, first in rows:
        key = (str(model), str(form), str(item))
        rank = (int(votes), -int(first))
        if key not in best or rank > best[key][:2]:
            best[key] = (*rank, bool(correct))
    return {key: value[2] for key, value in best.items()}


def _metrics_row(
    model: str, form: str, counts: ItemCounts, m: int, idx: np.ndarray,
    stat: tuple[Any, ...], majority: dict[tuple[str, str, str], bool], seed: int,
) -> FormMetrics:
    trials, correct = counts.trials[m, idx], counts.correct[m, idx]
    attempted = (trials + counts.errors[m, idx]) > 0
    use = trials > 0
    k_min = int(trials[use].min()) if use.any() else 0
    avg, pass_at, maj = None, {}, None
    if use.sum() >= 2:
        est = score_estimate(correct[use], trials[use], n_boot=1000, seed=seed)
        iv = est.super_population
        avg = Interval(100 * est.score, 100 * iv.low, 100 * iv.high,
                       method="items resampled (super-population)")
    elif use.any():  # one item: a score, but no interval over items
        score = 100 * float(correct[use].sum() / trials[use].sum())
        avg = Interval(score, float("nan"), float("nan"), method="a single item: no interval")
    if use.any():
        pass_at = {k: 100 * pass_at_k_items(trials[use].tolist(), correct[use].tolist(), k)
                   for k in _ks(k_min)}
        items = [counts.items[j][1] for j in idx[use]]
        maj = 100 * float(np.mean([majority.get((model, form, i), False) for i in items]))
    _, _, n_attempts, n_errors, truncated, fallback, g_error, g_timeout, tokens = stat
    return FormMetrics(
        model=model,
        form=form,
        items=int(attempted.sum()),
        attempts=int(n_attempts),
        errors=int(n_errors or 0),
        samples=k_min,
        avg=avg,
        pass_at=pass_at,
        maj_k=k_min,
        maj=maj,
        truncated=int(truncated or 0),
        flagged={"fallback": int(fallback or 0), "grader_error": int(g_error or 0),
                 "grader_timeout": int(g_timeout or 0)},
        mean_completion_tokens=None if tokens is None else float(tokens),
    )


def _metrics_from_frame(selected: SelectedAttempts, seed: int) -> MetricsTable:
    frame = selected.frame
    order = [name for name, _ in selected.forms]
    rows = []
    for model in dict.fromkeys(frame["model"]):
        mine = frame[frame["model"] == model]
        for form in order:
            part = mine[mine["form"] == form]
            if len(part):
                rows.append(_form_metrics(str(model), form, part, seed))
    return MetricsTable(tuple(rows))


def pair_table(
    selected: SelectedAttempts,
    old_form: str,
    fresh_form: str,
    seed: int = 0,
    counts: ItemCounts | None = None,
    n_boot: int = 2000,
) -> ScoreTable:
    """Per-model scores on two forms (avg@k, percent) with each fall under both estimands:
    *fixed forms* (only the sampling noise of these items: would a re-run differ?) and
    *super-population* (items resampled within each form: would it hold on other items?)."""
    counts = counts or selected.counts()
    records, notes = [], []
    old_idx, fresh_idx = counts.form_items(old_form), counts.form_items(fresh_form)
    for m, model in enumerate(counts.models):
        ko, kf = counts.trials[m, old_idx], counts.trials[m, fresh_idx]
        eo, ef = counts.errors[m, old_idx], counts.errors[m, fresh_idx]
        if not (ko + eo).any() or not (kf + ef).any():
            continue  # the model has no attempt on one of the forms
        if (ko > 0).sum() < 2 or (kf > 0).sum() < 2:
            notes.append(f"{model}: fewer than 2 items with a successful attempt on a form; left out")
            continue
        for name, k, e in ((old_form, ko, eo), (fresh_form, kf, ef)):
            lost = int(((k == 0) & (e > 0)).sum())
            if lost:
                notes.append(
                    f"{model}: {lost} {name} items had only failed attempts and are out of its "
                    "score (failures may cluster on hard items)"
                )
        use_o, use_f = ko > 0, kf > 0
        est = fall_estimate(counts.correct[m, old_idx][use_o], ko[use_o],
                            counts.correct[m, fresh_idx][use_f], kf[use_f],
                            n_boot=n_boot, seed=seed, estimand="fixed forms")
        records.append({
            "model": model,
            "old": 100 * est.old.score,
            "fresh": 100 * est.fresh.score,
            "pp_fall_low": est.pp_super.low, "pp_fall_high": est.pp_super.high,
            "pct_fall_low": est.pct_super.low, "pct_fall_high": est.pct_super.high,
            "pp_fall_fixed_low": est.pp_fixed.low, "pp_fall_fixed_high": est.pp_fixed.high,
            "pct_fall_fixed_low": est.pct_fixed.low, "pct_fall_fixed_high": est.pct_fixed.high,
            "verdict": est.verdict,
            "verdict_super": verdict(est.pp_super),
            "errors": int(eo.sum() + ef.sum()),
        })
    scores = pd.DataFrame(records)
    if not scores.empty and not selected.models.empty:
        scores = scores.merge(selected.models, on="model", how="left")
    errors = sum(int(str(r["errors"])) for r in records)
    if errors:
        notes.append(f"{errors} failed attempts left out of every score (neither right nor wrong)")
    if records:
        notes.append(
            "each fall carries two 95 % intervals: fixed forms (only the sampling noise of these "
            "items: would a re-run differ?) and super-population (items resampled within each "
            "form: would it hold on other items like these?); the verdict reads the fixed-forms one"
        )
    return ScoreTable(scores, selected.source, old_form, fresh_form, tuple(notes))
