"""`--group-by` reaches every output: the HTML table, both figures, the JSON and the CSV."""

from __future__ import annotations

import json

from papertiger.analysis import ReportOptions, build_report
from papertiger.render import fall_bars, render_html, scatter_old_fresh, to_csv, to_json
from papertiger.render.figures import figure_svg


def test_group_by_lab_everywhere() -> None:
    report = build_report(None, ReportOptions(group_by="lab", compare=("DeepSeek", "OpenAI")))
    section = report.section
    assert section.group_by == "lab"
    labs = {m.group for m in section.models}
    assert {"DeepSeek", "OpenAI", "Moonshot AI", "Anthropic"} <= labs
    assert "Chinese" not in labs and "Western" not in labs
    html = render_html(report)
    assert "DeepSeek mean (n = 3)" in html and "OpenAI mean (n = 5)" in html
    assert "Chinese mean" not in html
    assert ">Lab</th>" in html  # the column is named after the grouping
    scatter = figure_svg(scatter_old_fresh(section))
    bars = figure_svg(fall_bars(section))
    assert "DeepSeek (n = 3)" in scatter and "Chinese (n = 7)" not in scatter
    assert "DeepSeek mean" in bars and "Chinese mean" not in bars
    data = json.loads(to_json(report))
    (sec,) = data["sections"]
    assert sec["group_by"] == "lab"
    assert {g["group"] for g in sec["groups"]} >= {"DeepSeek", "OpenAI", "Overall"}
    assert {m["lab"] for m in sec["models"]} == labs
    assert sec["comparison"]["group_a"] == "DeepSeek"
    header = to_csv(report).splitlines()[0].split(",")
    assert header[:2] == ["model", "lab"]
