"""Answer extraction and checking: pure functions from a completion and a gold answer to a Grade.

Graders are versioned so stored grades can be recomputed without the network when a rule
changes. The runner never passes a failed request (status 'error') to a grader: an error is
neither right nor wrong, and `grade` raises ValueError if given one.

    >>> from papertiger.grading import get_grader
    >>> grader = get_grader("integer")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from papertiger.errors import ConfigError
from papertiger.grading.extract import Extraction, extract_integer, extract_latex
from papertiger.grading.integer import IntegerGrader
from papertiger.grading.latex import LatexGrader
from papertiger.schema import Completion, Grade

__all__ = [
    "Extraction",
    "GRADERS",
    "Grader",
    "IntegerGrader",
    "LatexGrader",
    "extract_integer",
    "extract_latex",
    "get_grader",
]


@runtime_checkable
class Grader(Protocol):
    """Anything with a name, a version and a pure `grade` method."""

    name: str
    version: str

    def grade(self, completion: Completion, gold: str) -> Grade:
        """Grade one successful completion against the gold answer."""
        ...


GRADERS: dict[str, Callable[[], Grader]] = {
    "integer": IntegerGrader,
    "math_verify": LatexGrader,
    # A benchmark set's answer_format names the grader it needs; "latex" maps to math_verify.
    "latex": LatexGrader,
}


def get_grader(name: str) -> Grader:
    """A fresh grader by registry name; unknown names are a configuration error."""
    try:
        factory = GRADERS[name]
    except KeyError:
        known = ", ".join(sorted(GRADERS))
        raise ConfigError(f"unknown grader {name!r}; known graders: {known}") from None
    return factory()
