"""Rasch equating in every output: γ as the headline with its CI and permutation p, δ per
model with its item-bootstrap CI and freshness pattern, the form shifts with the anchor they
rest on, the hardest items of each form, a forest plot of δ and the item difficulties."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from markupsafe import Markup
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papertiger.analysis.rasch import RaschContrast
from papertiger.analysis.results import Skipped
from papertiger.analysis.sections.equating import EquatingRow, EquatingSection, ItemDifficulty
from papertiger.render.format import DASH, interval, number, p_value, sidedness, signed
from papertiger.render.sections import SectionRenderer, register
from papertiger.render.sections.elicitation import (
    colours,
    finite,
    interval_json,
    md_escape,
    md_table,
    template,
)
from papertiger.render.style import MARKERS, plain

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D


TITLE = "Rasch equating: the fall on fresh forms, item difficulty taken out"
HARDEST = 3  # hardest items shown (and labelled) per form


def explain(result: EquatingSection) -> str:
    return ("One binomial Rasch fit over every model, item and form: logit P(correct) = \u03b8 "
            "\u2212 b(item) + \u03b4 \u00b7 fresh(model, form), where a form is fresh to a model "
            "when it was released after the model's training cutoff (or, the weaker test, its "
            "release date). \u03b4 < 0: the model does worse on forms it cannot have seen than "
            "its ability on the others predicts. The group contrast \u03b3 needs no anchor; "
            f"\u03b4 and the form shifts rest on the anchor: {result.anchor}. Intervals: "
            f"{result.estimand}; {result.n_boot} draws.")


def _pattern(result: EquatingSection, row: EquatingRow) -> str:
    short = {"fresh": "fresh", "not fresh": "old", "unknown": "?"}
    return " \u00b7 ".join(f"{f} {short.get(v, v)}" for f, v in zip(result.forms, row.freshness,
                                                                     strict=True))


def _delta(row: EquatingRow) -> str:
    return interval(row.delta, 2) if row.delta is not None else "undefined"


MODEL_HEADER = ["model", "group", "\u03b8 (logit)", "\u03b4 (logit) [CI]", "forms: fresh or old",
                "freshness by", "note"]


def model_rows(result: EquatingSection) -> list[list[str]]:
    return [[r.model + (" (reference)" if r.is_reference else ""), r.group or DASH,
             number(r.theta, 2), _delta(r), _pattern(result, r), r.basis or DASH, r.note]
            for r in result.rows]


def headline(result: EquatingSection) -> list[list[str]]:
    """(quantity, value, how) rows: γ, its permutation p-values, the group means of δ."""
    c = result.contrast
    out: list[list[str]] = []
    if isinstance(c, RaschContrast):
        out.append([f"\u03b3 = mean \u03b4({c.group_a}) \u2212 mean \u03b4({c.group_b}) "
                    f"(n = {c.n_a} / {c.n_b})", interval(c.gamma, 2),
                    "needs no anchor" if c.anchor_free else "depends on the anchor"])
        tests = [c.permutation] + ([result.one_sided] if result.one_sided else [])
        for t in tests:
            out.append([f"permutation p, {sidedness(t.alternative, c.group_a, c.group_b)}",
                        p_value(t.p_value), f"models as units; {t.method}"])
    else:
        out.append(["\u03b3", "not computed", c.reason])
    for g in result.group_means:
        out.append([f"mean \u03b4, {g.group} (n = {g.n})", signed(g.mean, 2),
                    "plain mean over its models with \u03b4"])
    wf = result.without_flagged
    if wf is not None:
        how = (f"refit without the {len(wf.items)} items flagged as near-duplicates "
               "(papertiger dedup --db); point estimates")
        out.append([f"\u03b3 without flagged items ({wf.group_a} \u2212 {wf.group_b})",
                    signed(wf.gamma, 2), how])
        out.append(["\u03b3 over all items, same fit without intervals", signed(wf.gamma_all, 2),
                    "for comparison with the row above"])
    return out


SHIFT_HEADER = ["form", "released", "shift of mean difficulty (logit) [CI]", "rests on"]


def shift_rows(result: EquatingSection) -> list[list[str]]:
    dates = dict(zip(result.forms, result.released, strict=True))
    return [[s.label, dates.get(s.label) or DASH, interval(s.shift, 2), s.basis]
            for s in result.shifts]


ITEM_HEADER = ["form", "items", "mean b", f"hardest {HARDEST} (b; correct rate)",
               "fresh to models with \u03b4"]


def hardest(result: EquatingSection, form: str) -> list[ItemDifficulty]:
    items = [i for i in result.items if i.form == form and np.isfinite(i.b)]
    return sorted(items, key=lambda i: -i.b)[:HARDEST]


def item_rows(result: EquatingSection) -> list[list[str]]:
    rows = []
    for form in result.forms:
        items = [i for i in result.items if i.form == form and np.isfinite(i.b)]
        if not items:
            rows.append([form, "0", DASH, DASH, DASH])
            continue
        top = "; ".join(f"{i.item_id} ({number(i.b, 2)}; {number(100 * i.correct_rate, 0)}%)"
                        for i in hardest(result, form))
        rows.append([form, str(len(items)), number(float(np.mean([i.b for i in items])), 2), top,
                     str(max(i.fresh_for for i in items))])
    return rows


def _rich_table(header: list[str], rows: list[list[str]], title: str) -> Table:
    table = Table(*(escape(h) for h in header), title=escape(title))
    for row in rows:
        table.add_row(*(escape(v) for v in row))
    return table


def terminal(result: EquatingSection, console: Console) -> None:
    console.print(f"[bold]{TITLE}[/]")
    console.print(f"[dim]{escape(explain(result))}[/]")
    console.print(_rich_table(["quantity", "value", "how"], headline(result), "Headline"))
    console.print(_rich_table(MODEL_HEADER, model_rows(result), "\u03b4 per model"))
    console.print(_rich_table(SHIFT_HEADER, shift_rows(result), "Form shifts"))
    console.print(_rich_table(ITEM_HEADER, item_rows(result), "Item difficulty per form"))
    console.print(f"[dim]method: {escape(result.method)}[/]")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def markdown(result: EquatingSection) -> str:
    parts = [f"## {TITLE}", "", md_escape(explain(result)), "",
             md_table(["quantity", "value", "how"], headline(result)), "",
             "**\u03b4 per model**", "", md_table(MODEL_HEADER, model_rows(result)), "",
             "**Form shifts**", "", md_table(SHIFT_HEADER, shift_rows(result)), "",
             "**Item difficulty per form**", "", md_table(ITEM_HEADER, item_rows(result)), "",
             f"Method: {md_escape(result.method)}", ""]
    parts += [f"- {md_escape(n)}" for n in result.notes]
    return "\n".join(parts).rstrip() + "\n"


def _contrast_json(result: EquatingSection) -> dict[str, Any]:
    c = result.contrast
    if isinstance(c, Skipped):
        return {"skipped": c.reason}
    tests = [c.permutation] + ([result.one_sided] if result.one_sided else [])
    return {"group_a": c.group_a, "group_b": c.group_b, "n_a": c.n_a, "n_b": c.n_b,
            "gamma": interval_json(c.gamma), "anchor_free": c.anchor_free,
            "tests": [{"name": t.name, "alternative": t.alternative,
                       "statistic": finite(t.statistic), "p_value": finite(t.p_value),
                       "method": t.method} for t in tests],
            "left_out": [result.rows[i].model for i in c.left_out], "notes": list(c.notes)}


def to_json(result: EquatingSection) -> dict[str, Any]:
    return {
        "forms": [{"name": f, "released": r} for f, r in zip(result.forms, result.released,
                                                              strict=True)],
        "group_by": result.group_by, "groups": list(result.groups), "anchor": result.anchor,
        "anchor_kind": result.anchor_kind, "estimand": result.estimand, "method": result.method,
        "n_boot": result.n_boot, "level": result.level, "converged": result.converged,
        "contrast": _contrast_json(result),
        "group_means": [{"group": g.group, "n": g.n, "mean": finite(g.mean)}
                        for g in result.group_means],
        "models": [{"model": r.model, "group": r.group, "theta": finite(r.theta),
                    "delta": interval_json(r.delta), "note": r.note,
                    "freshness": dict(zip(result.forms, r.freshness, strict=True)),
                    "basis": r.basis, "is_reference": r.is_reference} for r in result.rows],
        "shifts": [{"form": s.label, "shift": interval_json(s.shift), "basis": s.basis}
                   for s in result.shifts],
        "items": [{"form": i.form, "item_id": i.item_id, "b": finite(i.b),
                   "correct_rate": finite(i.correct_rate), "solved_by": finite(i.solved_by),
                   "n_models": i.n_models, "fresh_for": i.fresh_for} for i in result.items],
        "notes": list(result.notes),
        "without_flagged": None if result.without_flagged is None else {
            "items": [list(i) for i in result.without_flagged.items],
            "gamma": finite(result.without_flagged.gamma),
            "gamma_all": finite(result.without_flagged.gamma_all),
            "group_means": [{"group": g, "without": finite(w), "all": finite(a)}
                            for g, w, a in result.without_flagged.means]},
    }


def _ordered(result: EquatingSection) -> list[EquatingRow]:
    """Models with δ, by group (report order) and then δ, the biggest fall at the top."""
    rank = {g: k for k, g in enumerate(result.groups)}
    rows = [r for r in result.rows if r.delta is not None]
    return sorted(rows, key=lambda r: (-rank.get(r.group or "", len(rank)), -r.delta.estimate
                                       if r.delta else 0.0))


def forest(result: EquatingSection) -> Figure | None:
    """δ per model with its CI, coloured and marked by group; dashed lines: group means."""
    from matplotlib.lines import Line2D

    from papertiger.render.figures import _new_figure

    rows = _ordered(result)
    if not rows:
        return None
    palette = colours(result.groups)
    fig = _new_figure(7.0, 1.5 + 0.26 * len(rows))
    ax = fig.add_subplot()
    ax.axvline(0, color="0.15", lw=0.9, zorder=1)
    handles: list[Line2D] = []
    for k, group in enumerate([*result.groups, None]):
        members = [(y, r) for y, r in enumerate(rows) if r.group == group]
        if not members:
            continue
        colour = palette.get(group or "", "0.45")
        ys = [y for y, _ in members]
        est = np.array([r.delta.estimate for _, r in members if r.delta])
        low = np.array([r.delta.low for _, r in members if r.delta])
        high = np.array([r.delta.high for _, r in members if r.delta])
        err = np.nan_to_num(np.vstack([est - low, high - est]).clip(min=0))
        marker = MARKERS[k % len(MARKERS)]
        ax.errorbar(est, ys, xerr=err, fmt=marker, color=colour, ms=5, elinewidth=1,
                    capsize=2, zorder=3)
        handles.append(Line2D([], [], color=colour, marker=marker, lw=1,
                              label=plain(f"{group or 'no group'} (n = {len(members)})")))
    for g in result.group_means:
        colour = palette.get(g.group, "0.45")
        handles.append(ax.axvline(g.mean, color=colour, ls="--", lw=1.2, zorder=2,
                                  label=plain(f"{g.group} mean {signed(g.mean, 2)}")))
    names = [plain(r.model + (" (ref.)" if r.is_reference else "")) for r in rows]
    ax.set_yticks(range(len(rows)), names, fontsize=8)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(f"\u03b4 (logit; negative = worse on fresh forms), {result.level:.0%} CI")
    ax.set_title("Difficulty-adjusted fall \u03b4 per model", fontsize=11)
    ax.grid(axis="x", alpha=0.25, lw=0.6)
    ax.legend(handles=handles, loc="best", fontsize=8, framealpha=0.9)
    return fig


def _label_hardest(ax: Any, x: float, items: list[ItemDifficulty], xs: list[float],
                   span: float) -> None:
    """Labels right of the form's band, at least 5% of the range apart, with leader lines."""
    y_prev = np.inf
    for item, xi in zip(items, xs, strict=True):  # hardest first
        y = min(item.b, y_prev - 0.05 * span)
        y_prev = y
        ax.annotate(plain(item.item_id), (xi, item.b), xytext=(x + 0.24, y), textcoords="data",
                    fontsize=6.5, va="center", color="0.15", zorder=5,
                    arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.5"})


def difficulty(result: EquatingSection) -> Figure | None:
    """Item difficulty per form: one dot per item, the form's mean as a bar, hardest fresh
    items labelled."""
    from matplotlib.lines import Line2D

    from papertiger.render.figures import _new_figure

    forms = [f for f in result.forms if any(i.form == f and np.isfinite(i.b) for i in result.items)]
    if not forms:
        return None
    fresh = set(result.fresh_forms)
    fig = _new_figure(max(4.5, 1.9 * len(forms) + 1.5), 4.8)
    ax = fig.add_subplot()
    rng = np.random.default_rng(0)
    every = [i.b for i in result.items if np.isfinite(i.b)]
    span = max(every) - min(every) or 1.0
    for x, form in enumerate(forms):
        items = [i for i in result.items if i.form == form and np.isfinite(i.b)]
        b = np.array([i.b for i in items])
        jitter = x + rng.uniform(-0.18, 0.18, b.size)
        colour = "#D55E00" if form in fresh else "#0072B2"
        ax.scatter(jitter, b, s=16, color=colour, alpha=0.75, edgecolors="white", linewidths=0.4,
                   zorder=3)
        ax.hlines(b.mean(), x - 0.3, x + 0.3, color="0.15", lw=1.6, zorder=4)
        if form in fresh:
            _label_hardest(ax, x, hardest(result, form), [jitter[items.index(i)] for i in
                                                          hardest(result, form)], span)
    labels = [plain(f + (" (fresh to some)" if f in fresh else "")) for f in forms]
    ax.set_xticks(range(len(forms)), labels, fontsize=8)
    ax.set_xlim(-0.6, len(forms) - 0.4)
    ax.set_ylabel("item difficulty b (logit; higher = harder)")
    ax.set_title(plain(f"Item difficulty per form (anchor: {result.anchor_kind})"), fontsize=11)
    ax.grid(axis="y", alpha=0.25, lw=0.6)
    ax.legend(handles=[Line2D([], [], color="0.15", lw=1.6, label="form mean"),
                       Line2D([], [], color="#D55E00", marker="o", lw=0, label="fresh to some models"),
                       Line2D([], [], color="#0072B2", marker="o", lw=0, label="old to every model")],
              loc="best", fontsize=8, framealpha=0.9)
    return fig


def figures(result: EquatingSection) -> dict[str, Figure]:
    out = {}
    for name, make in (("equating_delta_forest", forest), ("equating_item_difficulty", difficulty)):
        fig = make(result)
        if fig is not None:
            out[name] = fig
    return out


def html(result: EquatingSection) -> Markup:
    from papertiger.render.figures import figure_svg

    palette = colours(result.groups)
    svgs = {name: Markup(figure_svg(fig)) for name, fig in figures(result).items()}  # noqa: S704
    return template(
        "equating.html.j2", title=TITLE, explain=explain(result), headline=headline(result),
        model_header=MODEL_HEADER, model_rows=model_rows(result),
        row_colours=[palette.get(r.group or "", "transparent") for r in result.rows],
        shift_header=SHIFT_HEADER, shift_rows=shift_rows(result), item_header=ITEM_HEADER,
        item_rows=item_rows(result),
        all_items=[[i.form, i.item_id, number(i.b, 2), number(100 * i.correct_rate, 0),
                    number(100 * i.solved_by, 0), str(i.n_models), str(i.fresh_for)]
                   for i in result.items],
        method=result.method, notes=list(result.notes),
        forest=svgs.get("equating_delta_forest"), difficulty=svgs.get("equating_item_difficulty"),
        undefined=", ".join(r.model for r in result.rows if r.delta is None),
    )


register(EquatingSection, SectionRenderer(
    title=lambda r: TITLE, terminal=terminal, markdown=markdown, json=to_json, html=html,
    figures=figures,
))
