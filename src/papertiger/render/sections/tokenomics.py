"""Rendering of the tokenomics section (not built yet: registers no renderer)."""

from __future__ import annotations
