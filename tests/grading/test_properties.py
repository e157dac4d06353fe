"""Property tests: extraction never crashes, a box always wins, normalisation is idempotent."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papertiger.grading import IntegerGrader, extract_integer, extract_latex
from papertiger.grading.extract import THINK_END_MARKERS, normalize_integer
from papertiger.schema import Completion

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Free text that cannot itself hold a box or end a thinking block, so the box we plant is
# the only one and lies in the searched region.
free_text = st.text(max_size=80).filter(
    lambda s: "box" not in s and not any(m in s for m in THINK_END_MARKERS)
)
aime_int = st.integers(min_value=0, max_value=999)


def _padded(n: int, width: int) -> str:
    return str(n).zfill(width)


@SETTINGS
@given(st.text())
def test_extract_never_crashes(text: str) -> None:
    found = extract_integer(text)
    assert found.method in {"boxed", "therefore", "answer_label", "last_integer", "none"}
    assert (found.answer is None) == (found.method == "none")
    assert found.fallback == (found.method == "last_integer")
    extract_latex(text)


@SETTINGS
@given(st.text(), st.sampled_from([None, "stop", "length"]))
def test_integer_grader_never_crashes(text: str, finish_reason: str | None) -> None:
    completion = Completion(key="k", status="ok", text=text, finish_reason=finish_reason)
    grade = IntegerGrader().grade(completion, "42")
    assert grade.truncated == (finish_reason == "length")


@SETTINGS
@given(
    before=free_text,
    middle=free_text,
    after=free_text,
    mentioned=aime_int,
    boxed=aime_int,
    width=st.integers(min_value=1, max_value=3),
    box_first=st.booleans(),
    phrase=st.sampled_from(["the answer is", "Therefore, the answer is", "Answer:"]),
)
def test_boxed_answer_always_wins(
    before: str,
    middle: str,
    after: str,
    mentioned: int,
    boxed: int,
    width: int,
    box_first: bool,
    phrase: str,
) -> None:
    said = f"{phrase} {mentioned}"
    box = f"\\boxed{{{_padded(boxed, width)}}}"
    first, second = (box, said) if box_first else (said, box)
    text = " ".join([before, first, middle, second, after])
    found = extract_integer(text)
    assert (found.answer, found.method) == (str(boxed), "boxed")


@SETTINGS
@given(st.text(max_size=40))
def test_normalisation_is_idempotent_on_any_text(text: str) -> None:
    once = normalize_integer(text)
    if once is not None:
        assert normalize_integer(once) == once


@SETTINGS
@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=0, max_value=5))
def test_leading_zeros_are_dropped(n: int, zeros: int) -> None:
    sign = "-" if n < 0 else ""
    text = sign + "0" * zeros + str(abs(n))
    assert normalize_integer(text) == str(n)
    assert normalize_integer(str(n)) == str(n)


@SETTINGS
@given(aime_int, st.integers(min_value=1, max_value=3))
def test_padded_answers_grade_correct(n: int, width: int) -> None:
    reply = f"Therefore, the answer is {_padded(n, width)}."
    completion = Completion(key="k", status="ok", text=reply)
    assert IntegerGrader().grade(completion, str(n)).correct
