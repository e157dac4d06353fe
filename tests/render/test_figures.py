"""Figures: the right artists, safe text, files on disk."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Annotation, Text

from papertiger.analysis.results import Report, ShrinkageSection, Skipped
from papertiger.render.figures import (
    PALETTE,
    fall_bars,
    figure_svg,
    group_colors,
    model_frame,
    save_figures,
    scatter_old_fresh,
)

Rows = list[tuple[str, str, float, float]]
MakeReport = Callable[..., Report]


@pytest.fixture
def full(report: Report) -> Report:
    """The whole report (figures are drawn per section)."""
    return report


@pytest.fixture
def section(report: Report) -> ShrinkageSection:
    return report.section


def hexes(colours: Any) -> list[str]:
    return [to_hex(c) for c in np.atleast_2d(np.asarray(colours))]


def xs(line: Line2D) -> list[float]:
    return [float(x) for x in np.asarray(line.get_xdata())]


def point_labels(fig: Figure) -> list[Annotation]:
    return [
        t for t in fig.axes[0].texts if isinstance(t, Annotation) and t.get_gid() == "point-label"
    ]


def test_group_colours_follow_group_order(section: ShrinkageSection) -> None:
    assert group_colors(section) == {"Chinese": PALETTE[0], "Western": PALETTE[1]}


def test_scatter_has_one_point_and_one_label_per_model(section: ShrinkageSection) -> None:
    fig = scatter_old_fresh(section)
    ax = fig.axes[0]
    collections = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [np.asarray(c.get_offsets()).shape[0] for c in collections] == [7, 12]
    assert [hexes(c.get_facecolor())[0] for c in collections] == [p.lower() for p in PALETTE[:2]]
    assert sorted(t.get_text() for t in point_labels(fig)) == sorted(m.model for m in section.models)
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == [
        "no fall (y = x)",
        "Chinese (n = 7)",
        "Western (n = 12)",
    ]


def test_scatter_draws_the_identity_line(section: ShrinkageSection) -> None:
    lines = scatter_old_fresh(section).axes[0].get_lines()
    assert any(xs(line) == np.asarray(line.get_ydata()).tolist() for line in lines)


def test_scatter_labels_do_not_overlap(section: ShrinkageSection) -> None:
    fig = scatter_old_fresh(section)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.canvas.draw()
    boxes = [Text.get_window_extent(t, renderer) for t in point_labels(fig)]
    overlapping = [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]
    assert overlapping == []


def test_bars_are_sorted_and_coloured_by_group(section: ShrinkageSection) -> None:
    fig = fall_bars(section)
    ax = fig.axes[0]
    bars = [p for c in ax.containers for p in c if isinstance(p, Rectangle)]
    assert len(bars) == len(section.models)
    widths = [b.get_width() for b in bars]
    assert widths == sorted(widths, reverse=True)  # biggest drop at the top
    labels = [t.get_text() for t in ax.get_yticklabels()]
    expected = model_frame(section).sort_values("pct_fall", ascending=False)
    assert labels == expected["model"].tolist()
    colours = group_colors(section)
    assert [to_hex(b.get_facecolor()) for b in bars] == [
        colours[g].lower() for g in expected["group"]
    ]


def test_bars_show_zero_line_and_dashed_group_means(section: ShrinkageSection) -> None:
    ax = fall_bars(section).axes[0]
    vertical = {
        round(xs(line)[0], 2): line.get_linestyle()
        for line in ax.get_lines()
        if len(set(xs(line))) == 1
    }
    assert vertical[0.0] == "-"
    assert vertical[-20.96] == "--"
    assert vertical[-10.45] == "--"
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == [
        "Chinese",
        "Western",
        "Chinese mean \u221221.0",
        "Western mean \u221210.4",
    ]


def test_bars_without_ci_columns(essay: Rows, make_report: MakeReport) -> None:
    bare = make_report(essay, ci=False).section
    fig = fall_bars(bare)
    assert len(fig.axes[0].containers[0]) == len(bare.models)


def test_dollar_signs_are_shown_literally(essay: Rows, make_report: MakeReport) -> None:
    odd = make_report([*essay, ("Model $x^2$ {_}", "Western", 50.0, 45.0)]).section
    assert "Model $x^2$ {_}" in figure_svg(scatter_old_fresh(odd))  # not parsed as mathtext
    svg = figure_svg(fall_bars(odd))
    assert "Model $x^2$ {_}" in svg


def test_figure_svg_is_inline_ready_and_escapes_names(evil_report: Report) -> None:
    report = evil_report.section
    for fig in (scatter_old_fresh(report), fall_bars(report)):
        svg = figure_svg(fig)
        assert svg.startswith("<svg") and svg.endswith("</svg>")
        assert "<?xml" not in svg and "<metadata>" not in svg and "<script" not in svg
        assert '&lt;script&gt;alert(1)&lt;/script&gt; &amp; "x"' in svg


def test_save_figures_writes_png_and_svg(full: Report, tmp_path: Path) -> None:
    paths = save_figures(full, tmp_path / "figs")
    assert sorted(p.name for p in paths) == [
        "fall_bars.png",
        "fall_bars.svg",
        "old_vs_fresh.png",
        "old_vs_fresh.svg",
    ]
    for path in paths:
        data = path.read_bytes()
        assert len(data) > 5_000
        if path.suffix == ".png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n")
        else:
            assert b"<svg" in data[:2_000]


@pytest.mark.parametrize("make", [scatter_old_fresh, fall_bars])
def test_one_group_and_no_groups_frame(section: ShrinkageSection, make: object) -> None:
    only = tuple(m for m in section.models if m.group == "Western")
    single = dataclasses.replace(
        section, models=only, groups=(), comparison=Skipped("group comparison", "one group")
    )
    assert callable(make)
    assert isinstance(make(single), Figure)
