"""The elicitation gap in every output, and the helpers the prompt, tokenomics and speed
renderers share (group comparisons, Markdown tables, group colours, templates)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papertiger.analysis.results import GroupComparison, Interval, Skipped
from papertiger.analysis.sections.elicitation import Contrast, ElicitationSection, PassCurve
from papertiger.render.format import DASH, interval, number, p_value
from papertiger.render.sections import SectionRenderer, register
from papertiger.render.style import PALETTE, plain

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D


TITLE = "Elicitation gap: pass@1 against pass@K"
SIDES = ("two-sided", "less", "greater")  # scipy's words for A − B ≠ 0, < 0, > 0

# -- shared helpers ------------------------------------------------------------------------


def md_escape(text: object) -> str:
    """Data text safe in a Markdown table cell or paragraph."""
    return (str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
            .replace(">", "&gt;").replace("\n", " "))


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub Markdown table, every cell escaped."""
    lines = ["| " + " | ".join(md_escape(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def colours(groups: Sequence[str]) -> dict[str, str]:
    """One palette colour per group, in the section's group order."""
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}


def finite(value: Any) -> float | None:
    """A JSON-safe float: None for missing, NaN or infinite values."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def interval_json(iv: Interval | None) -> dict[str, Any] | None:
    if iv is None:
        return None
    return {"estimate": finite(iv.estimate), "low": finite(iv.low), "high": finite(iv.high),
            "level": iv.level, "method": iv.method}


def template(name: str, **context: Any) -> Markup:
    """Render `sections/<name>` (autoescaped) as a fragment."""
    from papertiger.render.html import environment

    return Markup(environment().get_template(f"sections/{name}").render(**context))  # noqa: S704


SHORT = {"Welch t": "Welch", "Student t": "Student", "Mann–Whitney U": "Mann–Whitney",
         "Permutation (difference of means)": "permutation"}


def _p_by_side(comp: GroupComparison) -> list[tuple[str, dict[str, float]]]:
    """Each test's p-values by sidedness, tests in first-seen order."""
    out: dict[str, dict[str, float]] = {}
    for t in comp.tests:
        out.setdefault(SHORT.get(t.name, t.name), {})[t.alternative] = t.p_value
    return list(out.items())


Cell = str | list[str]  # a list renders one line per entry


def contrast_table(contrasts: Sequence[Contrast], digits: int = 1) -> tuple[list[str], list[list[Cell]]]:
    """Every group comparison as one row: sizes, means, the difference with its Welch and
    bootstrap intervals, Hedges' g, and each test's p (two-sided / A < B / A > B)."""
    header = ["comparison", "A \u2212 B (n)", "mean A / B", "difference [Welch CI]",
              "bootstrap CI", "Hedges' g", "p: two-sided / A < B / A > B"]
    rows: list[list[Cell]] = []
    for c in contrasts:
        comp = c.comparison
        if isinstance(comp, Skipped):
            rows.append([c.label, f"not computed: {comp.reason}", "", "", "", "", ""])
            continue
        bs = comp.bootstrap
        rows.append([
            c.label, f"{comp.group_a} \u2212 {comp.group_b} ({comp.n_a} / {comp.n_b})",
            f"{number(comp.mean_a, digits)} / {number(comp.mean_b, digits)}",
            interval(comp.difference, digits),
            f"[{number(bs.low, digits)}, {number(bs.high, digits)}]", number(comp.hedges_g, 2),
            [f"{name} " + " / ".join(p_value(ps.get(s)) for s in SIDES)
             for name, ps in _p_by_side(comp)],
        ])
    return header, rows


def flat(cell: Cell, sep: str = "; ") -> str:
    """A cell as one string (Markdown), or with line breaks (terminal: sep = newline)."""
    return cell if isinstance(cell, str) else sep.join(cell)


CONTRAST_NOTE = ("Group comparisons: models are the units; A < B and A > B are the one-sided "
                 "tests in each direction; bootstrap intervals resample models within each group.")


def contrast_notes(contrasts: Sequence[Contrast]) -> list[str]:
    """Warnings attached to individual comparisons (e.g. nearly constant values)."""
    return [f"{c.label}: {n}" for c in contrasts if isinstance(c.comparison, GroupComparison)
            for n in c.comparison.notes]


def contrast_context(contrasts: Sequence[Contrast], digits: int = 1) -> dict[str, Any] | None:
    """Template data for the group comparisons (raw strings: the template escapes them)."""
    if not contrasts:
        return None
    header, rows = contrast_table(contrasts, digits)
    return {"header": header, "rows": rows, "note": CONTRAST_NOTE,
            "notes": contrast_notes(contrasts)}


def contrast_md(contrasts: Sequence[Contrast], digits: int = 1) -> list[str]:
    if not contrasts:
        return []
    header, rows = contrast_table(contrasts, digits)
    flat_rows = [[flat(c) for c in row] for row in rows]
    return (["**Group comparisons**", "", md_table(header, flat_rows), "", md_escape(CONTRAST_NOTE), ""]
            + [f"- {md_escape(n)}" for n in contrast_notes(contrasts)] + [""])


def contrast_terminal(contrasts: Sequence[Contrast], console: Console, digits: int = 1) -> None:
    if not contrasts:
        return
    header, rows = contrast_table(contrasts, digits)
    table = Table(*(escape(h) for h in header), title="Group comparisons", caption=CONTRAST_NOTE)
    for row in rows:
        table.add_row(*(escape(flat(v, "\n")) for v in row))
    console.print(table)
    for note in contrast_notes(contrasts):
        console.print(f"[yellow]note:[/] {escape(note)}")


def contrast_json(contrasts: Sequence[Contrast]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in contrasts:
        comp = c.comparison
        if isinstance(comp, Skipped):
            out.append({"label": c.label, "quantity": c.quantity, "skipped": comp.reason})
            continue
        out.append({
            "label": c.label, "quantity": c.quantity, "group_by": comp.group_by,
            "group_a": comp.group_a, "group_b": comp.group_b, "n_a": comp.n_a, "n_b": comp.n_b,
            "mean_a": finite(comp.mean_a), "mean_b": finite(comp.mean_b),
            "difference": interval_json(comp.difference),
            "bootstrap": interval_json(comp.bootstrap), "hedges_g": finite(comp.hedges_g),
            "tests": [{"name": t.name, "alternative": t.alternative,
                       "statistic": finite(t.statistic), "p_value": finite(t.p_value),
                       "method": t.method} for t in comp.tests],
            "notes": list(comp.notes),
        })
    return out


def legend_handles(groups: Sequence[str], present: set[str | None]) -> list[Line2D]:
    from matplotlib.lines import Line2D
    palette = colours(groups)
    return [Line2D([], [], color=palette[g], marker="o", lw=1.5, label=plain(g))
            for g in groups if g in present]


# -- the elicitation section ---------------------------------------------------------------


def _curve_text(c: PassCurve) -> str:
    return ", ".join(f"{k}: {number(p)}" for k, p in zip(c.ks, c.pass_at, strict=True))


def _rows(result: ElicitationSection) -> list[list[str]]:
    return [[c.model, c.group or DASH, c.form, f"{c.samples} ({c.items})",
             f"{number(c.pass_at[0])} \u2192 {number(c.pass_at[-1])}", interval(c.gap),
             interval(c.normalised), _curve_text(c)]
            for c in result.curves]


HEADER = ["model", "group", "form", "K (items)", "pass@1 \u2192 pass@K %", "gap (pp)",
          "share of unsolved recovered (%)", "pass@k curve (k: %)"]


def _explain(result: ElicitationSection) -> str:
    return (f"pass@k is the unbiased estimator (Chen et al. 2021) averaged over items; bands and "
            f"intervals are {result.level:.0%} percentile bootstraps over items "
            f"({result.n_boot} resamples). The gap is pass@K \u2212 pass@1; its normalised form "
            "is the gap as a share of 100 \u2212 pass@1. A bigger gap means the model is "
            "harder to elicit in one try.")


def terminal(result: ElicitationSection, console: Console) -> None:
    console.print(f"[bold]{TITLE}[/]")
    console.print(f"[dim]{escape(_explain(result))}[/]")
    header = [h.replace("group", result.group_by) for h in HEADER]
    table = Table(*header)
    for row in _rows(result):
        table.add_row(*(escape(v) for v in row))
    console.print(table)
    contrast_terminal(result.contrasts, console)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def markdown(result: ElicitationSection) -> str:
    header = [h.replace("group", result.group_by) for h in HEADER]
    parts = [f"## {TITLE}", "", md_escape(_explain(result)), "", md_table(header, _rows(result)), ""]
    parts += contrast_md(result.contrasts)
    parts += [f"- {md_escape(n)}" for n in result.notes]
    return "\n".join(parts).rstrip() + "\n"


def to_json(result: ElicitationSection) -> dict[str, Any]:
    return {
        "group_by": result.group_by, "forms": list(result.forms), "latest_form": result.fresh,
        "level": result.level, "n_boot": result.n_boot,
        "curves": [{
            "model": c.model, "group": c.group, "form": c.form, "samples": c.samples,
            "items": c.items, "uneven": c.uneven,
            "points": [{"k": k, "pass_at_k": finite(p), "low": finite(lo), "high": finite(hi)}
                       for k, p, lo, hi in zip(c.ks, c.pass_at, c.low, c.high, strict=True)],
            "gap": interval_json(c.gap), "normalised_gap": interval_json(c.normalised),
        } for c in result.curves],
        "contrasts": contrast_json(result.contrasts),
        "notes": list(result.notes),
    }


def figure(result: ElicitationSection) -> Figure | None:
    """pass@k against k (log scale), one panel per form, lines coloured by group, bands
    over items."""
    from papertiger.render.figures import _new_figure

    forms = [f for f in result.forms if any(c.form == f for c in result.curves)]
    if not forms:
        return None
    palette = colours(result.groups)
    cols = min(3, len(forms))
    rows = math.ceil(len(forms) / cols)
    fig = _new_figure(3.4 * cols + 0.6, 3.2 * rows + 0.5)
    axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
    for i, form in enumerate(forms):
        ax = axes[i // cols][i % cols]
        for c in (c for c in result.curves if c.form == form):
            colour = palette.get(c.group or "", "0.45")
            ax.plot(c.ks, c.pass_at, color=colour, lw=1.2, marker="o", ms=2.5, alpha=0.9)
            ax.fill_between(c.ks, c.low, c.high, color=colour, alpha=0.08, lw=0)
        ks = sorted({k for c in result.curves if c.form == form for k in c.ks})
        ax.set_xscale("log", base=2)
        ax.set_xlim(1, max(2, ks[-1]))
        ax.set_xticks(ks, [str(k) for k in ks])
        ax.minorticks_off()
        ax.set_ylim(0, 100)
        ax.set_title(plain(form), fontsize=10)
        ax.set_xlabel("k (samples)")
        ax.grid(alpha=0.25, lw=0.6)
    for j in range(len(forms), rows * cols):
        axes[j // cols][j % cols].set_visible(False)
    axes[0][0].set_ylabel("pass@k (%)")
    handles = legend_handles(result.groups, {c.group for c in result.curves})
    if handles:
        axes[0][0].legend(handles=handles, loc="lower right", fontsize=8)
    fig.suptitle("pass@k per model, coloured by group (bands: bootstrap over items)", fontsize=10)
    return fig


def figures(result: ElicitationSection) -> dict[str, Figure]:
    fig = figure(result)
    return {} if fig is None else {"elicitation_pass_at_k": fig}


def html(result: ElicitationSection) -> Markup:
    from papertiger.render.figures import inline_svg

    fig = figure(result)
    return template(
        "elicitation.html.j2", title=TITLE, explain=_explain(result),
        header=[h.replace("group", result.group_by) for h in HEADER], rows=_rows(result),
        row_colours=[colours(result.groups).get(c.group or "", "transparent")
                     for c in result.curves],
        contrasts=contrast_context(result.contrasts), notes=list(result.notes),
        svg=inline_svg(fig),
        no_figure="no model has a pass@k curve to draw",
    )


register(ElicitationSection, SectionRenderer(
    title=lambda r: TITLE, terminal=terminal, markdown=markdown, json=to_json, html=html,
    figures=figures,
))

__all__ = ["colours", "contrast_context", "contrast_table", "flat", "contrast_json", "contrast_md", "contrast_terminal",
           "finite", "interval_json", "legend_handles", "md_escape", "md_table", "template"]
