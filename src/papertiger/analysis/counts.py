"""Item-level counts: the one array view every item-level statistic works from.

For one suite and one condition per model: `correct[m, i]` and `trials[m, i]` over models
× items (items of every form, in form order), from successful attempts only (a failed
request is neither right nor wrong), plus `errors[m, i]`. Rasch equating, both estimands,
reference regression and the per-model falls all read these arrays, never a DataFrame per
attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ItemCounts:
    """Counts per model × item; items are (form, item_id), grouped by form in order."""

    models: tuple[str, ...]
    forms: tuple[str, ...]
    items: tuple[tuple[str, str], ...]
    form_of_item: np.ndarray
    correct: np.ndarray
    trials: np.ndarray
    errors: np.ndarray
    released: tuple[Any, ...] = ()

    def form_items(self, form: str) -> np.ndarray:
        """Indices of the items of `form`."""
        return np.flatnonzero(self.form_of_item == self.forms.index(form))

    def model_index(self, model: str) -> int:
        return self.models.index(model)

    def scores(self, form: str) -> np.ndarray:
        """Each model's avg@k on `form` (fraction; NaN where it attempted no item)."""
        idx = self.form_items(form)
        p = np.divide(self.correct[:, idx], self.trials[:, idx],
                      out=np.full((len(self.models), len(idx)), np.nan),
                      where=self.trials[:, idx] > 0)
        with np.errstate(invalid="ignore"):
            return np.nanmean(np.where(self.trials[:, idx] > 0, p, np.nan), axis=1)


def item_counts(frame: pd.DataFrame, forms: tuple[tuple[str, Any], ...]) -> ItemCounts:
    """Counts from an attempts frame (one condition per model) and the forms in order."""
    names = tuple(f for f, _ in forms)
    models = tuple(dict.fromkeys(str(m) for m in frame["model"]))
    ok = frame["status"] == "ok"
    correct = frame["correct"].fillna(False).astype(bool) & ok
    keyed = pd.DataFrame({
        "model": frame["model"].astype(str),
        "form": frame["form"].astype(str),
        "item_id": frame["item_id"].astype(str),
        "ok": ok.astype(int),
        "correct": correct.astype(int),
        "error": (~ok).astype(int),
    })
    grouped = keyed.groupby(["model", "form", "item_id"], sort=False).sum()
    items_frame = grouped.reset_index()[["form", "item_id"]].drop_duplicates()
    order = {f: i for i, f in enumerate(names)}
    items_frame = items_frame[items_frame["form"].isin(order)]
    items_frame = items_frame.assign(_f=items_frame["form"].map(order)).sort_values(["_f", "item_id"])
    items = tuple(zip(items_frame["form"], items_frame["item_id"], strict=True))
    item_index = {it: j for j, it in enumerate(items)}
    model_index = {m: i for i, m in enumerate(models)}
    shape = (len(models), len(items))
    arrays = {name: np.zeros(shape, dtype=np.int64) for name in ("ok", "correct", "error")}
    rows = grouped.reset_index()
    mi = rows["model"].map(model_index).to_numpy()
    ij = [item_index.get((f, i), -1) for f, i in zip(rows["form"], rows["item_id"], strict=True)]
    ii = np.asarray(ij, dtype=np.int64)
    keep = ii >= 0
    for name, array in arrays.items():
        array[mi[keep], ii[keep]] = rows[name].to_numpy()[keep]
    form_of_item = np.asarray([order[f] for f, _ in items], dtype=np.int64)
    return ItemCounts(models, names, items, form_of_item, arrays["correct"], arrays["ok"],
                      arrays["error"], tuple(r for _, r in forms))


def counts_from_rows(rows: list[tuple[Any, ...]], forms: tuple[tuple[str, Any], ...]) -> ItemCounts:
    """Counts from the store's aggregate rows (model, form, item_id, ok, correct, errors)."""
    names = tuple(f for f, _ in forms)
    order = {f: i for i, f in enumerate(names)}
    models = tuple(dict.fromkeys(str(r[0]) for r in rows))
    items = tuple(sorted({(str(r[1]), str(r[2])) for r in rows if r[1] in order},
                         key=lambda it: (order[it[0]], it[1])))
    model_index = {m: i for i, m in enumerate(models)}
    item_index = {it: j for j, it in enumerate(items)}
    shape = (len(models), len(items))
    ok, correct, errors = (np.zeros(shape, dtype=np.int64) for _ in range(3))
    for model, form, item, n_ok, n_correct, n_err in rows:
        j = item_index.get((str(form), str(item)))
        if j is None:
            continue
        i = model_index[str(model)]
        ok[i, j], correct[i, j], errors[i, j] = n_ok or 0, n_correct or 0, n_err or 0
    form_of_item = np.asarray([order[f] for f, _ in items], dtype=np.int64)
    return ItemCounts(models, names, items, form_of_item, correct, ok, errors,
                      tuple(r for _, r in forms))
