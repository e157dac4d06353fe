"""The prompt-variant experiment in every output: accuracy under each prompt, the paired
difference per model with its CI, the group comparison, and a figure of the differences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papertiger.analysis.sections.prompts import ALL_FORMS, PromptSection
from papertiger.render.format import DASH, interval, number
from papertiger.render.sections import SectionRenderer, register
from papertiger.render.sections.elicitation import (
    colours,
    contrast_context,
    contrast_json,
    contrast_md,
    contrast_terminal,
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


TITLE = "Prompt variants: the under-elicitation gap"


def _explain(result: PromptSection) -> str:
    return (f"The same items under {len(result.prompts)} prompts ({', '.join(result.prompts)}), "
            f"each run as its own condition. The rest of this report reads {result.baseline}; "
            "each other prompt's difference is taken against it, items paired (per item: "
            f"share correct under that prompt \u2212 under {result.baseline}), with a "
            f"{result.level:.0%} percentile bootstrap over items ({result.n_boot} resamples, "
            "within each form for all forms). A group comparison of these differences asks "
            "whether one group depends more on its prompt.")


HEADER = ["model", "group", "form", "prompt", "score % under baseline \u2192 prompt",
          "prompt \u2212 baseline (pp)", "paired items"]


def _rows(result: PromptSection) -> list[list[str]]:
    acc = {(a.model, a.form, a.prompt): a.accuracy for a in result.accuracies}
    return [[d.model, d.group or DASH, d.form, d.prompt,
             f"{number(acc.get((d.model, d.form, d.baseline)))} \u2192 "
             f"{number(acc.get((d.model, d.form, d.prompt)))}",
             interval(d.difference), str(d.items)]
            for d in result.differences]


def _header(result: PromptSection) -> list[str]:
    return [h.replace("group", result.group_by) for h in HEADER]


def terminal(result: PromptSection, console: Console) -> None:
    console.print(f"[bold]{TITLE}[/]")
    console.print(f"[dim]{escape(_explain(result))}[/]")
    table = Table(*_header(result))
    for row in _rows(result):
        table.add_row(*(escape(v) for v in row))
    console.print(table)
    contrast_terminal(result.contrasts, console)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def markdown(result: PromptSection) -> str:
    parts = [f"## {TITLE}", "", md_escape(_explain(result)), "",
             md_table(_header(result), _rows(result)), ""]
    parts += contrast_md(result.contrasts)
    parts += [f"- {md_escape(n)}" for n in result.notes]
    return "\n".join(parts).rstrip() + "\n"


def to_json(result: PromptSection) -> dict[str, Any]:
    return {
        "baseline": result.baseline, "prompts": list(result.prompts),
        "forms": list(result.forms), "group_by": result.group_by, "level": result.level,
        "n_boot": result.n_boot,
        "accuracies": [{"model": a.model, "group": a.group, "prompt": a.prompt, "form": a.form,
                        "accuracy": finite(a.accuracy), "items": a.items,
                        "attempts": a.attempts} for a in result.accuracies],
        "differences": [{"model": d.model, "group": d.group, "prompt": d.prompt,
                         "baseline": d.baseline, "form": d.form, "items": d.items,
                         "difference": interval_json(d.difference)}
                        for d in result.differences],
        "contrasts": contrast_json(result.contrasts),
        "notes": list(result.notes),
    }


def figure(result: PromptSection) -> Figure | None:
    """Per model, the paired difference over all forms with its CI, one panel per prompt."""
    from papertiger.render.figures import _new_figure

    panels = [(p, sorted((d for d in result.differences if d.prompt == p and d.form == ALL_FORMS),
                         key=lambda d: d.difference.estimate))
              for p in result.prompts[1:]]
    panels = [(p, ds) for p, ds in panels if ds]
    if not panels:
        return None
    palette = colours(result.groups)
    tallest = max(len(ds) for _, ds in panels)
    fig = _new_figure(4.6 * len(panels) + 1.4, 1.4 + 0.26 * tallest)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (prompt, ds) in zip(axes, panels, strict=True):
        for y, d in enumerate(ds):
            iv = d.difference
            colour = palette.get(d.group or "", "0.45")
            ax.errorbar([iv.estimate], [y], xerr=[[max(0.0, iv.estimate - iv.low)],
                                                  [max(0.0, iv.high - iv.estimate)]],
                        fmt="o", color=colour, ms=4, elinewidth=1, capsize=2)
        ax.axvline(0, color="0.2", lw=0.8)
        ax.set_yticks(range(len(ds)), [plain(d.model) for d in ds], fontsize=8)
        ax.set_xlabel(plain(f"{prompt} \u2212 {result.baseline} (pp, all forms)"))
        ax.grid(axis="x", alpha=0.25, lw=0.6)
    handles = legend_handles(result.groups, {d.group for _, ds in panels for d in ds})
    if handles:
        axes[0].legend(handles=handles, loc="lower right", fontsize=8)
    fig.suptitle("Paired prompt differences per model (items paired; bars: bootstrap CI)",
                 fontsize=10)
    return fig


def figures(result: PromptSection) -> dict[str, Figure]:
    fig = figure(result)
    return {} if fig is None else {"prompts_paired_differences": fig}


def html(result: PromptSection) -> Markup:
    from papertiger.render.figures import inline_svg

    fig = figure(result)
    palette = colours(result.groups)
    return template(
        "prompts.html.j2", title=TITLE, explain=_explain(result), header=_header(result),
        rows=_rows(result),
        row_colours=[palette.get(d.group or "", "transparent") for d in result.differences],
        contrasts=contrast_context(result.contrasts), notes=list(result.notes),
        svg=inline_svg(fig),
        no_figure="no model has attempts under two prompts on the same items",
    )


register(PromptSection, SectionRenderer(
    title=lambda r: TITLE, terminal=terminal, markdown=markdown, json=to_json, html=html,
    figures=figures,
))
