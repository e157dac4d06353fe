"""Per-model falls (fresh − old) in points, percent and logits, and group summaries.

Sign convention (STATISTICS.md): a fall is fresh − old, so a drop is negative. A group's
mean is the plain mean over its models; the overall row is the plain mean over all models
of each column, which is the essay's convention.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

LOGIT_CLIP = 0.005
FALL_COLUMNS = ("old", "fresh", "pp_fall", "pct_fall", "logit_fall")


def logit(p: np.ndarray | pd.Series, clip: float = LOGIT_CLIP) -> np.ndarray:
    """Logit of proportions, clipped away from 0 and 1 so a 0 % or 100 % stays finite."""
    q = np.clip(np.asarray(p, dtype=float), clip, 1.0 - clip)
    return np.log(q / (1.0 - q))


def add_falls(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `pp_fall`, `pct_fall` and `logit_fall` from `old` and `fresh` (percent scores)."""
    out = frame.copy()
    old = out["old"].astype(float)
    fresh = out["fresh"].astype(float)
    out["pp_fall"] = fresh - old
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct_fall"] = np.where(old > 0, (fresh / old - 1.0) * 100.0, np.nan)
    out["logit_fall"] = logit(fresh / 100.0) - logit(old / 100.0)
    return out


def group_order(frame: pd.DataFrame, group_by: str) -> list[str]:
    """Groups in display order: the essay's Chinese-then-Western, else sorted."""
    present = [g for g in frame[group_by].dropna().astype(str).unique()]
    preferred = [g for g in ("Chinese", "Western") if g in present]
    return preferred + sorted(g for g in present if g not in preferred)


def summarise_groups(frame: pd.DataFrame, group_by: str, order: Sequence[str]) -> pd.DataFrame:
    """One row per group (plain means) and a final 'Overall' row over all models."""
    rows = []
    for name in order:
        members = frame[frame[group_by].astype(str) == name]
        rows.append({"group": name, "n": len(members), **_means(members)})
    rows.append({"group": "Overall", "n": len(frame), **_means(frame)})
    return pd.DataFrame(rows)


def _means(members: pd.DataFrame) -> dict[str, float]:
    return {c: float(members[c].astype(float).mean()) for c in FALL_COLUMNS}
