"""Render analysis results: rich terminal tables, Markdown, CSV, JSON, HTML and figures."""

from papertiger.render.figures import fall_bars, save_figures, scatter_old_fresh
from papertiger.render.html import render_html, write_html
from papertiger.render.terminal import print_report
from papertiger.render.text import to_csv, to_json, to_markdown

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
