"""The expression grader for HMMT-style LaTeX answers, built on math-verify (as lighteval).

math-verify (and sympy under it) is imported on first use, not at start-up: it costs close
to a second and most runs grade integers only.

Timeouts: math-verify guards parsing and comparison with ``signal.alarm``, which works only in
the main thread and raises ValueError elsewhere. We keep its timeout in the main thread and
switch it off (``None``) in any other thread; to bound the work in that case, expressions
longer than `MAX_EXPRESSION_CHARS` are not handed to sympy at all. Whatever math-verify does,
a failure grades the answer wrong and never escapes.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

from papertiger.grading.extract import extract_latex
from papertiger.grading.integer import check_gradable, verdict
from papertiger.schema import Completion, Grade

__all__ = ["LatexGrader", "latex_equal"]

GRADER_VERSION = "1"
TIMEOUT_S = 5
MAX_EXPRESSION_CHARS = 1000


def _math_verify_version() -> str:
    """The installed math-verify version, part of the grader version (it changes verdicts)."""
    try:
        return package_version("math-verify")
    except PackageNotFoundError:
        return "missing"


def _timeout() -> int | None:
    """math-verify's signal timeout where signals work (main thread), else None."""
    return TIMEOUT_S if threading.current_thread() is threading.main_thread() else None


def _squash(expr: str) -> str:
    """Whitespace- and $-free form for the cheap exact-match shortcut."""
    return "".join(expr.split()).strip("$")


def _math_verify() -> Any:
    """The math_verify module, imported on first use."""
    import math_verify  # type: ignore[import-untyped]

    return math_verify


def _parse(expr: str) -> list[Any]:
    """math-verify's parse of one expression in math mode; [] when it cannot."""
    if len(expr) > MAX_EXPRESSION_CHARS:
        return []
    mv = _math_verify()
    try:
        return list(mv.parse(f"${expr.strip().strip('$')}$", parsing_timeout=_timeout()))
    except (Exception, mv.errors.TimeoutException):  # sympy may raise anything; never crash
        return []


@lru_cache(maxsize=1024)
def _parse_gold(gold: str) -> tuple[Any, ...]:
    """Gold answers repeat across samples and models; parse each once."""
    return tuple(_parse(gold))


def latex_equal(gold: str, predicted: str) -> bool:
    """Whether `predicted` is mathematically equal to `gold`, per math-verify."""
    if _squash(gold) and _squash(gold) == _squash(predicted):
        return True
    gold_parsed = list(_parse_gold(gold))
    pred_parsed = _parse(predicted)
    if not gold_parsed or not pred_parsed:
        return False
    mv = _math_verify()
    try:
        return bool(mv.verify(gold_parsed, pred_parsed, timeout_seconds=_timeout()))
    except (Exception, mv.errors.TimeoutException):  # see _parse
        return False


class LatexGrader:
    """Grades expression answers (fractions, radicals, lists) with math-verify.

    Version history: "1" — first release; the math-verify version is appended, e.g.
    ``1+math-verify-0.9.0``, because an upgrade can change verdicts.
    """

    name: str = "math_verify"

    def __init__(self) -> None:
        self.version: str = f"{GRADER_VERSION}+math-verify-{_math_verify_version()}"

    def grade(self, completion: Completion, gold: str) -> Grade:
        """Extract the last box (or "answer is …") from the reply text and compare to `gold`."""
        check_gradable(completion)
        found = extract_latex(completion.text)
        correct = found.answer is not None and latex_equal(str(gold), found.answer)
        return verdict(self.name, self.version, found, correct, completion)
