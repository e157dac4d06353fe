"""Render an AdoptionReport: rich tables, CSV, JSON, the share-over-time figure, HTML.

The HTML page is one self-contained file like the main report: inline CSS and SVG, no
scripts (a Content-Security-Policy forbids them), everything from data autoescaped.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papertiger.adoption import AdoptionReport
from papertiger.errors import ConfigError
from papertiger.render.figures import PALETTE, figure_svg, plain
from papertiger.render.html import environment

TEMPLATE = "adoption.html.j2"
JSON_SCHEMA_VERSION = 1
DASH = "\u2014"
_STYLES = ("-", "--", "-.", ":")


def percent(value: float, digits: int = 1) -> str:
    """A share (0-1) as '12.3%'; a dash when undefined."""
    return DASH if not math.isfinite(value) else f"{100 * value:.{digits}f}%"


def share_cell(share: float, low: float, high: float) -> str:
    """'12.3% [10.1, 14.8]': the share and its interval, in percent."""
    if not math.isfinite(share):
        return DASH
    return f"{100 * share:.1f}% [{100 * low:.1f}, {100 * high:.1f}]"


def ratio_cell(ratio: float, low: float, high: float) -> str:
    """'1.84 [1.52, 2.23]'; '∞' where the second family has no mentions."""
    if not math.isfinite(ratio) and ratio != math.inf:
        return DASH
    return f"{_ratio(ratio)} [{_ratio(low)}, {_ratio(high)}]"


def _ratio(value: float) -> str:
    return "\u221e" if value == math.inf else f"{value:.2f}"


def _wide(report: AdoptionReport) -> pd.DataFrame:
    """One row per month: papers, then mentions/share/low/high per family, then the pair."""
    frame = report.months
    wide = frame.drop_duplicates("month")[["month", "papers"]].reset_index(drop=True)
    for family in report.families:
        part = frame[frame["family"] == family.name].reset_index(drop=True)
        for column in ("mentions", "share", "share_low", "share_high"):
            wide[f"{family.name}_{column}"] = part[column].to_numpy()
    if report.pair is not None:
        for column in ("both", "ratio", "ratio_low", "ratio_high", "leader"):
            wide[column] = report.pair[column].to_numpy()
    return wide


def to_csv(report: AdoptionReport) -> str:
    """CSV, one row per month (shares as fractions, intervals at the report's level)."""
    buffer = io.StringIO()
    _wide(report).to_csv(buffer, index=False, float_format="%.6g", lineterminator="\n")
    return buffer.getvalue()


def _clean(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity
    return value


def to_json(report: AdoptionReport) -> str:
    """JSON: scope, families with their terms, the rule, the lead, and one entry per month."""
    lead = report.lead
    months = [
        {key: _clean(value) for key, value in row.items()}
        for row in _wide(report).to_dict("records")
    ]
    payload = {
        "schema_version": JSON_SCHEMA_VERSION,
        "title": report.title,
        "source": report.source,
        "categories": list(report.categories),
        "primary_only": report.primary_only,
        "records": report.records,
        "in_scope": report.in_scope,
        "malformed": report.malformed,
        "level": report.level,
        "families": [
            {"name": f.name, "lab": f.lab, "origin": f.origin, "terms": list(f.terms)}
            for f in report.families
        ],
        "compare": list(report.compare) if report.compare else None,
        "rule": report.rule,
        "lead": None
        if lead is None
        else {
            "leader": lead.leader,
            "trailer": lead.trailer,
            "since": lead.since,
            "months": lead.months,
            "settled": lead.settled,
            "trailer_last_ahead": lead.trailer_last_ahead,
            "sentence": lead.sentence(),
        },
        "months": months,
        "notes": list(report.notes),
        "problems": list(report.problems),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def lead_text(report: AdoptionReport) -> str:
    """The lead in one sentence, or why there is none."""
    if report.compare is None:
        return "Only one family: nothing to compare."
    if report.lead is None:
        a, b = report.compare
        return f"Neither {a} nor {b} is ahead in the last month of the series."
    return report.lead.sentence()


def print_adoption(report: AdoptionReport, console: Console) -> None:
    """The monthly table (the compared pair in full, other families' shares), lead, notes."""
    table = Table(title=escape(report.title), caption=escape(f"source: {report.source}"))
    table.add_column("month")
    table.add_column("papers", justify="right")
    pair = report.pair
    if pair is not None and report.compare is not None:
        a, b = report.compare
        for name in (a, b):
            table.add_column(escape(f"{name} n"), justify="right")
            table.add_column(escape(f"{name} share [{report.level:.0%} CI]"), justify="right")
        table.add_column("both", justify="right")
        table.add_column(escape(f"{a}/{b} [CI]"), justify="right")
        table.add_column("ahead")
    others = [f.name for f in report.families if not report.compare or f.name not in report.compare]
    for name in others:
        table.add_column(escape(f"{name} %"), justify="right")
    for row in _wide(report).to_dict("records"):
        cells = [str(row["month"]), f"{row['papers']:,}"]
        if pair is not None and report.compare is not None:
            for name in report.compare:
                cells.append(f"{row[f'{name}_mentions']:,}")
                cells.append(
                    share_cell(
                        row[f"{name}_share"], row[f"{name}_share_low"], row[f"{name}_share_high"]
                    )
                )
            cells += [
                f"{row['both']:,}",
                ratio_cell(row["ratio"], row["ratio_low"], row["ratio_high"]),
                escape(row["leader"]),
            ]
        cells += [percent(row[f"{name}_share"]) for name in others]
        table.add_row(*cells)
    console.print(table)
    console.print(f"[bold]{escape(lead_text(report))}[/]")
    console.print(escape(f"Rule: {report.rule}"), style="dim")
    scope = f"{report.in_scope:,} of {report.records:,} records in scope"
    console.print(escape(f"{scope}; " + " ".join(report.notes)), style="dim")


def share_figure(report: AdoptionReport) -> Figure:
    """Share of in-scope papers naming each family per month (bands: Wilson intervals);
    below it, when two families are compared, their mention ratio on a log scale."""
    fig = Figure(figsize=(8.0, 6.4 if report.pair is not None else 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2 if report.pair is not None else 1, 1, sharex=True, squeeze=False)[:, 0]
    _shares(axes[0], report)
    if report.pair is not None:
        _ratio_panel(axes[1], report)
    axes[-1].set_xlabel("month of first version")
    return fig


def _dates(months: pd.Series) -> np.ndarray:
    return np.array([np.datetime64(f"{m}-01") for m in months])


def _shares(ax: Axes, report: AdoptionReport) -> None:
    """One line per family; interval bands only for the compared pair (or a few families),
    since a dozen overlapping bands near zero hide everything."""
    banded = (
        set(report.compare or ()) if len(report.families) > 3 else {f.name for f in report.families}
    )
    for i, family in enumerate(report.families):
        part = report.months[report.months["family"] == family.name]
        x, colour = _dates(part["month"]), PALETTE[i % len(PALETTE)]
        style = _STYLES[(i // len(PALETTE)) % len(_STYLES)]
        if family.name in banded:
            low, high = 100 * part["share_low"], 100 * part["share_high"]
            ax.fill_between(x, low, high, color=colour, alpha=0.15, lw=0)
        width = 1.8 if family.name in banded else 1.1
        ax.plot(x, 100 * part["share"], color=colour, ls=style, lw=width, label=plain(family.name))
    ax.set_ylabel("papers naming the family (%)")
    ax.set_ylim(bottom=0)
    scope = ", ".join(report.categories)
    ax.set_title(plain(f"Share of arXiv {scope} papers naming each model family"), fontsize=11)
    ax.grid(alpha=0.25, lw=0.6)
    if len(report.families) > 4:  # beside the plot, not over the lines
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), framealpha=0.9)
    else:
        ax.legend(fontsize=8, loc="upper left", framealpha=0.9)


def _log_label(value: float, _: object) -> str:
    """Label 1, 2, 5 × 10^k on a log axis; leave the other minor ticks bare."""
    if value <= 0:
        return ""
    mantissa = round(value / 10 ** math.floor(math.log10(value)), 6)
    return f"{value:g}" if mantissa in (1.0, 2.0, 5.0) else ""


def _ratio_panel(ax: Axes, report: AdoptionReport) -> None:
    assert report.pair is not None and report.compare is not None
    pair = report.pair
    a, b = report.compare
    ok = np.isfinite(pair["ratio"].to_numpy(dtype=float)) & (pair["ratio"] > 0).to_numpy()
    x = _dates(pair["month"])[ok]
    low = pair["ratio_low"].to_numpy(dtype=float)[ok]
    high = np.minimum(pair["ratio_high"].to_numpy(dtype=float)[ok], 1e6)
    ax.fill_between(x, np.maximum(low, 1e-6), high, color="0.5", alpha=0.2, lw=0)
    ax.plot(
        x, pair["ratio"].to_numpy(dtype=float)[ok], color="0.15", lw=1.5, label=plain(f"{a} / {b}")
    )
    ax.axhline(1, color="0.3", lw=0.9, ls="--")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(_log_label))
    ax.yaxis.set_minor_formatter(FuncFormatter(_log_label))
    ax.tick_params(axis="y", which="minor", labelsize=8)
    ax.set_ylabel(plain(f"mentions, {a} / {b}"))
    if report.lead is not None:
        names = [f.name for f in report.families]
        colour = PALETTE[names.index(report.lead.leader) % len(PALETTE)]
        since = float(mdates.date2num(np.datetime64(f"{report.lead.since}-01")))
        ax.axvline(since, color=colour, lw=1, ls=":")
        ax.annotate(
            plain(f"{report.lead.leader} ahead since {report.lead.since}"),
            (since, 1),
            xytext=(4, 6),
            textcoords="offset points",
            fontsize=8,
            color=colour,
        )
    ax.grid(alpha=0.25, lw=0.6, which="both")


def save_figure(report: AdoptionReport, path: str | Path) -> Path:
    """Write the figure as PNG (150 dpi) or SVG, by the file's suffix."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    if fmt not in {"png", "svg", "pdf"}:
        raise ConfigError(f"--figure {path}: the suffix must be .png, .svg or .pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = (
        {"Software": "papertiger"} if fmt == "png" else {"Date": None} if fmt == "svg" else {}
    )
    share_figure(report).savefig(path, format=fmt, dpi=150, metadata=metadata)
    return path


def _table_rows(report: AdoptionReport) -> list[dict[str, Any]]:
    rows = []
    for row in _wide(report).to_dict("records"):
        item: dict[str, Any] = {
            "month": row["month"],
            "papers": f"{row['papers']:,}",
            "families": [],
        }
        for family in report.families:
            name = family.name
            item["families"].append(
                (
                    f"{row[f'{name}_mentions']:,}",
                    share_cell(
                        row[f"{name}_share"], row[f"{name}_share_low"], row[f"{name}_share_high"]
                    ),
                )
            )
        if report.pair is not None:
            item["both"] = f"{row['both']:,}"
            item["ratio"] = ratio_cell(row["ratio"], row["ratio_low"], row["ratio_high"])
            item["leader"] = row["leader"]
        rows.append(item)
    return rows


def render_html(report: AdoptionReport) -> str:
    """The adoption report as one self-contained HTML document."""
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            report=report,
            lead=lead_text(report),
            rows=_table_rows(report),
            figure=Markup(figure_svg(share_figure(report))),  # noqa: S704 - matplotlib escapes SVG text
            colours=[PALETTE[i % len(PALETTE)] for i in range(len(report.families))],
        )
    )


def write_html(report: AdoptionReport, path: str | Path) -> Path:
    """Write `render_html(report)` to `path` (UTF-8), creating parent folders; return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    return path
