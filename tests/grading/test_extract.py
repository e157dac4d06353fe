"""Extraction helpers, grader contracts and the registry."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

import papertiger.grading
from papertiger.errors import ConfigError
from papertiger.grading import (
    GRADERS,
    Grader,
    IntegerGrader,
    LatexGrader,
    extract_integer,
    extract_latex,
    get_grader,
)
from papertiger.grading.extract import (
    answer_region,
    boxed_contents,
    last_boxed,
    normalize_integer,
)
from papertiger.schema import Completion


def _ok(text: str | None, finish_reason: str | None = None) -> Completion:
    return Completion(key="k", status="ok", text=text, finish_reason=finish_reason)


# --- boxes and regions -------------------------------------------------------------------


def test_boxed_contents_match_nested_braces() -> None:
    text = r"\boxed{\frac{1}{2}} and \fbox{x^{2}} and \boxed{\{1,2\}} and \boxed{"
    assert boxed_contents(text) == [r"\frac{1}{2}", "x^{2}", r"\{1,2\}"]


def test_last_boxed_skips_empty_echoes() -> None:
    assert last_boxed(r"\boxed{7} then \boxed{} \boxed{ }") == "7"
    assert last_boxed(r"\boxed{}") is None
    assert last_boxed("no box") is None


def test_boxedfoo_is_not_a_box() -> None:
    assert boxed_contents(r"\boxedanswer{3}") == []


def test_answer_region_cuts_after_last_thinking_marker() -> None:
    assert answer_region("a</think>b</think>c") == "c"
    assert answer_region("x<|end_of_thought|>y") == "y"
    assert answer_region("no marker") == "no marker"


# --- integer normalisation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("033", "33"),
        ("000", "0"),
        ("-0", "0"),
        ("-007", "-7"),
        ("+5", "5"),
        ("1,000", "1000"),
        ("1{,}000", "1000"),
        ("1\\,000", "1000"),
        ("12.000", "12"),
        ("12.", "12"),
        ("$12$", "12"),
        ("\\text{ 12 }", "12"),
        ("x = 12", "12"),
        ("12^\\circ", "12"),
        ("12°", "12"),
        ("**12**", "12"),
        ("1,00", None),
        ("1 000", None),
        ("12.5", None),
        ("2^{10}", None),
        ("\\frac{1}{2}", None),
        ("twelve", None),
        ("", None),
        ("9" * 5000, "9" * 5000),
    ],
)
def test_normalize_integer(raw: str, expected: str | None) -> None:
    assert normalize_integer(raw) == expected


# --- extraction entry points -------------------------------------------------------------


def test_extract_integer_on_none_text() -> None:
    found = extract_integer(None)
    assert (found.answer, found.method, found.fallback) == (None, "none", False)


@pytest.mark.parametrize(
    "text",
    [
        "\\boxed{" * 20_000,
        "\\boxed{" * 20_000 + "}" * 20_000,
        "\\boxed{}. " * 20_000,
        "the answer is " * 20_000,
        "1,234" * 40_000,
    ],
    ids=["unclosed", "nested", "empty", "phrases", "digits"],
)
def test_degenerate_replies_stay_fast(text: str) -> None:
    """Looping models emit such text; brace matching once per reply keeps this linear."""
    started = time.perf_counter()
    extract_integer(text)
    extract_latex(text)
    assert time.perf_counter() - started < 5


def test_extract_latex_prefers_last_box_then_phrase() -> None:
    assert extract_latex(r"\boxed{1} then \boxed{\frac{1}{2}}").answer == r"\frac{1}{2}"
    phrase = extract_latex("So the answer is $\\sqrt{2}$, done.")
    assert (phrase.answer, phrase.method) == (r"\sqrt{2}", "therefore")
    plain = extract_latex("So the answer is 1-\\frac{2}{\\pi}. Next line")
    assert plain.answer == r"1-\frac{2}{\pi}"
    assert extract_latex("nothing here").method == "none"


# --- grader contracts --------------------------------------------------------------------


@pytest.mark.parametrize("grader", [IntegerGrader(), LatexGrader()])
def test_error_completions_are_never_graded(grader: Grader) -> None:
    failed = Completion(key="k", status="error", error="HTTP 500")
    with pytest.raises(ValueError, match="error"):
        grader.grade(failed, "1")


@pytest.mark.parametrize("grader", [IntegerGrader(), LatexGrader()])
def test_truncated_flag_follows_finish_reason(grader: Grader) -> None:
    cut = grader.grade(_ok(r"\boxed{5} and then", finish_reason="length"), "5")
    assert cut.truncated and cut.correct
    assert not grader.grade(_ok(r"\boxed{5}", finish_reason="stop"), "5").truncated
    assert not grader.grade(_ok(r"\boxed{5}"), "5").truncated


def test_reasoning_field_is_never_read() -> None:
    reply = Completion(key="k", status="ok", text="I give up.", reasoning=r"\boxed{5}")
    grade = IntegerGrader().grade(reply, "5")
    assert (grade.extracted, grade.correct, grade.method) == (None, False, "none")


def test_integer_grader_rejects_non_integer_gold() -> None:
    with pytest.raises(ConfigError, match="math_verify"):
        IntegerGrader().grade(_ok(r"\boxed{1}"), r"\frac{1}{2}")


def test_integer_gold_leading_zeros_are_normalised() -> None:
    assert IntegerGrader().grade(_ok("Therefore, the answer is 25."), "025").correct


def test_registry() -> None:
    assert isinstance(get_grader("integer"), IntegerGrader)
    assert isinstance(get_grader("math_verify"), LatexGrader)
    assert isinstance(get_grader("latex"), LatexGrader)
    for name in GRADERS:
        assert isinstance(get_grader(name), Grader)
    with pytest.raises(ConfigError, match="integer"):
        get_grader("nope")


def test_grading_imports_only_schema_and_errors() -> None:
    """Static check: grading is a sibling layer and never reaches stores, providers or HTTP."""
    allowed = ("papertiger.schema", "papertiger.errors", "papertiger.grading")
    forbidden = ("httpx", "openai", "aiohttp")
    for path in Path(papertiger.grading.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                if name.startswith("papertiger"):
                    assert name.startswith(allowed), (path.name, name)
                assert not name.startswith(forbidden), (path.name, name)


def test_math_verify_is_imported_lazily() -> None:
    """Start-up stays fast: math-verify (and sympy) are imported inside functions only."""
    for path in Path(papertiger.grading.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] in ("math_verify", "sympy") for n in names), path.name
