"""Endpoints in every output: per model and base URL, the attempts it served, their share,
errors, retried attempts and end-to-end time (median and IQR)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from papertiger.analysis.sections.endpoints import EndpointRow, EndpointsSection
from papertiger.render.format import DASH
from papertiger.render.sections import SectionRenderer, register
from papertiger.render.sections.elicitation import finite, md_escape, md_table, template
from papertiger.render.sections.speed import seconds

TITLE = "Endpoints: where each model's attempts were served"
EXPLAIN = ("Models with several base URLs have their requests spread over them (fewest in "
           "flight first) and moved away from a server that fails. Per model and endpoint: "
           "the attempts whose last try it served, their share of the model's attempts, how "
           "many ended in an error or needed retries, and the end-to-end time of the "
           "successful ones, median (IQR).")
HEADER = ["model", "endpoint", "attempts", "share", "ok", "errors", "retried",
          "end-to-end time (s): median (IQR)"]


def _latency(r: EndpointRow) -> str:
    s = r.latency
    if s is None:
        return DASH
    return f"{seconds(s.median)} ({seconds(s.q1)}\u2013{seconds(s.q3)})"


def _rows(result: EndpointsSection) -> list[list[str]]:
    return [[r.model, r.endpoint, f"{r.attempts:,}", f"{100 * r.share:.1f} %", f"{r.ok:,}",
             f"{r.errors:,}", f"{r.retried:,}", _latency(r)] for r in result.rows]


def terminal(result: EndpointsSection, console: Console) -> None:
    console.print(f"[bold]{TITLE}[/]")
    console.print(f"[dim]{escape(EXPLAIN)}[/]")
    table = Table(*(escape(h) for h in HEADER))
    for row in _rows(result):
        table.add_row(*(escape(v) for v in row))
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def markdown(result: EndpointsSection) -> str:
    parts = [f"## {TITLE}", "", md_escape(EXPLAIN), "", md_table(HEADER, _rows(result)), ""]
    parts += [f"- {md_escape(n)}" for n in result.notes]
    return "\n".join(parts).rstrip() + "\n"


def to_json(result: EndpointsSection) -> dict[str, Any]:
    return {
        "rows": [{"model": r.model, "endpoint": r.endpoint, "attempts": r.attempts,
                  "share": finite(r.share), "ok": r.ok, "errors": r.errors, "retried": r.retried,
                  "latency_s": None if r.latency is None else {
                      "median": finite(r.latency.median), "q1": finite(r.latency.q1),
                      "q3": finite(r.latency.q3), "n": r.latency.n}}
                 for r in result.rows],
        "notes": list(result.notes),
    }


def html(result: EndpointsSection) -> Markup:
    return template("endpoints.html.j2", title=TITLE, explain=EXPLAIN, header=HEADER,
                    rows=_rows(result), notes=list(result.notes))


register(EndpointsSection, SectionRenderer(
    title=lambda r: TITLE, terminal=terminal, markdown=markdown, json=to_json, html=html,
))
