"""One self-contained, offline HTML file for a shrinkage report (inline CSS and SVG, no JS).

Everything from data goes through jinja2 autoescaping; only the SVG that matplotlib wrote
(which escapes its own text) is marked safe. A Content-Security-Policy forbids scripts and
network loads as a second line of defence.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from papertiger.analysis.results import (
    METRIC_COLUMNS,
    METRIC_LABELS,
    GroupComparison,
    GroupRow,
    PowerResult,
    Report,
    ShrinkageSection,
    Skipped,
    TestResult,
)
from papertiger.render.figures import (
    fall_bars,
    figure_svg,
    group_colors,
    group_order,
    model_frame,
    scatter_old_fresh,
)
from papertiger.render.format import DASH, interval, number, p_value, sidedness, signed
from papertiger.render.html_tables import ALPHA, DIGITS, metrics_table, multiverse_cells

TEMPLATE = "report.html.j2"
ORDER = ("pp", "pct", "logit")


@dataclass
class Column:
    """A table column: header, the frame column(s) it shows, how to format them."""

    header: str
    keys: tuple[str, ...]
    kind: str = "num"  # num | signed | ci | text
    digits: int = 1
    primary: bool = False


@dataclass
class Row:
    """One table row, cells already formatted as text."""

    kind: str  # model | mean | overall
    cells: list[str]
    group: int = -1
    label: str = ""


def model_columns(section: ShrinkageSection) -> list[Column]:
    """Columns of the per-model table. A fall's intervals sit under its value in the same
    cell (re-run: fixed forms; other items: super-population), so the table stays narrow."""
    columns = [
        Column("Model", ("model",), "text"),
        Column(section.group_by.capitalize(), ("group",), "text"),
        Column(str(section.old_label), ("old",)),
        Column(str(section.fresh_label), ("fresh",)),
    ]
    for metric in ORDER:
        column = METRIC_COLUMNS[metric]
        keys: tuple[str, ...] = (column,)
        if metric in ("pp", "pct"):
            keys += tuple(f"{column}{k}_{e}" for k in ("_fixed", "") for e in ("low", "high"))
        columns.append(Column(METRIC_LABELS[metric], keys, "fall", DIGITS[metric],
                              primary=metric == section.metric))
    if any(m.verdict for m in section.models):
        columns.append(Column("Verdict (re-run)", ("verdict",), "text"))
    columns.append(Column(f"{section.fresh_label} fresh?", ("freshness_label",), "text"))
    return columns


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _cell(row: pd.Series, column: Column) -> str:
    values = [row.get(key) for key in column.keys]
    if column.kind == "text":
        return "" if _missing(values[0]) else str(values[0])
    if column.kind == "fall":
        main = signed(values[0], column.digits)
        extra = []
        pairs = (values[1:3], values[3:5]) if len(values) == 5 else ()
        for (low, high), label in zip(pairs, ("re-run", "other items"), strict=False):
            if not (_missing(low) or _missing(high)):
                extra.append(Markup('<span class="ci">[{}, {}] {}</span>').format(
                    signed(low, column.digits), signed(high, column.digits), label))
        return Markup("{}{}").format(main, Markup("").join(extra)) if extra else main
    if column.kind == "signed":
        return signed(values[0], column.digits)
    return number(values[0], column.digits)


def _mean_row(g: GroupRow, columns: list[Column], kind: str, label: str, group: int) -> Row:
    values = pd.Series({"old": g.old, "fresh": g.fresh, "pp_fall": g.pp_fall,
                        "pct_fall": g.pct_fall, "logit_fall": g.logit_fall})
    cells = []
    for column in columns[2:]:
        present = column.keys[0] in values.index and column.kind != "text"
        cells.append(_cell(values, column) if present else "")
    return Row(kind, cells, group, f"{label} (n = {g.n})")


def freshness_label(verdict: str, basis: str | None) -> str:
    """'fresh (training cutoff)', 'not fresh (release date (weaker))', 'unknown'."""
    return verdict if basis is None else f"{verdict} ({basis})"


def model_rows(section: ShrinkageSection, columns: list[Column]) -> list[Row]:
    """Model rows grouped by group, each group closed by its mean row, then the overall row."""
    order = group_order(section)
    frame = model_frame(section)
    if not frame.empty:
        frame["freshness_label"] = [
            freshness_label(m.freshness, m.freshness_basis) for m in section.models
        ]
    rows: list[Row] = []
    means = {g.group: g for g in section.groups if not g.overall}
    for index, group in enumerate(order):
        members = frame[frame["group"].astype(str) == group] if not frame.empty else frame
        rows.extend(
            Row("model", [_cell(r, c) for c in columns], index) for _, r in members.iterrows()
        )
        if group in means:
            rows.append(_mean_row(means[group], columns, "mean", f"{group} mean", index))
    overall = [g for g in section.groups if g.overall]
    if overall:
        rows.append(_mean_row(overall[0], columns, "overall", "Overall mean", -1))
    return rows


def _test_row(test: TestResult, comparison: GroupComparison, alpha: float = ALPHA) -> dict[str, Any]:
    return {
        "sig": test.p_value is not None and test.p_value < alpha,
        "name": test.name,
        "metric": METRIC_LABELS.get(test.metric, test.metric),
        "sided": sidedness(test.alternative, comparison.group_a, comparison.group_b),
        "statistic": number(test.statistic, 2),
        "p": p_value(test.p_value),
        "n": f"{test.n_a} / {test.n_b}" if test.n_a or test.n_b else DASH,
        "method": test.method,
    }


def _summary(c: GroupComparison) -> list[tuple[str, str, str]]:
    """(quantity, value, how computed) rows: means, difference, intervals, g, ANCOVA, power."""
    label, digits = METRIC_LABELS.get(c.metric, c.metric), DIGITS.get(c.metric, 2)
    mean = "plain mean over models"
    rows = [
        (f"Mean {label}, {c.group_a} (n = {c.n_a})", signed(c.mean_a, digits), mean),
        (f"Mean {label}, {c.group_b} (n = {c.n_b})", signed(c.mean_b, digits), mean),
        (
            f"Difference of means ({c.group_a} \u2212 {c.group_b})",
            interval(c.difference, digits),
            c.difference.method,
        ),
        (
            "Bootstrap interval for the difference",
            interval(c.bootstrap, digits),
            c.bootstrap.method,
        ),
        ("Hedges' g", number(c.hedges_g, 2), "standardised difference, small-sample corrected"),
    ]
    if c.ancova_effect is not None:
        effect = c.ancova_effect
        rows.append(("ANCOVA adjusted difference", interval(effect, digits), effect.method))
    if c.power is not None:
        rows.extend(_power_rows(c.power))
    return rows


def _power_rows(pw: PowerResult) -> list[tuple[str, str, str]]:
    needed = DASH if pw.n_per_group_needed is None else str(math.ceil(pw.n_per_group_needed))
    how = f"effect size {number(pw.effect_size, 2)}, \u03b1 = {pw.alpha:g}"
    how = f"{how}; {pw.method}" if pw.method else how
    return [
        ("Power of this comparison", number(pw.power_now, 2), how),
        (f"Models per group for {pw.target_power:.0%} power", needed, how),
    ]


def comparison_context(c: GroupComparison | Skipped) -> dict[str, Any]:
    """Template data for the group comparison, or the reason there is none."""
    if isinstance(c, Skipped):
        return {"skipped": c.reason}
    tests = [_test_row(t, c) for t in c.tests]
    if c.ancova is not None:
        tests.append(
            _test_row(c.ancova, c)
            | {
                "name": f"{c.ancova.name} (ANCOVA)"
                if "ancova" not in c.ancova.name.lower()
                else c.ancova.name
            }
        )
    return {
        "skipped": None,
        "group_a": c.group_a,
        "group_b": c.group_b,
        "group_by": c.group_by,
        "metric": METRIC_LABELS.get(c.metric, c.metric),
        "summary": _summary(c),
        "tests": tests,
        "notes": list(c.notes),
    }


def section_context(section: ShrinkageSection | Skipped, index: int) -> dict[str, Any]:
    """Template data for one pair of forms."""
    if isinstance(section, Skipped):
        return {"skipped": section.reason, "title": section.section, "index": index}
    columns = model_columns(section)
    colours = group_colors(section)
    comparison = section.comparison
    names = section.group_names
    pair = ((comparison.group_a, comparison.group_b) if isinstance(comparison, GroupComparison)
            else (names[0] if names else "", names[1] if len(names) > 1 else ""))
    return {
        "skipped": None,
        "index": index,
        "section": section,
        "title": f"{section.old_label} \u2192 {section.fresh_label}",
        "metric_label": METRIC_LABELS.get(section.metric, section.metric),
        "columns": columns,
        "rows": model_rows(section, columns),
        "groups": list(colours.items()),
        "comparison": comparison_context(comparison),
        "multiverse": multiverse_cells(section.multiverse),
        "pair": pair,
        "figures": _figures(section),
        "notes": list(section.notes),
        "without_flagged": _without_flagged(section),
    }


def _figures(section: ShrinkageSection) -> list[tuple[Markup | None, str]]:
    """Both figures, or for each one without data the reason instead of an empty axis."""
    if not section.models:
        return [(None, "No figures: no model has scores on both forms.")]
    out: list[tuple[Markup | None, str]] = [(
        Markup(figure_svg(scatter_old_fresh(section))),  # noqa: S704 - matplotlib escapes SVG text
        f"{section.old_label} score against {section.fresh_label} score, one point per model. "
        "Points below the dashed y = x line fell on the later form.",
    )]
    if any(math.isfinite(m.pct_fall) for m in section.models):
        out.append((
            Markup(figure_svg(fall_bars(section))),  # noqa: S704
            f"% fall per model ({section.fresh_label} vs {section.old_label}; negative = drop), "
            f"sorted; dashed lines are {section.group_by} means.",
        ))
    else:
        out.append((None, "No % fall figure: every model scored 0 on the earlier form, so % fall is undefined."))
    return out


def _without_flagged(section: ShrinkageSection) -> dict[str, Any] | None:
    wf = section.without_flagged
    if wf is None:
        return None
    column = METRIC_COLUMNS[wf.metric]
    return {
        "items": ", ".join(i for _, i in wf.items),
        "n": len(wf.items),
        "metric": METRIC_LABELS[wf.metric],
        "groups": [(g.group, g.n, signed(getattr(g, column), DIGITS[wf.metric])) for g in wf.groups],
        "gap": signed(wf.difference, DIGITS[wf.metric]),
        "gap_all": signed(wf.difference_all, DIGITS[wf.metric]),
    }


def context(report: Report) -> dict[str, Any]:
    """Everything the template needs, formatted."""
    sections = [section_context(s, i) for i, s in enumerate(report.sections)]
    palette: dict[str, str] = {}
    for s in report.shrinkage:
        for name, colour in group_colors(s).items():
            palette.setdefault(name, colour)
    from papertiger.render.sections import renderer_for

    extras = [renderer_for(x).html(x) for x in report.extras]
    return {
        "report": report,
        "provenance": provenance_rows(report),
        "sections": sections,
        "palette": list(palette.items()),
        "metrics": metrics_table(report.metrics),
        "condition": dict(report.condition),
        "caveats": list(report.caveats),
        "extras": extras,
        "notes": list(report.notes),
    }


def provenance_rows(report: Report) -> list[tuple[str, str]]:
    """What produced the report, for its header: version, date, command, and for a store
    the suite and forms, prompt, samples, sampling and grader."""
    p, c = dict(report.provenance), dict(report.condition)
    rows = [("papertiger", str(p["version"])) if p.get("version") else None,
            ("Generated", str(p["generated"])) if p.get("generated") else None,
            ("Command", str(p["command"])) if p.get("command") else None]
    if c:
        forms = " → ".join(f"{f['name']} ({f['released'] or 'date unknown'})" for f in c.get("forms", []))
        rows += [
            ("Suite and forms", f"{c.get('suite')}: {forms}"),
            ("Prompt", ", ".join(c.get("prompts", []))),
            ("Samples per item", str(c.get("samples"))),
            ("Sampling", "; ".join(f"{k}: {json.dumps(v, sort_keys=True)}" for k, v in c.get("sampling", {}).items())),
            ("Grader", ", ".join(c.get("graders", [])) or DASH),
        ]
    return [r for r in rows if r is not None]


def environment() -> Environment:
    """The jinja2 environment: package templates, autoescaping on for every template."""
    return Environment(
        loader=PackageLoader("papertiger", "render/templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: Report) -> str:
    """The whole report as one self-contained HTML document."""
    return environment().get_template(TEMPLATE).render(**context(report))


def write_html(report: Report, path: str | Path) -> Path:
    """Write `render_html(report)` to `path` (UTF-8), creating parent folders; return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    return path
