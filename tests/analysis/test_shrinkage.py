"""The assembled shrinkage analysis on the embedded table and its subset options."""

from __future__ import annotations

import datetime as dt

import pytest

from papertiger.analysis import ReportOptions, Selection, Skipped, analyse
from papertiger.errors import ConfigError
from papertiger.published import load_scores


@pytest.fixture(scope="module")
def report():
    return analyse(load_scores())


def test_comparison_is_chinese_minus_western(report) -> None:
    comp = report.comparison
    assert (comp.group_a, comp.group_b, comp.n_a, comp.n_b) == ("Chinese", "Western", 7, 12)
    assert round(comp.mean_a, 1) == -21.0 and round(comp.mean_b, 1) == -10.4
    assert comp.difference.low < comp.difference.estimate < comp.difference.high
    names = {(t.name, t.alternative) for t in comp.tests}
    for test in ("Welch t", "Student t", "Mann–Whitney U", "Permutation (difference of means)"):
        assert (test, "two-sided") in names and (test, "less") in names
    assert comp.ancova is not None and comp.power is not None


def test_essay_p_value_is_the_one_sided_permutation(report) -> None:
    # The essay prints p = 0.09; the exact one-sided permutation test of the difference
    # of mean % falls gives 0.088 (Student t one-sided 0.078, Welch one-sided 0.056).
    perm = next(
        t
        for t in report.comparison.tests
        if t.name.startswith("Permutation (difference") and t.alternative == "less"
    )
    assert round(perm.p_value, 2) == 0.09
    assert "50388" in perm.method


def test_multiverse_covers_metric_subset_test(report) -> None:
    verse = report.multiverse.to_frame()
    assert set(verse["metric"]) == {"pct", "pp", "logit"}
    assert {"all models", "frontier 5 per group", "old ≥ 50"} <= set(verse["subset"])
    assert verse["p_value"].dropna().between(0, 1).all()
    # the cutoff subset is listed even though no Chinese model states a cutoff
    cutoff = [r for r in report.multiverse.rows if r.subset.startswith("cutoff before")]
    assert cutoff and all(r.n_a == 0 and r.too_few for r in cutoff)


def test_frontier_and_min_old() -> None:
    result = analyse(load_scores(), ReportOptions(selection=Selection(frontier=3, min_old=50)))
    counts = result.to_frame().groupby("group").size().to_dict()
    assert counts == {"Chinese": 3, "Western": 3}
    assert all(m.old >= 50 for m in result.models)
    assert any("--frontier 3" in n for n in result.notes)


def test_trained_before_says_how_many_it_dropped() -> None:
    result = analyse(
        load_scores(), ReportOptions(selection=Selection(trained_before=dt.date(2025, 2, 15)))
    )
    note = next(n for n in result.notes if n.startswith("--trained-before"))
    assert "dropped 8 models with unknown cutoff and 1 with a cutoff on or after it" in note
    assert len(result.models) == 10
    assert isinstance(result.comparison, Skipped)  # no Chinese model states a cutoff
    assert "only Western in this selection" in result.comparison.reason


def test_exclude_and_unknown_exclude() -> None:
    result = analyse(load_scores(), ReportOptions(selection=Selection(exclude=("GPT-4o Nov 24",))))
    assert "GPT-4o Nov 24" not in {m.model for m in result.models}
    with pytest.raises(ConfigError, match="no model named"):
        analyse(load_scores(), ReportOptions(selection=Selection(exclude=("nope",))))


def test_group_by_other_column() -> None:
    result = analyse(load_scores(), ReportOptions(group_by="open_weights", metric="pp"))
    assert result.comparison is not None
    assert {result.comparison.group_a, result.comparison.group_b} == {"true", "false"}
    with pytest.raises(ConfigError, match="no column"):
        analyse(load_scores(), ReportOptions(group_by="nope"))


def test_more_than_two_groups_needs_compare() -> None:
    result = analyse(load_scores(), ReportOptions(group_by="lab"))
    assert isinstance(result.comparison, Skipped) and "--compare" in result.comparison.reason
    assert isinstance(result.multiverse, Skipped)
    picked = analyse(load_scores(), ReportOptions(group_by="lab", compare=("DeepSeek", "OpenAI")))
    assert picked.comparison.n_a == 3 and picked.comparison.n_b == 5


def test_metric_switch_changes_comparison() -> None:
    pp = analyse(load_scores(), ReportOptions(metric="pp"))
    assert round(pp.comparison.mean_a, 1) == -13.7
    assert pp.comparison.tests[0].metric == "pp"


def test_empty_table_is_a_clear_error() -> None:
    import pandas as pd

    from papertiger.published import ScoreTable

    with pytest.raises(ConfigError, match="no model has scores on both forms"):
        analyse(ScoreTable(pd.DataFrame(), "results.db", notes=("m: left out",)))


def test_every_model_row_says_whether_the_later_form_is_fresh(report) -> None:
    rows = {m.model: m for m in report.models}
    # Gemini 2.5 Pro states a January 2025 cutoff: AIME 2025 (February) is fresh for it.
    assert (rows["Gemini-2.5 Pro"].freshness, rows["Gemini-2.5 Pro"].freshness_basis) == (
        "fresh", "training cutoff")
    # Kimi K2 states no cutoff and was released in July 2025, after AIME 2025: the weaker
    # test says the form is not fresh for it.
    assert rows["Kimi K2"].freshness == "not fresh"
    assert rows["Kimi K2"].freshness_basis == "release date (weaker)"
    frame = report.to_frame()
    assert {"freshness", "freshness_basis"} <= set(frame.columns)
