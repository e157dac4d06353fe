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

from papertiger.analysis.results import ShrinkageReport
from papertiger.report.figures import (
    PALETTE,
    fall_bars,
    figure_svg,
    group_colors,
    save_figures,
    scatter_old_fresh,
)

Rows = list[tuple[str, str, float, float]]
MakeReport = Callable[[Rows], ShrinkageReport]


def hexes(colours: Any) -> list[str]:
    return [to_hex(c) for c in np.atleast_2d(np.asarray(colours))]


def xs(line: Line2D) -> list[float]:
    return [float(x) for x in np.asarray(line.get_xdata())]


def ci_columns(report: ShrinkageReport) -> list[str]:
    return [str(c) for c in report.models.columns if str(c).endswith(("_low", "_high"))]


def point_labels(fig: Figure) -> list[Annotation]:
    return [
        t for t in fig.axes[0].texts if isinstance(t, Annotation) and t.get_gid() == "point-label"
    ]


def test_group_colours_follow_group_order(report: ShrinkageReport) -> None:
    assert group_colors(report) == {"Chinese": PALETTE[0], "Western": PALETTE[1]}


def test_scatter_has_one_point_and_one_label_per_model(report: ShrinkageReport) -> None:
    fig = scatter_old_fresh(report)
    ax = fig.axes[0]
    collections = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [np.asarray(c.get_offsets()).shape[0] for c in collections] == [7, 12]
    assert [hexes(c.get_facecolor())[0] for c in collections] == [p.lower() for p in PALETTE[:2]]
    assert sorted(t.get_text() for t in point_labels(fig)) == sorted(report.models["model"])
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == [
        "no fall (y = x)",
        "Chinese (n = 7)",
        "Western (n = 12)",
    ]


def test_scatter_draws_the_identity_line(report: ShrinkageReport) -> None:
    lines = scatter_old_fresh(report).axes[0].get_lines()
    assert any(xs(line) == np.asarray(line.get_ydata()).tolist() for line in lines)


def test_scatter_labels_do_not_overlap(report: ShrinkageReport) -> None:
    fig = scatter_old_fresh(report)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.canvas.draw()
    boxes = [Text.get_window_extent(t, renderer) for t in point_labels(fig)]
    overlapping = [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]
    assert overlapping == []


def test_bars_are_sorted_and_coloured_by_group(report: ShrinkageReport) -> None:
    fig = fall_bars(report)
    ax = fig.axes[0]
    bars = [p for c in ax.containers for p in c if isinstance(p, Rectangle)]
    assert len(bars) == len(report.models)
    widths = [b.get_width() for b in bars]
    assert widths == sorted(widths, reverse=True)  # biggest drop at the top
    labels = [t.get_text() for t in ax.get_yticklabels()]
    expected = report.models.sort_values("pct_fall", ascending=False)
    assert labels == expected["model"].tolist()
    colours = group_colors(report)
    assert [to_hex(b.get_facecolor()) for b in bars] == [
        colours[g].lower() for g in expected["group"]
    ]


def test_bars_show_zero_line_and_dashed_group_means(report: ShrinkageReport) -> None:
    ax = fall_bars(report).axes[0]
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


def test_bars_without_ci_columns(report: ShrinkageReport) -> None:
    models = report.models.drop(columns=ci_columns(report))
    fig = fall_bars(dataclasses.replace(report, models=models))
    assert len(fig.axes[0].containers[0]) == len(models)


def test_dollar_signs_are_shown_literally(essay: Rows, make_report: MakeReport) -> None:
    odd = make_report([*essay, ("Model $x^2$ {_}", "Western", 50.0, 45.0)])
    assert "Model $x^2$ {_}" in figure_svg(scatter_old_fresh(odd))  # not parsed as mathtext
    svg = figure_svg(fall_bars(odd))
    assert "Model $x^2$ {_}" in svg


def test_figure_svg_is_inline_ready_and_escapes_names(evil_report: ShrinkageReport) -> None:
    report = evil_report
    for fig in (scatter_old_fresh(report), fall_bars(report)):
        svg = figure_svg(fig)
        assert svg.startswith("<svg") and svg.endswith("</svg>")
        assert "<?xml" not in svg and "<metadata>" not in svg and "<script" not in svg
        assert '&lt;script&gt;alert(1)&lt;/script&gt; &amp; "x"' in svg


def test_save_figures_writes_png_and_svg(report: ShrinkageReport, tmp_path: Path) -> None:
    paths = save_figures(report, tmp_path / "figs")
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
def test_one_group_and_no_groups_frame(report: ShrinkageReport, make: object) -> None:
    only = report.models[report.models["group"] == "Western"]
    single = dataclasses.replace(
        report, models=only, groups=report.groups.iloc[0:0], comparison=None
    )
    assert callable(make)
    assert isinstance(make(single), Figure)
