"""Rendering of the humans section (not built yet: registers no renderer)."""

from __future__ import annotations
