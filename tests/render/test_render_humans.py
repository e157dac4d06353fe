"""The human baseline and topic mix section in every output with a hostile model name;
figures only for what was given."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
from test_render_elicitation import HOSTILE, render_everywhere

from papertiger.analysis.sections.base import SectionInput
from papertiger.analysis.sections.humans import HumansSection, build_humans
from papertiger.analysis.shrinkage import ReportOptions
from papertiger.published import ScoreTable
from papertiger.render.sections import renderer_for

HUMANS = ("competition,score,max_score,count\n"
          + "".join(f"aime/aime_2024,{k},15,{c}\n" for k, c in enumerate([5, 9, 12, 10, 8, 6, 4, 2, 1, 1, 1, 1, 0, 0, 0, 0]))
          + "".join(f"aime/aime_2025,{k},15,{c}\n" for k, c in enumerate([4, 8, 11, 11, 9, 7, 5, 3, 1, 1, 0, 0, 0, 0, 0, 1])))
TOPICS = "id,primary_topic\n" + "".join(
    f"aime{y}-I-{i:02d},{['Algebra', 'Geometry', 'Combinatorics'][(i + y) % 3]}\n"
    for y in (2024, 2025) for i in range(1, 16))


def section(tmp_path: Path, humans: bool = True, topics: bool = True) -> HumansSection:
    (tmp_path / "h.csv").write_text(HUMANS, encoding="utf-8")
    (tmp_path / "t.csv").write_text(TOPICS, encoding="utf-8")
    frame = pd.DataFrame({"model": [HOSTILE, "west"], "group": ["Chinese", "Western"],
                          "old": [60.0, 40.0], "fresh": [45.0, 38.0]})
    table = ScoreTable(frame, "t", "AIME 2024", "AIME 2025")
    options = ReportOptions(humans=str(tmp_path / "h.csv") if humans else None,
                            topics=str(tmp_path / "t.csv") if topics else None)
    result = build_humans(SectionInput(options, table=table, tables=(table,)))
    assert isinstance(result, HumansSection)
    return result


def test_every_format_with_a_hostile_model_name(tmp_path: Path) -> None:
    out = render_everywhere(section(tmp_path))
    assert set(out["figures"]) == {"humans_percentiles", "topics_mix"}
    assert "Humans per form" in out["md"] and "Topic mix per form" in out["md"]
    assert out["json"]["forms"][0]["n"] == 60 and out["json"]["topics"]["dof"] == 2
    assert "permutation p" in out["html"]


def test_topics_only_draws_no_human_figure(tmp_path: Path) -> None:
    result = section(tmp_path, humans=False)
    renderer = renderer_for(result)
    assert set(renderer.figures(result)) == {"topics_mix"}
    assert "No figure: no human statistics given (--humans)" in str(renderer.html(result))


def test_humans_only_draws_no_topic_figure(tmp_path: Path) -> None:
    result = section(tmp_path, topics=False)
    renderer = renderer_for(result)
    assert set(renderer.figures(result)) == {"humans_percentiles"}
    assert "No figure: no topic file given (--topics)" in str(renderer.html(result))
    none = dataclasses.replace(result, forms=(), percentiles=(), groups=(), comparisons=())
    assert renderer.figures(none) == {}
