"""Tokenomics: what a success costs, not what a token costs (STATISTICS.md §7).

The essay's point: a 3–6× per-token discount is no discount if the cheap model needs
many more tokens (or tries) per right answer. Per model × form: tokens per attempt,
cost per attempt, cost per success (total cost ÷ correct, bootstrap CI over items; "no
successes" said as such), accuracy per dollar, accuracy with and without truncated
replies; and the effective-discount table against a reference model.

Token convention (pinned by tests): stored usage follows OpenAI-compatible semantics, in
which `completion_tokens` already includes the reasoning tokens
(`completion_tokens_details.reasoning_tokens` is a part of it), so billed output =
completion tokens and reasoning is never added twice. A row whose reasoning count exceeds
its completion count cannot be a part of it: that provider counted reasoning apart (as
Gemini's native `thoughts_token_count` does), and the two are added. Stored `cost_usd`
(the runner's or the importing tool's figure) is used as is; a missing one is computed
here from the model's prices under that convention.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from papertiger.analysis.results import Interval, Skipped
from papertiger.analysis.sections.base import SectionInput, register_builder
from papertiger.analysis.sections.elicitation import (
    draw_sums,
    model_groups,
    model_order,
    ordered_groups,
    ratio_interval,
    usage_frame,
)
from papertiger.analysis.sections.prompts import ALL_FORMS
from papertiger.config.pricing import attempt_cost
from papertiger.errors import ConfigError

__all__ = [
    "TOKEN_CONVENTION",
    "CostRow",
    "DiscountRow",
    "TokenStats",
    "TokenomicsSection",
    "billed_output_tokens",
    "build_tokenomics",
    "usage_cost",
]

SECTION = "tokenomics"
TOKEN_CONVENTION = (
    "completion tokens include reasoning tokens (OpenAI-compatible usage), so cost = prompt "
    "tokens × input price + completion tokens × output price; reasoning is added only where "
    "a provider reported more reasoning than completion tokens (counted apart)"
)


@dataclass(frozen=True)
class TokenStats:
    """Mean, median and 90th percentile of a per-attempt token count; `n` attempts."""

    mean: float
    median: float
    p90: float
    n: int


@dataclass(frozen=True)
class CostRow:
    """One model on one form (or `ALL_FORMS`). Money in USD, accuracy in percent of
    successful attempts; `cost_per_success` is None when no cost is known, and its
    estimate is inf with `no_successes` when nothing was right."""

    model: str
    group: str | None
    form: str
    attempts: int
    ok: int
    items: int
    prompt_tokens: TokenStats | None
    completion_tokens: TokenStats | None
    reasoning_tokens: TokenStats | None
    priced: int
    computed: int
    cost_per_attempt: float | None
    total_cost: float | None
    correct: int
    accuracy: float | None
    cost_per_success: Interval | None
    no_successes: bool
    accuracy_per_dollar: float | None
    truncated: int
    accuracy_without_truncated: float | None
    price_in: float | None
    price_out: float | None

    def as_dict(self) -> dict[str, Any]:
        """A flat record (token stats as `<kind>_mean` …, the CI as `_low`/`_high`)."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key.endswith("_tokens"):
                for stat in ("mean", "median", "p90"):
                    out[f"{key}_{stat}"] = None if value is None else value[stat]
            elif key == "cost_per_success":
                out[key] = None if value is None else value["estimate"]
                out[f"{key}_low"] = None if value is None else value["low"]
                out[f"{key}_high"] = None if value is None else value["high"]
            else:
                out[key] = value
        return out


@dataclass(frozen=True)
class DiscountRow:
    """Model B against the reference A: per-token price ratios (A ÷ B; > 1 means B's
    tokens are cheaper), the ratio blended by B's own token mix (what B's tokens would
    cost at A's prices ÷ at B's), and the effective discount: cost per success of A ÷ of
    B (> 1 means a success from B is cheaper), with a paired bootstrap CI over items."""

    model: str
    group: str | None
    price_in_ratio: float | None
    price_out_ratio: float | None
    blended_price_ratio: float | None
    cost_per_success_ratio: Interval | None
    note: str = ""


@dataclass(frozen=True)
class TokenomicsSection:
    """Cost rows per model × form, and the effective-discount table."""

    rows: tuple[CostRow, ...]
    reference: str | None
    reference_basis: str
    discounts: tuple[DiscountRow, ...]
    group_by: str
    groups: tuple[str, ...]
    level: float
    n_boot: int
    convention: str = TOKEN_CONVENTION
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per model × form (the pooled row has form `all forms`)."""
        return pd.DataFrame([r.as_dict() for r in self.rows])

    def discount_frame(self) -> pd.DataFrame:
        """One row per model other than the reference."""
        rows = []
        for d in self.discounts:
            iv = d.cost_per_success_ratio
            rows.append({**{k: v for k, v in asdict(d).items() if k != "cost_per_success_ratio"},
                         "cost_per_success_ratio": iv.estimate if iv else None,
                         "low": iv.low if iv else None, "high": iv.high if iv else None})
        return pd.DataFrame(rows)


def billed_output_tokens(completion: int | None, reasoning: int | None) -> int | None:
    """Output tokens billed: completion (which includes reasoning), plus reasoning only
    when it exceeds completion and so must have been counted apart."""
    if completion is None:
        return reasoning
    if reasoning is not None and reasoning > completion:
        return completion + reasoning
    return completion


def usage_cost(
    price_in: float | None, price_out: float | None, prompt: int | None,
    completion: int | None, reasoning: int | None,
) -> float | None:
    """USD for one attempt from its usage under the convention above (None if unknown)."""
    return attempt_cost(price_in, price_out, prompt, billed_output_tokens(completion, reasoning))


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _price(meta: pd.DataFrame, model: str, field: str) -> float | None:
    if field not in meta.columns:
        return None
    values = meta.loc[meta["model"].astype(str) == model, field].tolist()
    return None if not values or pd.isna(values[0]) else float(values[0])


def _costs(frame: pd.DataFrame, prices: dict[str, tuple[float | None, float | None]]) -> pd.Series:
    """Stored cost, else computed from usage and the model's prices (NaN if unknown)."""
    cost = frame["cost_usd"].astype(float)
    missing = cost.isna()
    if missing.any():
        sub = frame.loc[missing]
        filled = [usage_cost(*prices.get(str(m), (None, None)), _int(p), _int(c), _int(r))
                  for m, p, c, r in zip(sub["model"], sub["prompt_tokens"],
                                        sub["completion_tokens"], sub["reasoning_tokens"],
                                        strict=True)]
        values = cost.to_numpy(copy=True)
        values[missing.to_numpy()] = [math.nan if v is None else v for v in filled]
        cost = pd.Series(values, index=frame.index)
    return cost


def _stats(values: pd.Series) -> TokenStats | None:
    v = values.dropna().astype(float).to_numpy()
    if v.size == 0:
        return None
    return TokenStats(float(v.mean()), float(np.median(v)), float(np.quantile(v, 0.9)), int(v.size))


@dataclass(frozen=True)
class _Frames:
    """What every row reads: the attempts with their cost, and per-item sums."""

    frame: pd.DataFrame
    items: tuple[tuple[str, str], ...]
    forms: tuple[str, ...]
    item_cost: dict[str, np.ndarray]
    item_correct: dict[str, np.ndarray]
    level: float
    n_boot: int
    seed: int
    by_model: dict[str, pd.DataFrame]

    def strata(self, form: str) -> list[np.ndarray]:
        forms = np.asarray([f for f, _ in self.items])
        return [np.flatnonzero(forms == g) for g in self.forms if form in (g, ALL_FORMS)]


def _frames(inputs: SectionInput, prices: dict[str, tuple[float | None, float | None]]) -> _Frames:
    """A narrow numeric frame (cost, correct, truncation, usage) and per-item sums."""
    assert inputs.selected is not None and inputs.counts is not None
    full = usage_frame(inputs.selected)
    ok = (full["status"] == "ok").to_numpy()
    flags = full["flags"].fillna("").astype(str) if "flags" in full.columns else pd.Series("", index=full.index)
    usage = ["prompt_tokens", "completion_tokens", "reasoning_tokens"]
    frame = pd.DataFrame({
        "model": full["model"].astype(str), "form": full["form"].astype(str),
        "item_id": full["item_id"].astype(str), "_ok": ok,
        "_correct": (full["correct"].fillna(False).astype(bool).to_numpy() & ok).astype(int),
        "_cost": _costs(full, prices), "_stored": full["cost_usd"].notna(),
        "_trunc": (flags.str.contains("truncated", regex=False)
                   | (full["finish_reason"].astype(str) == "length")).to_numpy(),
        **{c: full[c].astype("Float64").astype(float) for c in usage},
    })
    items = inputs.counts.items
    index = {it: j for j, it in enumerate(items)}
    sums = frame.groupby(["model", "form", "item_id"], sort=False)[["_cost", "_correct"]].sum()
    cost: dict[str, np.ndarray] = {}
    correct: dict[str, np.ndarray] = {}
    for key, c, n in zip(sums.index, sums["_cost"], sums["_correct"], strict=True):
        model, form, item = (str(v) for v in key)
        j = index.get((form, item))
        if j is not None:
            cost.setdefault(model, np.zeros(len(items)))[j] = c
            correct.setdefault(model, np.zeros(len(items)))[j] = n
    options = inputs.options
    return _Frames(frame, items, inputs.counts.forms, cost, correct, 1.0 - options.alpha,
                   options.n_boot, options.seed,
                   {str(m): sub for m, sub in frame.groupby("model", sort=False)})


def _row(data: _Frames, model: str, group: str | None, form: str, m: int,
         price: tuple[float | None, float | None]) -> CostRow | None:
    sub = data.by_model.get(model, data.frame.iloc[:0])
    if form != ALL_FORMS:
        sub = sub[sub["form"] == form]
    if sub.empty:
        return None
    ok = sub["_ok"].to_numpy()
    correct = int(sub["_correct"].sum())
    cost = sub["_cost"]
    priced = int(cost.notna().sum())
    total = float(cost.sum()) if priced else None
    per_attempt = float(cost.mean()) if priced else None
    n_ok = int(ok.sum())
    accuracy = 100.0 * correct / n_ok if n_ok else None
    clean = ok & ~sub["_trunc"].to_numpy()
    items = int(sub[["form", "item_id"]].drop_duplicates().shape[0])
    cps = None
    if total is not None and correct:
        strata = data.strata(form)
        c, s = draw_sums([data.item_cost[model], data.item_correct[model]], strata,
                         data.n_boot, (data.seed, m, len(strata)))
        how = f"percentile bootstrap over items{' within each form' if len(strata) > 1 else ''}, {data.n_boot} resamples"
        cps = ratio_interval(c, s, total / correct, data.level, how)
    reasoning = sub.loc[ok, "reasoning_tokens"]
    return CostRow(
        model=model, group=group, form=form, attempts=len(sub), ok=n_ok, items=items,
        prompt_tokens=_stats(sub.loc[ok, "prompt_tokens"]),
        completion_tokens=_stats(sub.loc[ok, "completion_tokens"]),
        reasoning_tokens=_stats(reasoning) if reasoning.notna().any() else None,
        priced=priced, computed=int((~sub["_stored"] & cost.notna()).sum()),
        cost_per_attempt=per_attempt, total_cost=total, correct=correct, accuracy=accuracy,
        cost_per_success=cps, no_successes=total is not None and correct == 0,
        accuracy_per_dollar=(accuracy / (per_attempt * items)
                             if accuracy is not None and per_attempt and items else None),
        truncated=int((ok & ~clean).sum()),
        accuracy_without_truncated=(100.0 * int(sub["_correct"].to_numpy()[clean].sum()) / int(clean.sum())
                                    if clean.any() else None),
        price_in=price[0], price_out=price[1],
    )


def _reference(rows: Sequence[CostRow], wanted: str | None) -> tuple[CostRow | None, str]:
    pooled = [r for r in rows if r.form == ALL_FORMS]
    if wanted is not None:
        found = [r for r in pooled if r.model == wanted]
        if not found:
            raise ConfigError(f"--cost-reference {wanted!r}: no such model in this report "
                              f"({', '.join(r.model for r in pooled)})")
        return found[0], "chosen with --cost-reference"
    priced = [r for r in pooled if r.cost_per_success is not None and r.accuracy is not None]
    if not priced:
        return None, "no model has both a cost and a success"
    best = max(priced, key=lambda r: (r.accuracy or 0.0, r.model))
    return best, f"the most accurate model ({best.accuracy:.1f}%; choose with --cost-reference)"


def _discount(data: _Frames, ref: CostRow, row: CostRow, m: int) -> DiscountRow:
    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    blended = None
    mix = (None if row.prompt_tokens is None or row.completion_tokens is None
           else (row.prompt_tokens.mean, row.completion_tokens.mean))
    if mix is not None and None not in (ref.price_in, ref.price_out, row.price_in, row.price_out):
        at_ref = mix[0] * (ref.price_in or 0.0) + mix[1] * (ref.price_out or 0.0)
        blended = ratio(at_ref, mix[0] * (row.price_in or 0.0) + mix[1] * (row.price_out or 0.0))
    cps, note = None, ""
    if row.no_successes:
        note = "no successes: a success from this model has no finite cost"
    elif ref.cost_per_success is None or row.cost_per_success is None:
        note = "no cost known" if row.total_cost is None else "the reference has no finite cost per success"
    else:
        strata = data.strata(ALL_FORMS)
        c_a, s_a, c_b, s_b = draw_sums(
            [data.item_cost[ref.model], data.item_correct[ref.model],
             data.item_cost[row.model], data.item_correct[row.model]],
            strata, data.n_boot, (data.seed, 7919, m))
        # cps_A / cps_B = (c_a / s_a) / (c_b / s_b) = (c_a · s_b) / (s_a · c_b)
        cps = ratio_interval(c_a * s_b, s_a * c_b,
                              ref.cost_per_success.estimate / row.cost_per_success.estimate,
                              data.level, f"paired bootstrap over items, {data.n_boot} resamples")
    return DiscountRow(row.model, row.group, ratio(ref.price_in, row.price_in),
                       ratio(ref.price_out, row.price_out), blended, cps, note)


def build_tokenomics(inputs: SectionInput) -> TokenomicsSection | Skipped | None:
    """Cost per attempt and per success, and the effective discount; None for scores."""
    selected, counts, options = inputs.selected, inputs.counts, inputs.options
    if selected is None or counts is None:
        return None
    frame = usage_frame(selected)
    usage = frame[["prompt_tokens", "completion_tokens", "cost_usd"]].notna().any(axis=1)
    if not usage.any():
        return Skipped(SECTION, "no attempt carries token usage or a cost")
    groups = model_groups(selected, options.group_by)
    prices = {m: (_price(selected.models, m, "price_in"), _price(selected.models, m, "price_out"))
              for m in counts.models}
    data = _frames(inputs, prices)
    rows: list[CostRow] = []
    notes: list[str] = []
    for model in model_order(counts.models, groups):
        m = counts.model_index(model)
        for form in (*counts.forms, ALL_FORMS):
            row = _row(data, model, groups.get(model), form, m, prices[model])
            if row is not None:
                rows.append(row)
        if None in prices[model]:
            notes.append(f"{model}: no price in the catalogue (price_in, price_out): costs "
                         "only where the store holds them, and no price ratio")
    for row in rows:
        if row.form == ALL_FORMS and row.computed:
            notes.append(f"{row.model}: {row.computed} attempts had no stored cost; computed "
                         "from usage and the model's prices")
        if row.form == ALL_FORMS and row.total_cost is not None and row.priced < row.attempts:
            notes.append(f"{row.model}: {row.attempts - row.priced} of {row.attempts} attempts "
                         "have no known cost; totals leave them out")
    ref, basis = _reference(rows, options.cost_reference)
    discounts = tuple(
        _discount(data, ref, row, m) for m, row in enumerate(rows)
        if ref is not None and row.form == ALL_FORMS and row.model != ref.model
    )
    present = {r.group for r in rows if r.group is not None}
    return TokenomicsSection(
        rows=tuple(rows), reference=ref.model if ref else None, reference_basis=basis,
        discounts=discounts, group_by=options.group_by,
        groups=tuple(g for g in ordered_groups(groups) if g in present),
        level=1.0 - options.alpha, n_boot=options.n_boot, notes=tuple(notes),
    )


register_builder(SECTION, build_tokenomics)
