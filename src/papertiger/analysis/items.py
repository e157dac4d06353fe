"""Item-level results (one row per attempt) → per-model metrics and a score table.

Failed requests (status 'error') are neither right nor wrong: they are left out of every
denominator and counted separately. A form's score is the mean over items of each item's
share of correct samples (avg@k = pass@1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from papertiger.analysis.itemstats import (
    bootstrap_fall_ci,
    bootstrap_score_ci,
    maj_at_k_graded,
    pass_at_k_items,
)
from papertiger.published import ScoreTable, normalise_group
from papertiger.store import open_store

METADATA_FIELDS = ("group", "lab", "lineage", "released", "training_cutoff", "price_in", "price_out")


@dataclass(frozen=True)
class StoredResults:
    """Graded attempts and each model's metadata as recorded by its latest run."""

    attempts: pd.DataFrame
    models: pd.DataFrame
    source: str
    fresh_released: str | None = None


def load_results(db: str | Path, grader: str | None = None) -> StoredResults:
    """Read a results store into frames (the notebook entry point for item-level data)."""
    with open_store(db) as store:
        attempts = store.attempts_frame(grader)
        runs = store.runs_frame()
    released = [
        json.loads(s).get("fresh_released") for s in runs["spec_json"].dropna() if isinstance(s, str)
    ]
    return StoredResults(attempts, _model_metadata(runs), str(db), (released or [None])[-1])


def _model_metadata(runs: pd.DataFrame) -> pd.DataFrame:
    latest: dict[str, dict[str, object]] = {}
    for spec_json in runs.sort_values("started_at")["spec_json"].dropna():
        spec = json.loads(spec_json) if isinstance(spec_json, str) else spec_json
        for model in (spec or {}).get("models", []):
            latest[model["name"]] = {f: model.get(f) for f in METADATA_FIELDS}
    frame = pd.DataFrame.from_dict(latest, orient="index").rename_axis("model").reset_index()
    if "group" in frame.columns:
        frame["group"] = frame["group"].map(
            lambda g: normalise_group(str(g)) or str(g) if isinstance(g, str) and g else None
        )
    return frame


def _correct_lists(rows: pd.DataFrame) -> list[np.ndarray]:
    ok = rows[rows["status"] == "ok"]
    return [
        g.sort_values("sample_index")["correct"].fillna(False).astype(float).to_numpy()
        for _, g in ok.groupby("item_id", sort=True)
    ]


def _ks(samples: int) -> list[int]:
    ks = [1]
    while ks[-1] * 2 <= samples:
        ks.append(ks[-1] * 2)
    if ks[-1] != samples:
        ks.append(samples)
    return ks


def _form_metrics(rows: pd.DataFrame, seed: int) -> dict[str, object]:
    ok = rows[rows["status"] == "ok"]
    per_item = ok.groupby("item_id")
    counts = per_item.size()
    k_min = int(counts.min()) if len(counts) else 0
    out: dict[str, object] = {
        "items": int(rows["item_id"].nunique()),
        "attempts": len(rows),
        "errors": int((rows["status"] == "error").sum()),
        "samples_min": k_min,
        "truncated": int(ok["truncated"].fillna(False).astype(bool).sum()),
        "mean_completion_tokens": float(ok["completion_tokens"].astype(float).mean()),
    }
    if not len(counts):
        return out
    lists = _correct_lists(rows)
    out["avg_at_k"] = 100 * float(np.mean([x.mean() for x in lists]))
    if len(lists) >= 2:  # an interval needs at least two items
        ci = bootstrap_score_ci(lists, seed=seed)
        out.update(avg_low=100 * ci.low, avg_high=100 * ci.high)
    correct = per_item["correct"].sum()
    for k in _ks(k_min):
        out[f"pass@{k}"] = 100 * pass_at_k_items(
            [int(n) for n in counts], [int(c) for c in correct.reindex(counts.index)], k
        )
    ordered = [g.sort_values("sample_index") for _, g in per_item]
    answers = [g["extracted"].tolist() for g in ordered]
    grades = [g["correct"].fillna(False).astype(bool).tolist() for g in ordered]
    out[f"maj@{k_min}"] = 100 * maj_at_k_graded(answers, grades, k_min)
    return out


def model_metrics(results: StoredResults, seed: int = 0) -> pd.DataFrame:
    """One row per model × benchmark set: avg@k with a CI, pass@k, maj@k, errors, tokens."""
    rows = []
    frame = results.attempts
    for (model, role, bench), g in frame.groupby(["model", "role", "benchmark"], sort=False):
        rows.append({"model": model, "role": role, "benchmark": bench, **_form_metrics(g, seed)})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    order = {m: i for i, m in enumerate(dict.fromkeys(frame["model"]))}
    rank = out["model"].map(order) * 2 + (out["role"] == "fresh")
    return out.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank")


def score_table(results: StoredResults, seed: int = 0) -> ScoreTable:
    """Per-model old and fresh scores (avg@k, percent) with bootstrap CIs on each fall."""
    records, notes = [], []
    frame = results.attempts
    labels = {}
    for model, g in frame.groupby("model", sort=False):
        parts = {role: g[g["role"] == role] for role in ("old", "fresh")}
        old, fresh = _correct_lists(parts["old"]), _correct_lists(parts["fresh"])
        if len(old) < 2 or len(fresh) < 2:
            notes.append(f"{model}: fewer than 2 items with a successful attempt on a set; left out")
            continue
        for role, part in parts.items():
            lost = part["item_id"].nunique() - part[part["status"] == "ok"]["item_id"].nunique()
            if lost:
                notes.append(
                    f"{model}: {lost} {role} items had only failed attempts and are out of its "
                    "score (failures may cluster on hard items)"
                )
        falls = bootstrap_fall_ci(old, fresh, seed=seed)
        labels = {r: str(p["benchmark"].iloc[0]) for r, p in parts.items()}
        records.append({
            "model": model,
            "old": 100 * float(np.mean([x.mean() for x in old])),
            "fresh": 100 * float(np.mean([x.mean() for x in fresh])),
            "pp_fall_low": falls.pp.low, "pp_fall_high": falls.pp.high,
            "pct_fall_low": falls.pct.low, "pct_fall_high": falls.pct.high,
            "errors": int((g["status"] == "error").sum()),
        })
    scores = pd.DataFrame(records)
    if not scores.empty and not results.models.empty:
        scores = scores.merge(results.models, on="model", how="left")
    errors = int((frame["status"] == "error").sum())
    if errors:
        notes.append(f"{errors} failed attempts left out of every score (neither right nor wrong)")
    notes.append("falls carry 95 % bootstrap CIs (items resampled within each form)")
    return ScoreTable(
        scores, results.source, labels.get("old", "old"), labels.get("fresh", "fresh"), tuple(notes)
    )
