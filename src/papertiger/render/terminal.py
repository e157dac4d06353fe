"""Rich terminal tables for a Report (the default output of `papertiger report`)."""

from __future__ import annotations

import math

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from papertiger.analysis.results import (
    METRIC_LABELS,
    GroupComparison,
    GroupRow,
    MetricsTable,
    Multiverse,
    Report,
    ShrinkageSection,
    Skipped,
)

SIDES = ("two-sided", "less")

GROUP_STYLES = ("bold red", "bold blue", "bold green", "bold magenta", "bold yellow")


def _num(value: object, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, int | float):
        return f"{value:.{digits}f}".replace("-", "−")
    return escape(str(value))


def _ci(iv: object) -> str:
    low, high = getattr(iv, "low", None), getattr(iv, "high", None)
    if low is None or high is None or low != low:
        return ""
    return f" [{_num(low)}, {_num(high)}]"


def models_table(section: ShrinkageSection, source: str = "") -> Table:
    """Per-model table grouped by group, with group means and the overall row.

    From item-level data the pp fall carries its fixed-forms interval (would a re-run on
    these items differ?) and the verdict it gives; `other items` is the super-population
    interval (would it hold on other items like these?)."""
    table = Table(title=escape(section.title), caption=escape(f"source: {source}") if source else None)
    item_level = any(m.pp_ci_fixed for m in section.models)
    table.add_column("model")
    table.add_column(escape(section.group_by))
    for label in (section.old_label, section.fresh_label, "pp fall", "% fall", "logit fall"):
        table.add_column(escape(label), justify="right")
    if item_level:
        table.add_column("verdict")
        table.add_column("pp, other items", justify="right")
    table.add_column(escape(f"{section.fresh_label} fresh?"))
    for i, g in enumerate(g for g in section.groups if not g.overall):
        style = GROUP_STYLES[i % len(GROUP_STYLES)]
        for r in (m for m in section.models if m.group == g.group):
            extra = [escape(r.verdict or ""), _ci(r.pp_ci).strip()] if item_level else []
            table.add_row(
                escape(r.model),
                escape(r.group),
                _num(r.old),
                _num(r.fresh),
                _num(r.pp_fall) + _ci(r.pp_ci_fixed if item_level else r.pp_ci),
                _num(r.pct_fall) + ("" if item_level else _ci(r.pct_ci)),
                _num(r.logit_fall, 2),
                *extra,
                escape(r.freshness) + _basis(r.freshness_basis),
            )
        blanks = ["", ""] if item_level else []
        table.add_row(*_mean_cells(g, f"{g.group} mean (n = {g.n})"), *blanks, "", style=style, end_section=True)
    overall = [g for g in section.groups if g.overall]
    if overall:
        blanks = ["", ""] if item_level else []
        table.add_row(*_mean_cells(overall[0], f"Overall (n = {overall[0].n})"), *blanks, "", style="bold")
    notes = []
    if item_level:
        notes.append("pp fall [95 % CI, fixed forms: would a re-run on these items differ?]; "
                     "verdict from that interval; pp, other items: super-population 95 % CI "
                     "(items resampled: would it hold on other items like these?)")
    if any(m.freshness_basis and "cutoff" not in m.freshness_basis for m in section.models):
        notes.append("fresh? (cutoff): form released after the stated training cutoff; "
                     "(release*): no cutoff stated, judged by the model's release date (a weaker test)")
    if notes:
        first = [str(table.caption)] if table.caption else []
        table.caption = "\n".join([*first, *map(escape, notes)])
    return table


def _basis(basis: str | None) -> str:
    """A short tag for the terminal: 'cutoff', or 'release*' for the weaker test."""
    if not basis:
        return ""
    return " [dim](cutoff)[/]" if "cutoff" in basis else " [dim](release*)[/]"


def _mean_cells(g: GroupRow, label: str) -> list[str]:
    return [
        escape(label),
        "",
        _num(g.old),
        _num(g.fresh),
        _num(g.pp_fall),
        _num(g.pct_fall),
        _num(g.logit_fall, 2),
    ]


def comparison_view(comp: GroupComparison) -> Group:
    """Effect size, intervals, every test with its sidedness, ANCOVA and power."""
    label = METRIC_LABELS[comp.metric]
    d, bs = comp.difference, comp.bootstrap
    lines = [
        Text.assemble(("Group comparison", "bold"), f" on {label}: {comp.group_a} − {comp.group_b}"),
        Text(
            f"  means {comp.group_a} {_num(comp.mean_a)} (n = {comp.n_a}), "
            f"{comp.group_b} {_num(comp.mean_b)} (n = {comp.n_b}); difference {_num(d.estimate)}"
        ),
        Text(f"  {d.level:.0%} Welch CI [{_num(d.low)}, {_num(d.high)}]; bootstrap CI [{_num(bs.low)}, {_num(bs.high)}] ({bs.method})"),
        Text(f"  Hedges' g {_num(comp.hedges_g, 2)}"),
    ]
    if comp.power is not None:
        need = comp.power.n_per_group_needed
        lines.append(
            Text(
                f"  power of this design {comp.power.power_now:.2f} (α = {comp.power.alpha}); "
                f"models per group for 80 % power: {math.ceil(need) if need else 'n/a'}"
            )
        )
    table = Table(caption=f"one-sided 'less' = {comp.group_a} falls more than {comp.group_b}")
    for name in ("test", "metric", "sidedness", "statistic", "p", "method"):
        table.add_column(name, justify="right" if name in ("statistic", "p") else "left")
    tests = list(comp.tests) + ([comp.ancova] if comp.ancova else [])
    for t in tests:
        side = "two-sided" if t.alternative == "two-sided" else f"one-sided ({t.alternative})"
        table.add_row(escape(t.name), t.metric, side, f"{t.statistic:.3g}", f"{t.p_value:.3f}", escape(t.method))
    return Group(*lines, table)


SHORT_TESTS = {
    "Welch t": "Welch",
    "Student t": "Student",
    "Mann–Whitney U": "MWU",
    "Permutation (difference of means)": "Perm",
    "Permutation of lab means": "Lab perm",
}


def multiverse_table(verse: Multiverse) -> Table:
    """The multiverse as a grid: metric × subset rows, one column per test holding
    'two-sided p / one-sided p'."""
    table = Table(
        title="Multiverse: p-values by metric × subset × test",
        caption="each cell: two-sided p / one-sided p (first group falls more)",
    )
    for name in ("metric", "subset", "n", "diff"):
        table.add_column(name, justify="left" if name in ("metric", "subset") else "right")
    for test in verse.tests:
        table.add_column(escape(SHORT_TESTS.get(test, test)), justify="right", no_wrap=True)
    for r in verse.rows:
        values = [" / ".join(_p(r.p.get((t, side))) for side in SIDES) for t in verse.tests]
        label = escape(r.subset)
        if r.too_few:
            values, label = ["–"] * len(verse.tests), f"{label} [dim](too few models)[/]"
        table.add_row(r.metric, label, f"{r.n_a}/{r.n_b}", _num(r.difference, 2), *values)
    return table


def _p(value: object) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    p = float(str(value))
    return "<.001" if p < 0.001 else f"{p:.3f}".lstrip("0")


def metrics_table(metrics: MetricsTable) -> Table:
    """Item-level metrics per model × form: avg@k with its CI, pass@k, maj@k, errors."""
    table = Table(title="Scores from stored attempts (percent; failed requests excluded)")
    top_k = max((max(r.pass_at) for r in metrics.rows if r.pass_at), default=1)
    extra = [f"pass@{top_k}"] if top_k > 1 else []
    for name in ("model", "form", "items", "k", "errors", "truncated", "flagged", "avg@k [95% CI]", *extra, "maj@k", "mean out tok"):
        table.add_column(escape(name), justify="left" if name in ("model", "form") else "right")
    for r in metrics.rows:
        avg = r.avg
        flagged = sum(v for k, v in r.flagged.items() if k.startswith("grader_"))
        table.add_row(
            escape(r.model),
            escape(r.form),
            str(r.items),
            str(r.samples),
            str(r.errors),
            str(r.truncated),
            str(flagged),
            f"{_num(avg.estimate if avg else None)}{_ci(avg)}",
            *[_num(r.pass_at.get(top_k)) for _ in extra],
            _num(r.maj),
            _num(r.mean_completion_tokens, 0),
        )
    return table


def without_flagged_text(section: ShrinkageSection) -> str:
    """The 'without flagged items' line: group means and the gap, beside all items'."""
    wf = section.without_flagged
    assert wf is not None
    label = METRIC_LABELS.get(wf.metric, wf.metric)
    column = {"pct": "pct_fall", "pp": "pp_fall", "logit": "logit_fall"}[wf.metric]
    means = ", ".join(f"{escape(g.group)} {_num(getattr(g, column))}" for g in wf.groups if not g.overall)
    gap = "" if wf.difference is None else f"; gap {_num(wf.difference)} (all items: {_num(wf.difference_all)})"
    return (f"[bold]without {len(wf.items)} flagged near-duplicate items[/] "
            f"({escape(', '.join(i for _, i in wf.items))}): mean {label} {means}{gap}")


def _skipped(console: Console, item: Skipped) -> None:
    console.print(f"[bold]{escape(item.section)}[/]: [dim]not computed: {escape(item.reason)}[/]")


def print_section(section: ShrinkageSection | Skipped, console: Console, source: str = "") -> None:
    """One pair of forms: models, comparison, multiverse, notes."""
    if isinstance(section, Skipped):
        _skipped(console, section)
        return
    console.print(models_table(section, source))
    if section.without_flagged is not None:
        console.print(without_flagged_text(section))
    console.print()
    if isinstance(section.comparison, GroupComparison):
        console.print(comparison_view(section.comparison))
    else:
        _skipped(console, section.comparison)
    console.print()
    if isinstance(section.multiverse, Multiverse):
        console.print(multiverse_table(section.multiverse))
    else:
        _skipped(console, section.multiverse)
    for note in section.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    console.print()


def print_report(report: Report, console: Console) -> None:
    """Print every part of the report."""
    if report.condition:
        c = report.condition
        forms = " → ".join(f["name"] for f in c.get("forms", []))
        console.print(
            f"[bold]{escape(str(c.get('suite')))}[/] ({escape(forms)}); prompt "
            f"{escape(', '.join(c.get('prompts', [])))}; k = {c.get('samples')}; "
            f"conditions {escape(', '.join(sorted(set(c.get('conditions', {}).values()))))}"
        )
    if isinstance(report.metrics, MetricsTable) and report.metrics.rows:
        console.print(metrics_table(report.metrics))
        console.print()
    for caveat in report.caveats:
        console.print(f"[bold yellow]caveat:[/] {escape(caveat)}")
    for section in report.sections:
        print_section(section, console, report.source)
    if report.extras:
        from papertiger.render.sections import renderer_for

    for extra in report.extras:
        renderer_for(extra).terminal(extra, console)
        console.print()
    for note in report.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
