"""The attempt browser in every output: a grid in HTML (no scripts: each cell is a
`<details>`), and a count of cells and samples elsewhere."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from rich.console import Console

from papertiger.analysis.sections.browser import AttemptBrowser, BrowserCell, BrowserSample
from papertiger.render.sections import SectionRenderer, register

BLOCK = 15  # items per grid table (an AIME exam), so a form wraps instead of overflowing


def _colour(share: float) -> str:
    """White (none right) to a calm green (all right): readable in print and for the
    colour-blind, as the share is also written in the cell."""
    light, dark = (255, 255, 255), (46, 139, 87)
    mix = [round(a + (b - a) * share) for a, b in zip(light, dark, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def _label(item_id: str) -> str:
    tail = item_id.rsplit("-", 2)
    return "-".join(tail[-2:]) if len(tail) >= 3 else item_id[-4:]


def _sample(s: Any) -> dict[str, Any]:
    return {
        "index": s.index, "status": s.status, "extracted": s.extracted, "correct": s.correct,
        "flags": s.flags.replace(",", ", "), "tokens": s.completion_tokens, "error": s.error,
        "text": s.text, "length": s.text_length, "shown": len(s.text or ""),
        "cut": s.text is not None and len(s.text) < s.text_length,
        "reasoning": s.reasoning,
        "reasoning_note": (f"cut at {len(s.reasoning)} of {s.reasoning_length} characters"
                           if s.reasoning and len(s.reasoning) < s.reasoning_length
                           else f"{s.reasoning_length} characters"),
    }


def _cell(cell: BrowserCell | None, gold: str | None,
          samples: tuple[BrowserSample, ...]) -> dict[str, Any] | None:
    if cell is None:
        return None
    share = cell.correct / cell.trials if cell.trials else 0.0
    return {
        "item": cell.item_id, "gold": gold, "correct": cell.correct, "trials": cell.trials,
        "colour": _colour(share), "label": f"{cell.correct}" if cell.trials else "×",
        "samples": [_sample(s) for s in samples], "more": cell.trials > len(samples),
    }


def context(result: AttemptBrowser) -> dict[str, Any]:
    forms = []
    for form in result.forms:
        items = tuple((item, result.gold(form, item)) for item in result.item_ids.get(form, ()))
        blocks = []
        for start in range(0, len(items), BLOCK):
            chunk = items[start : start + BLOCK]
            rows = [
                {"model": model, "cells": [
                    _cell(result.cells.get((form, model, item)), gold,
                          result.samples(form, model, item))
                    for item, gold in chunk]}
                for model in result.models
                if any((form, model, item) in result.cells for item, _ in chunk)
            ]
            blocks.append({
                "columns": [{"id": i, "gold": g, "label": _label(i)} for i, g in chunk],
                "rows": rows, "first": start + 1, "last": start + len(chunk),
            })
        forms.append({"name": form, "blocks": blocks})
    return {"forms": forms, "transcripts": result.transcripts, "shown": result.samples_shown}


def html(result: AttemptBrowser) -> Markup:
    from papertiger.render.html import environment

    template = environment().get_template("sections/browser.html.j2")
    return Markup(template.render(**context(result)))  # noqa: S704 - autoescaped template


def _summary(result: AttemptBrowser) -> str:
    return (f"{len(result.cells)} model × item cells over {len(result.forms)} forms; up to "
            f"{result.samples_shown} samples per cell shown in the HTML report (--html)")


def terminal(result: AttemptBrowser, console: Console) -> None:
    from rich.markup import escape

    console.print(f"[bold]Attempt browser[/]: {escape(_summary(result))}")


register(AttemptBrowser, SectionRenderer(
    title=lambda r: "Attempt browser",
    terminal=terminal,
    markdown=lambda r: f"## Attempt browser\n\n{_summary(r)}.\n",
    json=lambda r: {"cells": [
        {"form": f, "model": m, "item_id": i, "correct": c.correct, "trials": c.trials}
        for (f, m, i), c in r.cells.items()]},
    html=html,
))
