"""Rendering of the probe section (not built yet: registers no renderer)."""

from __future__ import annotations
