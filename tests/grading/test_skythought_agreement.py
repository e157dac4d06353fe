"""Agreement with a published grader: SkyThought's Qwen2.5-Math evaluation on AIME 2024.

150 greedy completions (5 models × 30 problems) with the harness's extracted answer and
verdict. We regrade each with the integer grader (finish_reason unknown) and compare verdicts.

Threshold 0.97 (at most 4 of 150): the two graders follow different, deliberate policies in
a few places, and every disagreement must be one we have read and explained below. The
`pytest -s` output shows the per-model table and each disagreement.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from papertiger.grading import IntegerGrader
from papertiger.schema import Completion

FILE = "graded_completions_aime2024_skythought.jsonl"
THRESHOLD = 0.97

# (model, problem_id) → why the verdicts differ. A new disagreement fails the test until it
# has been investigated and added here (or the extractor fixed).
EXPLAINED = {
    ("google/gemma-2-27b-it", "aime2024-I-07"): (
        "the model boxed an unevaluated expression, \\sqrt{324^2 + (-432)^2}; their "
        "math_equal evaluates it to 540 and accepts it. An AIME answer is an integer, so "
        "the integer grader marks it wrong by design."
    ),
}


def _rows(folder: Path) -> list[dict[str, Any]]:
    path = folder / FILE
    if not path.is_file():
        pytest.skip(f"{path} not present")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _regrade(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Any]]:
    grader = IntegerGrader()
    out = []
    for row in rows:
        completion = Completion(key=row["problem_id"], status="ok", text=row["completion"])
        out.append((row, grader.grade(completion, str(row["gold"]))))
    return out


def _print_report(graded: list[tuple[dict[str, Any], Any]]) -> None:
    per_model: dict[str, list[bool]] = defaultdict(list)
    for row, grade in graded:
        per_model[row["model"]].append(grade.correct == row["correct"])
    print(f"\n{'model':<50} {'n':>4} {'agree':>6} {'rate':>6}")
    for model, hits in sorted(per_model.items()):
        print(f"{model:<50} {len(hits):>4} {sum(hits):>6} {sum(hits) / len(hits):>6.3f}")
    print("\ndisagreements (model, problem, theirs, ours, method, gold, their verdict):")
    for row, grade in graded:
        if grade.correct != row["correct"]:
            theirs, ours = repr(row["extracted_pred"]), repr(grade.extracted)
            print(
                f"  {row['model']} {row['problem_id']} theirs={theirs} ours={ours} "
                f"method={grade.method} gold={row['gold']} their_correct={row['correct']}"
            )


def test_agreement_with_skythought_grader(shared_data: Path) -> None:
    graded = _regrade(_rows(shared_data))
    assert len(graded) == 150
    _print_report(graded)
    agree = sum(grade.correct == row["correct"] for row, grade in graded) / len(graded)
    print(f"\noverall agreement {agree:.3f} (threshold {THRESHOLD})")
    assert agree >= THRESHOLD
    disagreements = {
        (row["model"], row["problem_id"])
        for row, grade in graded
        if grade.correct != row["correct"]
    }
    assert disagreements <= EXPLAINED.keys(), disagreements - EXPLAINED.keys()


def test_every_integer_they_accepted_we_extract_too(shared_data: Path) -> None:
    """Where their grader said correct with a plain integer, we found that same integer."""
    for row, grade in _regrade(_rows(shared_data)):
        pred = str(row["extracted_pred"] or "")
        if row["correct"] and pred.isdigit():
            assert grade.extracted == str(int(pred)), (row["model"], row["problem_id"])


def test_empty_completions_extract_nothing(shared_data: Path) -> None:
    """The Llama-3.1-8B base run has 20 empty replies: no answer, not a guess."""
    empty = [(row, grade) for row, grade in _regrade(_rows(shared_data)) if not row["completion"]]
    assert len(empty) == 20
    assert all(grade.method == "none" and not grade.correct for _, grade in empty)
