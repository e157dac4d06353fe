"""The caveats a reader must see (issue 8, item 6), on the embedded report and on several
harnesses, and how they read in every output once set on the Report."""

from __future__ import annotations

import dataclasses
import io
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from papertiger.analysis import build_report
from papertiger.analysis.caveats import caveats
from papertiger.analysis.multiplicity import design_power, models_needed
from papertiger.analysis.results import Report
from papertiger.analysis.sections.base import SectionInput
from papertiger.analysis.shrinkage import ReportOptions
from papertiger.published import ScoreTable, load_harness_tables, load_scores


def embedded(options: ReportOptions) -> tuple[Report, tuple[str, ...]]:
    """The embedded report and its caveats, given the inputs compose hands its builders."""
    table = load_scores([])
    report = build_report(table, options)
    return report, caveats(SectionInput(options, report.shrinkage, table=table, tables=(table,)))


def line(lines: tuple[str, ...], fragment: str) -> str:
    found = [c for c in lines if fragment in c]
    assert found, f"no caveat with {fragment!r} in {lines}"
    return found[0]


def test_the_embedded_report_shows_each_caveat() -> None:
    report, lines = embedded(ReportOptions(effect_size=10.0))
    vendor = line(lines, "self-reported figures")
    assert "4 of 19 rows" in vendor
    for name in ("Kimi K2-Instruct", "Magistral Medium", "DeepSeek-v3", "OpenAI-o1-0912"):
        assert name in vendor
    twice = line(lines, "listed twice")
    assert "'Kimi K2' and 'Kimi K2-Instruct'" in twice and "--exclude 'Kimi K2-Instruct'" in twice
    fresh = line(lines, "released on or after it")
    assert "AIME 2025, released 2025-02-06: 16 of 19 models" in fresh
    assert "8 state no training cutoff" in fresh
    floor = line(lines, "dominated by the floor")
    assert "2 models score below 25" in floor and "GPT-4o Nov 24" in floor and "Nova Premier" in floor
    multi = line(lines, "p-values are below 0.05")
    assert "chance alone would give" in multi and "Holm-adjusted" in multi
    power = line(lines, "power to detect a gap of 10")
    assert "7 and 12 models" in power and "80 % power needs about" in power
    assert report.caveats == lines  # build_report shows exactly these


def test_the_multiplicity_line_counts_the_multiverse() -> None:
    report, lines = embedded(ReportOptions())
    p = [v for row in report.section.multiverse.rows for v in row.p.values()  # type: ignore[union-attr]
         if math.isfinite(v)]
    below = sum(1 for v in p if v < 0.05)
    assert f"{below} of {len(p)} p-values are below 0.05" in line(lines, "multiverse")
    assert f"would give {0.05 * len(p):.1f}" in line(lines, "multiverse")
    smallest = min(1.0, len(p) * min(p))  # Holm's smallest adjusted p is m · min(p)
    assert f"smallest Holm-adjusted p = {smallest:.3f}" in line(lines, "multiverse")


def test_power_is_for_the_stated_effect() -> None:
    report, lines = embedded(ReportOptions(effect_size=10.0))
    section = report.section
    a = np.array([m.pct_fall for m in section.models if m.group == "Chinese"])
    b = np.array([m.pct_fall for m in section.models if m.group == "Western"])
    power = design_power(10.0, a.std(ddof=1), b.std(ddof=1), a.size, b.size)
    needed = models_needed(10.0, a.std(ddof=1), b.std(ddof=1), ratio=b.size / a.size)
    text = line(lines, "power to detect")
    assert f"is {100 * power.power:.0f} %" in text
    assert needed is not None and f"about {math.ceil(needed)} Chinese" in text
    _, plain = embedded(ReportOptions())
    assert "--effect-size X" in line(plain, "observed gap")


def test_several_harnesses_name_each_and_carry_the_tables_own_caveats() -> None:
    tables = tuple(load_harness_tables([], published="all"))
    options = ReportOptions()
    report = build_report(list(tables), options)  # type: ignore[arg-type]
    lines = caveats(SectionInput(options, report.shrinkage, table=tables[0], tables=tables))
    assert line(lines, "AA: 4 of 19 rows")
    assert line(lines, "AA: one model listed twice")
    assert "30 of its 96 models were released after 2025-11-16" in line(lines, "Vals: this copy")
    assert "−11.2 % vs −10.8 %" in line(lines, "Vals: this copy")
    assert line(lines, "essay_group")
    assert "80 of 96 models" in line(lines, "AIME 2025 (Vals)")
    assert "18 models score below 25" in line(lines, "AIME 2024 (Vals)")
    assert len(lines) == len(set(lines))


def test_duplicates_in_a_store_catalogue() -> None:
    selected = SimpleNamespace(models=pd.DataFrame({"model": ["Kimi K2", "moonshotai/Kimi-K2-Instruct", "x"]}))
    lines = caveats(SectionInput(ReportOptions(), selected=selected))  # type: ignore[arg-type]
    assert "'Kimi K2' and 'moonshotai/Kimi-K2-Instruct'" in line(lines, "listed twice")


def test_a_user_table_with_vendor_rows_and_nothing_else_to_say(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("model,group,old,fresh,source_kind,released\nA,Chinese,80,60,vendor,2024-01-01\n"
                    "B,Chinese,70,50,harness,2024-01-01\nC,Western,80,75,harness,2024-01-01\n"
                    "D,Western,60,58,harness,2024-01-01\n", encoding="utf-8")
    table = load_scores([path])
    report = build_report(table, ReportOptions())
    lines = caveats(SectionInput(ReportOptions(), report.shrinkage, table=table, tables=(table,)))
    assert "1 of 4 rows" in line(lines, "self-reported") and ": A;" in line(lines, "self-reported")
    assert "0 of 4 models were released on or after it" in line(lines, "released")
    assert not [c for c in lines if "floor" in c or "listed twice" in c]


def test_caveats_show_in_every_output() -> None:
    from papertiger.render import text
    from papertiger.render.html import render_html
    from papertiger.render.terminal import print_report

    report, lines = embedded(ReportOptions(effect_size=5.0))
    report = dataclasses.replace(report, caveats=lines)
    md = text.to_markdown(report)
    assert "## Caveats" in md and "listed twice" in md
    assert json.loads(text.to_json(report))["caveats"] == list(lines)
    assert "self-reported figures" in render_html(report)
    buffer = io.StringIO()
    print_report(report, Console(file=buffer, width=300, color_system=None))
    assert "power to detect a gap of 5" in buffer.getvalue()


def test_a_skipped_comparison_has_no_power_line() -> None:
    frame = pd.DataFrame({"model": ["a", "b"], "group": ["Chinese", "Chinese"],
                          "old": [80.0, 70.0], "fresh": [60.0, 65.0]})
    table = ScoreTable(frame, "one group", "old", "fresh")
    report = build_report(table, ReportOptions(effect_size=5.0))
    lines = caveats(SectionInput(ReportOptions(effect_size=5.0), report.shrinkage, table=table,
                                 tables=(table,)))
    assert not [c for c in lines if "power" in c]


@pytest.mark.parametrize("metric", ["pp", "logit"])
def test_power_reads_the_reports_metric(metric: str) -> None:
    _, lines = embedded(ReportOptions(metric=metric, effect_size=1.0))
    assert ("pp fall" if metric == "pp" else "logit fall") in line(lines, "power to detect")
