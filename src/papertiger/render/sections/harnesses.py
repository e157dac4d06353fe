"""The harnesses section in every output: each harness's group gap side by side, the
random-effects pool (Hartung–Knapp interval, Q, τ², I²), the models shared between
harnesses, each harness's freshness; a forest plot with the pooled diamond."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papertiger.analysis.meta import MetaAnalysis
from papertiger.analysis.sections.harnesses import HarnessRow, HarnessSection
from papertiger.render.format import DASH, interval, number, p_value, signed
from papertiger.render.sections import SectionRenderer, register
from papertiger.render.sections.elicitation import (
    finite,
    interval_json,
    md_escape,
    md_table,
    template,
)
from papertiger.render.style import PALETTE, plain

if TYPE_CHECKING:
    from matplotlib.figure import Figure


TITLE = "Several harnesses: the group gap in each, and pooled"
HEADER = ["harness", "models", "n A / B", "mean A", "mean B", "gap A − B [CI]", "SE",
          "p (Welch)", "weight", "released ≥ fresh form", "no cutoff", "latest release", "as of"]
POOL_HEADER = ["pool", "estimate [Hartung–Knapp CI]", "normal CI", "p (HK)", "τ²", "I²",
               "Q (p)", "k"]
SHARED_HEADER = ["model (canonical)", "harnesses: name", "falls", "spread"]


def explain(result: HarnessSection) -> str:
    fresh = result.fresh_released.isoformat() if result.fresh_released else "unknown"
    return (f"Per harness the gap = mean {result.metric_label} of {result.group_a} − mean of "
            f"{result.group_b} (models are the units; Welch interval, level {result.level:.0%}), "
            "then a random-effects pool (statsmodels combine_effects; Paule–Mandel and "
            "DerSimonian–Laird τ²) with the Hartung–Knapp t interval, the one to read with few "
            f"harnesses. 'released ≥ fresh form' counts models released on or after {fresh}, "
            "which could have seen the fresh form; 'no cutoff': no stated training cutoff.")


def _weights(result: HarnessSection) -> dict[str, float]:
    pool = result.headline
    return dict(zip([r.harness for r in pool.rows], pool.weights, strict=True)) if pool else {}


def rows(result: HarnessSection) -> list[list[str]]:
    weights = _weights(result)
    out = []
    for r in result.rows:
        gap = interval(r.gap) if r.gap else f"{DASH} ({r.reason})"
        out.append([r.harness, str(r.n_models), f"{r.n_a} / {r.n_b}", number(r.mean_a),
                    number(r.mean_b), gap, number(r.se), p_value(r.p_welch),
                    f"{weights[r.harness]:.0%}" if r.harness in weights else DASH,
                    f"{r.released_after} of {r.n_models}", str(r.no_cutoff),
                    r.latest_release or DASH, r.as_of or DASH])
    return out


def pool_rows(result: HarnessSection) -> list[list[str]]:
    return [[p.method, interval(p.hartung_knapp),
             f"[{signed(p.random.low)}, {signed(p.random.high)}]", p_value(p.p_hartung_knapp),
             number(p.tau2, 2), f"{p.i2:.0%}", f"{number(p.q, 2)} ({p_value(p.q_p)})", str(p.k)]
            for p in result.pooled]


def shared_rows(result: HarnessSection) -> list[list[str]]:
    return [[s.canonical, "; ".join(f"{h}: {n}" for h, n in zip(s.harnesses, s.names, strict=True)),
             ", ".join(signed(f) for f in s.falls), number(s.spread)]
            for s in sorted(result.shared, key=lambda s: s.canonical.lower())]


def overlap_text(result: HarnessSection) -> list[str]:
    """'AA and Vals share 9 models', one line per pair; and what is in one harness only."""
    names = [r.harness for r in result.rows]
    lines = []
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            shared = result.overlap[i][j]
            lines.append(f"{a} and {names[j]} share {shared} model{'' if shared == 1 else 's'}")
    lines += [f"{r.harness}: {r.only_here} of {r.n_models} models in no other harness"
              for r in result.rows]
    return lines


def _row_notes(row: HarnessRow) -> list[str]:
    return ([f"{row.harness}: {row.self_reports} rows are developers' self-reports "
             "(source_kind), not harness runs"] if row.self_reports else [])


def all_notes(result: HarnessSection) -> list[str]:
    out = [n for r in result.rows for n in _row_notes(r)]
    if result.pooled_reason:
        out.append(f"no pool: {result.pooled_reason}")
    return out + list(result.notes)


def terminal(result: HarnessSection, console: Console) -> None:
    console.print(f"[bold]{TITLE}[/]")
    console.print(f"[dim]{escape(explain(result))}[/]")
    table = Table(*(escape(h) for h in HEADER), title=escape(
        f"{result.metric_label}: {result.group_a} − {result.group_b}, per harness"))
    for row in rows(result):
        table.add_row(*(escape(v) for v in row))
    console.print(table)
    if result.pooled:
        pool = Table(*(escape(h) for h in POOL_HEADER), title="Pooled (random effects)")
        for row in pool_rows(result):
            pool.add_row(*(escape(v) for v in row))
        console.print(pool)
    if result.shared:
        shared = Table(*(escape(h) for h in SHARED_HEADER), title="Models in several harnesses")
        for row in shared_rows(result):
            shared.add_row(*(escape(v) for v in row))
        console.print(shared)
    for line in overlap_text(result):
        console.print(f"[dim]{escape(line)}[/]")
    for note in all_notes(result):
        console.print(f"[yellow]note:[/] {escape(note)}")


def markdown(result: HarnessSection) -> str:
    parts = [f"## {TITLE}", "", md_escape(explain(result)), "", md_table(HEADER, rows(result)), ""]
    if result.pooled:
        parts += ["**Pooled (random effects)**", "", md_table(POOL_HEADER, pool_rows(result)), ""]
    if result.shared:
        parts += ["**Models in several harnesses**", "",
                  md_table(SHARED_HEADER, shared_rows(result)), ""]
    parts += [f"- {md_escape(n)}" for n in overlap_text(result) + all_notes(result)]
    return "\n".join(parts).rstrip() + "\n"


def _pool_json(p: MetaAnalysis) -> dict[str, Any]:
    return {"method": p.method, "k": p.k, "estimate": finite(p.random.estimate),
            "hartung_knapp": interval_json(p.hartung_knapp), "random": interval_json(p.random),
            "fixed": interval_json(p.fixed), "se_random": finite(p.se_random),
            "se_hartung_knapp": finite(p.se_hartung_knapp), "p_random": finite(p.p_random),
            "p_hartung_knapp": finite(p.p_hartung_knapp), "q": finite(p.q), "q_p": finite(p.q_p),
            "tau2": finite(p.tau2), "i2": finite(p.i2),
            "weights": {r.harness: finite(w) for r, w in zip(p.rows, p.weights, strict=True)},
            "notes": list(p.notes)}


def to_json(result: HarnessSection) -> dict[str, Any]:
    return {
        "metric": result.metric, "group_by": result.group_by, "group_a": result.group_a,
        "group_b": result.group_b, "level": result.level,
        "fresh_released": result.fresh_released.isoformat() if result.fresh_released else None,
        "harnesses": [{
            "harness": r.harness, "source": r.source, "old_label": r.old_label,
            "fresh_label": r.fresh_label, "n_models": r.n_models, "n_a": r.n_a, "n_b": r.n_b,
            "mean_a": finite(r.mean_a), "mean_b": finite(r.mean_b), "gap": interval_json(r.gap),
            "se": finite(r.se), "p_welch": finite(r.p_welch), "reason": r.reason,
            "released_after_fresh": r.released_after, "no_release_date": r.no_release,
            "no_cutoff": r.no_cutoff, "latest_release": r.latest_release, "as_of": r.as_of,
            "self_reports": r.self_reports, "shared": r.shared, "only_here": r.only_here,
        } for r in result.rows],
        "pooled": [_pool_json(p) for p in result.pooled],
        "pooled_reason": result.pooled_reason,
        "shared": [{"canonical": s.canonical, "harnesses": list(s.harnesses),
                    "names": list(s.names), "falls": [finite(f) for f in s.falls],
                    "spread": finite(s.spread)} for s in result.shared],
        "overlap": [list(r) for r in result.overlap],
        "notes": all_notes(result),
    }


def forest(result: HarnessSection) -> Figure | None:
    """One row per harness (gap and CI, square sized by weight), the pooled diamonds."""
    from matplotlib.patches import Polygon

    from papertiger.render.figures import _new_figure

    drawn = [r for r in result.rows if r.gap is not None]
    if not drawn:
        return None
    weights = _weights(result)
    n = len(drawn) + len(result.pooled)
    fig = _new_figure(7.0, 1.3 + 0.42 * n)
    ax = fig.add_subplot()
    labels = []
    for y, r in enumerate(drawn):
        assert r.gap is not None
        ax.plot([r.gap.low, r.gap.high], [y, y], color="0.25", lw=1.2)
        ax.scatter([r.gap.estimate], [y], marker="s", color=PALETTE[1], zorder=3,
                   s=25 + 160 * weights.get(r.harness, 0.3))
        labels.append(plain(f"{r.harness} (n = {r.n_a} / {r.n_b})"))
    for k, pool in enumerate(result.pooled):
        y = len(drawn) + k
        hk = pool.hartung_knapp
        ax.add_patch(Polygon([(hk.low, y), (hk.estimate, y - 0.28), (hk.high, y),
                              (hk.estimate, y + 0.28)], closed=True,
                             color=PALETTE[0] if k == 0 else "0.55", zorder=3))
        labels.append(plain(f"pooled, {pool.method} (HK)"))
    ax.axvline(0.0, color="0.5", ls="--", lw=1)
    ax.set_yticks(range(n), labels)
    ax.set_ylim(n - 0.5, -0.7)
    ax.set_xlabel(plain(f"gap in {result.metric_label}: {result.group_a} − {result.group_b} "
                        f"({result.level:.0%} CI)"))
    ax.grid(axis="x", color="0.92")
    ax.set_axisbelow(True)
    return fig


def figures(result: HarnessSection) -> dict[str, Figure]:
    fig = forest(result)
    return {"harnesses_forest": fig} if fig is not None else {}


def html(result: HarnessSection) -> Markup:
    from papertiger.render.figures import inline_svg
    fig = forest(result)
    svg = inline_svg(fig)
    return template(
        "harnesses.html.j2", title=TITLE, explain=explain(result), header=HEADER,
        rows=rows(result), pool_header=POOL_HEADER, pool_rows=pool_rows(result),
        shared_header=SHARED_HEADER, shared_rows=shared_rows(result),
        overlap=overlap_text(result), notes=all_notes(result), svg=svg,
        no_figure="no harness has a gap to draw (each needs 2 models per group)",
        caption=(f"Forest plot: each harness's gap ({result.group_a} − {result.group_b}, "
                 f"{result.metric_label}) with its {result.level:.0%} Welch interval, squares "
                 "sized by random-effects weight; diamonds: the pooled estimate with its "
                 "Hartung–Knapp interval (Paule–Mandel in colour, DerSimonian–Laird grey)."),
    )


register(HarnessSection, SectionRenderer(
    title=lambda r: TITLE, terminal=terminal, markdown=markdown, json=to_json, html=html,
    figures=figures))
