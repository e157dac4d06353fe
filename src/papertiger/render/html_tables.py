"""Cells of the report's two data-heavy tables: the multiverse grid and the item metrics.

Split from html.py so each module stays small; both return plain dicts for the template.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup

from papertiger.analysis.results import METRIC_LABELS, MetricsTable, Multiverse, Skipped
from papertiger.render.format import DASH, number, p_value, signed, value

SIDES = ("two-sided", "less")
ALPHA = 0.05  # p-values below it are emphasised, and only those
DIGITS = {"pp": 1, "pct": 1, "logit": 2}


SHORT_TESTS = {"Permutation (difference of means)": "Permutation", "Permutation of lab means": "Lab permutation"}


def multiverse_cells(verse: Multiverse | Skipped) -> dict[str, Any]:
    """The multiverse grid for the template: one cell per test holding its two-sided and
    one-sided p ('0.112 / 0.056'), emphasised where either is below α."""
    if isinstance(verse, Skipped):
        return {"skipped": verse.reason, "tests": [], "rows": []}
    rows = []
    for r in verse.rows:
        cells = []
        for t in verse.tests:
            ps = [r.p.get((t, side)) for side in SIDES]
            text = " / ".join(p_value(p) for p in ps) if any(p is not None for p in ps) else ""
            cells.append({"text": text, "sig": any(p is not None and p < ALPHA for p in ps)})
        rows.append({
            "metric": METRIC_LABELS.get(r.metric, r.metric),
            "subset": r.subset,
            "n": f"{r.n_a} / {r.n_b}",
            "difference": signed(r.difference, DIGITS.get(r.metric, 2)),
            "cells": cells,
            "note": "too few models" if r.too_few else "",
        })
    return {"skipped": None, "tests": [SHORT_TESTS.get(t, t) for t in verse.tests], "rows": rows}


METRIC_HEADERS = {
    "model": "Model", "form": "Form", "items": "Items", "attempts": "Attempts",
    "errors": "Failed requests", "samples": "k", "avg_at_k": "avg@k (%), 95% CI",
    "avg_low": "95% CI low", "avg_high": "95% CI high", "truncated": "Truncated",
    "mean_completion_tokens": "Mean output tokens", "flag_fallback": "Fallback answers",
    "flag_grader_error": "Checker errors", "flag_grader_timeout": "Checker timeouts",
}


def _metric_header(name: str) -> str:
    if name.startswith(("pass@", "maj@")):
        return f"{name} (%)"
    return METRIC_HEADERS.get(name, name.replace("_", " "))


def metrics_table(metrics: MetricsTable | Skipped) -> dict[str, Any]:
    """The item-level metrics (avg@k, pass@k, ...) with readable headers and numbers."""
    if isinstance(metrics, Skipped):
        return {"skipped": metrics.reason, "headers": [], "rows": []}
    frame = metrics.to_frame()
    if frame.empty:
        return {"skipped": "no attempts", "headers": [], "rows": []}
    passes = [c for c in frame.columns if str(c).startswith("pass@")]
    dull = [c for c in frame.columns if str(c).startswith("flag_") and not frame[c].fillna(0).any()]
    # pass@1 is avg@k; the whole pass@k curve is the elicitation section's
    drop = ["avg_low", "avg_high", "attempts", *passes[:-1], *dull]
    frame = frame.drop(columns=[c for c in drop if c in frame.columns])
    cells = {"avg_at_k": [avg_text(r) for r in metrics.rows]}
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    rows = [
        [cells[c][i] if c in cells else value(v) for c, v in zip(frame.columns, row, strict=True)]
        for i, row in enumerate(frame.itertuples(index=False))
    ]
    headers = [_metric_header(str(c)) for c in frame.columns]
    return {"skipped": None, "headers": list(zip(headers, numeric, strict=True)), "rows": rows}


def avg_text(row: Any) -> Markup | str:
    """avg@k with its interval under it (items resampled)."""
    avg = row.avg
    if avg is None:
        return DASH
    if pd.isna(avg.low):
        return number(avg.estimate)
    return Markup('{}<span class="ci">[{}, {}]</span>').format(
        number(avg.estimate), number(avg.low), number(avg.high))
