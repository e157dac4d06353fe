"""Rendering dedup candidates: what is shown, the HTML section, the figure, Markdown cells."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from dedup_cli_helpers import LetterEmbedder

from papertiger.dedup import DedupItem, find_candidates
from papertiger.errors import ConfigError
from papertiger.render.dedup import (
    DedupView,
    candidate_key,
    render_html,
    render_section,
    save_score_figure,
    score_figure,
    to_json,
    to_markdown,
)

OLD, NEW = dt.date(2020, 1, 1), dt.date(2025, 2, 6)
TEXTS = [
    "Find the number of ordered pairs $(x, y)$ of integers with $x^2 + y^2 = 25$.",
    "A frog jumps along a line | each jump is $1$ or $2$ units; count the paths of length $10$.",
    "Let $ABC$ be a triangle with sides $3$, $4$, $5$. Find the inradius.",
]


def _report(embedder: object = None):
    targets = [DedupItem(f"new-{i}", "fresh", NEW, t) for i, t in enumerate(TEXTS)]
    old = [DedupItem(f"old-{i}", "older", OLD, t.replace("$2$", "$3$")) for i, t in enumerate(TEXTS)]
    noise = [DedupItem("noise", "older", OLD, "Find the number of ordered triples of primes below $50$.")]
    return find_candidates(targets, old + noise, top=2, embedder=embedder)  # type: ignore[arg-type]


def test_shown_is_the_marked_pairs_then_the_strongest_near_misses() -> None:
    report = _report()
    view = DedupView(report, near_misses=1)
    shown = view.shown()
    marked = [c for c in shown if c.marked]
    assert len(marked) == 3 and len(shown) == 4 and not shown[-1].marked
    assert shown[-1] == next(c for c in report.ranked() if not c.marked)
    assert len(DedupView(report, near_misses=0).shown()) == 3


def test_verdicts_are_looked_up_by_pair() -> None:
    report = _report()
    first = report.marked()[0]
    view = DedupView(report, verdicts={candidate_key(first): "same"}, judge_model="j")
    assert view.verdict(first) == "same"
    pairs = json.loads(to_json(view))["pairs"]
    assert pairs[0]["verdict"] == "same" and pairs[0]["judge_model"] == "j"
    assert all(p["verdict"] is None and p["judge_model"] is None for p in pairs[1:])
    assert "Verdicts by j." in view.summary()


def test_markdown_cells_keep_pipes_and_tags_inert() -> None:
    md = to_markdown(DedupView(_report(), near_misses=0))
    row = next(line for line in md.splitlines() if "new-1" in line)
    assert "along a line \\| each jump" in row
    assert row.count(" | ") == 9 - 1  # nine cells: the escaped pipe did not add one


def test_the_section_is_embeddable_and_the_page_is_self_contained() -> None:
    view = DedupView(_report(LetterEmbedder()), title="T <i>x</i>")
    section = str(render_section(view, figure=False))
    assert section.lstrip().startswith("<section") and "<html" not in section
    assert "T &lt;i&gt;x&lt;/i&gt;" in section
    page = render_html(view)
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "default-src 'none'" in page and "<script" not in page and "http://" not in page.split("<svg")[0]


def test_an_empty_report_renders() -> None:
    empty = find_candidates([], [], embedder=None)
    view = DedupView(empty)
    assert "No candidate pairs." in render_html(view) and "<svg" not in render_html(view)
    assert "No candidate pairs." in to_markdown(view)
    assert json.loads(to_json(view))["pairs"] == []


def test_the_figure_is_a_scatter_with_cosine_and_a_histogram_without(tmp_path: Path) -> None:
    with_cosine = score_figure(_report(LetterEmbedder()))
    ax = with_cosine.axes[0]
    assert "cosine" in ax.get_ylabel() and len(ax.collections) == 2  # marked, not marked
    lexical = score_figure(_report())
    assert lexical.axes[0].get_ylabel() == "candidate pairs"
    for suffix in (".png", ".svg", ".pdf"):
        path = save_score_figure(_report(), tmp_path / "sub" / f"fig{suffix}")
        assert path.stat().st_size > 1000
    with pytest.raises(ConfigError, match="must end in"):
        save_score_figure(_report(), tmp_path / "fig.jpg")
