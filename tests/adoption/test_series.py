"""Shares, Wilson intervals, the ratio and the lead rule, on tallies built by hand."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from synthetic import FAMILIES

from papertiger.adoption import Scan, adoption_series, wilson
from papertiger.adoption.series import ratio_interval
from papertiger.errors import ConfigError


def scan_of(months: dict[str, tuple[int, int, int, int]]) -> Scan:
    """months: month → (papers, LLaMA only, Qwen only, both)."""
    tally: Counter[tuple[str, tuple[int, ...]]] = Counter()
    for month, (papers, a, b, both) in months.items():
        tally[(month, (0,))] += a
        tally[(month, (1,))] += b
        tally[(month, (0, 1))] += both
        tally[(month, ())] += papers - a - b - both
    scan = Scan("test.json", tuple(FAMILIES), ("cs.CL",), False, tally)
    scan.records = scan.in_scope = sum(v[0] for v in months.values())
    return scan


@pytest.mark.parametrize(
    ("k", "n"), [(0, 10), (1, 10), (5, 10), (10, 10), (3, 1000), (250, 400), (1, 1)]
)
def test_wilson_matches_statsmodels(k: int, n: int) -> None:
    from statsmodels.stats.proportion import proportion_confint  # type: ignore[import-untyped]

    for level in (0.9, 0.95, 0.99):
        low, high = proportion_confint(k, n, alpha=1 - level, method="wilson")
        assert wilson(k, n, level) == pytest.approx((low, high), abs=1e-12)


def test_wilson_edge_cases() -> None:
    assert all(math.isnan(v) for v in wilson(0, 0))
    low, high = wilson(0, 50)
    assert low == 0 and 0 < high < 0.08


def test_ratio_interval() -> None:
    ratio, low, high = ratio_interval(30, 10)
    assert ratio == pytest.approx(3.0) and low < 3 < high and low > 1
    assert ratio_interval(5, 0)[0] == math.inf and ratio_interval(5, 0)[2] == math.inf
    assert all(math.isnan(v) for v in ratio_interval(0, 0))
    assert ratio_interval(0, 7)[0] == 0


def test_shares_counts_and_months_without_papers() -> None:
    report = adoption_series(scan_of({"2024-01": (100, 10, 5, 5), "2024-03": (50, 0, 10, 0)}))
    frame = report.months
    assert frame["month"].unique().tolist() == [
        "2024-01",
        "2024-02",
        "2024-03",
    ]  # the gap is filled
    jan = frame[frame["month"] == "2024-01"].set_index("family")
    assert (
        jan.loc["LLaMA", "mentions"] == 15 and jan.loc["Qwen", "mentions"] == 10
    )  # both counts for both
    assert jan.loc["LLaMA", "share"] == pytest.approx(0.15)
    assert (jan.loc["LLaMA", "share_low"], jan.loc["LLaMA", "share_high"]) == pytest.approx(
        wilson(15, 100)
    )
    feb = frame[frame["month"] == "2024-02"]
    assert (feb["papers"] == 0).all() and feb["share"].isna().all()
    pair = report.pair
    assert pair is not None
    assert pair[["mentions_a", "mentions_b", "both"]].iloc[0].tolist() == [15, 10, 5]
    assert pair.loc[0, "ratio"] == pytest.approx(1.5)
    assert pair["leader"].tolist() == ["LLaMA", "", "Qwen"]


def test_lead_after_an_overtake() -> None:
    months = {
        "2024-01": (100, 20, 5, 0),
        "2024-02": (100, 20, 10, 0),
        "2024-03": (100, 10, 30, 0),  # Qwen ahead ...
        "2024-04": (100, 12, 12, 0),  # ... a tie breaks the run ...
        "2024-05": (100, 10, 20, 0),  # ... which starts again here
        "2024-06": (100, 8, 25, 0),
        "2024-07": (100, 5, 30, 0),
    }
    lead = adoption_series(scan_of(months)).lead
    assert lead is not None
    assert (lead.leader, lead.trailer, lead.since, lead.months) == ("Qwen", "LLaMA", "2024-05", 3)
    assert lead.settled and lead.overtook and lead.trailer_last_ahead == "2024-02"
    assert lead.sentence() == (
        "Qwen has been ahead of LLaMA every month since 2024-05 (3 months); LLaMA was last ahead in 2024-02."
    )
    short = adoption_series(scan_of(months), min_months=4).lead
    assert short is not None and not short.settled and "too short" in short.sentence()


def test_ahead_throughout_and_nobody_ahead() -> None:
    lead = adoption_series(scan_of({"2024-01": (10, 5, 1, 0), "2024-02": (10, 5, 1, 0)})).lead
    assert lead is not None and lead.since == "2024-01" and not lead.overtook
    assert (
        adoption_series(scan_of({"2024-01": (10, 5, 1, 0), "2024-02": (10, 2, 2, 0)})).lead is None
    )


def test_interval_rule_is_stricter() -> None:
    months = {
        "2024-01": (1000, 100, 20, 0),
        "2024-02": (1000, 60, 50, 0),  # ahead by count, not beyond the interval
        "2024-03": (1000, 100, 20, 0),
    }
    point = adoption_series(scan_of(months)).lead
    strict = adoption_series(scan_of(months), rule="interval").lead
    assert point is not None and point.since == "2024-01" and point.months == 3
    assert strict is not None and strict.since == "2024-03" and strict.months == 1
    assert "interval" in strict.rule


def test_compare_since_until_and_errors() -> None:
    scan = scan_of({"2023-12": (10, 1, 1, 0), "2024-01": (10, 1, 2, 0), "2024-02": (10, 3, 1, 0)})
    report = adoption_series(scan, compare=("qwen", "llama"), since="2024-01", until="2024-01")
    assert report.compare == ("Qwen", "LLaMA")
    assert report.pair is not None and report.pair["mentions_a"].tolist() == [2]
    assert report.title.endswith("Qwen vs LLaMA")
    with pytest.raises(ConfigError, match="no family 'Gemma'"):
        adoption_series(scan, compare=("Gemma", "Qwen"))
    with pytest.raises(ConfigError, match="two different"):
        adoption_series(scan, compare=("Qwen", "qwen"))
    with pytest.raises(ConfigError, match="--since: expected a month"):
        adoption_series(scan, since="2024-13")
    with pytest.raises(ConfigError, match="no papers"):
        adoption_series(scan, since="2030-01")
