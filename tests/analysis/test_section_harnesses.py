"""The harnesses section: per-harness gaps, the pool against statsmodels' combine_effects,
models matched by alias, freshness per harness, and the CLI routes that reach it."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from papertiger.analysis import add_falls
from papertiger.analysis.results import Skipped
from papertiger.analysis.sections.base import SectionInput
from papertiger.analysis.sections.harnesses import HarnessSection, build_harnesses
from papertiger.analysis.shrinkage import ReportOptions
from papertiger.analysis.subsets import Selection
from papertiger.cli import main
from papertiger.published import ScoreTable, load_harness_tables


def section(options: ReportOptions | None = None, published: str = "all") -> HarnessSection:
    tables = tuple(load_harness_tables([], published=published))
    result = build_harnesses(SectionInput(options or ReportOptions(), tables=tables))
    assert isinstance(result, HarnessSection)
    return result


def test_each_gap_is_the_difference_of_group_means() -> None:
    result = section()
    for row, table in zip(result.rows, load_harness_tables([], published="all"), strict=True):
        frame = add_falls(table.frame)
        means = frame.groupby("group")["pct_fall"].mean()
        assert row.gap is not None and row.se is not None
        assert row.gap.estimate == pytest.approx(means["Chinese"] - means["Western"])
        a = frame.loc[frame["group"] == "Chinese", "pct_fall"]
        b = frame.loc[frame["group"] == "Western", "pct_fall"]
        assert row.se == pytest.approx(np.sqrt(a.var() / len(a) + b.var() / len(b)))
        assert (row.n_a, row.n_b) == (len(a), len(b))
    assert [r.harness for r in result.rows] == ["AA", "GAIR", "Vals"]


@pytest.mark.parametrize("method", ["pm", "dl"])
def test_the_pool_matches_combine_effects(method: str) -> None:
    result = section()
    pool = result.pooled[0 if method == "pm" else 1]
    gaps = np.array([r.gap.estimate for r in result.rows if r.gap])
    ses = np.array([r.se for r in result.rows if r.se])
    ref = combine_effects(gaps, ses**2, method_re=method, alpha=0.05)
    assert pool.random.estimate == pytest.approx(float(ref.mean_effect_re))
    assert pool.tau2 == pytest.approx(max(0.0, float(ref.tau2)))
    assert pool.q == pytest.approx(float(ref.q))
    assert pool.fixed.estimate == pytest.approx(float(ref.mean_effect_fe))
    # conf_int rows: fixed, random, fixed WLS, random WLS; the random WLS row with t
    # quantiles is the Hartung–Knapp interval
    low, high = ref.conf_int(alpha=0.05, use_t=False)[1]
    assert (pool.random.low, pool.random.high) == pytest.approx((low, high))
    hk_low, hk_high = ref.conf_int(alpha=0.05, use_t=True)[3]
    assert (pool.hartung_knapp.low, pool.hartung_knapp.high) == pytest.approx((hk_low, hk_high))
    assert pool.se_hartung_knapp == pytest.approx(float(ref.summary_frame().loc["random effect wls", "sd_eff"]))
    assert 0 <= pool.i2 <= 1 and pool.k == 3


def test_models_matched_across_harnesses_by_alias() -> None:
    result = section()
    assert len(result.shared) == 10  # AA–Vals 9, GAIR–Vals 1 (DeepSeek-R1), AA–GAIR none
    assert result.overlap[0][1] == 0 and result.overlap[0][2] == 9 and result.overlap[1][2] == 1
    kimi = next(s for s in result.shared if s.canonical.startswith("Kimi-K2-Instruct"))
    assert kimi.harnesses == ("AA", "AA", "Vals")
    assert kimi.names[-1] == "together/moonshotai/Kimi-K2-Instruct"
    rows = {r.harness: r for r in result.rows}
    assert (rows["GAIR"].shared, rows["GAIR"].only_here) == (1, 16)
    assert not result.shared_frame().empty and "pooled" in " ".join(result.to_frame()["harness"])


def test_freshness_and_self_reports_per_harness() -> None:
    rows = {r.harness: r for r in section().rows}
    assert rows["AA"].released_after == 16 and rows["AA"].self_reports == 4
    assert rows["GAIR"].released_after == 1  # QwQ-32B, 2025-03-06
    assert rows["Vals"].released_after == 80 and rows["Vals"].latest_release == "2026-04-16"
    assert rows["Vals"].as_of == "2026-04-16" and rows["Vals"].self_reports == 0


def test_exclude_is_matched_by_alias_and_only_where_present() -> None:
    base = {r.harness: r for r in section().rows}
    options = ReportOptions(selection=Selection(exclude=("Kimi-K2-Instruct (2025-07-11)",)))
    rows = {r.harness: r for r in section(options).rows}
    assert rows["AA"].n_models == base["AA"].n_models - 2  # both AA names of the model
    assert rows["Vals"].n_models == base["Vals"].n_models - 1
    assert rows["GAIR"].n_models == base["GAIR"].n_models  # GAIR lacks it: no error


def test_one_table_is_not_a_harness_comparison() -> None:
    tables = tuple(load_harness_tables([], published="aa"))
    assert build_harnesses(SectionInput(ReportOptions(), tables=tables)) is None


def _table(name: str, rows: Sequence[tuple[str, str, float, float]]) -> ScoreTable:
    frame = pd.DataFrame(rows, columns=["model", "group", "old", "fresh"])
    return ScoreTable(frame, name, "old", "fresh", harness=name)


def test_a_harness_too_small_is_listed_and_left_out_of_the_pool() -> None:
    big = [("c1", "Chinese", 80, 60), ("c2", "Chinese", 70, 50), ("w1", "Western", 80, 75),
           ("w2", "Western", 60, 58)]
    tables = (_table("H1", big), _table("H2", [(m, g, o + 1, f) for m, g, o, f in big]),
              _table("tiny", big[:3]))
    result = build_harnesses(SectionInput(ReportOptions(), tables=tables))
    assert isinstance(result, HarnessSection)
    tiny = result.rows[-1]
    assert tiny.gap is None and "Western 1; each needs 2" in (tiny.reason or "")
    assert result.pooled[0].k == 2


def test_more_than_two_groups_need_compare() -> None:
    rows = [("a", "Chinese", 80, 60), ("b", "Western", 70, 60), ("c", "Martian", 50, 40)]
    frame_rows = [(m, g, o, f) for m, g, o, f in rows]
    tables = (_table("H1", frame_rows), _table("H2", frame_rows))
    result = build_harnesses(SectionInput(ReportOptions(), tables=tables))
    assert isinstance(result, Skipped) and "--compare" in result.reason
    picked = build_harnesses(SectionInput(ReportOptions(compare=("Chinese", "Western")),
                                          tables=tables))
    assert isinstance(picked, HarnessSection) and picked.pooled == ()
    assert picked.pooled_reason is not None


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
        ) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["papertiger", *args])
    monkeypatch.setenv("COLUMNS", "160")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _harness_extra(out: str) -> dict[str, Any]:
    extras = json.loads(out)["extras"]
    return next(e for e in extras if str(e["section"]).startswith("Several harnesses"))


def test_cli_published_all_json(monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(monkeypatch, capsys, "report", "--published", "all", "--format", "json")
    assert code == 0, err
    extra = _harness_extra(out)
    assert [h["harness"] for h in extra["harnesses"]] == ["AA", "GAIR", "Vals"]
    assert extra["pooled"][0]["method"] == "Paule–Mandel"


def test_cli_a_shared_csv_beside_the_embedded_table(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(monkeypatch, capsys, "report", str(shared_data / "gair_aime_preview_scores.csv"),
                         "--published", "aa", "--harness", "GAIR", "--format", "json")
    assert code == 0, err
    extra = _harness_extra(out)
    assert [h["harness"] for h in extra["harnesses"]] == ["AA", "GAIR"]
    assert extra["pooled"][0]["k"] == 2


def test_cli_rich_and_markdown_show_the_section(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = cli(monkeypatch, capsys, "report", "--published", "aa,gair",
                         "--figures", str(tmp_path))
    assert code == 0, err
    assert "Several harnesses" in out and "Paule–Mandel" in out
    assert (tmp_path / "harnesses_forest.svg").is_file()
    code, out, _ = cli(monkeypatch, capsys, "report", "--published", "aa,gair", "--format", "md")
    assert code == 0 and "## Several harnesses" in out


def test_cli_two_csv_files_show_every_section_with_its_figure(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from papertiger.published import embedded_scores

    aa = tmp_path / "aa.csv"
    embedded_scores()[["model", "group", "old", "fresh"]].rename(
        columns={"old": "aime2024", "fresh": "aime2025"}).to_csv(aa, index=False)
    figures = tmp_path / "figures"
    code, out, err = cli(monkeypatch, capsys, "report", str(aa),
                         str(shared_data / "gair_aime_preview_scores.csv"), "--format", "json",
                         "--humans", str(shared_data / "human_score_distributions.csv"),
                         "--topics", str(shared_data / "aime_topics_helper_assigned.csv"),
                         "--figures", str(figures))
    assert code == 0, err
    extra = _harness_extra(out)
    assert [h["harness"] for h in extra["harnesses"]] == ["aa", "GAIR AIME-Preview"]
    assert extra["harnesses"][0]["released_after_fresh"] == 16  # metadata by name
    sections = [e["section"] for e in json.loads(out)["extras"]]
    assert any(s.startswith("Human baseline") for s in sections)
    for name in ("harnesses_forest", "humans_percentiles", "topics_mix"):
        assert (figures / f"{name}.svg").is_file(), name


def test_table_options_keep_only_this_tables_excludes() -> None:
    from papertiger.analysis.sections.harnesses import table_options

    aa, gair = load_harness_tables([], published="aa,gair")
    options = ReportOptions(selection=Selection(exclude=("moonshotai/Kimi-K2-Instruct", "limo")))
    assert table_options(aa, options).selection.exclude == ("Kimi K2", "Kimi K2-Instruct")
    assert table_options(gair, options).selection.exclude == ("limo",)
    unknown = ReportOptions(selection=Selection(exclude=("no such model",)))
    result = section(unknown, published="aa,gair")
    assert "--exclude: no harness has 'no such model'" in result.notes
