"""The Rasch series: recovery on simulated data, anchors, identification, contrasts, edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from papertiger.analysis._rasch_fit import make_design
from papertiger.analysis.rasch import fit_rasch, rasch_contrast
from papertiger.analysis.stats import permutation_test

PER_FORM = 30


def _simulate(theta: np.ndarray, delta: np.ndarray, b: np.ndarray, form: np.ndarray,
              fresh: np.ndarray, k: int, u: np.ndarray,
              attempted: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Binomial counts from the model; `u` are shared uniforms (common random numbers)."""
    eta = theta[:, None] - b[None, :] + delta[:, None] * fresh[:, form]
    correct = (u < expit(eta)[..., None]).sum(-1)
    trials = np.full(correct.shape, k)
    if attempted is not None:
        correct, trials = correct * attempted, trials * attempted
    return correct, trials


def _fresh_from_cutoffs(cutoff: np.ndarray, n_forms: int) -> np.ndarray:
    """Form f is fresh for a model when f ≥ its cutoff index (forms ordered by release)."""
    return np.arange(n_forms)[None, :] >= cutoff[:, None]


def _staggered(seed: int, harder_2026: float = 0.0, linked: bool = False):
    """Three forms (2024, 2025, 2026) and models of two cutoffs, half in each group.

    Cutoff 1 (between 2024 and 2025) and cutoff 2 (between 2025 and 2026). Unless `linked`,
    cutoff-1 models were never run on 2026, so nothing links 2026 to the other forms.
    """
    rng = np.random.default_rng(seed)
    m = 16
    cutoff = np.array([1, 1, 2, 2] * 4)
    groups = np.array(["A"] * 8 + ["B"] * 8)
    theta = np.linspace(-1.2, 1.2, m)
    delta = np.where(groups == "A", -0.5, -0.1)
    form = np.repeat(np.arange(3), PER_FORM)
    b = rng.normal(0.0, 1.0, 3 * PER_FORM) + np.where(form == 2, harder_2026, 0.0)
    fresh = _fresh_from_cutoffs(cutoff, 3)
    attempted = None if linked else ~((cutoff[:, None] == 1) & (form[None, :] == 2))
    u = np.random.default_rng(seed + 1000).random((m, 3 * PER_FORM, 8))
    correct, trials = _simulate(theta, delta, b, form, fresh, 8, u, attempted)
    return correct, trials, form, fresh, groups, cutoff


def test_matches_an_unpenalised_glm_fit() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    m, per = 8, 10
    form = np.repeat([0, 1], per)
    fresh = np.tile([False, True], (m, 1))
    theta, delta, b = rng.normal(0, 0.6, m), rng.normal(-0.3, 0.4, m), rng.normal(0, 0.6, 2 * per)
    correct, trials = _simulate(theta, delta, b, form, fresh, 6, rng.random((m, 2 * per, 6)))
    assert correct.sum(0).min() > 0 and (correct.sum(0) < trials.sum(0)).all()
    fit = fit_rasch(correct, trials, form, fresh, anchor="equal-means", n_boot=0, prior_sd=1e3)
    rows = [(mi, i) for mi in range(m) for i in range(2 * per)]
    x = np.zeros((len(rows), 2 * m + 2 * per))
    for r, (mi, i) in enumerate(rows):
        x[r, mi] = 1.0
        x[r, m + mi] = float(form[i] == 1)
        x[r, 2 * m + i] = -1.0
    endog = np.array([[correct[mi, i], trials[mi, i] - correct[mi, i]] for mi, i in rows])
    x = np.delete(x, [2 * m, 2 * m + per], axis=1)  # b = 0 for one item per form: full rank
    glm = sm.GLM(endog, x, family=sm.families.Binomial()).fit()
    mu = glm.fittedvalues.reshape(m, 2 * per)
    own = expit(fit.theta[:, None] - fit.b[None, :] + fit.delta[:, None] * (form == 1)[None, :])
    np.testing.assert_allclose(own, mu, atol=1e-4)  # same fitted probabilities
    expected_ll = float(np.sum(correct * np.log(mu) + (trials - correct) * np.log1p(-mu)))
    assert fit.log_likelihood == pytest.approx(expected_ll, abs=1e-4)
    glm_delta = glm.params[m:2 * m]
    # δ is identified up to the one free direction: differences must agree
    np.testing.assert_allclose(fit.delta - fit.delta[0], glm_delta - glm_delta[0], atol=2e-3)


def test_recovers_known_parameters() -> None:
    rng = np.random.default_rng(11)
    m = 20
    cutoff = np.arange(m) % 4  # all fresh, old 2024, old 2024–25, all old
    fresh = _fresh_from_cutoffs(cutoff, 3)
    form = np.repeat(np.arange(3), PER_FORM)
    theta, delta = rng.normal(0, 1, m), rng.normal(-0.3, 0.7, m)
    b = rng.normal(0, 1.2, 3 * PER_FORM)
    correct, trials = _simulate(theta, delta, b, form, fresh, 16, rng.random((m, 3 * PER_FORM, 16)))
    fit = fit_rasch(correct, trials, form, fresh, anchor="equal-means", n_boot=0)
    free = np.isfinite(fit.delta)
    assert free.tolist() == [c in (1, 2) for c in cutoff]
    assert fit.converged and fit.iterations < 15
    # the design links every form, so δ is identified on the true scale
    assert np.corrcoef(fit.delta[free], delta[free])[0, 1] > 0.9
    assert np.mean(np.abs(fit.delta[free] - delta[free])) < 0.2
    assert np.corrcoef(fit.b, b)[0, 1] > 0.97
    assert np.corrcoef(fit.theta, theta + delta * (cutoff == 0))[0, 1] > 0.97
    assert fit.delta_note[0].startswith("no old form") and fit.delta_note[3].startswith("no fresh")


def test_anchors_differ_by_a_constant_and_gamma_does_not() -> None:
    rng = np.random.default_rng(5)
    m = 12
    form = np.repeat([0, 1], PER_FORM)
    fresh = np.tile([False, True], (m, 1))
    groups = ["A"] * 6 + ["B"] * 6
    delta = np.array([-0.6] * 6 + [-0.1] * 6)
    correct, trials = _simulate(np.linspace(-1, 1, m), delta, rng.normal(0, 1, 2 * PER_FORM),
                                form, fresh, 8, rng.random((m, 2 * PER_FORM, 8)))
    a = fit_rasch(correct, trials, form, fresh, anchor="equal-means", n_boot=100, seed=2)
    r = fit_rasch(correct, trials, form, fresh, anchor="reference", reference_models=[6, 7, 8],
                  n_boot=100, seed=2)
    shift = r.delta - a.delta
    assert np.ptp(shift) < 1e-9 and abs(shift[0]) > 1e-3
    assert r.delta[[6, 7, 8]].mean() == pytest.approx(0.0, abs=1e-9)
    assert r.shifts[1].shift.estimate == pytest.approx(a.shifts[1].shift.estimate + shift[0], abs=1e-9)
    assert a.shifts[1].basis.startswith("anchor A") and r.shifts[1].basis.startswith("anchor R")
    ga, gr = rasch_contrast(a, groups, ("A", "B")), rasch_contrast(r, groups, ("A", "B"))
    assert ga.anchor_free and gr.anchor_free
    for x, y in [(ga.gamma.estimate, gr.gamma.estimate), (ga.gamma.low, gr.gamma.low),
                 (ga.gamma.high, gr.gamma.high), (ga.permutation.p_value, gr.permutation.p_value)]:
        assert x == pytest.approx(y, abs=1e-9)
    assert ga.gamma.estimate == pytest.approx(-0.5, abs=0.3)


def test_a_harder_unlinked_form_moves_delta_under_equal_means_but_not_gamma() -> None:
    base = _staggered(7)
    hard = _staggered(7, harder_2026=0.4)
    fits = [fit_rasch(c, t, f, fr, anchor="equal-means", n_boot=0,
                      form_labels=["2024", "2025", "2026"]) for c, t, f, fr, _, _ in (base, hard)]
    cutoff, groups = base[5], list(base[4])
    change = fits[1].delta - fits[0].delta
    assert change[cutoff == 2].mean() == pytest.approx(-0.4, abs=0.06)  # 2026 is their fresh form
    assert np.abs(change[cutoff == 2] + 0.4).max() < 0.15
    assert abs(change[cutoff == 1].mean()) < 0.05  # 2025 vs 2024 is linked by cutoff-2 models
    gammas = [rasch_contrast(fit, groups, ("A", "B")) for fit in fits]
    assert all(g.anchor_free for g in gammas)
    assert abs(gammas[1].gamma.estimate - gammas[0].gamma.estimate) < 0.05
    bases = {s.label: s.basis for s in fits[0].shifts}
    assert bases["2025"].startswith("estimated") and bases["2026"].startswith("anchor A")


def test_a_linked_design_estimates_the_harder_form_itself() -> None:
    base = _staggered(9, linked=True)
    hard = _staggered(9, harder_2026=0.4, linked=True)
    fits = [fit_rasch(c, t, f, fr, anchor="equal-means", n_boot=0) for c, t, f, fr, _, _ in (base, hard)]
    assert any("links every form" in n for n in fits[0].notes)
    moved = fits[1].shifts[2].shift.estimate - fits[0].shifts[2].shift.estimate
    assert moved == pytest.approx(0.4, abs=0.1)
    assert np.abs(fits[1].delta - fits[0].delta).mean() < 0.08


def test_unbalanced_groups_make_gamma_anchor_dependent() -> None:
    correct, trials, form, fresh, _, cutoff = _staggered(13)
    groups = ["A" if c == 2 else "B" for c in cutoff]
    a = fit_rasch(correct, trials, form, fresh, anchor="equal-means", n_boot=0)
    r = fit_rasch(correct, trials, form, fresh, anchor="reference",
                  reference_models=[int(np.flatnonzero(cutoff == 2)[0])], n_boot=0)
    ga, gr = rasch_contrast(a, groups, ("A", "B")), rasch_contrast(r, groups, ("A", "B"))
    assert not ga.anchor_free and any("depends on the anchor" in n for n in ga.notes)
    assert abs(ga.gamma.estimate - gr.gamma.estimate) > 0.05


def test_contrast_permutation_and_bootstrap_separate_groups() -> None:
    rng = np.random.default_rng(21)
    m = 20
    form = np.repeat([0, 1], PER_FORM)
    fresh = np.tile([False, True], (m, 1))
    delta = np.array([-1.0] * 10 + [0.0] * 10)
    groups = ["CN"] * 10 + ["US"] * 10
    correct, trials = _simulate(rng.normal(0, 0.8, m), delta, rng.normal(0, 1, 2 * PER_FORM), form,
                                fresh, 8, rng.random((m, 2 * PER_FORM, 8)))
    fit = fit_rasch(correct, trials, form, fresh, anchor="equal-means", n_boot=200)
    con = rasch_contrast(fit, groups, ("CN", "US"), alternative="less")
    assert con.n_a == con.n_b == 10
    assert con.gamma.high < 0 and con.permutation.p_value < 0.001
    same = permutation_test(fit.delta[:10], fit.delta[10:], "less")
    assert con.permutation.p_value == same.p_value
    assert con.permutation.method.startswith("Monte Carlo") or "exact" in con.permutation.method


@pytest.mark.slow
def test_intervals_cover_the_truth_at_about_the_advertised_rate() -> None:
    m, reps = 20, 80
    cutoff = np.arange(m) % 4
    fresh = _fresh_from_cutoffs(cutoff, 3)
    form = np.repeat(np.arange(3), PER_FORM)
    delta = np.where(np.arange(m) % 2 == 0, -0.6, 0.0)
    groups = ["A" if d < 0 else "B" for d in delta]
    rng = np.random.default_rng(2024)
    hits, gamma_hits = [], []
    for r in range(reps):
        b = rng.normal(0, 1.2, 3 * PER_FORM)
        correct, trials = _simulate(np.linspace(-1.5, 1.5, m), delta, b, form, fresh, 8,
                                    rng.random((m, 3 * PER_FORM, 8)))
        fit = fit_rasch(correct, trials, form, fresh, anchor="equal-means", n_boot=250, seed=r)
        free = np.isfinite(fit.delta)
        hits.extend(((fit.delta_low <= delta) & (delta <= fit.delta_high))[free])
        true_gamma = delta[free & (delta < 0)].mean() - delta[free & (delta == 0)].mean()
        g = rasch_contrast(fit, groups, ("A", "B")).gamma
        gamma_hits.append(g.low <= true_gamma <= g.high)
    assert 0.91 <= np.mean(hits) <= 0.985, np.mean(hits)
    assert np.mean(gamma_hits) >= 0.85, np.mean(gamma_hits)


def test_undefined_delta_perfect_scores_and_unattempted() -> None:
    rng = np.random.default_rng(4)
    m = 6
    form = np.repeat([0, 1], 10)
    fresh = np.array([[False, True]] * 4 + [[False, False], [True, True]])
    correct, trials = _simulate(rng.normal(0, 1, m), np.full(m, -0.3), rng.normal(0, 1, 20), form,
                                fresh, 4, rng.random((m, 20, 4)))
    correct[1, form == 1] = 0  # nothing right on the fresh form: δ would be −∞
    correct[:, 0] = trials[:, 0]  # an item everybody solves
    trials[:, 19] = correct[:, 19] = 0  # an item nobody attempted
    fit = fit_rasch(correct, trials, form, fresh, anchor="equal-means", n_boot=20)
    assert np.isnan(fit.delta[4]) and np.isnan(fit.delta[5]) and np.isnan(fit.delta_low[4])
    assert fit.delta_note[4].startswith("no fresh") and fit.delta_note[5].startswith("no old")
    assert np.isfinite(fit.delta[1]) and fit.delta[1] < fit.delta[[0, 2, 3]].min()
    assert "prior" in fit.delta_note[1]
    assert np.isfinite(fit.b[0]) and np.isnan(fit.b[19])
    assert any("solved by every model" in n for n in fit.notes)


def test_bootstrap_draws_resample_items_within_forms() -> None:
    form = np.repeat([0, 1, 2], [5, 7, 9])
    d = make_design(np.zeros((3, 21), int), np.ones((3, 21), int), form,
                    np.array([[False, True, True]] * 3))
    w = d.resample_weights(np.random.default_rng(0))
    assert [w[form == f].sum() for f in range(3)] == [5, 7, 9]


def test_bad_input_is_rejected() -> None:
    form = np.repeat([0, 1], 3)
    fresh = np.tile([False, True], (3, 1))
    ok = np.ones((3, 6), int)
    with pytest.raises(ValueError, match="0 ≤ correct ≤ trials"):
        fit_rasch(ok * 2, ok, form, fresh, anchor="equal-means", n_boot=0)
    with pytest.raises(ValueError, match="fresh must be"):
        fit_rasch(ok, ok * 2, form, fresh[:, :1], anchor="equal-means", n_boot=0)
    with pytest.raises(ValueError, match="anchor must be"):
        fit_rasch(ok, ok * 2, form, fresh, anchor="median", n_boot=0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fit_rasch(ok, ok * 2, form, fresh, n_boot=0)  # type: ignore[call-arg]
    old_only = np.array([[False, True], [False, True], [False, False]])
    with pytest.raises(ValueError, match="has no δ"):
        fit_rasch(ok, ok * 2, form, old_only, anchor="reference", reference_models=[2], n_boot=0)
    correct, trials, form3, fresh3, _, cutoff = _staggered(1)
    with pytest.raises(ValueError, match="do not link every form"):
        fit_rasch(correct, trials, form3, fresh3, anchor="reference",
                  reference_models=list(np.flatnonzero(cutoff == 1)), n_boot=0)
