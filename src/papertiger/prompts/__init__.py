"""Prompt templates: the essay's basic prompt, MathArena's boxed prompt, and user files."""

from __future__ import annotations

from papertiger.prompts.templates import (
    BUILTIN_TEMPLATES,
    PLACEHOLDER,
    PromptTemplate,
    get_template,
    render,
)

__all__ = ["BUILTIN_TEMPLATES", "PLACEHOLDER", "PromptTemplate", "get_template", "render"]
