"""Tokenomics in every output: tokens and cost per attempt, cost per success, accuracy
per dollar, truncation, the effective-discount table, and cost per success against
accuracy as a figure."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papertiger.analysis.sections.prompts import ALL_FORMS
from papertiger.analysis.sections.tokenomics import (
    CostRow,
    DiscountRow,
    TokenomicsSection,
    TokenStats,
)
from papertiger.render.format import DASH, number
from papertiger.render.sections import SectionRenderer, register
from papertiger.render.sections.elicitation import (
    colours,
    finite,
    interval_json,
    legend_handles,
    md_escape,
    md_table,
    template,
)
from papertiger.render.style import plain

if TYPE_CHECKING:
    from matplotlib.figure import Figure


TITLE = "Tokenomics: cost per success, not per token"
NO_SUCCESS = "no successes"


def usd(value: float | None) -> str:
    """Dollars to about three significant figures; ∞ for an unbounded value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    if math.isinf(value):
        return "\u221e"
    if abs(value) >= 100:
        return f"${value:,.0f}"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    return f"${value:.3g}"


def _tokens(s: TokenStats | None) -> str:
    return DASH if s is None else f"{number(s.mean, 0)} / {number(s.median, 0)} / {number(s.p90, 0)}"


def _cps(row: CostRow) -> str:
    if row.no_successes:
        return NO_SUCCESS
    iv = row.cost_per_success
    if iv is None:
        return DASH
    return f"{usd(iv.estimate)} [{usd(iv.low)}, {usd(iv.high)}]"


def _ratio(value: float | None) -> str:
    if value is None or math.isnan(value):
        return DASH
    return "\u221e" if math.isinf(value) else f"{value:.2f}\u00d7"


def _discount(d: DiscountRow) -> str:
    iv = d.cost_per_success_ratio
    if iv is None:
        return d.note or DASH
    return f"{_ratio(iv.estimate)} [{iv.level:.0%} CI {_ratio(iv.low)}, {_ratio(iv.high)}]"


TOKEN_HEADER = ["model", "group", "form", "attempts (ok)", "prompt tokens mean / median / p90",
                "completion tokens (incl. reasoning) mean / median / p90",
                "reasoning tokens mean / median / p90", "price in / out ($ per M)"]
COST_HEADER = ["model", "group", "form", "cost per attempt", "total cost", "accuracy % (correct)",
               "cost per success [CI]", "accuracy per $",
               "accuracy % without truncated (n truncated)"]
DISCOUNT_HEADER = ["model", "group", "input price ratio", "output price ratio",
                   "blended price ratio (own token mix)", "effective discount (cost per success ratio)"]


def _price(r: CostRow) -> str:
    return DASH if r.price_in is None or r.price_out is None else f"{r.price_in:g} / {r.price_out:g}"


def _token_rows(result: TokenomicsSection) -> list[list[str]]:
    return [[r.model, r.group or DASH, r.form, f"{r.attempts} ({r.ok})", _tokens(r.prompt_tokens),
             _tokens(r.completion_tokens), _tokens(r.reasoning_tokens), _price(r)]
            for r in result.rows]


def _cost_rows(result: TokenomicsSection) -> list[list[str]]:
    return [[r.model, r.group or DASH, r.form, usd(r.cost_per_attempt), usd(r.total_cost),
             f"{number(r.accuracy)} ({r.correct})", _cps(r), number(r.accuracy_per_dollar, 0),
             f"{number(r.accuracy_without_truncated)} ({r.truncated})"]
            for r in result.rows]


def _discount_rows(result: TokenomicsSection) -> list[list[str]]:
    return [[d.model, d.group or DASH, _ratio(d.price_in_ratio), _ratio(d.price_out_ratio),
             _ratio(d.blended_price_ratio), _discount(d)] for d in result.discounts]


def _headers(result: TokenomicsSection) -> tuple[list[str], list[str], list[str]]:
    def fix(h: list[str]) -> list[str]:
        return [c.replace("group", result.group_by) if c == "group" else c for c in h]

    return fix(TOKEN_HEADER), fix(COST_HEADER), fix(DISCOUNT_HEADER)


def _explain(result: TokenomicsSection) -> str:
    return (f"Token convention: {result.convention}. Cost per success = total cost \u00f7 "
            f"correct answers, with its {result.level:.0%} bootstrap CI over items in brackets "
            f"({result.n_boot} resamples). Accuracy per $ = accuracy (pp) \u00f7 the cost of "
            "one pass over the items (one sample each).")


def _discount_explain(result: TokenomicsSection) -> str:
    if result.reference is None:
        return f"No effective-discount table: {result.reference_basis}."
    return (f"Against {result.reference} ({result.reference_basis}). Ratios are the "
            "reference's over the model's: above 1 the model is cheaper. A per-token price "
            "ratio far above the cost-per-success ratio means the model spends the discount "
            "on extra tokens or failed tries.")


def terminal(result: TokenomicsSection, console: Console) -> None:
    console.print(f"[bold]{TITLE}[/]")
    console.print(f"[dim]{escape(_explain(result))}[/]")
    headers = _headers(result)
    for header, rows in zip(headers, (_token_rows(result), _cost_rows(result),
                                      _discount_rows(result)), strict=True):
        if header is headers[2]:
            console.print(escape(_discount_explain(result)))
        if rows:
            table = Table(*(escape(h) for h in header))
            for row in rows:
                table.add_row(*(escape(v) for v in row))
            console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def markdown(result: TokenomicsSection) -> str:
    tok, cost, disc = _headers(result)
    parts = [f"## {TITLE}", "", md_escape(_explain(result)), "",
             md_table(tok, _token_rows(result)), "", md_table(cost, _cost_rows(result)), "",
             "### Effective discount", "", md_escape(_discount_explain(result)), ""]
    if result.discounts:
        parts += [md_table(disc, _discount_rows(result)), ""]
    parts += [f"- {md_escape(n)}" for n in result.notes]
    return "\n".join(parts).rstrip() + "\n"


def _stats_json(s: TokenStats | None) -> dict[str, Any] | None:
    return None if s is None else {"mean": finite(s.mean), "median": finite(s.median),
                                   "p90": finite(s.p90), "n": s.n}


def to_json(result: TokenomicsSection) -> dict[str, Any]:
    rows = []
    for r in result.rows:
        rows.append({
            "model": r.model, "group": r.group, "form": r.form, "attempts": r.attempts,
            "ok": r.ok, "items": r.items, "prompt_tokens": _stats_json(r.prompt_tokens),
            "completion_tokens": _stats_json(r.completion_tokens),
            "reasoning_tokens": _stats_json(r.reasoning_tokens), "priced": r.priced,
            "computed": r.computed, "cost_per_attempt": finite(r.cost_per_attempt),
            "total_cost": finite(r.total_cost), "correct": r.correct,
            "accuracy": finite(r.accuracy), "cost_per_success": interval_json(r.cost_per_success),
            "no_successes": r.no_successes, "accuracy_per_dollar": finite(r.accuracy_per_dollar),
            "truncated": r.truncated,
            "accuracy_without_truncated": finite(r.accuracy_without_truncated),
            "price_in": finite(r.price_in), "price_out": finite(r.price_out),
        })
    return {
        "convention": result.convention, "group_by": result.group_by,
        "reference": result.reference, "reference_basis": result.reference_basis,
        "level": result.level, "n_boot": result.n_boot, "rows": rows,
        "discounts": [{"model": d.model, "group": d.group,
                       "price_in_ratio": finite(d.price_in_ratio),
                       "price_out_ratio": finite(d.price_out_ratio),
                       "blended_price_ratio": finite(d.blended_price_ratio),
                       "cost_per_success_ratio": interval_json(d.cost_per_success_ratio),
                       "note": d.note} for d in result.discounts],
        "notes": list(result.notes),
    }


def figure(result: TokenomicsSection) -> Figure | None:
    """Cost per success (log scale) against accuracy, one labelled point per model."""
    from papertiger.render.figures import _new_figure

    points = [r for r in result.rows if r.form == ALL_FORMS and r.cost_per_success is not None
              and r.accuracy is not None and r.cost_per_success.estimate > 0
              and math.isfinite(r.cost_per_success.estimate)]
    if not points:
        return None
    palette = colours(result.groups)
    fig = _new_figure(7.0, 5.2)
    ax = fig.add_subplot()
    for r in points:
        assert r.cost_per_success is not None and r.accuracy is not None
        x, iv = r.cost_per_success.estimate, r.cost_per_success
        colour = palette.get(r.group or "", "0.45")
        high = iv.high if math.isfinite(iv.high) else x
        ax.errorbar([x], [r.accuracy], xerr=[[max(0.0, x - iv.low)], [max(0.0, high - x)]],
                    fmt="o", color=colour, ms=5, elinewidth=0.8, capsize=2)
        ax.annotate(plain(r.model), (x, r.accuracy), xytext=(4, 3), textcoords="offset points",
                    fontsize=7, color="0.2")
    ax.set_xscale("log")
    ax.set_xlabel("cost per success (USD, log scale)")
    ax.set_ylabel("accuracy (% of attempts, all forms)")
    ax.grid(alpha=0.25, lw=0.6)
    handles = legend_handles(result.groups, {r.group for r in points})
    if handles:
        ax.legend(handles=handles, loc="best", fontsize=8)
    ax.set_title("Cost per success against accuracy (up and left is better)", fontsize=10)
    return fig


def figures(result: TokenomicsSection) -> dict[str, Figure]:
    fig = figure(result)
    return {} if fig is None else {"tokenomics_cost_vs_accuracy": fig}


def html(result: TokenomicsSection) -> Markup:
    from papertiger.render.figures import inline_svg

    fig = figure(result)
    palette = colours(result.groups)
    tok, cost, disc = _headers(result)
    return template(
        "tokenomics.html.j2", title=TITLE, explain=_explain(result),
        token_header=tok, token_rows=_token_rows(result), cost_header=cost,
        cost_rows=_cost_rows(result), discount_header=disc, discount_rows=_discount_rows(result),
        discount_explain=_discount_explain(result),
        row_colours=[palette.get(r.group or "", "transparent") for r in result.rows],
        discount_colours=[palette.get(d.group or "", "transparent") for d in result.discounts],
        notes=list(result.notes),
        svg=inline_svg(fig),
        no_figure="no model has both a known cost and a success",
    )


register(TokenomicsSection, SectionRenderer(
    title=lambda r: TITLE, terminal=terminal, markdown=markdown, json=to_json, html=html,
    figures=figures,
))
