"""Rendering of the memorisation probe: text recall and answer accuracy, old vs fresh forms.

The two kinds of metric never share a table or a panel: text recall (exact match, ROUGE-L,
edit similarity of the continuation against the true remainder) and answer accuracy
(whether the continuation reaches the true answer), each at every prefix ratio.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from rich.console import Console
from rich.markup import escape as rich_escape
from rich.table import Table

from papertiger.analysis.results import Interval
from papertiger.analysis.sections.probe import (
    METRIC_LABELS,
    TEXT_METRICS,
    ProbeCell,
    ProbeGap,
    ProbeSection,
)
from papertiger.render.format import DASH, number, signed
from papertiger.render.sections import SectionRenderer, register
from papertiger.render.style import PALETTE, plain

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["probe_figure"]

FIGURE = "probe_memorisation"
TEXT_TITLE = "Text recall: the continuation against the true remainder"
ANSWER_TITLE = "Answer accuracy: does the continuation reach the true answer?"
HEADERS = ("model", "mode", "prefix", "metric", "old forms", "fresh forms", "old − fresh")


def _ratio(r: float) -> str:
    return f"{r:.0%}"


def _mean(iv: Interval | None) -> str:
    if iv is None:
        return DASH
    return f"{number(iv.estimate, 2)} [{number(iv.low, 2)}, {number(iv.high, 2)}]"


def _diff(gap: ProbeGap) -> str:
    iv = gap.difference
    if iv is not None:
        return f"{signed(iv.estimate, 2)} [{signed(iv.low, 2)}, {signed(iv.high, 2)}]"
    if gap.old is not None and gap.fresh is not None:  # too few items for an interval
        return signed(gap.old.estimate - gap.fresh.estimate, 2)
    return DASH


def _rows(result: ProbeSection, text: bool) -> list[list[str]]:
    rows = []
    for g in result.gaps:
        if (g.metric in TEXT_METRICS) != text:
            continue
        rows.append([g.model, g.mode, _ratio(g.ratio), METRIC_LABELS[g.metric], _mean(g.old),
                     _mean(g.fresh), _diff(g)])
    return rows


def _sides(result: ProbeSection) -> list[str]:
    """'model: old = a, b; fresh = c (by training cutoff)' per model and mode."""
    seen: dict[tuple[str, str], str] = {}
    for g in result.gaps:
        old, fresh = ", ".join(g.old_forms) or "none", ", ".join(g.fresh_forms) or "none"
        seen.setdefault((g.model, g.mode), f"{g.model} ({g.mode}): old = {old}; fresh = {fresh} "
                                           f"(by {g.basis})")
    return list(seen.values())


def _how(result: ProbeSection) -> str:
    return (f"{result.attempts:,} probe attempts on {result.suite} ({result.errors:,} failed, not "
            f"scored); each item's wordings averaged; means over items with "
            f"{result.level:.0%} percentile bootstrap intervals, old − fresh with a bootstrap "
            f"interval resampling each side's items ({result.n_boot:,} resamples). Memorisation "
            "shows as high recall on the old forms only: a positive old − fresh gap.")


def _terminal(result: ProbeSection, console: Console) -> None:
    console.print(f"\n[bold]{rich_escape(result.title)}[/]")
    console.print(f"[dim]{rich_escape(_how(result))}[/]")
    for title, text in ((TEXT_TITLE, True), (ANSWER_TITLE, False)):
        table = Table(title=title)
        for name in HEADERS:
            table.add_column(name, justify="left" if name in HEADERS[:4] else "right")
        for row in _rows(result, text):
            table.add_row(*(rich_escape(c) for c in row))
        console.print(table)
    for line in [*_sides(result), *result.notes]:
        console.print(f"[dim]{rich_escape(line)}[/]")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join("---" if i < 4 else "---:" for i in range(len(headers))) + "|"]
    return out + ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]


def _cell(cell: ProbeCell | None) -> str:
    return DASH if cell is None else _mean(Interval(cell.mean, cell.low, cell.high))


def _form_rows(result: ProbeSection) -> tuple[list[str], list[list[str]]]:
    """Per model × mode × form × metric (both wordings), one column per prefix ratio."""
    headers = ["model", "mode", "form (side)", "metric", *(_ratio(r) for r in result.ratios)]
    table: dict[tuple[str, str, str, str], dict[float, ProbeCell]] = {}
    for c in result.cells:
        if c.wording == "both" and c.metric in ("rouge_l", "answer"):
            table.setdefault((c.model, c.mode, f"{c.form} ({c.side})", c.metric), {})[c.ratio] = c
    rows = [[m, mode, form, METRIC_LABELS[metric],
             *(_cell(by.get(r)) for r in result.ratios)]
            for (m, mode, form, metric), by in table.items()]
    return headers, rows


def _markdown(result: ProbeSection) -> str:
    parts = [f"## {_md(result.title)}", "", _md(_how(result)), ""]
    for title, text in ((TEXT_TITLE, True), (ANSWER_TITLE, False)):
        parts += [f"### {_md(title)}", "", *_md_table(list(HEADERS), _rows(result, text)), ""]
    headers, rows = _form_rows(result)
    parts += ["### Per form (ROUGE-L and answer accuracy)", "", *_md_table(headers, rows), ""]
    parts += [f"- {_md(line)}" for line in [*_sides(result), *result.notes]]
    return "\n".join(parts) + "\n"


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _iv(iv: Interval | None) -> dict[str, Any] | None:
    if iv is None:
        return None
    return {"estimate": _finite(iv.estimate), "low": _finite(iv.low), "high": _finite(iv.high),
            "level": iv.level, "method": iv.method}


def _gap_json(g: ProbeGap) -> dict[str, Any]:
    return {"model": g.model, "mode": g.mode, "ratio": g.ratio, "metric": g.metric,
            "label": METRIC_LABELS[g.metric], "basis": g.basis, "old_forms": list(g.old_forms),
            "fresh_forms": list(g.fresh_forms), "n_old": g.n_old, "n_fresh": g.n_fresh,
            "old": _iv(g.old), "fresh": _iv(g.fresh), "difference": _iv(g.difference),
            "reason": g.reason}


def _json(result: ProbeSection) -> dict[str, Any]:
    cells = [{**{k: getattr(c, k) for k in ("model", "mode", "form", "side", "ratio", "metric",
                                             "wording", "n_items")},
              "mean": _finite(c.mean), "low": _finite(c.low), "high": _finite(c.high)}
             for c in result.cells]
    return {
        "suite": result.suite, "models": list(result.models), "forms": list(result.forms),
        "ratios": list(result.ratios), "attempts": result.attempts, "errors": result.errors,
        "level": result.level, "n_boot": result.n_boot,
        "text_recall": [_gap_json(g) for g in result.gaps if g.metric in TEXT_METRICS],
        "answer_accuracy": [_gap_json(g) for g in result.gaps if g.metric == "answer"],
        "cells": cells, "notes": list(result.notes),
    }


def probe_figure(result: ProbeSection) -> Figure | None:
    """ROUGE-L and answer accuracy by prefix ratio, old (solid) vs fresh (dashed) per model;
    None when no model has both an old and a fresh form."""
    from papertiger.render.figures import _new_figure

    panels = (("rouge_l", "Text recall (ROUGE-L vs the true remainder)"),
              ("answer", "Answer accuracy (true answer in the continuation)"))
    series = sorted({(g.model, g.mode) for g in result.gaps if g.old and g.fresh},
                    key=lambda s: (result.models.index(s[0]), s[1]))
    if not series:
        return None
    fig = _new_figure(9.0, 4.2 + 0.18 * len(series))
    axes = fig.subplots(1, 2, sharey=True)
    modes = {m for _, m in series}
    step = 3.0 / max(1, 2 * len(series) - 1)  # dodge: points of equal value stay visible
    for ax, (metric, title) in zip(axes, panels, strict=True):
        for i, (model, mode) in enumerate(series):
            gaps = sorted((g for g in result.gaps if (g.model, g.mode, g.metric) == (model, mode, metric)
                           and g.old and g.fresh), key=lambda g: g.ratio)
            label = model if len(modes) == 1 else f"{model} ({mode})"
            colour = PALETTE[i % len(PALETTE)]
            for j, (side, style, marker) in enumerate((("old", "-", "o"), ("fresh", "--", "s"))):
                ivs = [getattr(g, side) for g in gaps]
                shift = (2 * i + j - (2 * len(series) - 1) / 2) * step
                xs = [g.ratio * 100 + shift for g in gaps]
                ys = [iv.estimate for iv in ivs]
                err = [[y - iv.low for y, iv in zip(ys, ivs, strict=True)],
                       [iv.high - y for y, iv in zip(ys, ivs, strict=True)]]
                ax.errorbar(xs, ys, yerr=err, color=colour, ls=style, marker=marker, ms=4,
                            lw=1.3, capsize=2, elinewidth=0.7, mfc="white" if j else colour,
                            label=plain(f"{label}, {side} forms"))
        ax.set_title(title, fontsize=9.5)
        ax.set_xlabel("prefix shown (% of the statement's characters)")
        ax.set_xticks([r * 100 for r in result.ratios])
        ax.set_ylim(-0.04, 1.04)
        ax.grid(alpha=0.25, lw=0.6)
    axes[0].set_ylabel("mean score over items")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(4, len(labels)), fontsize=7.5,
               framealpha=0.9, edgecolor="0.85")
    fig.suptitle(plain(f"Memorisation probe on {result.suite}: old forms (solid) vs fresh "
                       "(dashed, open markers)"), fontsize=11)
    return fig


def _figures(result: ProbeSection) -> dict[str, Figure]:
    fig = probe_figure(result)
    return {} if fig is None else {FIGURE: fig}


def _html(result: ProbeSection) -> Markup:
    from papertiger.render.figures import inline_svg
    from papertiger.render.html import environment

    fig = probe_figure(result)
    headers, form_rows = _form_rows(result)
    html = environment().get_template("sections/probe.html.j2").render(
        title=result.title, how=_how(result), headers=HEADERS,
        tables=[(TEXT_TITLE, _rows(result, True)), (ANSWER_TITLE, _rows(result, False))],
        form_headers=headers, form_rows=form_rows, sides=_sides(result), notes=result.notes,
        svg=inline_svg(fig),
    )
    return Markup(html)


register(ProbeSection, SectionRenderer(
    title=lambda r: r.title, terminal=_terminal, markdown=_markdown, json=_json, html=_html,
    figures=_figures,
))
