"""The elicitation section (not built yet: registers no builder)."""

from __future__ import annotations
