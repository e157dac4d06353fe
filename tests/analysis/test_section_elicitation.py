"""The elicitation section: unbiased pass@k against brute force, pass@1 = mean accuracy,
monotone curves, the gap and its normalised form, and the group comparison."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from papertiger.analysis import ReportOptions
from papertiger.analysis.attempts import SelectedAttempts
from papertiger.analysis.counts import ItemCounts
from papertiger.analysis.itemstats import pass_at_k
from papertiger.analysis.results import GroupComparison, Skipped
from papertiger.analysis.sections.base import SectionInput
from papertiger.analysis.sections.elicitation import (
    ElicitationSection,
    build_elicitation,
    ks_for,
)
from papertiger.store import AttemptFilter


def brute_pass_at_k(outcomes: list[int], k: int) -> float:
    """Share of all k-subsets of the samples that hold at least one correct sample."""
    subsets = list(itertools.combinations(range(len(outcomes)), k))
    return sum(any(outcomes[i] for i in s) for s in subsets) / len(subsets)


def counts_for(correct: dict[str, list[list[int]]], trials: int | list[int],
               forms: tuple[str, ...] = ("old", "new")) -> ItemCounts:
    """ItemCounts from correct counts per model × form × item (same items for all)."""
    models = tuple(correct)
    per_form = len(correct[models[0]][0])
    items = tuple((f, f"{f}-{i}") for f in forms for i in range(per_form))
    c = np.array([[v for form in correct[m] for v in form] for m in models], dtype=np.int64)
    t = np.broadcast_to(np.asarray(trials, dtype=np.int64), c.shape).copy()
    return ItemCounts(models, forms, items,
                      np.repeat(np.arange(len(forms)), per_form), c, t, np.zeros_like(c))


def inputs_for(counts: ItemCounts, groups: dict[str, str], **options: object) -> SectionInput:
    models = pd.DataFrame({"model": list(groups), "group": list(groups.values())})
    selected = SelectedAttempts(db=Path(":memory:"), where=AttemptFilter(), models=models,
                                suite="s", forms=tuple((f, None) for f in counts.forms),
                                holdings=pd.DataFrame())  # the section reads counts only
    opts = ReportOptions(n_boot=300, **options)  # type: ignore[arg-type]
    return SectionInput(opts, selected=selected, counts=counts)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7])
def test_unbiased_pass_at_k_equals_brute_force_enumeration(n: int) -> None:
    for c in range(n + 1):
        outcomes = [1] * c + [0] * (n - c)
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(brute_pass_at_k(outcomes, k), abs=1e-12)


def test_section_curves_equal_brute_force_and_pass_at_1_is_mean_accuracy() -> None:
    rng = np.random.default_rng(3)
    per_item = {m: [rng.integers(0, 7, size=4).tolist() for _ in range(2)] for m in "abcd"}
    counts = counts_for(per_item, trials=6)
    result = build_elicitation(inputs_for(counts, dict(zip("abcd", ["X", "X", "Y", "Y"], strict=True))))
    assert isinstance(result, ElicitationSection)
    assert len(result.curves) == 8
    for curve in result.curves:
        form = counts.forms.index(curve.form)
        cs = per_item[curve.model][form]
        assert curve.ks == (1, 2, 4, 6)
        for k, value in zip(curve.ks, curve.pass_at, strict=True):
            brute = np.mean([brute_pass_at_k([1] * c + [0] * (6 - c), k) for c in cs])
            assert value == pytest.approx(100 * brute)
        assert curve.pass_at[0] == pytest.approx(100 * np.mean(cs) / 6)  # pass@1 = avg@K
        assert all(b >= a - 1e-12 for a, b in zip(curve.pass_at, curve.pass_at[1:], strict=False))
        assert all(lo <= p + 1e-9 and p <= hi + 1e-9
                   for p, lo, hi in zip(curve.pass_at, curve.low, curve.high, strict=True))


def test_gap_and_normalised_gap_arithmetic() -> None:
    # Two items, K = 4: one solved 1/4 (pass@4 = 1), one never (0): pass@1 = 12.5 %,
    # pass@4 = 50 %; gap 37.5 pp; normalised 37.5 / 87.5 of the unsolved mass.
    counts = counts_for({"a": [[1, 0]], "b": [[4, 4]]}, trials=4, forms=("only",))
    result = build_elicitation(inputs_for(counts, {"a": "X", "b": "Y"}))
    assert isinstance(result, ElicitationSection)
    a, b = result.curves
    assert a.pass_at[0] == pytest.approx(12.5) and a.pass_at[-1] == pytest.approx(50.0)
    assert a.gap.estimate == pytest.approx(37.5)
    assert a.normalised is not None and a.normalised.estimate == pytest.approx(100 * 37.5 / 87.5)
    assert b.gap.estimate == 0.0 and b.normalised is None  # pass@1 = 100: nothing to recover
    frame = result.gaps_frame()
    assert frame.loc[frame["model"] == "a", "gap"].item() == pytest.approx(37.5)


def test_ks_are_powers_of_two_and_k() -> None:
    assert ks_for(2) == (1, 2)
    assert ks_for(64) == (1, 2, 4, 8, 16, 32, 64)
    assert ks_for(10) == (1, 2, 4, 8, 10)


def test_one_sample_per_item_is_skipped_with_the_fix() -> None:
    counts = counts_for({"a": [[1, 0]], "b": [[0, 1]]}, trials=1, forms=("only",))
    result = build_elicitation(inputs_for(counts, {"a": "X", "b": "Y"}))
    assert isinstance(result, Skipped)
    assert "≥ 2 samples per item" in result.reason and "--samples" in result.reason


def test_score_sources_get_no_section() -> None:
    assert build_elicitation(SectionInput(ReportOptions())) is None


def test_group_comparison_of_the_gap_on_each_form_latest_first() -> None:
    # Group X: hard to elicit (c = 1 of 4 on every item); group Y: solid (c = 3 of 4).
    per_item = {"x1": [[1, 1, 1], [1, 1, 2]], "x2": [[1, 2, 1], [1, 1, 1]],
                "x3": [[1, 1, 1], [2, 1, 1]],
                "y1": [[3, 3, 3], [3, 4, 3]], "y2": [[3, 3, 4], [3, 3, 3]],
                "y3": [[4, 3, 3], [3, 3, 3]]}
    groups = {m: m[0].upper() for m in per_item}
    result = build_elicitation(inputs_for(counts_for(per_item, trials=4), groups))
    assert isinstance(result, ElicitationSection)
    labels = [c.label for c in result.contrasts]
    assert labels[0].startswith("gap pass@4 − pass@1 on new (latest form)")
    assert len(labels) == 3  # the gap on both forms, the normalised gap on the latest
    first = result.contrasts[0].comparison
    assert isinstance(first, GroupComparison)
    assert (first.group_a, first.group_b) == ("X", "Y")  # sorted when neither is Chinese
    assert first.mean_a > first.mean_b  # X's gap is bigger
    sides = {(t.name, t.alternative) for t in first.tests}
    for test in ("Welch t", "Student t", "Mann–Whitney U", "Permutation (difference of means)"):
        assert {(test, s) for s in ("two-sided", "less", "greater")} <= sides
    greater = next(t for t in first.tests if t.name.startswith("Welch") and t.alternative == "greater")
    assert greater.p_value < 0.05


def test_one_group_or_too_few_models_says_why() -> None:
    counts = counts_for({"a": [[1, 2]], "b": [[0, 1]]}, trials=4, forms=("only",))
    result = build_elicitation(inputs_for(counts, {"a": "X", "b": "X"}))
    assert isinstance(result, ElicitationSection)
    assert all(isinstance(c.comparison, Skipped) for c in result.contrasts)
    assert "two groups" in result.contrasts[0].comparison.reason  # type: ignore[union-attr]


def test_models_with_different_k_are_compared_at_the_common_k() -> None:
    per_item = {m: [[1, 2]] for m in ("a", "b", "c", "d")}
    counts = counts_for(per_item, trials=[[8, 8], [8, 8], [4, 4], [4, 4]], forms=("only",))
    result = build_elicitation(inputs_for(counts, {"a": "X", "b": "Y", "c": "X", "d": "Y"}))
    assert isinstance(result, ElicitationSection)
    assert {c.samples for c in result.curves} == {4, 8}
    assert any("common k = 4" in n for n in result.notes)
    assert result.contrasts[0].quantity.startswith("pass@4")
    assert not math.isnan(result.to_frame()["pass_at_k"].sum())


def test_items_with_unequal_samples_use_the_fewest_as_k() -> None:
    counts = counts_for({"a": [[2, 3]], "b": [[1, 1]]}, trials=[[4, 6], [4, 4]], forms=("only",))
    result = build_elicitation(inputs_for(counts, {"a": "X", "b": "Y"}))
    assert isinstance(result, ElicitationSection)
    a = next(c for c in result.curves if c.model == "a")
    assert a.samples == 4 and a.uneven and a.ks == (1, 2, 4)
    assert a.pass_at[-1] == pytest.approx(100 * (pass_at_k(4, 2, 4) + pass_at_k(6, 3, 4)) / 2)
    assert any("unequal sample counts" in n and "a on only" in n for n in result.notes)


def test_compare_names_the_pair_and_a_missing_pair_is_skipped() -> None:
    per_item = {m: [[1, 2, 3]] for m in ("a", "b", "c", "d", "e", "f")}
    groups = dict(zip(per_item, ["X", "X", "Y", "Y", "Z", "Z"], strict=True))
    counts = counts_for(per_item, trials=4, forms=("only",))
    three = build_elicitation(inputs_for(counts, groups))
    assert isinstance(three, ElicitationSection)
    assert "exactly two groups" in three.contrasts[0].comparison.reason  # type: ignore[union-attr]
    chosen = build_elicitation(inputs_for(counts, groups, compare=("Z", "X")))
    assert isinstance(chosen, ElicitationSection)
    comparison = chosen.contrasts[0].comparison
    assert isinstance(comparison, Skipped)  # the values are constant: no t test, said so
    assert "constant" in comparison.reason
    missing = build_elicitation(inputs_for(counts, groups, compare=("Q", "X")))
    assert isinstance(missing, ElicitationSection)
    assert "no such pair" in missing.contrasts[0].comparison.reason  # type: ignore[union-attr]
