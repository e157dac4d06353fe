"""Colours, markers and label text shared by every figure and HTML table.

Kept apart from figures.py so that sections can colour their tables and terminal output
without importing matplotlib (only drawing a figure does).
"""

from __future__ import annotations

__all__ = ["MARKERS", "PALETTE", "plain"]

# Okabe-Ito: colour-blind safe, and distinct in greyscale print together with the markers.
PALETTE = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def plain(text: object) -> str:
    """Data text made safe for matplotlib: `$` shown literally instead of starting mathtext."""
    return str(text).replace("$", r"\$")
