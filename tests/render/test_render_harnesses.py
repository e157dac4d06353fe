"""The harnesses section in every output with a hostile harness and model name; the forest
plot only where a gap exists."""

from __future__ import annotations

import dataclasses

import pandas as pd
from test_render_elicitation import HOSTILE, render_everywhere

from papertiger.analysis.sections.base import SectionInput
from papertiger.analysis.sections.harnesses import HarnessSection, build_harnesses
from papertiger.analysis.shrinkage import ReportOptions
from papertiger.published import ScoreTable, load_harness_tables
from papertiger.render.sections import renderer_for


def _table(name: str, shift: float) -> ScoreTable:
    rows = [(HOSTILE, "Chinese", 80, 60), ("c2", "Chinese", 70, 52), ("w1", "Western", 80, 75),
            ("w2", "Western", 60, 58), ("w3", "Western", 90, 84)]
    frame = pd.DataFrame([(m, g, o, f - shift) for m, g, o, f in rows],
                         columns=["model", "group", "old", "fresh"])
    return ScoreTable(frame, name, "old", "fresh", harness=name)


def hostile_section() -> HarnessSection:
    tables = (_table(HOSTILE, 0.0), _table("plain", 3.0), _table("third", -2.0))
    result = build_harnesses(SectionInput(ReportOptions(), tables=tables))
    assert isinstance(result, HarnessSection)
    return result


def test_every_format_with_hostile_names() -> None:
    out = render_everywhere(hostile_section())
    assert set(out["figures"]) == {"harnesses_forest"}
    assert "Paule–Mandel" in out["md"] and "DerSimonian–Laird" in out["md"]
    payload = out["json"]
    assert [h["harness"] for h in payload["harnesses"]] == [HOSTILE, "plain", "third"]
    assert payload["pooled"][0]["k"] == 3 and payload["pooled"][0]["tau2"] is not None
    assert "Models in several harnesses" in out["html"] and "<svg" in out["html"]


def test_the_published_tables_render() -> None:
    tables = tuple(load_harness_tables([], published="all"))
    result = build_harnesses(SectionInput(ReportOptions(), tables=tables))
    renderer = renderer_for(result)
    md = renderer.markdown(result)
    assert "| Vals | 96 | 22 / 74 |" in md and "80 of 96" in md and "2026-04-16" in md
    assert "AA and GAIR share 0 models" in md and "GAIR and Vals share 1 model\n" in md + "\n"


def test_no_forest_without_a_gap() -> None:
    result = hostile_section()
    empty = dataclasses.replace(result, rows=tuple(dataclasses.replace(r, gap=None, se=None,
                                                                      reason="too few")
                                                   for r in result.rows), pooled=())
    renderer = renderer_for(empty)
    assert renderer.figures(empty) == {}
    assert "No figure: no harness has a gap" in str(renderer.html(empty))
