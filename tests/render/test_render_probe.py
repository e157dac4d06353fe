"""The probe section in every output, from hand-built results: both metrics kept apart and
labelled at every ratio, data text escaped, no figure without data, JSON finite."""

from __future__ import annotations

import json
import math

from rich.console import Console

from papertiger.analysis.results import Interval
from papertiger.analysis.sections.probe import ProbeCell, ProbeGap, ProbeSection
from papertiger.render.figures import figure_svg
from papertiger.render.sections import renderer_for
from papertiger.render.sections.probe import probe_figure

EVIL = '<script>alert(1)</script> | $x$ & "q"'
RATIOS = (0.4, 0.6, 0.8)
METRICS = ("exact", "rouge_l", "edit", "answer")


def iv(x: float, half: float = 0.05) -> Interval:
    return Interval(x, max(0.0, x - half), min(1.0, x + half))


def gap(model: str, ratio: float, metric: str, old: float, fresh: float) -> ProbeGap:
    return ProbeGap(model, "completion", ratio, metric, "training cutoff", ("f2024",), ("f2025",),
                    iv(old), iv(fresh), iv(old - fresh, 0.1), 30, 30)


def section(models: tuple[str, ...] = ("recaller", EVIL)) -> ProbeSection:
    gaps, cells = [], []
    for m in models:
        high = 0.95 if m == "recaller" else 0.1
        for metric in METRICS:
            for r in RATIOS:
                gaps.append(gap(m, r, metric, high, 0.1))
                for form, side, mean in (("f2024", "old", high), ("f2025", "fresh", 0.1)):
                    cells.append(ProbeCell(m, "completion", form, side, r, metric, "both", 30,
                                           mean, mean - 0.05, mean + 0.05))
    return ProbeSection("aime", models, ("f2024", "f2025"), RATIOS, tuple(cells), tuple(gaps),
                        attempts=720, errors=3, level=0.95, n_boot=2000,
                        notes=(f"note about {EVIL}",))


def test_terminal_shows_both_metrics_at_every_ratio_in_separate_tables() -> None:
    console = Console(record=True, width=220)
    renderer_for(section()).terminal(section(), console)
    text = console.export_text()
    recall, answers = text.split("Answer accuracy: does", 1)
    assert "Text recall" in recall and "ROUGE-L" in recall and "exact match" in recall
    assert "answer accuracy" not in recall and "ROUGE-L" not in answers
    for ratio in ("40%", "60%", "80%"):
        assert ratio in recall and ratio in answers
    assert "+0.85 [+0.75, +0.95]" in recall
    assert "<script>alert(1)</script>" in text  # shown literally, not as markup


def test_markdown_escapes_data_and_labels_each_metric() -> None:
    md = renderer_for(section()).markdown(section())
    assert md.startswith("## Memorisation probe")
    assert "<script>" not in md and "&lt;script&gt;" in md and "\\| $x$" in md
    assert "### Text recall" in md and "### Answer accuracy" in md and "### Per form" in md
    assert "| f2024 (old) | ROUGE-L |" in md.replace("| recaller | completion ", "")


def test_json_keeps_metrics_apart_and_is_finite() -> None:
    broken = section(("recaller",))
    nan_gap = ProbeGap("recaller", "chat", 0.4, "rouge_l", "release order (no model dates)",
                       ("f2024",), (), None, None, None, 3, 0, "no fresh form with probe results")
    nan_cell = ProbeCell("recaller", "chat", "f2024", "old", 0.4, "rouge_l", "both", 0,
                         math.nan, math.nan, math.nan)
    data = renderer_for(broken).json(ProbeSection(
        broken.suite, broken.models, broken.forms, broken.ratios, (*broken.cells, nan_cell),
        (*broken.gaps, nan_gap), 10, 0, 0.95, 100))
    text = json.dumps(data, allow_nan=False)
    assert {g["metric"] for g in data["text_recall"]} == {"exact", "rouge_l", "edit"}
    assert {g["metric"] for g in data["answer_accuracy"]} == {"answer"}
    assert data["cells"][-1]["mean"] is None and '"reason": "no fresh form' in text


def test_html_is_a_self_contained_escaped_fragment_with_the_figure() -> None:
    html = str(renderer_for(section()).html(section()))
    assert html.startswith('<section class="extra probe" id="probe">')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<svg") == 1 and "Answer accuracy" in html and "Text recall" in html


def test_figure_has_one_panel_per_metric_and_none_without_data() -> None:
    fig = probe_figure(section())
    assert fig is not None and len(fig.axes) == 2
    titles = [ax.get_title() for ax in fig.axes]
    assert "ROUGE-L" in titles[0] and "Answer accuracy" in titles[1]
    svg = figure_svg(fig)
    assert "<script>" not in svg and "alert(1)" in svg  # the name, escaped as SVG text
    assert set(renderer_for(section()).figures(section())) == {"probe_memorisation"}
    lonely = ProbeSection("aime", ("m",), ("f2024",), (0.4,), (), (ProbeGap(
        "m", "completion", 0.4, "rouge_l", "training cutoff", ("f2024",), (), iv(0.5), None,
        None, 30, 0, "no fresh form with probe results"),), 30, 0, 0.95, 100)
    assert probe_figure(lonely) is None and renderer_for(lonely).figures(lonely) == {}
    html = str(renderer_for(lonely).html(lonely))
    assert "<svg" not in html and "No figure" in html
