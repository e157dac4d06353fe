"""Reference-model regression: the curve, the excess, its size and power on simulated data."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.interpolate import make_smoothing_spline
from scipy.special import expit, logit

from papertiger.analysis.reference import (
    gcv_lambda,
    reference_regression,
    reference_regression_scores,
)

N_ITEMS, K = 30, 8


def _simulate(rng: np.random.Generator, n_ref: int, boost: float, target_theta: float = 0.3):
    """References spread over abilities, then a clean target and one with an old-form boost."""
    theta = np.concatenate([np.linspace(-2, 2, n_ref), [target_theta, target_theta]])
    b_old, b_new = rng.normal(0, 1, N_ITEMS), rng.normal(0, 1, N_ITEMS)
    eta_old = theta[:, None] - b_old[None, :]
    eta_old[-1] += boost
    trials = np.full((theta.size, N_ITEMS), K)
    return (rng.binomial(trials, expit(eta_old)), trials,
            rng.binomial(trials, expit(theta[:, None] - b_new[None, :])), trials)


def test_logit_linear_curve_is_exact_on_logit_linear_scores() -> None:
    fresh = np.array([0.1, 0.2, 0.35, 0.5, 0.7, 0.85, 0.6, 0.4])
    old = expit(0.4 + 0.9 * logit(fresh))
    old[-1] += 0.1  # the model to find
    old[-2] = expit(0.4 + 0.9 * logit(fresh[-2]))
    res = reference_regression_scores(old, fresh, range(6), n_boot=200)
    assert res.curve == "logit-linear"
    assert res.models[-2].excess.estimate == pytest.approx(0.0, abs=1e-9)
    assert res.models[-1].excess.estimate == pytest.approx(0.1, abs=1e-9)
    assert res.models[-1].predicted_old == pytest.approx(expit(0.4 + 0.9 * logit(0.4)))
    assert "reference models only" in res.resampled and "too small" in res.resampled
    assert res.models[0].is_reference and np.isnan(res.models[0].p_value)
    assert np.all(np.diff(res.grid_old) >= 0)
    assert res.grid_old[0] == pytest.approx(0.0) and res.grid_old[-1] == pytest.approx(1.0)


def test_extrapolation_and_chance_are_handled() -> None:
    fresh = np.array([0.3, 0.35, 0.4, 0.5, 0.55, 0.6, 0.95])
    old = np.clip(fresh + 0.05, 0, 1)
    res = reference_regression_scores(old, fresh, range(6), n_boot=100, chance=0.25)
    assert res.models[-1].extrapolated and not res.models[0].extrapolated
    assert any("extrapolation" in n for n in res.notes)
    assert res.grid_fresh[0] == pytest.approx(0.25) and res.grid_old[0] == pytest.approx(0.25)


def test_spline_lambda_matches_scipys_own_gcv_choice() -> None:
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0.05, 0.95, 14))
    y = np.clip(x**1.3 + rng.normal(0, 0.03, x.size), 0, 1)
    w = np.ones(x.size)
    lam = gcv_lambda(x, y, w)
    xs = np.concatenate([[0.0], x, [1.0]])
    ys = np.concatenate([[0.0], y, [1.0]])
    ws = np.concatenate([[w.sum()], w, [w.sum()]])
    grid = np.linspace(0, 1, 101)
    ours = make_smoothing_spline(xs, ys, w=ws, lam=lam)(grid)
    scipy_gcv = make_smoothing_spline(xs, ys, w=ws)(grid)
    assert np.max(np.abs(ours - scipy_gcv)) < 1e-4


def test_item_level_version_resamples_items_and_references() -> None:
    correct_o, trials_o, correct_f, trials_f = _simulate(np.random.default_rng(3), 12, 1.5)
    res = reference_regression(correct_o, trials_o, correct_f, trials_f, range(12), n_boot=300,
                               model_labels=[f"m{i}" for i in range(14)])
    assert res.curve == "smoothing spline" and "GCV" in res.models[-1].excess.method
    assert "items within each form" in res.resampled
    assert res.models[-1].flagged and res.models[-1].excess.low > 0
    assert res.models[-1].label == "m13"
    assert np.all(np.diff(res.grid_old) >= 0)
    np.testing.assert_allclose(res.models[5].old, (correct_o[5] / trials_o[5]).mean())


def test_bad_input_is_rejected() -> None:
    scores = np.linspace(0.1, 0.9, 8)
    with pytest.raises(ValueError, match="at least 5"):
        reference_regression_scores(scores, scores, range(4))
    with pytest.raises(ValueError, match="every model is a reference"):
        reference_regression_scores(scores[:5], scores[:5], range(5))
    with pytest.raises(ValueError, match="fractions"):
        reference_regression_scores(scores * 100, scores * 100, range(5))
    with pytest.raises(ValueError, match="method"):
        reference_regression_scores(scores, scores, range(5), method="loess")  # type: ignore[arg-type]


def test_published_gair_scores_run_with_us_references(shared_data: Path) -> None:
    with (shared_data / "gair_aime_preview_scores.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    old = np.array([float(r["aime2024"]) for r in rows]) / 100
    fresh = np.array([float(r["aime2025"]) for r in rows]) / 100
    refs = [i for i, r in enumerate(rows) if r["origin"] == "US"]
    assert len(refs) >= 5
    res = reference_regression_scores(old, fresh, refs, n_boot=300,
                                      model_labels=[r["model"] for r in rows])
    others = [m for m in res.models if not m.is_reference]
    assert len(others) == len(rows) - len(refs)
    for m in others:
        assert m.excess.estimate == pytest.approx(m.old - m.predicted_old)
        assert 0 < m.p_value <= 1


@pytest.mark.slow
@pytest.mark.parametrize(("n_ref", "boost", "reps", "min_power"),
                         [(8, 0.6, 200, 0.6), (12, 1.0, 60, 0.85)])
def test_boosted_model_is_flagged_and_clean_one_is_not(n_ref: int, boost: float, reps: int,
                                                       min_power: float) -> None:
    rng = np.random.default_rng(n_ref)
    flagged = np.zeros(2)
    for r in range(reps):
        res = reference_regression(*_simulate(rng, n_ref, boost), range(n_ref), n_boot=200,
                                   seed=r, alpha=0.05)
        flagged += [res.models[-2].flagged, res.models[-1].flagged]
    size, power = flagged / reps
    assert size <= 0.1, size  # α = 0.05, allowing for simulation noise
    assert power >= min_power, power
