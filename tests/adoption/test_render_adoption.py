"""Rendering of an adoption report: HTML (self-contained, escaped), figure, JSON, terminal."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from synthetic import FAMILIES

from papertiger.adoption import AdoptionReport, Family, adoption_series, scan_snapshot
from papertiger.errors import ConfigError
from papertiger.render.adoption import (
    print_adoption,
    ratio_cell,
    render_html,
    save_figure,
    share_cell,
    share_figure,
    to_csv,
    to_json,
    write_html,
)

EVIL = '<script>alert(1)</script> & "x"'
EXTERNAL = re.compile(
    r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:[a-z]+:)?//|url\(\s*["']?(?:https?:)?//|@import""",
    re.I,
)


@pytest.fixture
def report(snapshot: Path) -> AdoptionReport:
    return adoption_series(scan_snapshot(snapshot, FAMILIES))


def test_html_is_self_contained_and_complete(report: AdoptionReport, tmp_path: Path) -> None:
    path = write_html(report, tmp_path / "deep" / "adoption.html")
    page = path.read_text()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not EXTERNAL.search(page) and "<script" not in page
    assert page.count("<tr><td>20") == 24  # one row per month
    assert report.lead is not None and report.lead.sentence() in page.replace("&#39;", "'")
    assert "<code>qwen2.5</code>" in page and "95% Wilson" in page


def test_hostile_family_names_are_escaped(snapshot: Path) -> None:
    evil = Family(EVIL, ("llama",), lab="<b>lab</b>")
    scan = scan_snapshot(snapshot, [evil, FAMILIES[1]])
    page = render_html(adoption_series(scan))
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>lab</b>" not in page


def test_figure_has_the_share_and_ratio_panels(
    report: AdoptionReport, snapshot: Path, tmp_path: Path
) -> None:
    fig = share_figure(report)
    assert len(fig.axes) == 2 and fig.axes[1].get_yscale() == "log"
    legend = fig.axes[0].get_legend()
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == ["LLaMA", "Qwen"]
    single = adoption_series(scan_snapshot(snapshot, FAMILIES[:1]))
    assert len(share_figure(single).axes) == 1 and single.pair is None
    png = save_figure(report, tmp_path / "share.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ConfigError):
        save_figure(report, tmp_path / "share.gif")


def test_json_has_no_infinities(snapshot: Path) -> None:
    scan = scan_snapshot(snapshot, [FAMILIES[0], Family("Nobody", ("zzzzmodel",))])
    data = json.loads(to_json(adoption_series(scan)))  # LLaMA / Nobody is infinite every month
    assert all(m["ratio"] is None and m["ratio_high"] is None for m in data["months"])
    assert data["lead"]["leader"] == "LLaMA"
    assert to_csv(adoption_series(scan)).splitlines()[1].split(",")[-4] == "inf"


def test_terminal_table(report: AdoptionReport) -> None:
    console = Console(record=True, width=200)
    print_adoption(report, console)
    text = console.export_text()
    assert "2023-06" in text and "LLaMA/Qwen [CI]" in text and "Rule:" in text


def test_cells() -> None:
    assert share_cell(0.123, 0.1, 0.15) == "12.3% [10.0, 15.0]"
    assert share_cell(float("nan"), float("nan"), float("nan")) == "\u2014"
    assert ratio_cell(float("inf"), 2.0, float("inf")) == "\u221e [2.00, \u221e]"
    assert ratio_cell(float("nan"), float("nan"), float("nan")) == "\u2014"
