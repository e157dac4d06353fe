"""The elicitation section in every output format, with a hostile model name; and the
check every section renderer test shares (`render_everywhere`)."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure
from rich.console import Console

from papertiger.analysis import ReportOptions
from papertiger.analysis.attempts import SelectedAttempts
from papertiger.analysis.counts import ItemCounts
from papertiger.analysis.sections.base import SectionInput
from papertiger.analysis.sections.elicitation import ElicitationSection, build_elicitation
from papertiger.render.figures import figure_svg
from papertiger.render.sections import renderer_for
from papertiger.store import AttemptFilter

HOSTILE = '<script>alert(1)</script> & "x" [bold red]$a$[/] |pipe|'


def render_everywhere(result: Any, hostile: str = HOSTILE) -> dict[str, Any]:
    """Render `result` in every format; check each escapes `hostile` and is well formed.
    Returns what each format produced (terminal text, Markdown, JSON, HTML, figures)."""
    renderer = renderer_for(result)
    title = renderer.title(result)
    buffer = io.StringIO()
    console = Console(file=buffer, width=400, record=True, color_system=None)
    renderer.terminal(result, console)
    terminal = buffer.getvalue()
    assert title.split(":")[0] in terminal
    assert "[bold red]$a$[/]" in terminal  # rich markup in data is shown, not applied
    md = renderer.markdown(result)
    assert md.startswith(f"## {title}")
    assert "<script>" not in md and "&lt;script&gt;" in md and "\\|pipe\\|" in md
    payload = renderer.json(result)
    text = json.dumps(payload, allow_nan=False)  # finite floats or null only
    assert json.loads(text) == json.loads(json.dumps(payload))
    assert hostile in json.loads(text).__repr__() or json.dumps(hostile)[1:-1] in text
    html = renderer.html(result)
    assert isinstance(html, Markup) and str(html).lstrip().startswith('<section class="extra"')
    assert "<script>" not in str(html) and "&lt;script&gt;" in str(html)
    figures = renderer.figures(result)
    for name, fig in figures.items():
        assert isinstance(fig, Figure) and name.replace("_", "").isalnum()
        svg = figure_svg(fig)
        assert "<script>" not in svg  # matplotlib escapes SVG text
        if "&lt;script&gt;" in svg:  # the figure names models
            assert "$a$" in svg  # `$` shown literally, not parsed as mathtext
    return {"terminal": terminal, "md": md, "json": payload, "html": str(html), "figures": figures}


def counts_for(correct: dict[str, list[list[int]]], trials: int) -> ItemCounts:
    models = tuple(correct)
    forms = ("aime2024", "aime2025")
    per_form = len(correct[models[0]][0])
    items = tuple((f, f"{f}-{i}") for f in forms for i in range(per_form))
    c = np.array([[v for form in correct[m] for v in form] for m in models], dtype=np.int64)
    return ItemCounts(models, forms, items, np.repeat(np.arange(2), per_form), c,
                      np.full_like(c, trials), np.zeros_like(c))


def elicitation(names: tuple[str, ...] = (HOSTILE, "east-2", "west-1", "west-2")) -> ElicitationSection:
    rng = np.random.default_rng(0)
    counts = counts_for({m: [rng.integers(0, 9, 5).tolist() for _ in range(2)] for m in names}, 8)
    groups = ["Chinese", "Chinese", "Western", "Western"][: len(names)]
    models = pd.DataFrame({"model": list(names), "group": groups})
    selected = SelectedAttempts(db=Path(":memory:"), where=AttemptFilter(), models=models,
                                suite="aime", forms=(("aime2024", None), ("aime2025", None)),
                                holdings=pd.DataFrame())
    result = build_elicitation(SectionInput(ReportOptions(n_boot=200), selected=selected,
                                            counts=counts))
    assert isinstance(result, ElicitationSection)
    return result


def test_every_format_with_a_hostile_model_name() -> None:
    out = render_everywhere(elicitation())
    assert set(out["figures"]) == {"elicitation_pass_at_k"}
    assert "pass@1" in out["md"] and "Group comparisons" in out["md"]
    assert "<svg" in out["html"] and "Group comparisons" in out["html"]
    curve = out["json"]["curves"][0]
    assert [p["k"] for p in curve["points"]] == [1, 2, 4, 8]
    assert out["json"]["contrasts"][0]["tests"]  # every test, both sidednesses


def test_contrast_rows_show_every_test_in_each_direction() -> None:
    out = render_everywhere(elicitation())
    for test in ("Welch", "Student", "Mann–Whitney", "permutation"):
        assert test in out["md"] and test in out["html"] and test in out["terminal"]
    assert "two-sided / A &lt; B / A &gt; B" in out["md"]


def test_no_figure_without_curves() -> None:
    empty = dataclasses.replace(elicitation(), curves=())
    renderer = renderer_for(empty)
    assert renderer.figures(empty) == {}
    assert "No figure: no model has a pass@k curve to draw" in str(renderer.html(empty))


def test_skipped_comparison_says_why_everywhere() -> None:
    one_group = elicitation((HOSTILE, "east-2"))
    out = render_everywhere(one_group)
    assert "not computed" in out["md"] and "not computed" in out["html"]
    assert out["json"]["contrasts"][0]["skipped"]
