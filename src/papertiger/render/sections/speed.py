"""Speed in every output: medians and quartiles per model of each timing, time per
success, how many attempts carry timings, and box plots of the distributions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papertiger.analysis.sections.speed import TIMINGS, SpeedRow, SpeedSection, Spread
from papertiger.render.format import DASH, number
from papertiger.render.sections import SectionRenderer, register
from papertiger.render.sections.elicitation import (
    colours,
    contrast_context,
    contrast_json,
    contrast_md,
    contrast_terminal,
    finite,
    legend_handles,
    md_escape,
    md_table,
    template,
)
from papertiger.render.style import plain

if TYPE_CHECKING:
    from matplotlib.figure import Figure


TITLE = "Speed: time to first token, tokens per second, time per success"
LABELS = dict(TIMINGS)


def seconds(value: float | None) -> str:
    """Seconds to three significant figures below 10 s (TTFT is often milliseconds)."""
    if value is None:
        return DASH
    return number(value, 1) if abs(value) >= 10 else f"{value:.3g}".replace("-", "\u2212")


def _fmt(value: float, column: str) -> str:
    return number(value, 0) if column == "output_tokens_per_s" else seconds(value)


def _cell(s: Spread | None, column: str) -> str:
    if s is None:
        return DASH
    return f"{_fmt(s.median, column)} ({_fmt(s.q1, column)}\u2013{_fmt(s.q3, column)})"


def _per_success(r: SpeedRow) -> str:
    if r.no_successes:
        return "no successes"
    return seconds(r.time_per_success)


def _header(result: SpeedSection) -> list[str]:
    return (["model", result.group_by]
            + [f"{LABELS[c]}: median (IQR)" for c in result.columns]
            + ["time per success (s)", "attempts carrying TTFT / tokens/s / latency, of ok"])


def _rows(result: SpeedSection) -> list[list[str]]:
    return [[r.model, r.group or DASH]
            + [_cell(r.timings.get(c), c) for c in result.columns]
            + [_per_success(r),
               " / ".join(str(r.carried(c)) for c in ("ttft_s", "output_tokens_per_s", "latency_s"))
               + f" of {r.ok}"]
            for r in result.rows]


EXPLAIN = ("Per model, over its successful attempts: medians with the interquartile range. "
           "End-to-end time runs from the request being written to the last byte (queueing "
           "excluded); time per success is the total end-to-end time of every timed attempt "
           "\u00f7 correct answers, so a slow or token-hungry model pays for its failures.")


def terminal(result: SpeedSection, console: Console) -> None:
    console.print(f"[bold]{TITLE}[/]")
    console.print(f"[dim]{escape(EXPLAIN)}[/]")
    table = Table(*(escape(h) for h in _header(result)))
    for row in _rows(result):
        table.add_row(*(escape(v) for v in row))
    console.print(table)
    contrast_terminal(result.contrasts, console, digits=0)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def markdown(result: SpeedSection) -> str:
    parts = [f"## {TITLE}", "", md_escape(EXPLAIN), "", md_table(_header(result), _rows(result)), ""]
    parts += contrast_md(result.contrasts, digits=0)
    parts += [f"- {md_escape(n)}" for n in result.notes]
    return "\n".join(parts).rstrip() + "\n"


def _spread_json(s: Spread | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"median": finite(s.median), "q1": finite(s.q1), "q3": finite(s.q3),
            "whisker_low": finite(s.whisker_low), "whisker_high": finite(s.whisker_high),
            "n": s.n}


def to_json(result: SpeedSection) -> dict[str, Any]:
    return {
        "group_by": result.group_by,
        "rows": [{"model": r.model, "group": r.group, "attempts": r.attempts, "ok": r.ok,
                  "correct": r.correct, "time_per_success": finite(r.time_per_success),
                  "no_successes": r.no_successes,
                  "carry": {c: r.carried(c) for c, _ in TIMINGS},
                  **{c: _spread_json(r.timings.get(c)) for c, _ in TIMINGS}}
                 for r in result.rows],
        "contrasts": contrast_json(result.contrasts),
        "notes": list(result.notes),
    }


def figure(result: SpeedSection) -> Figure | None:
    """Box plots per model (from the stored quartiles and whiskers), one panel per timing."""
    from papertiger.render.figures import _new_figure

    columns = [c for c in ("output_tokens_per_s", "ttft_s", "latency_s") if c in result.columns]
    if not columns:
        return None
    palette = colours(result.groups)
    rows = list(result.rows)
    fig = _new_figure(3.6 * len(columns) + 1.6, 1.4 + 0.3 * len(rows))
    axes = fig.subplots(1, len(columns), squeeze=False, sharey=True)[0]
    for ax, column in zip(axes, columns, strict=True):
        stats: list[dict[str, Any]] = []
        ys: list[int] = []
        cols: list[str] = []
        for y, r in enumerate(rows):
            s = r.timings.get(column)
            if s is None:
                continue
            stats.append({"med": s.median, "q1": s.q1, "q3": s.q3, "whislo": s.whisker_low,
                          "whishi": s.whisker_high, "fliers": [], "label": ""})
            ys.append(y)
            cols.append(palette.get(r.group or "", "0.45"))
        if stats:
            boxes = ax.bxp(stats, positions=ys, orientation="horizontal", widths=0.6,
                           patch_artist=True, showfliers=False,
                           medianprops={"color": "0.1", "lw": 1.4})
            for patch, colour in zip(boxes["boxes"], cols, strict=True):
                patch.set_facecolor(colour)
                patch.set_alpha(0.55)
        low = min((float(b["whislo"]) for b in stats), default=0.0)
        if low > 0 and max(float(b["whishi"]) for b in stats) / low > 50:  # spans decades
            ax.set_xscale("log")
        ax.set_xlabel(plain(LABELS[column]))
        ax.grid(axis="x", alpha=0.25, lw=0.6)
    axes[0].set_yticks(range(len(rows)), [plain(r.model) for r in rows], fontsize=8)
    axes[0].set_ylim(-0.7, len(rows) - 0.3)
    handles = legend_handles(result.groups, {r.group for r in rows})
    if handles:
        axes[-1].legend(handles=handles, loc="best", fontsize=8)
    fig.suptitle("Speed per model: box = quartiles, line = median, whiskers = 1.5 IQR",
                 fontsize=10)
    return fig


def figures(result: SpeedSection) -> dict[str, Figure]:
    fig = figure(result)
    return {} if fig is None else {"speed_distributions": fig}


def html(result: SpeedSection) -> Markup:
    from papertiger.render.figures import inline_svg

    fig = figure(result)
    palette = colours(result.groups)
    return template(
        "speed.html.j2", title=TITLE, explain=EXPLAIN, header=_header(result),
        rows=_rows(result),
        row_colours=[palette.get(r.group or "", "transparent") for r in result.rows],
        contrasts=contrast_context(result.contrasts, digits=0), notes=list(result.notes),
        svg=inline_svg(fig),
        no_figure="no attempt carries tokens/s, time to first token or end-to-end time",
    )


register(SpeedSection, SectionRenderer(
    title=lambda r: TITLE, terminal=terminal, markdown=markdown, json=to_json, html=html,
    figures=figures,
))

