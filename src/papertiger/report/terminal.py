"""Rich terminal tables for a ShrinkageReport (the default output of `papertiger report`)."""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from papertiger.analysis.results import METRIC_LABELS, GroupComparison, ShrinkageReport
from papertiger.report.grid import SIDES, multiverse_grid

GROUP_STYLES = ("bold red", "bold blue", "bold green", "bold magenta", "bold yellow")


def _num(value: object, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, int | float):
        return f"{value:.{digits}f}".replace("-", "−")
    return escape(str(value))


def _ci(row: pd.Series, column: str) -> str:
    low, high = row.get(f"{column}_low"), row.get(f"{column}_high")
    if low is None or high is None or low != low:
        return ""
    return f" [{_num(low)}, {_num(high)}]"


def models_table(report: ShrinkageReport) -> Table:
    """Per-model table grouped by group, with group means and the overall row."""
    table = Table(title=escape(report.title), caption=escape(f"source: {report.source}"))
    table.add_column("model")
    for label in (report.old_label, report.fresh_label, "pp fall", "% fall", "logit fall"):
        table.add_column(escape(label), justify="right")
    styles = {}
    for i, (_, g) in enumerate(report.groups.iterrows()):
        name = str(g["group"])
        if name == "Overall":
            continue
        styles[name] = GROUP_STYLES[i % len(GROUP_STYLES)]
        members = report.models[report.models[report.group_by].astype(str) == name]
        for _, r in members.iterrows():
            table.add_row(
                escape(str(r["model"])),
                _num(r["old"]),
                _num(r["fresh"]),
                _num(r["pp_fall"]) + _ci(r, "pp_fall"),
                _num(r["pct_fall"]) + _ci(r, "pct_fall"),
                _num(r["logit_fall"], 2),
            )
        table.add_row(*_mean_cells(g, f"{name} mean (n = {int(g['n'])})"), style=styles[name], end_section=True)
    overall = report.groups.iloc[-1]
    table.add_row(*_mean_cells(overall, f"Overall (n = {int(overall['n'])})"), style="bold")
    return table


def _mean_cells(g: pd.Series, label: str) -> list[str]:
    return [
        escape(label),
        _num(g["old"]),
        _num(g["fresh"]),
        _num(g["pp_fall"]),
        _num(g["pct_fall"]),
        _num(g["logit_fall"], 2),
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


def multiverse_table(report: ShrinkageReport) -> Table:
    """The multiverse as a grid: metric × subset rows, one column per test holding
    'two-sided p / one-sided p'."""
    grid = multiverse_grid(report.multiverse)
    table = Table(
        title="Multiverse: p-values by metric × subset × test",
        caption="each cell: two-sided p / one-sided p (first group falls more)",
    )
    for name in ("metric", "subset", "n", "diff"):
        table.add_column(name, justify="left" if name in ("metric", "subset") else "right")
    for test in grid.tests:
        table.add_column(escape(SHORT_TESTS.get(test, test)), justify="right", no_wrap=True)
    for r in grid.rows:
        values = [" / ".join(_p(r.p.get((t, side))) for side in SIDES) for t in grid.tests]
        label = escape(r.subset)
        if r.too_few:
            values, label = ["–"] * len(grid.tests), f"{label} [dim](too few models)[/]"
        table.add_row(r.metric, label, f"{r.n_a}/{r.n_b}", _num(r.difference, 2), *values)
    return table


def _p(value: object) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    p = float(str(value))
    return "<.001" if p < 0.001 else f"{p:.3f}".lstrip("0")


def metrics_table(metrics: pd.DataFrame) -> Table:
    """Item-level metrics per model × set: avg@k with its CI, pass@k, maj@k, errors."""
    table = Table(title="Scores from stored attempts (percent; failed requests excluded)")
    passes = [c for c in metrics.columns if c.startswith("pass@") and c != "pass@1"]
    majs = [c for c in metrics.columns if c.startswith("maj@")]
    extra = ([passes[-1]] if passes else []) + majs[-1:]
    for name in ("model", "set", "items", "k", "errors", "truncated", "avg@k [95% CI]", *extra, "mean out tok"):
        table.add_column(escape(name), justify="left" if name in ("model", "set") else "right")
    for _, row in metrics.iterrows():
        table.add_row(
            escape(str(row["model"])),
            escape(f"{row['benchmark']} ({row['role']})"),
            str(row["items"]),
            str(row["samples_min"]),
            str(row["errors"]),
            str(row["truncated"]),
            f"{_num(row.get('avg_at_k'))} [{_num(row.get('avg_low'))}, {_num(row.get('avg_high'))}]",
            *[_num(row.get(c)) for c in extra],
            _num(row.get("mean_completion_tokens"), 0),
        )
    return table


def print_report(report: ShrinkageReport, console: Console) -> None:
    """Print every part of the report."""
    if report.metrics is not None and not report.metrics.empty:
        console.print(metrics_table(report.metrics))
        console.print()
    console.print(models_table(report))
    console.print()
    if report.comparison is not None:
        console.print(comparison_view(report.comparison))
        console.print()
    if not report.multiverse.empty:
        console.print(multiverse_table(report))
    for note in report.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
