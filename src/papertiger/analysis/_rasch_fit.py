"""The Rasch series' design (which forms the data link) and its penalised Newton fit.

Private to `rasch.py`. The negative penalised log-likelihood is strictly convex, so full
Newton steps with step halving converge in a handful of iterations. Each step eliminates the
diagonal item block and solves the dense 2M × 2M Schur complement: cost O(M²·I) per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import linalg
from scipy.special import expit

Params = tuple[np.ndarray, np.ndarray, np.ndarray]  # theta, delta, b


@dataclass(frozen=True, eq=False)
class Design:
    """Validated counts plus the structure that says what the data identify."""

    correct: np.ndarray  # M × I, float
    trials: np.ndarray  # M × I, float
    fresh_mi: np.ndarray  # M × I, 1.0 where item i's form is fresh for a model with free δ
    form_of_item: np.ndarray
    active_items: np.ndarray  # bool I: attempted by some model
    active_models: np.ndarray  # bool M: attempted some item
    free: np.ndarray  # bool M: δ estimable (old and fresh items attempted)
    reason: tuple[str, ...]  # why δ is undefined ('' when free)
    comp_of_form: np.ndarray  # component per form, −1 without items
    k_old: np.ndarray  # component of a model's old (or only) forms
    k_fresh: np.ndarray  # component of its fresh forms (= k_old without free δ)
    loadings: np.ndarray  # M × K: how δ_m moves when component k's items shift by 1
    form_items: tuple[np.ndarray, ...]

    @property
    def n_models(self) -> int:
        return int(self.correct.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.correct.shape[1])

    @property
    def n_forms(self) -> int:
        return len(self.form_items)

    @property
    def n_comp(self) -> int:
        return int(self.comp_of_form.max()) + 1

    @property
    def first_form(self) -> int:
        return int(np.flatnonzero(self.comp_of_form >= 0)[0])

    def components_text(self) -> str:
        parts = [str([f for f in range(self.n_forms) if self.comp_of_form[f] == k])
                 for k in range(self.n_comp)]
        return " | ".join(parts)

    def resample_weights(self, rng: np.random.Generator) -> np.ndarray:
        """Item multiplicities of one bootstrap draw: items resampled within each form."""
        w = np.zeros(self.n_items)
        for idx in self.form_items:
            if idx.size:
                w[idx] += np.bincount(rng.integers(0, idx.size, idx.size), minlength=idx.size)
        return w

    def has_weight(self, w: np.ndarray) -> np.ndarray:
        """Models that keep both old and fresh items in a draw (else δ is not estimable there)."""
        fresh = (self.trials * self.fresh_mi) @ w
        old = (self.trials * (1.0 - self.fresh_mi)) @ w
        return np.asarray((fresh > 0) & (old > 0))

    def delta_notes(self) -> tuple[str, ...]:
        out = []
        for m in range(self.n_models):
            if not self.free[m]:
                out.append(self.reason[m])
                continue
            parts = [self.correct[m] * self.fresh_mi[m], self.correct[m] * (1 - self.fresh_mi[m])]
            tots = [self.trials[m] * self.fresh_mi[m], self.trials[m] * (1 - self.fresh_mi[m])]
            extreme = any(c.sum() in (0.0, t.sum()) for c, t in zip(parts, tots, strict=True))
            out.append("δ rests on the prior: zero or perfect score on its old or fresh forms"
                       if extreme else "")
        return tuple(out)

    def notes(self, names: list[str]) -> list[str]:
        out = []
        if (~self.active_models).any():
            out.append(f"models without attempted items: "
                       f"{', '.join(names[m] for m in np.flatnonzero(~self.active_models))}")
        tot_c, tot_n = self.correct.sum(0), self.trials.sum(0)
        n_extreme = int(np.sum(self.active_items & ((tot_c == 0) | (tot_c == tot_n))))
        if n_extreme:
            out.append(f"{n_extreme} item(s) solved by every model or by none: their difficulty "
                       "rests on the prior")
        return out


def _as_counts(correct: npt.ArrayLike, trials: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    c, n = np.asarray(correct), np.asarray(trials)
    if c.ndim != 2 or c.shape != n.shape:
        raise ValueError(f"correct and trials must be models × items of one shape, got "
                         f"{c.shape} and {n.shape}")
    c, n = c.astype(float), n.astype(float)
    if not (np.isfinite(c).all() and np.isfinite(n).all()) or (c != np.round(c)).any() \
            or (n != np.round(n)).any() or (c < 0).any() or (c > n).any():
        raise ValueError("counts must be finite integers with 0 ≤ correct ≤ trials")
    return c, n


def _union_find(n_forms: int, groups: list[list[int]]) -> np.ndarray:
    parent = list(range(n_forms))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for g in groups:
        for f in g[1:]:
            parent[find(f)] = find(g[0])
    return np.array([find(f) for f in range(n_forms)])


def make_design(correct: npt.ArrayLike, trials: npt.ArrayLike, form_of_item: npt.ArrayLike,
                fresh: npt.ArrayLike) -> Design:
    """Validate the arrays and work out free δ, linked form components and loadings."""
    c, n = _as_counts(correct, trials)
    n_models, n_items = c.shape
    forms = np.asarray(form_of_item)
    fr = np.asarray(fresh)
    if forms.shape != (n_items,) or not np.issubdtype(forms.dtype, np.integer) or (forms < 0).any():
        raise ValueError(f"form_of_item must be {n_items} non-negative integers")
    if fr.ndim != 2 or fr.shape[0] != n_models or fr.shape[1] <= int(forms.max()):
        raise ValueError(f"fresh must be models × forms ({n_models} × ≥ {int(forms.max()) + 1}), "
                         f"got {fr.shape}")
    fr = fr.astype(bool)
    n_forms = fr.shape[1]
    active_items = n.sum(0) > 0
    if not active_items.any():
        raise ValueError("no item has an attempt: nothing to fit")
    form_items = tuple(np.flatnonzero((forms == f) & active_items) for f in range(n_forms))
    attempted = np.stack([(n[:, idx] > 0).any(1) for idx in form_items], axis=1)
    old_sets = attempted & ~fr
    new_sets = attempted & fr
    free = old_sets.any(1) & new_sets.any(1)
    reason = tuple("" if free[m] else "no items attempted" if not attempted[m].any()
                   else "no fresh form attempted: δ undefined" if not new_sets[m].any()
                   else "no old form attempted: δ undefined (θ is its fresh-form ability)"
                   for m in range(n_models))
    groups: list[list[int]] = []
    for m in range(n_models):
        sets = [old_sets[m], new_sets[m]] if free[m] else [attempted[m]]
        groups.extend([list(np.flatnonzero(s)) for s in sets if s.any()])
    root = _union_find(n_forms, groups)
    used = np.array([idx.size > 0 for idx in form_items])
    comp_of_form = np.full(n_forms, -1)
    for f in np.flatnonzero(used):
        same = np.flatnonzero(used[:f] & (root[:f] == root[f]))
        comp_of_form[f] = comp_of_form[same[0]] if same.size else int(comp_of_form.max()) + 1
    k_old = np.zeros(n_models, dtype=int)
    k_fresh = np.zeros(n_models, dtype=int)
    for m in np.flatnonzero(attempted.any(1)).tolist():
        base = old_sets[m] if old_sets[m].any() else new_sets[m]
        k_old[m] = comp_of_form[np.flatnonzero(base)[0]]
        k_fresh[m] = comp_of_form[np.flatnonzero(new_sets[m])[0]] if free[m] else k_old[m]
    n_comp = int(comp_of_form.max()) + 1
    loadings = np.zeros((n_models, n_comp))
    rows = np.flatnonzero(free)
    np.add.at(loadings, (rows, k_fresh[rows]), 1.0)
    np.add.at(loadings, (rows, k_old[rows]), -1.0)
    fresh_mi = fr[:, forms].astype(float) * free[:, None]
    return Design(correct=c, trials=n, fresh_mi=fresh_mi, form_of_item=forms,
                  active_items=active_items, active_models=np.asarray(attempted.any(1)), free=free,
                  reason=reason, comp_of_form=comp_of_form, k_old=k_old, k_fresh=k_fresh,
                  loadings=loadings, form_items=form_items)


def transform(d: Design, theta: np.ndarray, delta: np.ndarray, b: np.ndarray,
              c: np.ndarray) -> Params:
    """Shift component k's items by c_k with θ and δ compensating: no probability changes."""
    comp_i = d.comp_of_form[d.form_of_item]
    b_new = b + np.where(comp_i >= 0, c[np.maximum(comp_i, 0)], 0.0)
    theta_new = np.where(d.active_models, theta + c[d.k_old], np.nan)
    return theta_new, delta + d.loadings @ c, b_new


def _start(d: Design) -> Params:
    rate_m = (d.correct.sum(1) + 0.5) / (d.trials.sum(1) + 1.0)
    rate_i = (d.correct.sum(0) + 0.5) / (d.trials.sum(0) + 1.0)
    overall = (d.correct.sum() + 0.5) / (d.trials.sum() + 1.0)
    logit = np.log(rate_m / (1 - rate_m))
    b = np.log(overall / (1 - overall)) - np.log(rate_i / (1 - rate_i))
    return logit, np.zeros(d.n_models), b


def _objective(d: Design, cw: np.ndarray, nw: np.ndarray, p: Params,
               lam: float) -> tuple[float, np.ndarray]:
    theta, delta, b = p
    eta = theta[:, None] - b[None, :] + delta[:, None] * d.fresh_mi
    nll = float(np.sum(nw * np.logaddexp(0.0, eta)) - np.sum(cw * eta))
    return nll + 0.5 * lam * float(theta @ theta + delta @ delta + b @ b), eta


def _step(d: Design, cw: np.ndarray, nw: np.ndarray, p: Params, eta: np.ndarray,
          lam: float) -> Params:
    """The Newton direction, by the Schur complement on the model block."""
    theta, delta, b = p
    m = d.n_models
    prob = expit(eta)
    resid = cw - nw * prob
    weight = nw * prob * (1.0 - prob)
    wf = weight * d.fresh_mi
    row_w, row_wf = weight.sum(1), wf.sum(1)
    g_theta = -resid.sum(1) + lam * theta
    g_delta = -(resid * d.fresh_mi).sum(1) + lam * delta
    g_b = resid.sum(0) + lam * b
    diag_b = weight.sum(0) + lam
    scale = 1.0 / np.sqrt(diag_b)
    ws, wfs = weight * scale, wf * scale
    s12 = ws @ wfs.T
    schur = np.block([[np.diag(row_w + lam) - ws @ ws.T, np.diag(row_wf) - s12],
                      [np.diag(row_wf) - s12.T, np.diag(row_wf + lam) - wfs @ wfs.T]])
    gb_scaled = g_b / diag_b
    rhs = np.concatenate([-g_theta - weight @ gb_scaled, -g_delta - wf @ gb_scaled])
    du = linalg.solve(schur, rhs, assume_a="pos", overwrite_a=True, check_finite=False)
    db = (-g_b + weight.T @ du[:m] + wf.T @ du[m:]) / diag_b
    return du[:m], du[m:], db


def fit_newton(d: Design, w: np.ndarray, lam: float, start: Params | None,
               tol: float = 1e-7, max_iter: int = 100) -> tuple[Params, bool, int, float]:
    """Penalised ML with item weights `w`; returns (θ, δ, b), converged, iterations, log-lik."""
    cw, nw = d.correct * w, d.trials * w
    p: Params = _start(d) if start is None else (start[0].copy(), start[1].copy(), start[2].copy())
    f_old, eta = _objective(d, cw, nw, p, lam)
    converged, iterations = False, 0
    for it in range(1, max_iter + 1):
        iterations = it
        step = _step(d, cw, nw, p, eta, lam)
        t = 1.0
        while True:
            trial: Params = (p[0] + t * step[0], p[1] + t * step[1], p[2] + t * step[2])
            f_new, eta_new = _objective(d, cw, nw, trial, lam)
            if f_new <= f_old + 1e-12 * abs(f_old) or t < 1e-8:
                break
            t /= 2.0
        p, eta, f_old = trial, eta_new, f_new
        if max(float(np.max(np.abs(s))) for s in step) * t < tol:
            converged = True
            break
    theta, delta, b = p
    loglik = float(np.sum(cw * eta) - np.sum(nw * np.logaddexp(0.0, eta)))
    return (theta, delta, b), converged, iterations, loglik
