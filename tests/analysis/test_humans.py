"""Human baselines and topic mix: the shared tables, percentiles, and errors that name the place."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from papertiger.analysis.humans import (
    compare_forms,
    form_of_id,
    read_human_scores,
    read_topics,
    topic_mix,
)
from papertiger.errors import InputError


def _direct_mean(path: Path, competition: str) -> tuple[float, int]:
    """The mean the file implies, computed without the module: Σ score·count / Σ count."""
    with path.open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["competition"] == competition]
    n = sum(int(r["count"]) for r in rows)
    return sum(float(r["score"]) * int(r["count"]) for r in rows) / n, n


def test_aime_2024_and_2025_human_means_are_what_the_file_implies(shared_data: Path) -> None:
    path = shared_data / "human_score_distributions.csv"
    table = read_human_scores(path)
    for year in ("2024", "2025"):
        dist = table[f"aime/aime_{year}"]
        mean, n = _direct_mean(path, f"aime/aime_{year}")
        assert dist.kind == "histogram" and dist.max_score == 15
        assert dist.mean == pytest.approx(mean) and dist.n == n
    assert table["aime/aime_2024"].mean == pytest.approx(5.7946, abs=5e-4)
    assert table["aime/aime_2025"].mean == pytest.approx(6.1579, abs=5e-4)
    assert table["aime/aime_2024_I"].mean == pytest.approx(5.87, abs=0.005)  # PROVENANCE.md
    both = table["aime/aime_2024"]
    parts = [table["aime/aime_2024_I"], table["aime/aime_2024_II"]]
    np.testing.assert_array_equal(both.counts, parts[0].counts + parts[1].counts)
    cmp = compare_forms(table["aime/aime_2024"], table["aime/aime_2025"])
    assert not cmp.fresh_harder  # humans scored higher on 2025
    assert cmp.difference.estimate == pytest.approx((6.1579 - 5.7946) / 15, abs=1e-4)
    assert cmp.difference.low > 0 and cmp.welch.p_value > 0.5
    assert cmp.median_old == 5 and cmp.median_fresh == 6
    assert any("cohorts" in n for n in cmp.notes)


def test_welch_on_histograms_matches_scipy_on_expanded_samples() -> None:
    from papertiger.analysis.humans import HumanDistribution

    old = HumanDistribution("old", 15, np.arange(6.0), np.array([3.0, 5, 8, 6, 2, 1]), "histogram")
    new = HumanDistribution("new", 15, np.arange(6.0), np.array([6.0, 8, 5, 3, 1, 1]), "histogram")
    expanded = [np.repeat(d.scores, d.counts.astype(int)) / 15 for d in (new, old)]
    ref = sps.ttest_ind(*expanded, equal_var=False, alternative="less")
    cmp = compare_forms(old, new)
    assert cmp.welch.p_value == pytest.approx(ref.pvalue)
    assert cmp.fresh_harder is bool(ref.pvalue < 0.05)


def test_percentiles_interpolate_the_histogram(shared_data: Path) -> None:
    dist = read_human_scores(shared_data / "human_score_distributions.csv")["aime/aime_2025"]
    share = dist.counts / dist.n
    assert dist.percentile(0.0) == pytest.approx(100 * share[0] / 2)
    assert dist.percentile(1.0) == pytest.approx(100 * (1 - share[15] / 2))
    k = 6  # a model with 6 of 15 (40%) sits at the mid-rank of score 6
    assert dist.percentile(k / 15) == pytest.approx(100 * (share[:k].sum() + share[k] / 2))
    values = [dist.percentile(x) for x in np.linspace(0, 1, 61)]
    assert np.all(np.diff(values) > 0)
    with pytest.raises(ValueError, match="fraction"):
        dist.percentile(9.0)


def test_hmmt_points_are_not_a_histogram(shared_data: Path) -> None:
    table = read_human_scores(shared_data / "human_score_distributions.csv")
    hmmt = table["hmmt/hmmt_feb_2025"]
    assert hmmt.kind == "points" and hmmt.max_score == 1
    assert 0 < hmmt.percentile(0.3) < 100
    assert any("quantile points" in n for n in compare_forms(table["hmmt/hmmt_feb_2024"], hmmt).notes)
    with pytest.raises(KeyError, match="not in"):
        table["aime/aime_2026"]


@pytest.mark.parametrize(("body", "line", "field"), [
    ("competition,score,count\nx,1,2\n", 1, "max_score"),
    ("competition,score,max_score,count\nx,1,15,2\nx,one,15,2\n", 3, "score"),
    ("competition,score,max_score,count\nx,16,15,2\n", 2, "score"),
    ("competition,score,max_score,count\nx,1,15,2\nx,2,10,2\n", 3, "max_score"),
    ("competition,score,max_score,count\nx,1,15,2\nx,1,15,3\n", 3, "score"),
    ("competition,score,max_score,count\nx,1,15,-2\n", 2, "count"),
    ("competition,score,max_score,count\n,1,15,2\n", 2, "competition"),
])
def test_reader_errors_name_file_line_and_field(tmp_path: Path, body: str, line: int,
                                                field: str) -> None:
    path = tmp_path / "humans.csv"
    path.write_text(body)
    with pytest.raises(InputError) as err:
        read_human_scores(path)
    assert (err.value.line, err.value.field) == (line, field)
    assert str(path) in str(err.value)


def test_topic_mix_of_aime_2024_and_2025(shared_data: Path) -> None:
    table = read_topics(shared_data / "aime_topics_helper_assigned.csv")
    assert len(table.ids) == 60
    forms = [form_of_id(i) for i in table.ids]
    mix = topic_mix(table.primary, forms, n_resamples=4000)
    assert mix.forms == ("aime2024", "aime2025")
    direct = Counter(zip(forms, table.primary, strict=True))
    for f, form in enumerate(mix.forms):
        for t, topic in enumerate(mix.topics):
            assert mix.counts[f, t] == direct[(form, topic)]
    np.testing.assert_allclose(mix.shares.sum(1), 1.0)
    ref = sps.chi2_contingency(mix.counts, correction=False)
    assert mix.chi2 == pytest.approx(ref.statistic) and mix.p_chi2 == pytest.approx(ref.pvalue)
    assert 0 < mix.p_permutation <= 1 and mix.dof == 3
    assert abs(mix.p_permutation - mix.p_chi2) < 0.1


def test_topic_permutation_detects_a_different_mix() -> None:
    topics = ["Algebra"] * 12 + ["Geometry"] * 3 + ["Algebra"] * 3 + ["Geometry"] * 12
    forms = ["old"] * 15 + ["new"] * 15
    mix = topic_mix(topics, forms, n_resamples=4000)
    assert mix.p_permutation < 0.01 and mix.p_chi2 < 0.01


def test_topic_reader_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "topics.csv"
    path.write_text("id,primary_topic\naime2024-I-01,Algebra\naime2024-I-01,Geometry\n")
    with pytest.raises(InputError) as err:
        read_topics(path)
    assert (err.value.line, err.value.field) == (3, "id")
    assert form_of_id("aime2025-II-07") == "aime2025"
    assert form_of_id("hmmt_feb2024-03") == "hmmt_feb2024"
    with pytest.raises(ValueError, match="no year"):
        form_of_id("item-7")
    with pytest.raises(InputError, match="cannot read"):
        read_topics(tmp_path / "missing.csv")
