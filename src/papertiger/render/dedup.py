"""Render near-duplicate candidates: a rich table, Markdown, CSV, JSON and an HTML page.

The terminal, Markdown and HTML views show every marked pair and the `near_misses`
strongest unmarked ones (so the margin is visible), both texts side by side; CSV and JSON
carry every ranked candidate. The HTML page is one self-contained file like the shrinkage
report: inline CSS and SVG, no scripts (a Content-Security-Policy forbids them), and every
text from data autoescaped, so a problem statement holding ``<script>`` is shown, not run.
The same content is available as a section for another page (`render_section`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papertiger.dedup import Candidate, DedupReport
from papertiger.render.dedup_figure import save_score_figure, score_figure
from papertiger.render.figures import figure_svg
from papertiger.render.html import environment

__all__ = [
    "JSON_SCHEMA_VERSION",
    "DedupView",
    "candidate_key",
    "print_dedup",
    "render_html",
    "render_section",
    "save_score_figure",
    "score_figure",
    "to_csv",
    "to_json",
    "to_markdown",
    "write_html",
]

TEMPLATE = "dedup.html.j2"
JSON_SCHEMA_VERSION = 1
DASH = "\u2014"
TERMINAL_TEXT = 420  # characters of each text in the terminal table
PairKey = tuple[str, str, str, str]
CSV_COLUMNS = (
    "position", "form", "item_id", "released", "rank", "source_form", "source_id",
    "source_released", "overlap", "cosine", "strength", "marked", "verdict", "judge_model",
    "text", "source_text",
)


def candidate_key(candidate: Candidate) -> PairKey:
    """(form, item_id, source_form, source_id): the key of `DedupView.verdicts`."""
    return (candidate.target.form, candidate.target.id, candidate.earlier.form, candidate.earlier.id)


@dataclass(frozen=True)
class DedupView:
    """A dedup report with what the reader also needs: what was compared, and verdicts.

    `compared` describes the pool in words (the suite's forms, each corpus file);
    `verdicts` maps `candidate_key` to 'same' / 'different' / 'unclear' (a judge's).
    """

    report: DedupReport
    title: str = "Near-duplicate candidates"
    compared: tuple[str, ...] = ()
    verdicts: Mapping[PairKey, str | None] = field(default_factory=dict)
    judge_model: str | None = None
    near_misses: int = 10

    def verdict(self, candidate: Candidate) -> str | None:
        """The judge's verdict on a pair, if any."""
        return self.verdicts.get(candidate_key(candidate))

    def shown(self) -> tuple[Candidate, ...]:
        """Marked pairs, then the `near_misses` strongest unmarked ones (strongest first)."""
        ranked = self.report.ranked()
        marked = [c for c in ranked if c.marked]
        misses = [c for c in ranked if not c.marked][: max(0, self.near_misses)]
        return (*marked, *misses)

    def summary(self) -> str:
        """One paragraph: what was compared with what, and what got marked."""
        r = self.report
        marked = r.marked()
        flagged = len({(c.target.form, c.target.id) for c in marked})
        pool = f" ({'; '.join(self.compared)})" if self.compared else ""
        scores = f"cosine: {r.embedder}" if r.embedder else (r.note or "lexical overlap only")
        text = (
            f"{r.n_targets:,} items compared with {r.n_earlier:,} items{pool}, each only with "
            f"items released before it; top {r.top} candidates per item. "
            f"{len(marked):,} pair(s) marked on {flagged:,} item(s) "
            f"(overlap \u2265 {r.thresholds.overlap:.2f} or cosine \u2265 "
            f"{r.thresholds.cosine:.2f}); {scores}."
        )
        if self.judge_model:
            text += f" Verdicts by {self.judge_model}."
        return text


def _number(value: float | None, digits: int = 3) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def _row(view: DedupView, position: int, c: Candidate) -> dict[str, Any]:
    return {
        "position": position,
        "form": c.target.form,
        "item_id": c.target.id,
        "released": c.target.released.isoformat(),
        "rank": c.rank,
        "source_form": c.earlier.form,
        "source_id": c.earlier.id,
        "source_released": c.earlier.released.isoformat(),
        "overlap": round(c.overlap, 6),
        "cosine": None if c.cosine is None else round(c.cosine, 6),
        "strength": round(c.strength, 6),
        "marked": c.marked,
        "verdict": view.verdict(c),
        "judge_model": view.judge_model if view.verdict(c) is not None else None,
        "text": c.target.text,
        "source_text": c.earlier.text,
    }


def rows(view: DedupView, *, every: bool = False) -> list[dict[str, Any]]:
    """The pairs as plain records: the shown ones, or (`every`) all ranked candidates."""
    chosen = view.report.ranked() if every else view.shown()
    return [_row(view, i, c) for i, c in enumerate(chosen, 1)]


def to_csv(view: DedupView) -> str:
    """CSV of every ranked candidate, strongest first, both full texts included."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in rows(view, every=True):
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return buffer.getvalue()


def to_json(view: DedupView) -> str:
    """JSON: what was compared, thresholds, the marked items and every ranked candidate."""
    r = view.report
    marked = sorted({(c.target.form, c.target.id) for c in r.marked()})
    payload = {
        "schema_version": JSON_SCHEMA_VERSION,
        "title": view.title,
        "summary": view.summary(),
        "compared": list(view.compared),
        "thresholds": {"overlap": r.thresholds.overlap, "cosine": r.thresholds.cosine},
        "embedder": r.embedder,
        "note": r.note,
        "n_targets": r.n_targets,
        "n_earlier": r.n_earlier,
        "top": r.top,
        "judge_model": view.judge_model,
        "marked_items": [{"form": f, "item_id": i} for f, i in marked],
        "pairs": rows(view, every=True),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _md(text: str) -> str:
    """A table cell: whitespace collapsed, pipes and HTML-significant characters escaped."""
    flat = " ".join(text.split())
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def to_markdown(view: DedupView) -> str:
    """Markdown: the summary and the shown pairs with both texts side by side."""
    lines = [f"# {_md(view.title)}", "", _md(view.summary()), ""]
    shown = rows(view)
    if not shown:
        return "\n".join([*lines, "No candidate pairs.", ""])
    lines += [
        "| # | fresh item | earlier item | overlap | cosine | marked | verdict | fresh text | earlier text |",
        "|---:|---|---|---:|---:|---|---|---|---|",
    ]
    for r in shown:
        cosine = DASH if r["cosine"] is None else f"{r['cosine']:.3f}"
        lines.append(
            f"| {r['position']} | {_md(r['form'])} {_md(r['item_id'])} "
            f"| {_md(r['source_form'])} {_md(r['source_id'])} | {r['overlap']:.3f} | {cosine} "
            f"| {'yes' if r['marked'] else 'no'} | {_md(r['verdict'] or DASH)} "
            f"| {_md(r['text'])} | {_md(r['source_text'])} |"
        )
    return "\n".join([*lines, ""])


def _clip(text: str, limit: int = TERMINAL_TEXT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def print_dedup(view: DedupView, console: Console) -> None:
    """The shown pairs as a rich table (texts clipped), then the summary and any note."""
    table = Table(title=escape(view.title), show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("scores", no_wrap=True)
    table.add_column("fresh item", ratio=1)
    table.add_column("earlier item", ratio=1)
    for r in rows(view):
        cosine = DASH if r["cosine"] is None else f"{r['cosine']:.3f}"
        mark = "[bold red]marked[/]" if r["marked"] else "[dim]not marked[/]"
        scores = f"overlap {r['overlap']:.3f}\ncosine  {cosine}\n{mark}"
        if r["verdict"] is not None:
            scores += f"\njudge: [bold]{escape(str(r['verdict']))}[/]"
        table.add_row(
            str(r["position"]),
            scores,
            f"[bold]{escape(r['form'])} {escape(r['item_id'])}[/]\n{escape(_clip(r['text']))}",
            f"[bold]{escape(r['source_form'])} {escape(r['source_id'])}[/] "
            f"({r['source_released']})\n{escape(_clip(r['source_text']))}",
        )
    if table.row_count:
        console.print(table)
    else:
        console.print("No candidate pairs.")
    console.print(escape(view.summary()))


def _context(view: DedupView, figure: bool) -> dict[str, Any]:
    svg = None
    if figure and view.report.candidates:
        svg = Markup(figure_svg(score_figure(view.report)))  # noqa: S704 - matplotlib escapes SVG text
    return {"view": view, "rows": rows(view), "figure": svg, "dash": DASH}


def render_section(view: DedupView, *, figure: bool = True) -> Markup:
    """The ranked pairs and the score figure as one <section> for another HTML page."""
    module = environment().get_template(TEMPLATE).make_module(_context(view, figure))
    section = getattr(module, "section")  # noqa: B009 - the template's macro
    return Markup(str(section()))  # noqa: S704 - the macro's output is autoescaped


def render_html(view: DedupView, *, figure: bool = True) -> str:
    """The candidates as one self-contained HTML document."""
    return environment().get_template(TEMPLATE).render(**_context(view, figure))


def write_html(view: DedupView, path: str | Path) -> Path:
    """Write `render_html(view)` to `path` (UTF-8), creating parent folders; return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(view), encoding="utf-8")
    return path
