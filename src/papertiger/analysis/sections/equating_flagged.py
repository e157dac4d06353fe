"""The Rasch contrast without the items `papertiger dedup --db` flagged as near-duplicates.

A fresh item with an older twin is not really fresh, so γ over all items understates the
fall; refitting without them (point estimates: the comparison is the point) shows by how
much. Split from equating.py to keep each module small.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from papertiger.analysis.counts import ItemCounts
from papertiger.analysis.rasch import RaschFit, fit_rasch

__all__ = ["EquatingWithoutFlagged", "without_flagged"]


@dataclass(frozen=True)
class EquatingWithoutFlagged:
    """γ and the group means of δ with and without the flagged items."""

    items: tuple[tuple[str, str], ...]
    group_a: str
    group_b: str
    gamma: float | None
    gamma_all: float | None
    means: tuple[tuple[str, float | None, float | None], ...]  # group, without, all


def _means(delta: np.ndarray, labels: list[str | None], group: str) -> float | None:
    values = [d for d, g in zip(delta, labels, strict=True) if g == group and np.isfinite(d)]
    return float(np.mean(values)) if values else None


def without_flagged(
    counts: ItemCounts, arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
    flagged: frozenset[tuple[str, str]], groups: Mapping[str, str | None],
    pair: tuple[str, str] | None, fit: RaschFit, anchor: str, reference_models: list[int],
) -> EquatingWithoutFlagged | None:
    """Refit with the flagged items' attempts (correct, trials; fresh per model × form)
    removed; None when none is flagged or no pair of groups is compared."""
    correct, trials, fresh = arrays
    labels = [groups.get(m) for m in counts.models]
    delta_all = np.asarray(fit.delta, dtype=float)
    drop = np.array([item in flagged for item in counts.items], dtype=bool)
    if pair is None or not drop.any():
        return None
    kept_c, kept_n = correct.copy(), trials.copy()
    kept_c[:, drop] = 0
    kept_n[:, drop] = 0
    try:
        fit = fit_rasch(kept_c, kept_n, counts.form_of_item, fresh,
                        anchor="reference" if anchor == "reference" else "equal-means",
                        reference_models=reference_models, n_boot=0)
        delta = np.asarray(fit.delta, dtype=float)
    except ValueError:
        delta = np.full(len(counts.models), np.nan)
    a, b = pair
    means = tuple((g, _means(delta, labels, g), _means(delta_all, labels, g)) for g in (a, b))
    (_, wa, aa), (_, wb, ab) = means
    items = tuple(sorted(counts.items[j] for j in np.flatnonzero(drop)))
    return EquatingWithoutFlagged(
        items=items, group_a=a, group_b=b,
        gamma=None if wa is None or wb is None else wa - wb,
        gamma_all=None if aa is None or ab is None else aa - ab,
        means=means,
    )
