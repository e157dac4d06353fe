"""The dedup score figure: how the ranked candidate pairs score, marked vs unmarked.

With embeddings: each candidate pair is a point at (overlap, cosine), marked pairs in
colour, the two thresholds as dashed lines (a pair is marked right of the vertical or
above the horizontal line). Lexical only: a stacked histogram of overlap, marked vs
unmarked, with the threshold. Only ranked candidates (each item's top N) are drawn, not
every pair compared. A `matplotlib.figure.Figure`, no pyplot state.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from papertiger.dedup import DedupReport
from papertiger.errors import ConfigError
from papertiger.render.figures import PALETTE

__all__ = ["FIGURE_SUFFIXES", "save_score_figure", "score_figure"]

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
MARKED, UNMARKED, LINE = PALETTE[0], "#9aa3ad", "#1b1f24"


def _scatter(ax: Axes, report: DedupReport) -> None:
    t = report.thresholds
    for marked, colour, size, label in (
        (False, UNMARKED, 14, "not marked"),
        (True, MARKED, 30, "marked"),
    ):
        group = [c for c in report.candidates if c.marked is marked]
        x = np.array([c.overlap for c in group], dtype=float)
        y = np.array([c.cosine if c.cosine is not None else np.nan for c in group], dtype=float)
        ax.scatter(
            x, y, s=size, color=colour, alpha=0.75, linewidths=0, zorder=3 if marked else 2,
            label=f"{label} ({len(group):,})",
        )
    ax.axvline(t.overlap, color=LINE, linestyle="--", linewidth=0.9)
    ax.axhline(t.cosine, color=LINE, linestyle="--", linewidth=0.9)
    ax.text(t.overlap, 1.0, f" overlap {t.overlap:.2f}", transform=ax.get_xaxis_transform(),
            va="bottom", ha="left", fontsize=8, color=LINE)
    ax.text(1.0, t.cosine, f"cosine {t.cosine:.2f} ", transform=ax.get_yaxis_transform(),
            va="bottom", ha="right", fontsize=8, color=LINE)
    ax.set_xlim(-0.02, 1.02)
    lows = [c.cosine for c in report.candidates if c.cosine is not None]
    ax.set_ylim(min(0.0, min(lows, default=0.0)) - 0.02, 1.02)
    ax.set_xlabel("lexical overlap (Jaccard of word 3-shingles)")
    ax.set_ylabel(f"embedding cosine ({report.embedder})")


def _histogram(ax: Axes, report: DedupReport) -> None:
    t = report.thresholds
    bins = [i / 40 for i in range(41)]
    values = [
        np.array([c.overlap for c in report.candidates if c.marked is m], dtype=float)
        for m in (False, True)
    ]
    counts = [len(v) for v in values]
    ax.hist(
        values, bins=bins, stacked=True, color=[UNMARKED, MARKED],
        label=[f"not marked ({counts[0]:,})", f"marked ({counts[1]:,})"],
    )
    ax.axvline(t.overlap, color=LINE, linestyle="--", linewidth=0.9)
    ax.text(t.overlap, 1.0, f" overlap {t.overlap:.2f}", transform=ax.get_xaxis_transform(),
            va="bottom", ha="left", fontsize=8, color=LINE)
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("lexical overlap (Jaccard of word 3-shingles)")
    ax.set_ylabel("candidate pairs")


def score_figure(report: DedupReport) -> Figure:
    """Overlap vs cosine of the ranked pairs (or overlap alone), marked vs unmarked."""
    fig = Figure(figsize=(7.2, 5.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    if report.embedder is not None:
        _scatter(ax, report)
    else:
        _histogram(ax, report)
    ax.grid(True, color="#eceff2", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if report.candidates:
        ax.legend(loc="lower right" if report.embedder else "upper right", frameon=False,
                  fontsize=8)
    fig.suptitle(
        f"Candidate pairs (top {report.top} per item), marked vs not marked",
        fontsize=10, x=0.02, ha="left",
    )
    return fig


def save_score_figure(report: DedupReport, path: str | Path) -> Path:
    """Write `score_figure(report)` to `path` (.png, .svg or .pdf); return the path."""
    path = Path(path)
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise ConfigError(f"{path}: a figure file must end in {', '.join(FIGURE_SUFFIXES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = score_figure(report)
    metadata: dict[str, str | None] = {"Date": None} if path.suffix.lower() == ".svg" else {}
    fig.savefig(path, dpi=150, metadata=metadata or None)
    return path
