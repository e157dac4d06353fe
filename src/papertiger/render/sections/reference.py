"""Reference-model regression in every output: per pair of forms each model's old and fresh
score, the old score the references' curve predicts, the excess with its CI and one-sided
p, flags for significance and extrapolation; the curve with the tested models on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papertiger.analysis.results import Skipped
from papertiger.analysis.sections.reference import ReferencePair, ReferenceRow, ReferenceSection
from papertiger.render.format import DASH, interval, number, p_value, signed
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
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D


TITLE = "Reference-model regression: old-form score the fresh form does not explain"
HEADER = ["model", "group", "old %", "fresh %", "predicted old %", "excess (pp) [CI]",
          "p (excess > 0)", "flags"]
FLAGGED = "0.05"  # a dark ring: distinct from every group colour


def explain(result: ReferenceSection) -> str:
    refs = ", ".join(result.references)
    return ("On reference models assumed clean, a monotone curve H maps a model's fresh-form "
            "score to the old-form score a clean model would have; a model's excess = old \u2212 "
            "H(fresh) is the old-form score its fresh-form score does not explain (> 0: better "
            "on the old form than clean models of its fresh-form level, as contamination would "
            f"make it). References ({len(result.references)}, chosen by {result.chosen_by}): "
            f"{refs}.")


def _flags(r: ReferenceRow, alpha: float) -> str:
    if r.is_reference:
        return "reference"
    out = []
    if r.flagged:
        out.append(f"excess (p < {alpha:g})")
    if r.extrapolated:
        out.append("extrapolated")
    return ", ".join(out) or DASH


def rows(result: ReferenceSection, pair: ReferencePair) -> list[list[str]]:
    """Tested models first (largest excess on top), then the references."""
    ordered = sorted(pair.rows, key=lambda r: (r.is_reference, -r.excess.estimate))
    return [[r.model, r.group or DASH, number(r.old), number(r.fresh), number(r.predicted_old),
             interval(r.excess) if not r.is_reference else f"{signed(r.excess.estimate)} (residual)",
             p_value(r.p_value), _flags(r, result.alpha)]
            for r in ordered]


def pair_text(pair: ReferencePair) -> str:
    lo, hi = pair.fresh_range
    return (f"{pair.curve} curve on {len(pair.references)} references; their fresh scores span "
            f"{number(lo)}\u2013{number(hi)} %; bootstrap over {pair.resampled}")


def terminal(result: ReferenceSection, console: Console) -> None:
    console.print(f"[bold]{TITLE}[/]")
    console.print(f"[dim]{escape(explain(result))}[/]")
    for pair in result.pairs:
        if isinstance(pair, Skipped):
            console.print(f"[bold]{escape(pair.section)}[/]: [dim]not computed: "
                          f"{escape(pair.reason)}[/]")
            continue
        table = Table(*(escape(h) for h in HEADER), title=escape(pair.label),
                      caption=escape(pair_text(pair)))
        for row in rows(result, pair):
            table.add_row(*(escape(v) for v in row))
        console.print(table)
        for note in pair.notes:
            console.print(f"[yellow]note:[/] {escape(note)}")
    console.print(f"[dim]method: {escape(result.method)}[/]")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def markdown(result: ReferenceSection) -> str:
    parts = [f"## {TITLE}", "", md_escape(explain(result)), ""]
    for pair in result.pairs:
        if isinstance(pair, Skipped):
            parts += [f"**{md_escape(pair.section)}**: not computed: {md_escape(pair.reason)}", ""]
            continue
        parts += [f"**{md_escape(pair.label)}**", "", md_table(HEADER, rows(result, pair)), "",
                  md_escape(pair_text(pair)), ""]
        parts += [f"- {md_escape(n)}" for n in pair.notes]
        parts += [""] if pair.notes else []
    parts += [f"Method: {md_escape(result.method)}", ""]
    parts += [f"- {md_escape(n)}" for n in result.notes]
    return "\n".join(parts).rstrip() + "\n"


def _pair_json(pair: ReferencePair | Skipped) -> dict[str, Any]:
    if isinstance(pair, Skipped):
        return {"label": pair.section, "skipped": pair.reason}
    step = max(1, len(pair.grid_fresh) // 100)
    return {
        "label": pair.label, "old_form": pair.old_form, "fresh_form": pair.fresh_form,
        "curve": pair.curve, "references": list(pair.references),
        "fresh_range": [finite(v) for v in pair.fresh_range], "resampled": pair.resampled,
        "item_level": pair.item_level, "n_boot": pair.n_boot,
        "grid": [[finite(x), finite(y)] for x, y in
                 zip(pair.grid_fresh[::step], pair.grid_old[::step], strict=True)],
        "models": [{"model": r.model, "group": r.group, "old": finite(r.old),
                    "fresh": finite(r.fresh), "predicted_old": finite(r.predicted_old),
                    "excess": interval_json(r.excess), "p_value": finite(r.p_value),
                    "flagged": r.flagged, "extrapolated": r.extrapolated,
                    "is_reference": r.is_reference} for r in pair.rows],
        "notes": list(pair.notes),
    }


def to_json(result: ReferenceSection) -> dict[str, Any]:
    return {"group_by": result.group_by, "references": list(result.references),
            "chosen_by": result.chosen_by, "item_level": result.item_level,
            "alpha": result.alpha, "level": result.level, "n_boot": result.n_boot,
            "method": result.method, "pairs": [_pair_json(p) for p in result.pairs],
            "notes": list(result.notes)}


def _panel(ax: Axes, result: ReferenceSection, pair: ReferencePair) -> list[Line2D]:
    from matplotlib.lines import Line2D
    palette = colours(result.groups)
    lo, hi = pair.fresh_range
    ax.axvspan(lo, hi, color="0.93", zorder=0)
    ax.plot([0, 100], [0, 100], ls="--", lw=1, color="0.55", zorder=1)
    ax.plot(pair.grid_fresh, pair.grid_old, color="0.1", lw=1.6, zorder=2)
    refs = [r for r in pair.rows if r.is_reference]
    ax.scatter([r.fresh for r in refs], [r.old for r in refs], s=30, facecolors="none",
               edgecolors="0.35", linewidths=1, zorder=3)
    handles = [Line2D([], [], color="0.1", lw=1.6, label="H (fitted on the references)"),
               Line2D([], [], color="0.55", ls="--", lw=1, label="y = x"),
               Line2D([], [], color="0.35", marker="o", mfc="none", lw=0, label="reference")]
    for k, group in enumerate([*result.groups, None]):
        tested = [r for r in pair.rows if not r.is_reference and r.group == group]
        if not tested:
            continue
        colour, marker = palette.get(group or "", "0.45"), MARKERS[k % len(MARKERS)]
        ax.scatter([r.fresh for r in tested], [r.old for r in tested], s=38, color=colour,
                   marker=marker, edgecolors=[FLAGGED if r.flagged else "white" for r in tested],
                   linewidths=[1.8 if r.flagged else 0.6 for r in tested], zorder=4)
        handles.append(Line2D([], [], color=colour, marker=marker, lw=0,
                              label=plain(f"{group or 'no group'} (tested)")))
    values = [v for r in pair.rows for v in (r.old, r.fresh)]
    low, high = max(0.0, min(values) - 6), min(100.0, max(values) + 6)
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_aspect("equal")
    ax.set_xlabel(plain(f"{pair.fresh_form} score (%)"))
    ax.set_ylabel(plain(f"{pair.old_form} score (%)"))
    ax.set_title(plain(pair.label), fontsize=10)
    ax.grid(alpha=0.25, lw=0.6)
    handles += [Line2D([], [], color="0.6", marker="o", mec=FLAGGED, mew=1.8, lw=0,
                       label=f"excess, p < {result.alpha:g} (labelled)"),
                Line2D([], [], color="0.93", lw=6, label="references' fresh range")]
    return handles


def figure(result: ReferenceSection) -> Figure | None:
    """One panel per computed pair: the curve, y = x, references, tested models."""
    from papertiger.render.figures import _new_figure, _place_labels

    pairs = result.computed
    if not pairs:
        return None
    fig = _new_figure(4.4 * len(pairs) + 0.4, 5.0)
    axes = fig.subplots(1, len(pairs), squeeze=False)[0]
    handles: list[Line2D] = []
    for ax, pair in zip(axes, pairs, strict=True):
        handles = _panel(ax, result, pair)
    axes[0].legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.9)
    for ax, pair in zip(axes, pairs, strict=True):  # labels last: they avoid the legend
        flagged = [r for r in pair.rows if r.flagged]
        if flagged:  # _place_labels reads x from `old` and y from `fresh`: here fresh is x
            frame = pd.DataFrame({"model": [r.model for r in flagged],
                                  "old": [r.fresh for r in flagged],
                                  "fresh": [r.old for r in flagged]})
            low, high = ax.get_xlim()
            _place_labels(ax, frame, low, high)
    fig.suptitle("Reference curve: old-form score against fresh-form score (above the curve: "
                 "excess)", fontsize=10)
    return fig


def figures(result: ReferenceSection) -> dict[str, Figure]:
    fig = figure(result)
    return {} if fig is None else {"reference_curve": fig}


def html(result: ReferenceSection) -> Markup:
    from papertiger.render.figures import inline_svg

    fig = figure(result)
    palette = colours(result.groups)
    pairs: list[dict[str, Any]] = []
    for pair in result.pairs:
        if isinstance(pair, Skipped):
            pairs.append({"label": pair.section, "skipped": pair.reason})
            continue
        ordered = sorted(pair.rows, key=lambda r: (r.is_reference, -r.excess.estimate))
        pairs.append({"label": pair.label, "skipped": None, "rows": rows(result, pair),
                      "colours": [palette.get(r.group or "", "transparent") for r in ordered],
                      "text": pair_text(pair), "notes": list(pair.notes)})
    return template(
        "reference.html.j2", title=TITLE, explain=explain(result), header=HEADER, pairs=pairs,
        method=result.method, notes=list(result.notes),
        svg=inline_svg(fig),
        no_figure="no pair of forms could be computed",
    )


register(ReferenceSection, SectionRenderer(
    title=lambda r: TITLE, terminal=terminal, markdown=markdown, json=to_json, html=html,
    figures=figures,
))
