"""Render analysis results: rich terminal tables, Markdown, CSV, JSON, HTML and figures.

Names load on first use, so printing a report to the terminal never imports matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "fall_bars",
    "print_report",
    "render_html",
    "save_figures",
    "scatter_old_fresh",
    "to_csv",
    "to_json",
    "to_markdown",
    "write_html",
]

_WHERE = {
    "fall_bars": "figures",
    "save_figures": "figures",
    "scatter_old_fresh": "figures",
    "render_html": "html",
    "write_html": "html",
    "print_report": "terminal",
    "to_csv": "text",
    "to_json": "text",
    "to_markdown": "text",
}

if TYPE_CHECKING:
    from papertiger.render.figures import fall_bars, save_figures, scatter_old_fresh
    from papertiger.render.html import render_html, write_html
    from papertiger.render.terminal import print_report
    from papertiger.render.text import to_csv, to_json, to_markdown


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'papertiger.render' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"papertiger.render.{module}"), name)
    globals()[name] = value
    return value
