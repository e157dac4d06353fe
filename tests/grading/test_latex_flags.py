"""A math-verify failure or timeout is flagged, never silently wrong, and the report says so."""

from __future__ import annotations

import threading
import time

import pytest

from papertiger.grading import LatexGrader
from papertiger.grading.latex import Check, latex_check
from papertiger.schema import Completion


def reply(text: str) -> Completion:
    return Completion(key="k", status="ok", text=text, finish_reason="stop")


def slow_verify(gold: str, predicted: str, timeout: float | None) -> str:
    time.sleep(30)
    return "equal"


def broken_verify(gold: str, predicted: str, timeout: float | None) -> str:
    raise RuntimeError("sympy fell over")


def test_math_verify_timeout_in_the_main_thread_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    import math_verify

    def times_out(*args: object, **kwargs: object) -> bool:
        raise math_verify.errors.TimeoutException("Timeout during comparison")

    monkeypatch.setattr(math_verify, "verify", times_out)
    grade = LatexGrader().grade(reply("so \\boxed{\\frac{1}{2}}"), "0.5")
    assert grade.flags == {"grader_timeout"} and grade.score == 0.0 and not grade.correct
    assert grade.extracted == "\\frac{1}{2}"


def test_a_hung_check_off_the_main_thread_times_out_and_is_flagged() -> None:
    grader = LatexGrader(timeout_s=0.5, verify=slow_verify)
    out: list[object] = []
    started = time.monotonic()
    worker = threading.Thread(target=lambda: out.append(grader.grade(reply("\\boxed{x+1}"), "x")))
    worker.start()
    worker.join(30)
    (grade,) = out
    assert grade.flags == {"grader_timeout"}  # type: ignore[attr-defined]
    assert time.monotonic() - started < 20  # the caller did not wait for the hung worker
    # the next check gets a fresh worker and works
    fine: list[Check] = []
    t = threading.Thread(target=lambda: fine.append(latex_check("\\frac{1}{2}", "1/2")))
    t.start()
    t.join(60)
    assert fine == [Check.EQUAL]


def test_a_crashing_check_is_flagged_grader_error() -> None:
    grade = LatexGrader(verify=broken_verify).grade(reply("\\boxed{y}"), "x")
    assert grade.flags == {"grader_error"} and grade.score == 0.0


def test_the_report_counts_flagged_grades(tmp_path, shared_data, monkeypatch) -> None:
    from papertiger.analysis import AttemptSource, build_report
    from papertiger.benchmarks import load_suite
    from papertiger.config import scripted_catalogue
    from papertiger.grading import GRADERS
    from papertiger.prompts import get_template
    from papertiger.runner import RunSpec, regrade, run

    suite = load_suite("hmmt", data_dir=shared_data)
    spec = RunSpec(models=tuple(scripted_catalogue().values())[:2], suite=suite, samples=1,
                   templates=(get_template("boxed", "latex"),), db=tmp_path / "h.db")
    run(spec)
    monkeypatch.setitem(GRADERS, "math_verify", lambda: LatexGrader(verify=lambda g, p, t: "grader_timeout"))
    monkeypatch.setattr("papertiger.grading.latex.GRADER_VERSION", "2-test")
    regrade(spec.db, suite)
    report = build_report(AttemptSource(spec.db))
    # Right answers written exactly as the gold never reach the checker; every other one
    # timed out, and the report says how many, in its notes and per model and form.
    timeouts = sum(r.flagged["grader_timeout"] for r in report.metrics.rows)
    assert 0 < timeouts < 120
    assert f"{timeouts} grades flagged grader_timeout: the checker failed, scored as wrong" in report.notes
