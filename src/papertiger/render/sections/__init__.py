"""Renderers for the report's extra sections, one module per section, found by type.

A section module registers a `SectionRenderer` for its result type with `register`; the
terminal, Markdown, JSON and HTML renderers and `save_figures` call `renderer_for(result)`
for every entry of `Report.extras`. A `Skipped` result renders its reason everywhere.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape
from rich.console import Console

from papertiger.analysis.results import Skipped

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SECTION_MODULES", "SectionRenderer", "register", "renderer_for"]

# The modules that register section renderers (imported on first use).
SECTION_MODULES: tuple[str, ...] = tuple(
    f"papertiger.render.sections.{name}"
    for name in (
        "equating", "reference", "harnesses", "humans", "elicitation", "prompts", "probe",
        "tokenomics", "speed", "endpoints", "browser",
    )
)


@dataclass(frozen=True)
class SectionRenderer:
    """How one section shows in each output. `html` returns a self-contained fragment
    (figures inline as SVG); `figures` returns named figures for `--figures DIR`."""

    title: Callable[[Any], str]
    terminal: Callable[[Any, Console], None]
    markdown: Callable[[Any], str]
    json: Callable[[Any], dict[str, Any]]
    html: Callable[[Any], Markup]
    figures: Callable[[Any], dict[str, Figure]] = lambda result: {}


_RENDERERS: dict[type, SectionRenderer] = {}
_loaded = False


def register(kind: type, renderer: SectionRenderer) -> None:
    """Make `renderer` the one for results of type `kind`."""
    _RENDERERS[kind] = renderer


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in SECTION_MODULES:
            importlib.import_module(module)
        _loaded = True


def _skipped_terminal(result: Skipped, console: Console) -> None:
    from rich.markup import escape as rich_escape

    console.print(f"[bold]{rich_escape(result.section)}[/]: [dim]not computed: "
                  f"{rich_escape(result.reason)}[/]")


def _heading(section: str) -> str:
    """A section's name as a heading: 'reference-model regression' → 'Reference-model …'."""
    return section[:1].upper() + section[1:]


SKIPPED = SectionRenderer(
    title=lambda r: _heading(r.section),
    terminal=_skipped_terminal,
    markdown=lambda r: f"## {_heading(r.section)}\n\nNot computed: {r.reason}\n",
    json=lambda r: {"skipped": True, "section": r.section, "reason": r.reason},
    html=lambda r: Markup("<section class=\"extra\"><h2>{}</h2><p class=\"muted\">Not computed: {}.</p></section>").format(
        escape(_heading(r.section)), escape(r.reason)),
)


def renderer_for(result: Any) -> SectionRenderer:
    """The renderer registered for `result`'s type (Skipped has its own)."""
    if isinstance(result, Skipped):
        return SKIPPED
    _load()
    for kind in type(result).__mro__:
        if kind in _RENDERERS:
            return _RENDERERS[kind]
    raise LookupError(f"no renderer registered for {type(result).__name__}")
