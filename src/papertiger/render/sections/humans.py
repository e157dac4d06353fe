"""The human baseline and topic mix in every output: human mean and median per form, old
vs fresh for humans, each model's score as a human percentile, the topic mix per form with
its test; figures: the human percentile curve of each form with the models on it, and the
topic shares per form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from markupsafe import Markup
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papertiger.analysis.falls import group_order
from papertiger.analysis.humans import HumanDistribution, TopicMix
from papertiger.analysis.results import Skipped
from papertiger.analysis.sections.humans import HumanForm, HumansSection
from papertiger.render.format import DASH, number, p_value, signed
from papertiger.render.sections import SectionRenderer, register
from papertiger.render.sections.elicitation import (
    finite,
    interval_json,
    md_escape,
    md_table,
    template,
)
from papertiger.render.style import MARKERS, PALETTE, plain

if TYPE_CHECKING:
    from matplotlib.figure import Figure


TITLE = "Human baseline and topic mix: was the fresh form harder?"
FORM_HEADER = ["form", "human data", "students", "mean", "median", "mean % of max"]
PAIR_HEADER = ["old → fresh", "mean % of max", "fresh − old (pp of max) [CI]",
               "p (fresh harder, Welch)", "Cohen's d", "fresh harder?"]
GROUP_HEADER = ["harness", "group", "models", "old percentile", "fresh percentile", "change"]


def explain(result: HumansSection) -> str:
    parts = []
    if result.humans_path:
        parts.append(f"Human score statistics from {result.humans_path}. A model's score on a "
                     "form is placed among the humans who sat it: its human percentile. A model "
                     "whose percentile holds on the fresh form did not fall relative to humans.")
    if result.topics_path:
        parts.append(f"Topics per item from {result.topics_path}; the test asks whether the "
                     "forms share one topic mix (Pearson χ² and a permutation test).")
    return " ".join(parts)


def form_rows(result: HumansSection) -> list[list[str]]:
    return [[f.form, f"{f.competition} ({f.kind})", f"{f.n:,}", f"{number(f.mean, 2)} of {f.max_score:g}",
             number(f.median, 1), number(100 * f.mean_fraction)] for f in result.forms]


def pair_rows(result: HumansSection) -> list[list[str]]:
    names = [f.form for f in result.forms]
    out = []
    for k, c in enumerate(result.comparisons):
        d = c.difference
        old, fresh = (names[k], names[k + 1]) if k + 1 < len(names) else (c.old, c.fresh)
        out.append([f"{old} → {fresh}",
                    f"{number(100 * c.mean_old / _top(result, k))} → "
                    f"{number(100 * c.mean_fresh / _top(result, k + 1))}",
                    f"{signed(100 * d.estimate)} [{signed(100 * d.low)}, {signed(100 * d.high)}]",
                    p_value(c.welch.p_value), number(c.cohens_d, 2),
                    "yes" if c.fresh_harder else "no"])
    return out


def _top(result: HumansSection, index: int) -> float:
    return result.forms[index].max_score if index < len(result.forms) else 1.0


def group_table(result: HumansSection) -> tuple[list[str], list[list[str]]]:
    """Mean percentile per group (and harness, when there are several)."""
    several = any(g.harness for g in result.groups)
    header = GROUP_HEADER if several else GROUP_HEADER[1:]
    rows = [[*([g.harness or DASH] if several else []), g.group, str(g.n), number(g.old),
             number(g.fresh), signed(g.change)] for g in result.groups]
    return header, rows


def model_table(result: HumansSection) -> tuple[list[str], list[list[str]]]:
    """One row per model (and harness): its score and human percentile on each form."""
    forms = [f.form for f in result.forms]
    several = any(p.harness for p in result.percentiles)
    header = ["model", "group", *(["harness"] if several else []),
              *[f"{f}: score → percentile" for f in forms]]
    keyed: dict[tuple[str, str | None], dict[str, str]] = {}
    groups: dict[tuple[str, str | None], str] = {}
    for p in result.percentiles:
        key = (p.model, p.harness)
        keyed.setdefault(key, {})[p.form] = f"{number(p.score)} % → {number(p.percentile)}"
        groups[key] = p.group or DASH
    rows = [[model, groups[(model, harness)], *([harness or DASH] if several else []),
             *[cells.get(f, DASH) for f in forms]]
            for (model, harness), cells in keyed.items()]
    return header, rows


def topic_table(mix: TopicMix) -> tuple[list[str], list[list[str]]]:
    header = ["form", *mix.topics, "items"]
    rows = [[f, *[f"{int(mix.counts[i, j])} ({mix.shares[i, j]:.0%})" for j in range(len(mix.topics))],
             str(int(mix.counts[i].sum()))] for i, f in enumerate(mix.forms)]
    return header, rows


def topic_text(mix: TopicMix) -> str:
    return (f"Same topic mix on every form? Pearson χ² = {number(mix.chi2, 2)} ({mix.dof} df), "
            f"p = {p_value(mix.p_chi2)}; permutation p = {p_value(mix.p_permutation)} "
            f"({mix.n_resamples:,} shuffles of the form labels).")


def all_notes(result: HumansSection) -> list[str]:
    notes = list(result.anchor)
    for c in result.comparisons:
        notes += [n for n in c.notes if n not in notes]
    return notes + [n for n in result.notes if n not in notes]


def terminal(result: HumansSection, console: Console) -> None:
    console.print(f"[bold]{TITLE}[/]")
    console.print(f"[dim]{escape(explain(result))}[/]")
    for title, header, rows in _tables(result):
        table = Table(*(escape(h) for h in header), title=escape(title))
        for row in rows:
            table.add_row(*(escape(v) for v in row))
        console.print(table)
    if isinstance(result.topics, TopicMix):
        console.print(escape(topic_text(result.topics)))
    elif isinstance(result.topics, Skipped):
        console.print(f"[bold]topic mix[/]: [dim]not computed: {escape(result.topics.reason)}[/]")
    for note in all_notes(result):
        console.print(f"[yellow]note:[/] {escape(note)}")


def _tables(result: HumansSection) -> list[tuple[str, list[str], list[list[str]]]]:
    out: list[tuple[str, list[str], list[list[str]]]] = []
    if result.forms:
        out.append(("Humans per form", FORM_HEADER, form_rows(result)))
    if result.comparisons:
        out.append(("Old vs fresh form for humans", PAIR_HEADER, pair_rows(result)))
    if result.groups:
        header, rows = group_table(result)
        out.append(("Mean human percentile per group (models on both forms)", header, rows))
    if result.percentiles:
        header, rows = model_table(result)
        out.append(("Each model's score as a human percentile", header, rows))
    if isinstance(result.topics, TopicMix):
        header, rows = topic_table(result.topics)
        out.append(("Topic mix per form", header, rows))
    return out


def markdown(result: HumansSection) -> str:
    parts = [f"## {TITLE}", "", md_escape(explain(result)), ""]
    for title, header, rows in _tables(result):
        parts += [f"**{md_escape(title)}**", "", md_table(header, rows), ""]
    if isinstance(result.topics, TopicMix):
        parts += [md_escape(topic_text(result.topics)), ""]
    elif isinstance(result.topics, Skipped):
        parts += [f"Topic mix not computed: {md_escape(result.topics.reason)}", ""]
    parts += [f"- {md_escape(n)}" for n in all_notes(result)]
    return "\n".join(parts).rstrip() + "\n"


def _topics_json(topics: TopicMix | Skipped | None) -> dict[str, Any] | None:
    if topics is None:
        return None
    if isinstance(topics, Skipped):
        return {"skipped": topics.reason}
    return {"forms": list(topics.forms), "topics": list(topics.topics),
            "counts": [[int(v) for v in row] for row in topics.counts],
            "shares": [[finite(v) for v in row] for row in topics.shares],
            "chi2": finite(topics.chi2), "dof": topics.dof, "p_chi2": finite(topics.p_chi2),
            "p_permutation": finite(topics.p_permutation), "n_resamples": topics.n_resamples,
            "min_expected": finite(topics.min_expected), "notes": list(topics.notes)}


def to_json(result: HumansSection) -> dict[str, Any]:
    return {
        "humans": result.humans_path, "topics_file": result.topics_path,
        "group_by": result.group_by,
        "forms": [{"form": f.form, "competition": f.competition, "kind": f.kind, "n": f.n,
                   "mean": finite(f.mean), "median": finite(f.median), "sd": finite(f.sd),
                   "max_score": finite(f.max_score), "mean_fraction": finite(f.mean_fraction)}
                  for f in result.forms],
        "comparisons": [{"old": c.old, "fresh": c.fresh, "mean_old": finite(c.mean_old),
                         "mean_fresh": finite(c.mean_fresh), "median_old": finite(c.median_old),
                         "median_fresh": finite(c.median_fresh),
                         "difference": interval_json(c.difference),
                         "p_fresh_harder": finite(c.welch.p_value), "cohens_d": finite(c.cohens_d),
                         "fresh_harder": c.fresh_harder} for c in result.comparisons],
        "percentiles": [{"model": p.model, "group": p.group, "harness": p.harness,
                         "form": p.form, "score": finite(p.score),
                         "human_percentile": finite(p.percentile)} for p in result.percentiles],
        "groups": [{"harness": g.harness, "group": g.group, "n": g.n, "old": finite(g.old),
                    "fresh": finite(g.fresh), "change": finite(g.change)} for g in result.groups],
        "topics": _topics_json(result.topics),
        "anchor": list(result.anchor),
        "notes": all_notes(result),
    }


def _distribution(f: HumanForm) -> HumanDistribution:
    kind: Literal["histogram", "points"] = "histogram" if f.kind == "histogram" else "points"
    return HumanDistribution(f.competition, f.max_score, np.asarray(f.scores),
                             np.asarray(f.counts), kind)


def percentile_figure(result: HumansSection) -> Figure | None:
    """Each form's human percentile curve; models as points on the curve of each form."""
    from matplotlib.lines import Line2D

    from papertiger.render.figures import _new_figure

    if not result.forms:
        return None
    fig = _new_figure(7.0, 5.0)
    ax = fig.add_subplot()
    grid = np.linspace(0.0, 1.0, 201)
    groups = group_order(_frame(result), "group") if result.percentiles else []
    handles = []
    for k, f in enumerate(result.forms):
        dist = _distribution(f)
        ax.plot(100 * grid, [dist.percentile(x) for x in grid], color="0.2", lw=1.3,
                ls=("-", "--", ":", "-.")[k % 4])
        handles.append(Line2D([], [], color="0.2", ls=("-", "--", ":", "-.")[k % 4],
                              label=plain(f"humans, {f.form} (n = {f.n:,})")))
        for i, group in enumerate(groups):
            pts = [p for p in result.percentiles if p.form == f.form and (p.group or "?") == group]
            ax.scatter([p.score for p in pts], [p.percentile for p in pts], s=22, zorder=3,
                       color=PALETTE[i % len(PALETTE)], marker=MARKERS[k % len(MARKERS)],
                       edgecolors="white", linewidths=0.5)
    for i, group in enumerate(groups):
        handles.append(Line2D([], [], color=PALETTE[i % len(PALETTE)], marker="o", lw=0,
                              label=plain(f"models: {group}")))
    for k, f in enumerate(result.forms):
        handles.append(Line2D([], [], color="0.4", marker=MARKERS[k % len(MARKERS)], lw=0,
                              label=plain(f"score on {f.form}")))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("score (% of the form's maximum)")
    ax.set_ylabel("human percentile")
    ax.grid(color="0.92")
    ax.legend(handles=handles, fontsize=7, loc="lower right", framealpha=0.9)
    return fig


def _frame(result: HumansSection) -> Any:
    import pandas as pd

    return pd.DataFrame({"group": [p.group or "?" for p in result.percentiles]})


def topics_figure(result: HumansSection) -> Figure | None:
    """Topic shares per form, one stacked bar each."""
    from papertiger.render.figures import _new_figure

    mix = result.topics
    if not isinstance(mix, TopicMix):
        return None
    fig = _new_figure(7.0, 1.2 + 0.5 * len(mix.forms))
    ax = fig.add_subplot()
    left = np.zeros(len(mix.forms))
    for j, topic in enumerate(mix.topics):
        share = 100 * mix.shares[:, j]
        ax.barh(range(len(mix.forms)), share, left=left, color=PALETTE[j % len(PALETTE)],
                label=plain(topic), edgecolor="white")
        for i, (x, w) in enumerate(zip(left, share, strict=True)):
            if w >= 6:
                ax.text(x + w / 2, i, str(int(mix.counts[i, j])), ha="center", va="center",
                        fontsize=7, color="white")
        left += share
    ax.set_yticks(range(len(mix.forms)), [plain(f) for f in mix.forms])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the form's items (%); numbers are item counts")
    ax.legend(fontsize=7, ncols=min(4, len(mix.topics)), loc="upper center",
              bbox_to_anchor=(0.5, -0.35 if len(mix.forms) < 3 else -0.2))
    return fig


def figures(result: HumansSection) -> dict[str, Figure]:
    out = {}
    for name, make in (("humans_percentiles", percentile_figure), ("topics_mix", topics_figure)):
        fig = make(result)
        if fig is not None:
            out[name] = fig
    return out


def html(result: HumansSection) -> Markup:
    from papertiger.render.figures import inline_svg
    pct, mix = percentile_figure(result), topics_figure(result)
    topics_reason = (result.topics.reason if isinstance(result.topics, Skipped)
                     else "no topic file given (--topics)")
    return template(
        "humans.html.j2", title=TITLE, explain=explain(result), tables=_tables(result),
        pct_svg=inline_svg(pct),
        mix_svg=inline_svg(mix),
        no_pct=("no form of the report has human statistics" if result.humans_path
                else "no human statistics given (--humans)"),
        no_mix=topics_reason,
        topic_text=topic_text(result.topics) if isinstance(result.topics, TopicMix) else None,
        notes=all_notes(result),
    )


register(HumansSection, SectionRenderer(
    title=lambda r: TITLE, terminal=terminal, markdown=markdown, json=to_json, html=html,
    figures=figures))
