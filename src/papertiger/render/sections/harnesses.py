"""Rendering of the harnesses section (not built yet: registers no renderer)."""

from __future__ import annotations
