"""Scoring the prefix-completion (memorisation) probe.

The probe follows "Reasoning or Memorization?" (Wu et al., arXiv 2507.10532): show a
model the first part of a problem statement, let it continue, and measure how much of the
true rest comes back verbatim. The paper cuts at 80 %, 60 % and 40 % of the problem and
reports exact match and ROUGE-L; the stored copies read for this module do not say
whether its ratio counts characters, words or tokens, so the choice here is ours:

**Cutting** (`split_prefix`): the ratio counts *characters* of the statement (surrounding
whitespace stripped), which does not depend on a tokenizer or on how the LaTeX was
spaced. The cut snaps to the nearest word boundary (a whitespace run; ties go to the
earlier one), never inside a math span (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``): only
a statement whose every interior space lies inside math is cut inside one (at a space).
The boundary's whitespace belongs to neither part. A statement with no interior
whitespace cannot be cut (ValueError).

**Normalisation** (`normalise_continuation`), applied to both texts before scoring:

1. math delimiters are unified: ``\\(…\\)``, ``\\[…\\]`` and ``$$…$$`` become ``$…$``;
2. LaTeX spacing commands ``\\,`` ``\\;`` ``\\:`` ``\\ `` (a backslash before any
   whitespace) ``~`` ``\\quad`` ``\\qquad`` become a space and the negative space ``\\!``
   is removed (a ``\\\\`` line break is kept);
3. inside math, whitespace next to any character that is not a letter or digit
   (operators, braces, brackets, ``^``, ``_``, ``\\``) is removed and other whitespace runs
   become one space (``$ x ^ { 2 } + 1 $`` → ``$x^{2}+1$``; ``\\alpha x`` keeps its space);
4. all whitespace runs become one space; leading and trailing whitespace goes.

Case, punctuation and the wording itself are kept: the probe asks for verbatim recall.
Tokens are the whitespace-separated words of the normalised text (a math span without
letters-next-to-letters spaces is one token).

**Scores**, each in [0, 1], of a continuation against the true remainder. The
continuation is first cut to the remainder's length in tokens, so a model that reproduces
the remainder and then rambles on (or starts solving) is not penalised:

- ``exact``: 1.0 when those tokens equal the remainder's tokens, else 0.0;
- ``rouge_l``: ROUGE-L F1 over tokens, ``2·LCS / (len(continuation) + len(remainder))``;
- ``edit_similarity``: ``1 − Levenshtein / max(len)`` over the characters of the two
  normalised (cut) texts.

An empty continuation scores 0 on all three; an empty remainder is an error (there is
nothing to recall).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from rapidfuzz.distance import LCSseq, Levenshtein

from papertiger.grading.extract import answer_region
from papertiger.grading.integer import check_gradable
from papertiger.schema import Completion

__all__ = [
    "PAPER_RATIOS",
    "ContinuationGrader",
    "ContinuationScores",
    "continuation_scores",
    "continuation_tokens",
    "normalise_continuation",
    "split_prefix",
]

PAPER_RATIOS = (0.8, 0.6, 0.4)
"""The prefix ratios of arXiv 2507.10532; the design's default probe shows 40 %."""

_MATH_RE = re.compile(
    r"\\\$"  # an escaped dollar is text, never a delimiter
    r"|\$\$(?P<display>.+?)\$\$"
    r"|\$(?P<inline>(?:\\.|[^$\\])+?)\$"
    r"|\\\((?P<paren>.+?)\\\)"
    r"|\\\[(?P<bracket>.+?)\\\]",
    re.DOTALL,
)
# spacing commands; any other escaped character (``\\\\``, ``\\~``, ``\\$``) is matched
# as a whole so that it is kept as written
_SPACING_RE = re.compile(r"\\[,;:!]|\\\s|\\q?quad(?![A-Za-z])|\\.|~", re.DOTALL)
_MATH_SPACE_RE = re.compile(r" (?=[^A-Za-z0-9])|(?<=[^A-Za-z0-9]) ")
_WS_RE = re.compile(r"\s+")


# --- cutting -------------------------------------------------------------------------------


def _math_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every math span, delimiters included."""
    return [m.span() for m in _MATH_RE.finditer(text) if m.group() != "\\$"]


def split_prefix(text: str, ratio: float) -> tuple[str, str]:
    """Cut `text` into (prefix, remainder) near `ratio` of its characters (see above)."""
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"prefix ratio must be strictly between 0 and 1, got {ratio}")
    body = text.strip()
    gaps = [m.span() for m in _WS_RE.finditer(body)]
    if not gaps:
        raise ValueError("cannot cut a text without a word boundary")
    spans = _math_spans(body)
    outside = [g for g in gaps if not any(s < g[0] and g[1] < e for s, e in spans)]
    target = ratio * len(body)
    start, end = min(outside or gaps, key=lambda g: (abs(g[0] - target), g[0]))
    return body[:start], body[end:]


# --- normalisation -------------------------------------------------------------------------


def _spacing(match: re.Match[str]) -> str:
    token = match.group()
    if token == "\\!":
        return ""
    if token == "~" or token[1].isspace() or token[1] in ",;:" or token.endswith("quad"):
        return " "
    return token


def _normalise_math(content: str) -> str:
    content = _SPACING_RE.sub(_spacing, content)
    content = _WS_RE.sub(" ", content).strip()
    return _MATH_SPACE_RE.sub("", content)


def normalise_continuation(text: str) -> str:
    """`text` normalised for scoring: delimiters, LaTeX spacing, whitespace (see above)."""
    parts: list[str] = []
    at = 0
    for m in _MATH_RE.finditer(text):
        parts.append(_SPACING_RE.sub(_spacing, text[at : m.start()]))
        if m.group() == "\\$":
            parts.append(m.group())
        else:
            content = next(g for g in m.group("display", "inline", "paren", "bracket") if g)
            parts.append(f"${_normalise_math(content)}$")
        at = m.end()
    parts.append(_SPACING_RE.sub(_spacing, text[at:]))
    return _WS_RE.sub(" ", "".join(parts)).strip()


def continuation_tokens(text: str) -> list[str]:
    """The scoring tokens of `text`: words of its normalised form."""
    return normalise_continuation(text).split()


# --- scores --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContinuationScores:
    """The three probe scores of one continuation, each in [0, 1]."""

    exact: float
    rouge_l: float
    edit_similarity: float

    def as_dict(self) -> dict[str, float]:
        """{'exact': …, 'rouge_l': …, 'edit_similarity': …}, e.g. for one Grade per metric."""
        return asdict(self)


def _drop_echo(tokens: list[str], prefix: str | None) -> list[str]:
    """`tokens` without a leading copy of `prefix` (a model that repeats what it saw)."""
    if not prefix:
        return tokens
    echo = continuation_tokens(prefix)
    return tokens[len(echo) :] if echo and tokens[: len(echo)] == echo else tokens


def continuation_scores(
    continuation: str | None, remainder: str, *, prefix: str | None = None
) -> ContinuationScores:
    """Score a model's continuation against the true remainder (rules above).

    With `prefix`, a continuation that starts by repeating the prefix verbatim (after
    normalisation) is scored from the end of that echo.
    """
    ref = continuation_tokens(remainder)
    if not ref:
        raise ValueError("the remainder is empty: there is nothing to score against")
    hyp = _drop_echo(continuation_tokens(continuation or ""), prefix)[: len(ref)]
    if not hyp:
        return ContinuationScores(0.0, 0.0, 0.0)
    lcs = LCSseq.similarity(hyp, ref)
    rouge = 2.0 * lcs / (len(hyp) + len(ref))
    edit = Levenshtein.normalized_similarity(" ".join(hyp), " ".join(ref))
    return ContinuationScores(
        exact=1.0 if hyp == ref else 0.0,
        rouge_l=min(1.0, max(0.0, rouge)),
        edit_similarity=min(1.0, max(0.0, float(edit))),
    )


class ContinuationGrader:
    """Scores prefix-completion replies: exact match, ROUGE-L F1 and edit similarity.

    Only the reply text after the last end-of-thinking marker is scored (as for answers);
    failed requests are refused, as by every grader.

    Version history: "1" — first release (rules in this module's docstring).
    """

    name: str = "continuation"
    version: str = "1"

    def score(
        self, continuation: str | None, remainder: str, *, prefix: str | None = None
    ) -> ContinuationScores:
        """Scores of a continuation text against the true remainder."""
        region = answer_region(continuation) if continuation else continuation
        return continuation_scores(region, remainder, prefix=prefix)

    def score_completion(
        self, completion: Completion, remainder: str, *, prefix: str | None = None
    ) -> ContinuationScores:
        """Scores of one successful completion (never its separate reasoning field)."""
        check_gradable(completion)
        return self.score(completion.text, remainder, prefix=prefix)
