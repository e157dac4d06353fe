"""Figures of a shrinkage report, as `matplotlib.figure.Figure` objects (no pyplot state).

Every string drawn comes from data (model and group names), so `$` is escaped to stop
mathtext from parsing it; XML escaping of SVG text is matplotlib's job.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import matplotlib
import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox, blended_transform_factory

from papertiger.analysis.results import METRIC_COLUMNS, METRIC_LABELS, Report, ShrinkageSection
from papertiger.render.style import MARKERS, PALETTE, plain

HAlign = Literal["left", "center", "right"]
VAlign = Literal["bottom", "center", "top"]
Candidate = tuple[float, float, HAlign, VAlign]

OVERALL = "Overall"
MINUS = "\u2212"
# Label directions tried around a point, in order of preference: (dx, dy, ha, va).
_DIRECTIONS: tuple[Candidate, ...] = (
    (1, 0.45, "left", "bottom"),
    (-1, 0.45, "right", "bottom"),
    (1, -0.45, "left", "top"),
    (-1, -0.45, "right", "top"),
    (0, 1, "center", "bottom"),
    (0, -1, "center", "top"),
    (1, 0, "left", "center"),
    (-1, 0, "right", "center"),
)
_RADII = (5.0, 13.0, 22.0)  # points; beyond the first ring a thin leader line is drawn
_CANDIDATES: list[Candidate] = [
    (dx * r, dy * r, ha, va) for r in _RADII for dx, dy, ha, va in _DIRECTIONS
]
_MARKER_R = 3.6  # points: half the marker size (s = 38)
_LABEL_STYLE: dict[str, Any] = {
    "fontsize": 7,
    "color": "0.12",
    "zorder": 4,
    "gid": "point-label",
    "bbox": {"boxstyle": "square,pad=0.08", "fc": "white", "ec": "none", "alpha": 0.75},
    "arrowprops": {
        "arrowstyle": "-",
        "lw": 0.5,
        "color": "0.5",
        "shrinkA": 0,
        "shrinkB": _MARKER_R + 0.5,
    },
}
_LEGEND_STYLE: dict[str, Any] = {"fontsize": 8, "framealpha": 0.9, "edgecolor": "0.85"}


def signed(value: float, digits: int = 1) -> str:
    """`value` with an explicit sign and a real minus sign: '+0.3', '−12.3'."""
    return f"{value:+.{digits}f}".replace("-", MINUS)


def group_order(section: ShrinkageSection) -> list[str]:
    """Group names in report order: the group rows (without Overall), then any others."""
    names = list(section.group_names)
    for row in section.models:
        if row.group not in names:
            names.append(row.group)
    return names


def group_colors(section: ShrinkageSection) -> dict[str, str]:
    """One palette colour per group, the same in every figure and in the HTML tables."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(group_order(section))}


def model_frame(section: ShrinkageSection) -> pd.DataFrame:
    """The per-model rows as a frame whose `group` column is the group-by value."""
    frame = pd.DataFrame([m.as_dict("group") for m in section.models])
    if frame.empty:
        return pd.DataFrame(columns=["model", "group", "old", "fresh", *METRIC_COLUMNS.values()])
    return frame


def _new_figure(width: float, height: float) -> Figure:
    """A figure with its own Agg canvas (for measuring text) and constrained layout."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)  # gives the figure a renderer for measuring text
    return fig


def _limits(models: pd.DataFrame) -> tuple[float, float]:
    """Shared x/y limits: the data's range with a margin, inside [0, 100]."""
    values = pd.concat([models["old"], models["fresh"]]).dropna()
    if values.empty:
        return 0.0, 100.0
    return max(0.0, float(values.min()) - 6), min(100.0, float(values.max()) + 6)


def scatter_old_fresh(report: ShrinkageSection) -> Figure:
    """Old-version score (x) against fresh-version score (y), one labelled point per model."""
    fig = _new_figure(7.0, 6.4)
    ax = fig.add_subplot()
    models = model_frame(report).dropna(subset=["old", "fresh"])
    lo, hi = _limits(models)
    ax.plot([lo, hi], [lo, hi], ls="--", lw=1, color="0.45", zorder=1, label="no fall (y = x)")
    for i, (group, colour) in enumerate(group_colors(report).items()):
        sub = models[models["group"].astype(str) == group]
        if len(sub):
            marker = MARKERS[i % len(MARKERS)]
            ax.scatter(
                sub["old"],
                sub["fresh"],
                s=38,
                color=colour,
                marker=marker,
                zorder=3,
                edgecolors="white",
                linewidths=0.6,
                label=plain(f"{group} (n = {len(sub)})"),
            )
    _frame_scatter(ax, report, lo, hi)
    _place_labels(ax, models, lo, hi)
    return fig


def _frame_scatter(ax: Axes, report: ShrinkageSection, lo: float, hi: float) -> None:
    """Axes limits, labels, title, grid, the reading hint and the legend."""
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel(plain(f"{report.old_label} score (%)"))
    ax.set_ylabel(plain(f"{report.fresh_label} score (%)"))
    ax.set_title(plain(f"{report.old_label} vs {report.fresh_label}"), fontsize=11)
    ax.grid(alpha=0.25, lw=0.6)
    hint = plain(f"below the line: lower on {report.fresh_label}")
    ax.text(
        0.98, 0.02, hint, transform=ax.transAxes, ha="right", va="bottom", fontsize=8, color="0.4"
    )
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper left", **_LEGEND_STYLE)


def _overlap(box: Bbox, obstacles: list[Bbox]) -> float:
    """Total area of `box` covered by `obstacles` (pixels squared)."""
    if not obstacles:
        return 0.0
    other = np.array([o.extents for o in obstacles])
    w = np.minimum(box.x1, other[:, 2]) - np.maximum(box.x0, other[:, 0])
    h = np.minimum(box.y1, other[:, 3]) - np.maximum(box.y0, other[:, 1])
    return float(np.sum(np.clip(w, 0, None) * np.clip(h, 0, None)))


def _outside(box: Bbox, frame: Bbox) -> float:
    return box.width * box.height - _overlap(box, [frame])


def _square(centre: Any, half: float) -> Bbox:
    x, y = float(centre[0]), float(centre[1])
    return Bbox.from_extents(x - half, y - half, x + half, y + half)


def _obstacles(
    ax: Axes, renderer: RendererBase, points: list[tuple[float, float]], lo: float, hi: float
) -> tuple[list[Bbox], list[Bbox]]:
    """Hard obstacles (markers, legend, hint) and soft ones (samples of the y = x line)."""
    r = _MARKER_R * ax.figure.dpi / 72  # points to pixels
    hard = [_square(ax.transData.transform(p), r) for p in points]
    hard += [t.get_window_extent(renderer) for t in ax.texts]
    legend = ax.get_legend()
    if legend is not None:
        hard.append(legend.get_window_extent(renderer))
    steps = [lo + (hi - lo) * k / 80 for k in range(81)]
    soft = [_square(ax.transData.transform((v, v)), 1.0) for v in steps]
    return hard, soft


def _place_labels(ax: Axes, models: pd.DataFrame, lo: float, hi: float) -> None:
    """Label each point at the first nearby position that overlaps nothing (greedy)."""
    fig, canvas = ax.get_figure(), ax.figure.canvas
    assert isinstance(fig, Figure) and isinstance(canvas, FigureCanvasAgg)
    fig.draw_without_rendering()  # fix the constrained layout before measuring
    renderer = canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    points = list(zip(models["old"].astype(float), models["fresh"].astype(float), strict=True))
    hard, soft = _obstacles(ax, renderer, points, lo, hi)
    names = models["model"].astype(str).tolist()
    for i in sorted(range(len(points)), key=lambda k: (-points[k][1], -points[k][0])):
        label = ax.annotate(
            plain(names[i]), points[i], xytext=(0, 0), textcoords="offset points", **_LABEL_STYLE
        )
        label.set_in_layout(False)
        hard.append(_best_position(label, renderer, hard, soft, frame))


def _best_position(
    label: Annotation, renderer: RendererBase, hard: list[Bbox], soft: list[Bbox], frame: Bbox
) -> Bbox:
    """Move `label` to the cheapest candidate position; return its box there."""
    best: tuple[float, int, Bbox] | None = None
    for k, candidate in enumerate(_CANDIDATES):
        _move(label, candidate)
        label.update_positions(renderer)
        box = Text.get_window_extent(label, renderer).padded(1.0)
        cost = _overlap(box, hard) + 0.3 * _overlap(box, soft) + 4 * _outside(box, frame)
        if cost == 0:
            best = (cost, k, box)
            break
        cost += k  # prefer positions close to the point
        if best is None or cost < best[0]:
            best = (cost, k, box)
    assert best is not None
    _move(label, _CANDIDATES[best[1]])
    assert label.arrow_patch is not None
    label.arrow_patch.set_visible(best[1] >= len(_DIRECTIONS))
    return best[2]


def _move(label: Annotation, candidate: Candidate) -> None:
    dx, dy, ha, va = candidate
    label.set_position((dx, dy))
    label.set_horizontalalignment(ha)
    label.set_verticalalignment(va)


def fall_bars(report: ShrinkageSection, metric: str = "pct") -> Figure:
    """Per-model fall as horizontal bars, biggest drop on top, group means as dashed lines."""
    column = METRIC_COLUMNS.get(metric, metric)
    label = METRIC_LABELS.get(metric, column)
    data = model_frame(report).dropna(subset=[column]).sort_values(column, ascending=False)
    colours = group_colors(report)
    fig = _new_figure(7.0, 1.6 + 0.24 * max(len(data), 1))
    ax = fig.add_subplot()
    ys = list(range(len(data)))
    values = data[column].astype(float)
    ax.barh(
        ys,
        values,
        height=0.7,
        color=[colours[str(g)] for g in data["group"]],
        zorder=2,
        xerr=_error_bars(data, column),
        error_kw={"elinewidth": 0.7, "ecolor": "0.3"},
    )
    ax.set_yticks(ys, [plain(m) for m in data["model"]], fontsize=8)
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.axvline(0, color="0.15", lw=0.9, zorder=3)
    _value_labels(ax, values.tolist(), 2 if metric == "logit" else 1, label)
    _bar_legend(ax, report, column, set(data["group"].astype(str)))
    xlabel = f"{label}: {report.fresh_label} vs {report.old_label} (negative = drop)"
    ax.set_xlabel(plain(xlabel))
    ax.grid(axis="x", alpha=0.25, lw=0.6, zorder=0)
    ax.set_title(plain(f"{label} per model"), fontsize=11)
    return fig


def _bar_legend(ax: Axes, report: ShrinkageSection, column: str, present: set[str]) -> None:
    """Dashed group-mean lines, and a legend of group colours and means."""
    colours = group_colors(report)
    handles: list[Artist] = [
        Patch(color=c, label=plain(g)) for g, c in colours.items() if g in present
    ]
    for group, mean in _group_means(report, column).items():
        style: dict[str, Any] = {"color": colours.get(group, "0.3"), "ls": "--", "lw": 1.3}
        handles.append(ax.axvline(mean, label=plain(f"{group} mean {signed(mean)}"), **style))
    if handles:
        ax.legend(handles=handles, loc="lower left", **_LEGEND_STYLE)


def _error_bars(data: pd.DataFrame, column: str) -> list[list[float]] | None:
    low, high = f"{column}_low", f"{column}_high"
    if low not in data.columns or high not in data.columns or data[low].isna().all():
        return None
    value = data[column].astype(float)
    below = (value - data[low].astype(float)).clip(lower=0).fillna(0)
    above = (data[high].astype(float) - value).clip(lower=0).fillna(0)
    return [below.tolist(), above.tolist()]


def _value_labels(ax: Axes, values: list[float], digits: int, header: str) -> None:
    """The values as a right-aligned column just outside the axes, like a table."""
    style: dict[str, Any] = {
        "textcoords": "offset points",
        "ha": "right",
        "fontsize": 7.5,
        "color": "0.15",
        "annotation_clip": False,
    }
    where = blended_transform_factory(ax.transAxes, ax.transData)
    for y, value in enumerate(values):
        ax.annotate(
            signed(value, digits), (1, y), xycoords=where, xytext=(34, 0), va="center", **style
        )
    ax.annotate(
        plain(header),
        (1, 1),
        xycoords="axes fraction",
        xytext=(34, 3),
        va="bottom",
        fontweight="bold",
        **style,
    )


def _group_means(report: ShrinkageSection, column: str) -> dict[str, float]:
    """Group means of `column` from the section's group rows (plain means over models)."""
    return {
        g.group: float(getattr(g, column))
        for g in report.groups
        if not g.overall and pd.notna(getattr(g, column))
    }


FIGURES: dict[str, Callable[[ShrinkageSection], Figure]] = {
    "old_vs_fresh": scatter_old_fresh,
    "fall_bars": fall_bars,
}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "form"


def save_figures(report: Report, directory: str | Path) -> list[Path]:
    """Write every figure of every section as PNG (150 dpi) and SVG into `directory`.

    With one section the files are `old_vs_fresh.png`, `fall_bars.svg`, ...; with several,
    each name carries its forms (`old_vs_fresh_aime2025-aime2026.png`).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    sections = report.shrinkage
    for section in sections:
        suffix_name = "" if len(sections) == 1 else f"_{_slug(section.old_label)}-{_slug(section.fresh_label)}"
        for name, make in FIGURES.items():
            fig = make(section)
            for suffix in ("png", "svg"):
                path = directory / f"{name}{suffix_name}.{suffix}"
                fig.savefig(path, format=suffix, dpi=150, metadata=_metadata(suffix))
                paths.append(path)
    from papertiger.render.sections import renderer_for

    for extra in report.extras:
        for name, fig in renderer_for(extra).figures(extra).items():
            for suffix in ("png", "svg"):
                path = directory / f"{name}.{suffix}"
                fig.savefig(path, format=suffix, dpi=150, metadata=_metadata(suffix))
                paths.append(path)
    return paths


def _metadata(fmt: str) -> dict[str, str | None]:
    return {"Software": "papertiger"} if fmt == "png" else {"Date": None}


_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


def inline_svg(fig: Figure | None) -> Markup | None:
    """`figure_svg` marked safe for a template, None without a figure. Safe: matplotlib
    escapes every text it writes into the SVG."""
    return None if fig is None else Markup(figure_svg(fig))  # noqa: S704


def figure_svg(fig: Figure) -> str:
    """The figure as SVG text for inlining in HTML: real <text> elements, no XML prolog."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "papertiger"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _METADATA.sub("", _PROLOG.sub("", buffer.getvalue(), count=1), count=1).strip()
