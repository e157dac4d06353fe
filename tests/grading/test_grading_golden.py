"""Golden tables: the integer grader on hand-written replies, math-verify on real HMMT answers."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from papertiger.grading import IntegerGrader, LatexGrader
from papertiger.schema import Completion

CASES_PATH = Path(__file__).resolve().parents[1] / "data" / "grading_cases.jsonl"
METHODS = {"boxed", "therefore", "answer_label", "last_integer", "none"}


def _load_cases() -> list[dict[str, Any]]:
    with CASES_PATH.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


CASES = _load_cases()


def _completion(text: str | None, finish_reason: str | None = None) -> Completion:
    return Completion(key="k", status="ok", text=text, finish_reason=finish_reason)


def test_table_is_big_and_well_formed() -> None:
    assert len(CASES) >= 40
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert {c["method"] for c in CASES} == METHODS
    for case in CASES:
        assert case["fallback"] == (case["method"] == "last_integer"), case["id"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_integer_golden(case: dict[str, Any]) -> None:
    grade = IntegerGrader().grade(_completion(case["text"], case["finish_reason"]), case["gold"])
    got = (grade.extracted, grade.method, grade.fallback, grade.correct, grade.truncated)
    want = (
        case["extracted"],
        case["method"],
        case["fallback"],
        case["correct"],
        case["truncated"],
    )
    assert got == want, case["note"]
    assert grade.grader == "integer"
    assert grade.version == IntegerGrader.version


# --- LaTeX answers (HMMT) ----------------------------------------------------------------


def _hmmt_answers(folder: Path) -> list[str]:
    path = folder / "hmmt_feb_2025.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    with path.open(encoding="utf-8") as f:
        return [str(json.loads(line)["answer"]) for line in f if line.strip()]


def test_hmmt_gold_boxed_verifies_against_itself(shared_data: Path) -> None:
    grader = LatexGrader()
    answers = _hmmt_answers(shared_data)
    assert len(answers) == 30
    for gold in answers:
        reply = f"Working...\n\nThe final answer is $\\boxed{{{gold}}}$."
        grade = grader.grade(_completion(reply), gold)
        assert grade.correct, gold
        assert (grade.method, grade.extracted) == ("boxed", gold)


def test_hmmt_gold_perturbed_does_not_verify(shared_data: Path) -> None:
    grader = LatexGrader()
    for gold in _hmmt_answers(shared_data):
        reply = f"\\boxed{{{gold} + 1}}"
        assert not grader.grade(_completion(reply), gold).correct, gold


@pytest.mark.parametrize(
    ("reply", "gold", "extracted", "method", "correct"),
    [
        (r"so $\boxed{\dfrac{1}{576}}$", r"\frac{1}{576}", r"\dfrac{1}{576}", "boxed", True),
        (r"\boxed{\frac{2}{1152}}", r"\frac{1}{576}", r"\frac{2}{1152}", "boxed", True),
        (r"\boxed{0.5}", r"\frac{1}{2}", "0.5", "boxed", True),
        (r"\boxed{\sqrt{6}}", r"\sqrt{6}", r"\sqrt{6}", "boxed", True),
        (r"\boxed{2\sqrt{6}}", r"\sqrt{6}", r"2\sqrt{6}", "boxed", False),
        ("The answer is $8\\sqrt{10}$.", r"8\sqrt{10}", r"8\sqrt{10}", "therefore", True),
        ("Thus the answer is 56.", "56", "56", "therefore", True),
        ("I am not sure.", "56", None, "none", False),
        (
            r"\boxed{\frac{-1-\sqrt{17}}{2}, \frac{-1+\sqrt{17}}{2}}",
            r"\frac{-1+\sqrt{17}}{2}, \frac{-1-\sqrt{17}}{2}",
            None,
            "boxed",
            True,
        ),
        (r"\boxed{\text{no idea}}", r"\sqrt{6}", r"\text{no idea}", "boxed", False),
        (r"\boxed{\frac{1}{", r"\frac{1}{2}", None, "none", False),
    ],
)
def test_latex_cases(
    reply: str, gold: str, extracted: str | None, method: str, correct: bool
) -> None:
    grade = LatexGrader().grade(_completion(reply), gold)
    assert grade.method == method
    assert grade.correct is correct
    if extracted is not None:
        assert grade.extracted == extracted
    assert grade.grader == "math_verify"
    assert grade.version.startswith("2+math-verify-")


def test_latex_grader_never_crashes_on_junk() -> None:
    grader = LatexGrader()
    for junk in [
        r"\boxed{\frac{}{}}",
        r"\boxed{)(}",
        r"\boxed{x^{^{^}}}",
        r"\boxed{" + "9" * 3000 + "}",
    ]:
        assert grader.grade(_completion(junk), r"\frac{1}{2}").correct is False


def test_latex_grader_works_off_the_main_thread() -> None:
    """math-verify's signal timeouts would raise in a worker thread; ours switch them off."""
    results: list[bool] = []

    def work() -> None:
        grade = LatexGrader().grade(
            _completion(r"\boxed{\frac{9}{\sqrt{23}}}"), r"\frac{9 \sqrt{23}}{23}"
        )
        results.append(grade.correct)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    assert results == [True]
