"""The memorisation probe's cut and scores: hand cases, shared data, properties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papertiger.grading.continuation import (
    PAPER_RATIOS,
    ContinuationGrader,
    ContinuationScores,
    continuation_scores,
    continuation_tokens,
    normalise_continuation,
    split_prefix,
)
from papertiger.schema import Completion

PROBLEM = (
    "Find the sum of all integer bases $b > 9$ for which $17_b$ is a divisor of $97_b$. "
    "Express your answer in base ten."
)
ONES = ContinuationScores(1.0, 1.0, 1.0)
ZEROS = ContinuationScores(0.0, 0.0, 0.0)


# --- cutting -------------------------------------------------------------------------------


def test_cut_is_at_a_word_boundary_and_loses_only_that_space() -> None:
    prefix, rest = split_prefix("one two three four five six seven eight nine ten", 0.5)
    assert (prefix, rest) == ("one two three four five", "six seven eight nine ten")


def test_ratio_counts_characters_and_snaps_to_the_nearest_boundary() -> None:
    text = "aaaaaaaaaa b c"  # 14 characters; 40 % is 5.6, nearest boundary is at 10
    assert split_prefix(text, 0.4) == ("aaaaaaaaaa", "b c")
    assert split_prefix("ab cd ef gh", 0.5) == ("ab cd", "ef gh")  # tie 5 vs 5.5: nearest


def test_cut_never_falls_inside_math() -> None:
    text = "Let $x + y + z + w = 10$ hold for reals."
    for ratio in (0.2, 0.3, 0.4, 0.5):
        prefix, rest = split_prefix(text, ratio)
        assert prefix.count("$") % 2 == 0 and rest.count("$") % 2 == 0, (ratio, prefix)
    text = r"Let \( x + y + z = 10 \) and \[ x y z = 1 \] hold."
    for ratio in (0.2, 0.4, 0.6, 0.8):
        prefix, _ = split_prefix(text, ratio)
        assert prefix.count("\\(") == prefix.count("\\)"), (ratio, prefix)
        assert prefix.count("\\[") == prefix.count("\\]"), (ratio, prefix)


def test_cut_inside_math_only_when_there_is_no_other_boundary() -> None:
    assert split_prefix("$a + b$", 0.5) in {("$a", "+ b$"), ("$a +", "b$")}


@pytest.mark.parametrize("ratio", [0.0, 1.0, -0.1, 1.5])
def test_ratio_must_be_strictly_between_zero_and_one(ratio: float) -> None:
    with pytest.raises(ValueError, match="ratio"):
        split_prefix(PROBLEM, ratio)


def test_a_single_word_cannot_be_cut() -> None:
    with pytest.raises(ValueError, match="word boundary"):
        split_prefix("  antidisestablishment  ", 0.4)


def test_every_shared_problem_is_cut_outside_inline_math(shared_data: Path) -> None:
    misses: list[float] = []
    for name in ("aime_2024", "aime_2025", "aime_2026", "hmmt_feb_2024", "hmmt_feb_2025"):
        for line in (shared_data / f"{name}.jsonl").read_text().splitlines():
            text = json.loads(line)["problem"]
            for ratio in PAPER_RATIOS:
                prefix, rest = split_prefix(text, ratio)
                assert prefix and rest
                body = text.strip()
                assert body.startswith(prefix) and body.endswith(rest)
                misses.append(abs(len(prefix) / len(body) - ratio))
                bare = prefix.replace("\\$", "").replace("$$", "")
                assert bare.count("$") % 2 == 0, (name, ratio, prefix[-40:])
    # the cut is near the ratio except where a long display formula forbids it
    assert sorted(misses)[len(misses) // 2] < 0.01
    assert sum(misses) / len(misses) < 0.03


# --- normalisation -------------------------------------------------------------------------


def test_whitespace_is_collapsed() -> None:
    assert normalise_continuation("  Find\n\n the\t sum  ") == "Find the sum"


def test_latex_spacing_commands_are_normalised() -> None:
    assert normalise_continuation(r"$a\,b\;c\:d\ e\!f~g\quad h\qquad i$") == "$a b c d ef g h i$"
    assert normalise_continuation(r"text\,with~ties") == "text with ties"
    assert normalise_continuation(r"$a \\ b$") == r"$a\\b$"  # a line break is not a space


def test_spaces_around_operators_and_braces_inside_math_are_removed() -> None:
    assert normalise_continuation("$ x ^ { 2 } + 1 = \\frac { m } { n } $") == (
        "$x^{2}+1=\\frac{m}{n}$"
    )
    assert normalise_continuation("$\\alpha   x$") == "$\\alpha x$"  # letters keep a space
    assert normalise_continuation("a + b") == "a + b"  # outside math nothing is squeezed


def test_math_delimiters_are_unified() -> None:
    want = "Let $x+1$ be $y$."
    assert normalise_continuation(r"Let \( x + 1 \) be \[ y \].") == want
    assert normalise_continuation("Let $$x + 1$$ be $y$.") == want


def test_case_and_wording_are_kept() -> None:
    assert normalise_continuation("Find M") != normalise_continuation("find m")


# --- scores --------------------------------------------------------------------------------


def test_identical_remainder_scores_one() -> None:
    _, rest = split_prefix(PROBLEM, 0.4)
    assert continuation_scores(rest, rest) == ONES


def test_disjoint_continuation_scores_zero() -> None:
    assert continuation_scores("xyz uvw", "abcd") == ZEROS  # no shared word nor character
    assert continuation_scores("qqq qqq", "ab ab").rouge_l == 0.0
    assert continuation_scores("", "a b") == ZEROS
    assert continuation_scores(None, "a b") == ZEROS


def test_rambling_after_the_remainder_still_counts() -> None:
    rest = "is a divisor of $97_b$."
    reply = rest + " Solution: write $17_b = b + 7$ and $97_b = 9b + 7$, so ..."
    assert continuation_scores(reply, rest) == ONES


def test_spacing_differences_do_not_matter() -> None:
    rest = r"where $\frac{m}{n}$ is in lowest terms. Find $m+n$."
    reply = "where  \\( \\frac { m } { n } \\)\nis in lowest\tterms.  Find $ m + n $."
    assert continuation_scores(reply, rest) == ONES


def test_partial_recall_scores_between_zero_and_one() -> None:
    rest = "the product of all positive real numbers x is an integer P"
    reply = "the product of all real numbers x is a prime P"
    scores = continuation_scores(reply, rest)
    assert scores.exact == 0.0
    # LCS = 9 of 11 and 12 tokens: F1 = 18 / 23
    assert scores.rouge_l == pytest.approx(18 / 23)
    assert 0.5 < scores.edit_similarity < 1.0


def test_an_echoed_prefix_is_skipped_when_given() -> None:
    prefix, rest = split_prefix(PROBLEM, 0.5)
    echoed = prefix + " " + rest
    assert continuation_scores(echoed, rest, prefix=prefix) == ONES
    assert continuation_scores(echoed, rest).exact == 0.0


def test_empty_remainder_is_an_error() -> None:
    with pytest.raises(ValueError, match="remainder is empty"):
        continuation_scores("anything", "  ~ ")


def test_scores_as_dict_names_the_metrics() -> None:
    assert ONES.as_dict() == {"exact": 1.0, "rouge_l": 1.0, "edit_similarity": 1.0}


# --- the grader ----------------------------------------------------------------------------


def test_grader_scores_the_reply_after_thinking() -> None:
    grader = ContinuationGrader()
    assert (grader.name, grader.version) == ("continuation", "1")
    reply = "<think>they want the rest</think> is a divisor of $97_b$."
    done = Completion(key="k", status="ok", text=reply)
    assert grader.score_completion(done, "is a divisor of $97_b$.") == ONES


def test_grader_refuses_failed_requests() -> None:
    failed = Completion(key="k", status="error", error="timeout")
    with pytest.raises(ValueError, match="not graded"):
        ContinuationGrader().score_completion(failed, "the rest")


# --- properties ----------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.sampled_from(list("ab xy$\\{}^_+=,.~\n\t19")) | st.characters(), max_size=80
)
_REMAINDER = _TEXT.filter(lambda s: bool(continuation_tokens(s)))


@given(_TEXT, _REMAINDER)
def test_scores_are_in_the_unit_interval(reply: str, rest: str) -> None:
    scores = continuation_scores(reply, rest)
    for value in scores.as_dict().values():
        assert 0.0 <= value <= 1.0
    assert scores.exact in (0.0, 1.0)


@given(_REMAINDER)
def test_identical_texts_score_one(rest: str) -> None:
    assert continuation_scores(rest, rest) == ONES


@given(_TEXT)
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalise_continuation(text)
    assert normalise_continuation(once) == once


@given(
    st.lists(st.text(alphabet="abc$x+", min_size=1, max_size=6), min_size=2, max_size=12),
    st.floats(min_value=0.05, max_value=0.95),
)
def test_cut_keeps_both_parts_and_loses_only_whitespace(words: list[str], ratio: float) -> None:
    text = " ".join(words)
    prefix, rest = split_prefix(text, ratio)
    assert prefix and rest
    assert text.startswith(prefix) and text.endswith(rest)
    assert text[len(prefix) : len(text) - len(rest)].isspace()
