"""The reference-model regression section: on simulated item counts the known fall shows as
a flagged excess and clean models do not; one result per pair of consecutive forms; the
references chosen by name, group or cutoff; the Skipped cases; the aggregate-score variant
on the embedded table (references resampled only, and said so); a real scripted store."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from test_section_equating import ROSTER, Simulated, inputs, scripted_store, simulate

from papertiger.analysis import AttemptSource, ReportOptions, build_report
from papertiger.analysis.results import Skipped
from papertiger.analysis.sections.reference import (
    REFERENCE_BOOT_CAP,
    ReferencePair,
    ReferenceSection,
    build_reference,
)
from papertiger.published import load_scores


def reference(sim: Simulated, **options: object) -> ReferenceSection:
    result = build_reference(inputs(sim, n_boot=300, **options))  # type: ignore[arg-type]
    assert isinstance(result, ReferenceSection), result
    return result


@pytest.fixture(scope="module")
def by_group() -> ReferenceSection:
    return reference(simulate(), reference_group="Western")


def test_one_result_per_pair_of_consecutive_forms(by_group: ReferenceSection) -> None:
    assert [p.label for p in by_group.computed] == ["aime2024 \u2192 aime2025",
                                                 "aime2025 \u2192 aime2026"]
    assert by_group.item_level and by_group.n_boot == 300
    assert "one result per pair of consecutive forms" in by_group.method
    frame = by_group.to_frame()
    assert len(frame) == 40 and set(frame["old_form"]) == {"aime2024", "aime2025"}
    assert {"excess_low", "excess_high", "p_value", "flagged", "extrapolated",
            "is_reference"} <= set(frame.columns)


def test_the_known_fall_is_a_flagged_excess(by_group: ReferenceSection) -> None:
    first = by_group.computed[0]
    assert first.curve == "smoothing spline" and len(first.references) == 10
    rows = {r.model: r for r in first.rows}
    leak = rows["chinese-00"]  # old form 2024, fresh 2025: falls 1.5 logits on 2025
    assert leak.flagged and leak.p_value < 0.01 and leak.excess.low > 0
    assert leak.old - leak.predicted_old == pytest.approx(leak.excess.estimate)
    assert not leak.is_reference and rows["western-01"].is_reference
    assert rows["western-01"].p_value != rows["western-01"].p_value  # NaN: not tested
    assert "items within each form" in first.resampled and first.item_level


def test_clean_tested_models_are_not_flagged() -> None:
    sim = simulate()
    named = ("western-01", "western-03", "western-05", "western-07", "western-09", "western-11")
    result = reference(sim, reference_models=named)
    first = result.computed[0]
    assert first.curve == "logit-linear"  # fewer than 10 references
    clean = [r for r in first.rows if r.group == "Western" and not r.is_reference]
    assert len(clean) == 4 and not any(r.flagged for r in clean)
    assert all(r.excess.low <= 0 <= r.excess.high for r in clean)


def test_extrapolation_beyond_the_references_is_flagged(by_group: ReferenceSection) -> None:
    for pair in by_group.computed:
        lo, hi = pair.fresh_range
        for r in pair.rows:
            assert r.extrapolated == (not r.is_reference and not lo <= r.fresh <= hi)
    assert any(r.extrapolated for p in by_group.computed for r in p.rows)
    assert any("extrapolation" in n for p in by_group.computed for n in p.notes)


def test_the_curve_is_a_monotone_grid_in_percent(by_group: ReferenceSection) -> None:
    pair = by_group.computed[0]
    assert pair.grid_fresh[0] == 0 and pair.grid_fresh[-1] == pytest.approx(100)
    assert all(b >= a for a, b in zip(pair.grid_old, pair.grid_old[1:], strict=False))


# -- choosing references, and when there are too few ---------------------------------------


def test_no_references_chosen_says_how_to_choose() -> None:
    result = build_reference(inputs(simulate()))
    assert isinstance(result, Skipped)
    assert "--reference MODEL" in result.reason and "--reference-group" in result.reason


def test_fewer_than_five_references_names_them() -> None:
    result = build_reference(inputs(simulate(), reference_models=("western-01", "western-03",
                                                                  "ghost")))
    assert isinstance(result, Skipped)
    assert "2 reference model(s) found" in result.reason and "western-01, western-03" in result.reason
    assert "need at least 5" in result.reason and "--reference-before" in result.reason


def test_references_by_cutoff_and_every_model_a_reference() -> None:
    sim = simulate(n_models=12)
    before = reference(sim, reference_before=dt.date(2025, 1, 1))  # cutoff 2024-06-01: 6 models
    assert len(before.references) == 6 and "before 2025-01-01" in before.chosen_by
    meta = sim.meta.assign(group="Western")
    every = build_reference(inputs(dataclasses.replace(sim, meta=meta), n_boot=100,
                                   reference_group="Western"))
    assert isinstance(every, ReferenceSection)
    assert all(isinstance(p, Skipped) and "no model to test" in p.reason for p in every.pairs)


def test_unknown_reference_names_are_noted_and_draws_capped() -> None:
    sim = simulate()
    result = build_reference(inputs(sim, reference_group="Western", reference_models=("ghost",)))
    assert isinstance(result, ReferenceSection)
    assert result.n_boot == REFERENCE_BOOT_CAP
    text = " ".join(result.notes)
    assert "ghost" in text and f"{REFERENCE_BOOT_CAP} bootstrap draws per pair" in text


def test_not_for_one_form() -> None:
    sim = simulate(forms=(("aime2024", "2024-02-01"),), shift=(0.0,))
    assert build_reference(inputs(sim, reference_group="Western")) is None


# -- aggregate scores ----------------------------------------------------------------------


def test_aggregate_scores_resample_references_only_and_say_so() -> None:
    table = load_scores([])
    western = table.frame[table.frame["group"] == "Western"]
    report = build_report(None, ReportOptions(reference_group="Western", n_boot=300))
    (result,) = [x for x in report.extras if isinstance(x, ReferenceSection)]
    assert not result.item_level and len(result.references) == len(western) == 12
    (pair,) = result.pairs
    assert isinstance(pair, ReferencePair)
    assert (pair.old_form, pair.fresh_form) == ("AIME 2024", "AIME 2025")
    assert pair.curve == "smoothing spline" and not pair.item_level
    assert "reference models only" in pair.resampled and "too small" in pair.resampled
    assert "resamples the reference models only" in result.method
    tested = {r.model: r for r in pair.rows if not r.is_reference}
    assert len(tested) == 7 and all(r.group == "Chinese" for r in tested.values())
    minimax = tested["MiniMax-M1 80k"]  # 84.7 → 61.0: far more old score than its fresh explains
    assert minimax.old == pytest.approx(84.7) and minimax.excess.estimate > 10
    assert minimax.flagged


def test_several_harnesses_give_one_pair_each() -> None:
    table = load_scores([])
    other = dataclasses.replace(table, harness="copy", source="copy")
    first = dataclasses.replace(table, harness="AA")
    report = build_report([first, other],  # type: ignore[list-item]
                          ReportOptions(reference_group="Western", n_boot=100))
    (result,) = [x for x in report.extras if isinstance(x, ReferenceSection)]
    assert [p.label for p in result.computed] == ["AIME 2024 (AA) \u2192 AIME 2025 (AA)",
                                                  "AIME 2024 (copy) \u2192 AIME 2025 (copy)"]


# -- a real store --------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # multiverse t tests
def test_a_scripted_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runner"))
    from runner_helpers import make_data_dir

    db = scripted_store(tmp_path, make_data_dir(tmp_path), monkeypatch)
    report = build_report(AttemptSource(db), ReportOptions(n_boot=200, reference_group="Western"))
    (result,) = [x for x in report.extras if isinstance(x, ReferenceSection)]
    assert result.references == tuple(n for n, g, _, _ in ROSTER if g == "Western")
    first, second = result.pairs
    assert isinstance(first, ReferencePair) and isinstance(second, ReferencePair)
    rows = {r.model: r for r in first.rows}
    # east-a and east-c fall from 2024 to 2025; east-b and east-d only from 2025 to 2026.
    assert rows["east-a"].excess.estimate > 15 and rows["east-c"].excess.estimate > 15
    assert rows["east-b"].excess.estimate < rows["east-a"].excess.estimate
    later = {r.model: r for r in second.rows}
    assert later["east-b"].excess.estimate > 15 and later["east-d"].excess.estimate > 15
