"""The expression grader for HMMT-style LaTeX answers, built on math-verify (as lighteval).

math-verify (and sympy under it) is imported on first use, not at start-up: it costs close
to a second and most runs grade integers only.

Timeouts and failures are flagged, never silently "wrong": a grade whose check raised is
flagged `grader_error`, one that ran out of time `grader_timeout` (both score 0, and the
report counts them). math-verify guards its work with ``signal.alarm``, which works only in
a process's main thread. In the main thread (``papertiger regrade``) its own timeout is
used. Elsewhere (the runner grades on a worker thread, off the event loop) each check runs
in a one-worker process pool, whose main thread can take the alarm; the caller also waits
at most a little longer than the timeout, and replaces a worker that hangs regardless.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import threading
from collections.abc import Callable
from enum import Enum
from functools import lru_cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

from papertiger.grading.extract import extract_latex
from papertiger.grading.integer import check_gradable, verdict
from papertiger.schema import Completion, Flag, Grade

__all__ = ["Check", "LatexGrader", "latex_check", "latex_equal"]

GRADER_VERSION = "2"
TIMEOUT_S = 5.0
MAX_EXPRESSION_CHARS = 1000


class Check(Enum):
    """The outcome of one equality check."""

    EQUAL = "equal"
    DIFFERENT = "different"
    ERROR = "grader_error"
    TIMEOUT = "grader_timeout"


def _math_verify_version() -> str:
    """The installed math-verify version, part of the grader version (it changes verdicts)."""
    try:
        return package_version("math-verify")
    except PackageNotFoundError:
        return "missing"


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _squash(expr: str) -> str:
    """Whitespace- and $-free form for the cheap exact-match shortcut."""
    return "".join(expr.split()).strip("$")


def _math_verify() -> Any:
    """The math_verify module, imported on first use."""
    import math_verify  # type: ignore[import-untyped]

    return math_verify


def _parse(expr: str, timeout: float | None) -> list[Any]:
    """math-verify's parse of one expression in math mode; [] when it cannot parse it."""
    mv = _math_verify()
    seconds = None if timeout is None else max(1, round(timeout))
    return list(mv.parse(f"${expr.strip().strip('$')}$", parsing_timeout=seconds, raise_on_error=True))


@lru_cache(maxsize=1024)
def _parse_gold(gold: str, timeout: float | None) -> tuple[Any, ...]:
    """Gold answers repeat across samples and models; parse each once."""
    return tuple(_parse(gold, timeout))


def _verify(gold: str, predicted: str, timeout: float | None) -> str:
    """One check with math-verify's own (signal) timeout; runs in a main thread."""
    mv = _math_verify()
    seconds = None if timeout is None else max(1, round(timeout))
    try:
        gold_parsed = list(_parse_gold(gold, timeout))
        pred_parsed = _parse(predicted, timeout)
        if not gold_parsed or not pred_parsed:
            return Check.DIFFERENT.value
        same = mv.verify(gold_parsed, pred_parsed, timeout_seconds=seconds, raise_on_error=True)
    except mv.errors.TimeoutException:
        return Check.TIMEOUT.value
    except Exception:  # sympy may raise anything; it is flagged, never a crash
        return Check.ERROR.value
    return Check.EQUAL.value if same else Check.DIFFERENT.value


class _Isolated:
    """One worker process for checks made off the main thread (see the module doc)."""

    def __init__(self) -> None:
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, fn: Callable[[str, str, float | None], str], gold: str, pred: str, timeout: float) -> str:
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ProcessPoolExecutor(max_workers=1)
                atexit.register(self.close)
            pool = self._pool
        future = pool.submit(fn, gold, pred, timeout)
        try:
            return future.result(timeout=timeout + 5.0)  # start-up and import of sympy
        except concurrent.futures.TimeoutError:
            self._replace(pool)
            return Check.TIMEOUT.value
        except Exception:  # a worker that died takes the pool with it: start another
            self._replace(pool)
            return Check.ERROR.value

    def close(self) -> None:
        """Stop the worker (at exit, so no process outlives the interpreter's teardown)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _replace(self, pool: concurrent.futures.ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)


_ISOLATED = _Isolated()


def latex_check(
    gold: str,
    predicted: str,
    timeout: float = TIMEOUT_S,
    verify: Callable[[str, str, float | None], str] = _verify,
) -> Check:
    """Whether `predicted` equals `gold` per math-verify, or why that could not be told."""
    if _squash(gold) and _squash(gold) == _squash(predicted):
        return Check.EQUAL
    if len(predicted) > MAX_EXPRESSION_CHARS or len(gold) > MAX_EXPRESSION_CHARS:
        return Check.DIFFERENT  # not handed to sympy at all: a wall of text is no answer
    if not _in_main_thread():
        return Check(_ISOLATED.run(verify, gold, predicted, timeout))
    try:
        return Check(verify(gold, predicted, timeout))
    except Exception:  # a checker that raises is flagged, never a crash
        return Check.ERROR


def latex_equal(gold: str, predicted: str) -> bool:
    """Whether `predicted` is mathematically equal to `gold`, per math-verify."""
    return latex_check(gold, predicted) is Check.EQUAL


class LatexGrader:
    """Grades expression answers (fractions, radicals, lists) with math-verify.

    Version history: "1" — first release; "2" — checker failures and timeouts are flagged.
    The math-verify version is appended, e.g. ``2+math-verify-0.9.0``, because an upgrade
    can change verdicts.
    """

    name: str = "math_verify"

    def __init__(
        self,
        timeout_s: float = TIMEOUT_S,
        verify: Callable[[str, str, float | None], str] = _verify,
    ) -> None:
        self.version: str = f"{GRADER_VERSION}+math-verify-{_math_verify_version()}"
        self.timeout_s = timeout_s
        self._verify = verify

    def grade(self, completion: Completion, gold: str) -> Grade:
        """Extract the last box (or "answer is …") from the reply text and compare to `gold`."""
        check_gradable(completion)
        found = extract_latex(completion.text)
        problems: frozenset[Flag] = frozenset()
        correct = False
        if found.answer is not None:
            outcome = latex_check(str(gold), found.answer, self.timeout_s, self._verify)
            correct = outcome is Check.EQUAL
            if outcome is Check.ERROR:
                problems = frozenset({"grader_error"})
            elif outcome is Check.TIMEOUT:
                problems = frozenset({"grader_timeout"})
        return verdict(self.name, self.version, found, correct, completion, str(gold), problems)
