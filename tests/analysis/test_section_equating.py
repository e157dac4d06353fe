"""The Rasch equating section: on simulated item counts with known parameters (a model with
a known fall, a harder fresh form) it recovers them within its intervals; freshness and its
basis per model; the anchors; the Skipped cases; a real store from `papertiger run
--provider scripted` over a three-form suite. `simulate` and `inputs` are shared with the
reference-section and render tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from papertiger.analysis import AttemptSource, ReportOptions, build_report
from papertiger.analysis.attempts import SelectedAttempts
from papertiger.analysis.counts import ItemCounts
from papertiger.analysis.rasch import RaschContrast
from papertiger.analysis.results import Skipped
from papertiger.analysis.sections import equating as equating_module
from papertiger.analysis.sections.base import SectionInput
from papertiger.analysis.sections.equating import (
    EquatingSection,
    build_equating,
    choose_references,
    rasch_draws,
)
from papertiger.cli import main
from papertiger.store import AttemptFilter

FORMS = (("aime2024", "2024-02-01"), ("aime2025", "2025-02-06"), ("aime2026", "2026-02-05"))
SHIFT = (0.0, 0.0, 0.5)  # aime2026 is half a logit harder
CUTOFFS = ("2024-06-01", "2025-06-01")  # 2025 and 2026 fresh; only 2026 fresh
LEAK, CHINESE = -1.5, -0.8  # model 0 falls 1.5 logits; the other Chinese models 0.8


@dataclasses.dataclass(frozen=True)
class Simulated:
    counts: ItemCounts
    meta: pd.DataFrame
    delta: np.ndarray
    b: np.ndarray


def simulate(n_models: int = 20, per_form: int = 30, samples: int = 8, seed: int = 1,
             forms: tuple[tuple[str, str], ...] = FORMS, shift: tuple[float, ...] = SHIFT,
             cutoffs: tuple[str, ...] = CUTOFFS) -> Simulated:
    """Counts from a Rasch model: even models Chinese (δ = −0.8, model 0 −1.5), odd Western
    (δ = 0); cutoffs alternate in pairs so every form is linked to the others."""
    rng = np.random.default_rng(seed)
    groups = ["Chinese" if m % 2 == 0 else "Western" for m in range(n_models)]
    names = [f"{g.lower()}-{m:02d}" for m, g in enumerate(groups)]
    cut = [cutoffs[(m // 2) % len(cutoffs)] for m in range(n_models)]
    delta = np.array([CHINESE if g == "Chinese" else 0.0 for g in groups])
    delta[0] = LEAK
    theta = rng.normal(0.3, 0.8, n_models)
    base = np.linspace(-2, 2, per_form)
    b = np.concatenate([base - base.mean() + shift[f] for f in range(len(forms))])
    form_of_item = np.repeat(np.arange(len(forms)), per_form)
    dates = [dt.date.fromisoformat(r) for _, r in forms]
    fresh = np.array([[r > dt.date.fromisoformat(c) for r in dates] for c in cut])
    eta = theta[:, None] - b[None, :] + delta[:, None] * fresh[:, form_of_item]
    trials = np.full(eta.shape, samples, dtype=np.int64)
    correct = rng.binomial(trials, 1 / (1 + np.exp(-eta))).astype(np.int64)
    items = tuple((forms[f][0], f"{forms[f][0]}-{i:02d}") for f in range(len(forms))
                  for i in range(per_form))
    counts = ItemCounts(tuple(names), tuple(f for f, _ in forms), items, form_of_item, correct,
                        trials, np.zeros_like(trials), tuple(r for _, r in forms))
    meta = pd.DataFrame({"model": names, "group": groups, "training_cutoff": cut,
                         "released": [None] * n_models})
    return Simulated(counts, meta, delta, b)


def inputs(sim: Simulated, **options: Any) -> SectionInput:
    forms = tuple(zip(sim.counts.forms, sim.counts.released, strict=True))
    selected = SelectedAttempts(db=Path(":memory:"), where=AttemptFilter(), models=sim.meta,
                                suite="aime", forms=forms, holdings=pd.DataFrame())
    return SectionInput(ReportOptions(**options), selected=selected, counts=sim.counts)


def equating(sim: Simulated, **options: Any) -> EquatingSection:
    result = build_equating(inputs(sim, **options))
    assert isinstance(result, EquatingSection), result
    return result


@pytest.fixture(scope="module")
def fitted() -> tuple[Simulated, EquatingSection]:
    sim = simulate()
    return sim, equating(sim)


def covers(low: float, high: float, value: float) -> bool:
    return low <= value <= high


# -- known parameters ----------------------------------------------------------------------


def test_the_known_fall_is_recovered_within_its_interval(fitted) -> None:
    sim, result = fitted
    leak = result.rows[0]
    assert leak.delta is not None and covers(leak.delta.low, leak.delta.high, LEAK)
    assert leak.delta.high < 0  # a real fall is told apart from none
    inside = [r.delta is not None and covers(r.delta.low, r.delta.high, d)
              for r, d in zip(result.rows, sim.delta, strict=True)]
    assert sum(inside) >= 18  # 95% intervals: about 19 of 20


def test_the_group_contrast_is_the_headline_and_needs_no_anchor(fitted) -> None:
    sim, result = fitted
    c = result.contrast
    assert isinstance(c, RaschContrast)
    truth = sim.delta[::2].mean() - sim.delta[1::2].mean()
    assert (c.group_a, c.group_b, c.n_a, c.n_b) == ("Chinese", "Western", 10, 10)
    assert covers(c.gamma.low, c.gamma.high, truth) and c.anchor_free
    assert c.permutation.alternative == "two-sided" and c.permutation.p_value < 0.001
    assert result.one_sided is not None and result.one_sided.alternative == "less"
    assert result.one_sided.p_value <= c.permutation.p_value
    means = {g.group: g.mean for g in result.group_means}
    assert means["Chinese"] - means["Western"] == pytest.approx(c.gamma.estimate)


def test_the_harder_fresh_form_is_found_by_the_linked_design(fitted) -> None:
    _, result = fitted
    shifts = {s.label: s for s in result.shifts}
    assert shifts["aime2024"].shift.estimate == 0.0
    assert "reference point" in shifts["aime2024"].basis
    later = shifts["aime2026"]
    assert covers(later.shift.low, later.shift.high, SHIFT[2]) and later.shift.low > 0
    assert later.basis.startswith("estimated")  # linked: models with two fresh or two old forms
    assert any("links every form" in n for n in result.notes)


def test_item_difficulties_per_form_track_the_truth(fitted) -> None:
    sim, result = fitted
    frame = result.items_frame()
    assert list(frame.columns) == ["form", "item_id", "b", "correct_rate", "solved_by",
                                   "n_models", "fresh_for"]
    assert len(frame) == 90 and frame.groupby("form").size().to_dict() == dict.fromkeys(
        ("aime2024", "aime2025", "aime2026"), 30)
    assert sps.spearmanr(frame["b"], sim.b).statistic > 0.95
    assert frame.set_index("form")["fresh_for"].groupby("form").max().to_dict() == {
        "aime2024": 0, "aime2025": 10, "aime2026": 20}
    assert result.fresh_forms == ("aime2025", "aime2026")
    assert frame["correct_rate"].between(0, 1).all() and frame["solved_by"].between(0, 1).all()


def test_rows_show_freshness_per_form_with_its_basis(fitted) -> None:
    _, result = fitted
    frame = result.to_frame()
    first = frame.iloc[0]
    assert (first["fresh_aime2024"], first["fresh_aime2025"], first["fresh_aime2026"]) == (
        "not fresh", "fresh", "fresh")
    assert set(frame["basis"]) == {"training cutoff"}
    assert {"theta", "delta", "delta_low", "delta_high", "note", "is_reference"} <= set(frame)
    assert "super-population" in result.estimand and "items resampled" in result.estimand
    assert "500 resamples" in result.method and "draws scaled to the design" in result.method


# -- freshness, undefined δ ---------------------------------------------------------------


def test_release_date_is_the_weaker_basis_and_missing_dates_leave_a_model_out() -> None:
    sim = simulate()
    meta = sim.meta.copy()
    meta.loc[1, ["training_cutoff", "released"]] = [None, "2024-09-01"]
    meta.loc[3, "training_cutoff"] = None  # neither date: freshness unknown
    meta.loc[5, "training_cutoff"] = "2026-06-01"  # every form old: no δ
    result = equating(dataclasses.replace(sim, meta=meta))
    rows = {r.model: r for r in result.rows}
    assert rows["western-01"].basis == "release date (weaker)" and rows["western-01"].delta
    assert rows["western-03"].freshness == ("unknown",) * 3 and rows["western-03"].delta is None
    assert rows["western-05"].delta is None
    assert "no fresh form attempted" in rows["western-05"].note
    text = " ".join(result.notes)
    assert "weaker test" in text and "western-03" in text and "left out" in text


def test_no_delta_at_all_still_fits_the_items_and_says_so() -> None:
    sim = simulate(cutoffs=("2023-01-01",))  # every form fresh to every model
    result = equating(sim)
    assert all(r.delta is None for r in result.rows)
    assert isinstance(result.contrast, Skipped) and result.one_sided is None
    assert any("δ is undefined for every model" in n for n in result.notes)
    assert np.isfinite(result.items_frame()["b"]).all()


# -- anchors ------------------------------------------------------------------------------

TWO_FORMS = FORMS[:2]


def test_the_anchor_moves_delta_and_the_shift_but_not_gamma() -> None:
    sim = simulate(forms=TWO_FORMS, shift=(0.0, 0.5), cutoffs=("2024-06-01",))
    equal = equating(sim)
    ref = equating(sim, anchor="reference", reference_group="Western")
    assert "anchor A" in equal.shifts[1].basis and equal.shifts[1].shift.estimate == pytest.approx(
        0.0, abs=1e-9)
    western = [r.delta.estimate for r in ref.rows if r.group == "Western" and r.delta]
    assert np.mean(western) == pytest.approx(0.0, abs=1e-9)
    assert covers(ref.shifts[1].shift.low, ref.shifts[1].shift.high, 0.5)
    assert "anchor R" in ref.shifts[1].basis and "western-01" in ref.anchor
    assert all(r.is_reference == (r.group == "Western") for r in ref.rows)
    assert isinstance(equal.contrast, RaschContrast) and isinstance(ref.contrast, RaschContrast)
    assert ref.contrast.gamma.estimate == pytest.approx(equal.contrast.gamma.estimate, abs=1e-6)


def test_reference_anchor_without_references_is_skipped_with_the_reason() -> None:
    sim = simulate(forms=TWO_FORMS)
    result = build_equating(inputs(sim, anchor="reference"))
    assert isinstance(result, Skipped) and "--reference MODEL" in result.reason
    result = build_equating(inputs(sim, anchor="reference", reference_models=("nobody",)))
    assert isinstance(result, Skipped) and "no model matches" in result.reason
    meta = sim.meta.assign(training_cutoff="2026-06-01")  # no model has a fresh form
    result = build_equating(inputs(dataclasses.replace(sim, meta=meta), anchor="reference",
                                   reference_group="Western"))
    assert isinstance(result, Skipped) and "none has a δ" in result.reason


def test_choose_references_by_name_group_and_cutoff() -> None:
    sim = simulate()
    models = sim.counts.models

    def chosen(**options: Any) -> tuple[str, ...]:
        return choose_references(models, sim.meta, ReportOptions(**options)).names

    assert chosen() == () and not choose_references(models, sim.meta, ReportOptions()).asked
    assert chosen(reference_group="western") == models[1::2]  # case-insensitive
    assert chosen(reference_before=dt.date(2025, 1, 1)) == tuple(
        m for m, c in zip(models, sim.meta["training_cutoff"], strict=True) if c < "2025")
    both = chosen(reference_group="Western", reference_before=dt.date(2025, 1, 1))
    assert both == ("western-01", "western-05", "western-09", "western-13", "western-17")
    refs = choose_references(models, sim.meta, ReportOptions(
        reference_models=("chinese-02", "ghost"), reference_group="Western",
        reference_before=dt.date(2025, 1, 1)))
    assert refs.names == ("western-01", "chinese-02", *both[1:]) and refs.unknown == ("ghost",)
    assert "named (chinese-02, ghost)" in refs.chosen_by and "group = Western" in refs.chosen_by


# -- what does not apply, what cannot be computed ------------------------------------------


def test_not_for_one_form_nor_for_score_tables() -> None:
    sim = simulate(forms=FORMS[:1], shift=(0.0,))
    assert build_equating(inputs(sim)) is None
    assert build_equating(SectionInput(ReportOptions())) is None
    report = build_report(None, ReportOptions(n_boot=200))
    assert not any(isinstance(x, EquatingSection) for x in report.extras)


def test_unknown_freshness_everywhere_is_skipped_and_an_undated_form_left_out() -> None:
    sim = simulate()
    undated = dataclasses.replace(sim, meta=sim.meta.assign(training_cutoff=None))
    result = build_equating(inputs(undated))
    assert isinstance(result, Skipped) and "freshness is unknown" in result.reason
    counts = dataclasses.replace(sim.counts, released=("2024-02-01", "2025-02-06", None))
    result = equating(dataclasses.replace(sim, counts=counts))
    assert "forms without a release date (freshness unknown, left out): aime2026" in result.notes
    assert [s.label for s in result.shifts] == ["aime2024", "aime2025"]
    assert result.items_frame().query("form == 'aime2026'")["b"].isna().all()


def test_gamma_needs_two_groups() -> None:
    sim = simulate()
    meta = sim.meta.copy()
    meta.loc[2, "group"] = "Other"
    result = equating(dataclasses.replace(sim, meta=meta))
    assert isinstance(result.contrast, Skipped) and "--compare" in result.contrast.reason
    picked = equating(dataclasses.replace(sim, meta=meta), compare=("Western", "Chinese"))
    assert isinstance(picked.contrast, RaschContrast) and picked.contrast.group_a == "Western"


def test_bootstrap_draws_scale_with_the_design(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rasch_draws(2000, 20, 60) == 500 and rasch_draws(200, 20, 60) == 200
    assert rasch_draws(2000, 200, 1000) == 100 and rasch_draws(2000, 200, 3000) == 50
    monkeypatch.setattr(equating_module, "BOOT_WORK", 1e4)  # 8² × 30 items: 5 → 50
    result = equating(simulate(n_models=8, per_form=10))
    assert result.n_boot == 50 and any("50 bootstrap draws" in n for n in result.notes)


# -- a real store --------------------------------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runner"))
from runner_helpers import make_data_dir  # noqa: E402

ROSTER = (  # name, group, cutoff, accuracy on 2024 / 2025 / 2026
    ("east-a", "Chinese", "2024-06-01", [0.80, 0.45, 0.42]),
    ("east-b", "Chinese", "2025-06-01", [0.72, 0.70, 0.38]),
    ("east-c", "Chinese", "2024-06-01", [0.70, 0.40, 0.38]),
    ("east-d", "Chinese", "2025-06-01", [0.75, 0.73, 0.45]),
    ("west-a", "Western", "2024-06-01", [0.80, 0.78, 0.77]),
    ("west-b", "Western", "2025-06-01", [0.60, 0.59, 0.58]),
    ("west-c", "Western", "2024-06-01", [0.70, 0.68, 0.68]),
    ("west-d", "Western", "2025-06-01", [0.50, 0.49, 0.48]),
    ("west-e", "Western", "2024-06-01", [0.90, 0.88, 0.88]),
    ("west-f", "Western", "2025-06-01", [0.40, 0.39, 0.38]),
)


def scripted_store(tmp: Path, data: Path, monkeypatch: pytest.MonkeyPatch, name: str = "r.db",
                   roster: tuple[tuple[str, str, str, list[float]], ...] = ROSTER) -> Path:
    """`papertiger run --provider scripted` (4 samples) over the three forms in `data`."""
    models = tmp / "models.toml"
    models.write_text("\n".join(
        f'[[model]]\nname = "{n}"\nprovider = "scripted"\ngroup = "{g}"\n'
        f"training_cutoff = {c}\nprovider_options = {{ accuracy = {a} }}\n"
        for n, g, c, a in roster))
    db = tmp / name
    monkeypatch.setattr(sys, "argv", ["papertiger", "run", "--provider", "scripted", "--models",
                                      str(models), "--data", str(data), "--db", str(db),
                                      "--samples", "4"])
    try:
        main()
    except SystemExit as exc:
        assert exc.code in (0, None)
    return db


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # multiverse t tests
def test_a_scripted_store_over_three_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    db = scripted_store(tmp_path, make_data_dir(tmp_path), monkeypatch)
    capsys.readouterr()
    report = build_report(AttemptSource(db), ReportOptions(n_boot=200))
    (result,) = [x for x in report.extras if isinstance(x, EquatingSection)]
    assert result.forms == ("aime2024", "aime2025", "aime2026")
    assert str(result.released[0]).startswith("2024-02")
    rows = {r.model: r for r in result.rows}
    assert rows["east-a"].freshness == ("not fresh", "fresh", "fresh")
    assert rows["east-b"].freshness == ("not fresh", "not fresh", "fresh")
    east = [d.estimate for m, r in rows.items() if m.startswith("east") and (d := r.delta)]
    west = [d.estimate for m, r in rows.items() if m.startswith("west") and (d := r.delta)]
    assert len(east) == 4 and len(west) == 6
    assert max(east) < min(west)  # the scripted eastern models fall on their fresh forms
    assert isinstance(result.contrast, RaschContrast) and result.contrast.gamma.high < 0
    assert result.contrast.permutation.method.startswith("exact")
