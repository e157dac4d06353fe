"""One group gap per harness, pooled by a random-effects meta-analysis (STATISTICS.md §6).

Harnesses (AA, GAIR, Vals, MathArena, own runs) each give a gap g_h = mean(A) − mean(B) with
its SE. The pool is statsmodels' combine_effects: τ² by Paule–Mandel (default) or
DerSimonian–Laird, truncated at 0 (statsmodels leaves a negative DL τ² as it is); the
Hartung–Knapp interval (t with k − 1 df, the scale estimated from the data) is the headline,
since a handful of harnesses make the normal interval too narrow. Harnesses share models, so
their gaps are not independent: the pool is a summary, not k independent replications.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from papertiger.analysis.results import Interval
from papertiger.analysis.stats import check_sample

__all__ = ["HarnessGap", "MetaAnalysis", "TauMethod", "harness_gap", "pool_harnesses"]

TauMethod = Literal["pm", "dl"]
_METHOD_NAMES = {"pm": "Paule–Mandel", "dl": "DerSimonian–Laird"}


@dataclass(frozen=True)
class HarnessGap:
    """One harness's gap with its SE (n_a, n_b are 0 when the gap was given directly)."""

    harness: str
    gap: float
    se: float
    n_a: int = 0
    n_b: int = 0


@dataclass(frozen=True)
class MetaAnalysis:
    """Each harness beside the pooled rows; weights are the random-effects ones (sum 1)."""

    rows: tuple[HarnessGap, ...]
    intervals: tuple[Interval, ...]
    weights: tuple[float, ...]
    method: str
    k: int
    fixed: Interval
    random: Interval
    hartung_knapp: Interval
    se_random: float
    se_hartung_knapp: float
    p_random: float
    p_hartung_knapp: float
    q: float
    q_p: float
    tau2: float
    i2: float
    notes: tuple[str, ...] = ()


def harness_gap(a: npt.ArrayLike, b: npt.ArrayLike, harness: str) -> HarnessGap:
    """mean(A) − mean(B) of per-model values in one harness, with the Welch (unpooled) SE."""
    x, y = check_sample(a, f"{harness}: group A"), check_sample(b, f"{harness}: group B")
    se = math.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
    if se == 0.0:
        raise ValueError(f"{harness}: both groups are constant, the gap has no SE")
    return HarnessGap(harness, float(x.mean() - y.mean()), se, x.size, y.size)


def _check_rows(rows: Sequence[HarnessGap]) -> tuple[np.ndarray, np.ndarray]:
    if len(rows) < 2:
        raise ValueError(f"pooling needs at least 2 harnesses, got {len(rows)}")
    gaps = np.array([r.gap for r in rows], dtype=float)
    ses = np.array([r.se for r in rows], dtype=float)
    if not (np.isfinite(gaps).all() and np.isfinite(ses).all()) or (ses <= 0).any():
        raise ValueError("every harness needs a finite gap and a positive SE")
    return gaps, ses


def pool_harnesses(rows: Sequence[HarnessGap], method: TauMethod = "pm",
                   level: float = 0.95) -> MetaAnalysis:
    """Random-effects pool of the harness gaps with Q, τ², I² and the Hartung–Knapp interval."""
    from statsmodels.stats.meta_analysis import combine_effects  # ~1 s import: only here

    if method not in _METHOD_NAMES:
        raise ValueError(f"method must be 'pm' or 'dl', got {method!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    gaps, ses = _check_rows(rows)
    k, alpha = gaps.size, 1.0 - level
    with warnings.catch_warnings():  # a negative DL τ² makes statsmodels take sqrt(< 0)
        warnings.simplefilter("ignore", RuntimeWarning)
        res = combine_effects(gaps, ses**2, method_re=method, alpha=alpha)
    notes: list[str] = []
    tau2 = float(res.tau2)
    if tau2 < 0.0:  # DL's moment estimate can fall below 0; τ² = 0 is the fixed-effect pool
        notes.append("DerSimonian–Laird τ² below 0 truncated to 0 (random = fixed effect)")
        tau2 = 0.0
    w = 1.0 / (ses**2 + tau2)
    mean = float(np.sum(w * gaps) / w.sum())
    se_re = math.sqrt(1.0 / w.sum())
    scale = float(np.sum(w * (gaps - mean) ** 2) / (k - 1))
    se_hk = math.sqrt(scale / w.sum())
    z = float(sps.norm.ppf(1 - alpha / 2))
    t = float(sps.t.ppf(1 - alpha / 2, k - 1))
    name = _METHOD_NAMES[method]
    fe_mean, fe_se = float(res.mean_effect_fe), float(res.sd_eff_w_fe)
    q = float(res.q)
    i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0
    if scale < 1.0:
        notes.append(f"Hartung–Knapp scale {scale:.2f} < 1: its interval is narrower than the "
                     "normal one (the modified HK would floor the scale at 1)")
    if k < 5:
        notes.append(f"only {k} harnesses: τ² is poorly determined; read the HK interval")
    return MetaAnalysis(
        rows=tuple(rows),
        intervals=tuple(Interval(float(g), float(g - z * s), float(g + z * s), level, "normal")
                        for g, s in zip(gaps, ses, strict=True)),
        weights=tuple(float(x) for x in w / w.sum()),
        method=name, k=k,
        fixed=Interval(fe_mean, fe_mean - z * fe_se, fe_mean + z * fe_se, level,
                       "fixed effect, inverse-variance weights"),
        random=Interval(mean, mean - z * se_re, mean + z * se_re, level,
                        f"random effects ({name} τ²), normal"),
        hartung_knapp=Interval(mean, mean - t * se_hk, mean + t * se_hk, level,
                               f"random effects ({name} τ²), Hartung–Knapp t, {k - 1} df"),
        se_random=se_re, se_hartung_knapp=se_hk,
        p_random=float(2 * sps.norm.sf(abs(mean) / se_re)),
        p_hartung_knapp=float(2 * sps.t.sf(abs(mean) / se_hk, k - 1)) if se_hk > 0 else math.nan,
        q=q, q_p=float(sps.chi2.sf(q, k - 1)), tau2=tau2, i2=i2, notes=tuple(notes))
