"""Answer extraction: find the final answer in a model's reply, and say where it was found.

Pure string functions, no I/O. Graders call these; tests pin their behaviour with a golden
table (`tests/data/grading_cases.jsonl`) and property tests.

Priority for integer answers (first that matches wins):

1. ``\\boxed{N}`` / ``\\fbox{N}``: the last non-empty box, braces matched; a box always wins
   over any number mentioned in prose. A box holding a non-integer (``\\frac{25}{3}``) is
   still the model's final answer: it is extracted as written and graded wrong.
2. "the answer is N" / "final answer is N" (case-insensitive, last occurrence followed by a
   clean integer; ``**N**``, ``$N$``, ``[N]``, ``\\text{N}`` around N are allowed).
3. "Answer: N" labels (``**Final Answer:** N``).
4. The last number in the text, flagged ``fallback=True``.

Only the text after the last end-of-thinking marker (``</think>``, ``<|end_of_thought|>``) is
searched: reasoning written inline is not the answer. Without a marker the whole text is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Extraction",
    "answer_region",
    "boxed_contents",
    "extract_integer",
    "extract_latex",
    "last_boxed",
    "normalize_integer",
]

THINK_END_MARKERS = ("</think>", "<|end_of_thought|>")
MAX_PHRASE_TAIL = 200


@dataclass(frozen=True)
class Extraction:
    """What was found, and how: `answer` is None when nothing was found (method 'none')."""

    answer: str | None
    method: str
    fallback: bool = False


NONE = Extraction(None, "none")


def answer_region(text: str) -> str:
    """The part of `text` after the last end-of-thinking marker (all of it when none)."""
    cut = 0
    for marker in THINK_END_MARKERS:
        at = text.rfind(marker)
        if at >= 0:
            cut = max(cut, at + len(marker))
    return text[cut:]


# --- boxes ------------------------------------------------------------------------------

_BOX_RE = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])\s*")
_BARE_BOX_RE = re.compile(r"[-+]?\d+")
_BRACE_TOKEN_RE = re.compile(r"\\.|[{}]", re.DOTALL)


def _closing_braces(text: str, start: int = 0) -> dict[int, int]:
    """Map each '{' index from `start` on to its matching '}' index, in one pass.

    Escaped braces (``\\{``) are skipped so set notation does not end a group early. One
    pass keeps degenerate replies (thousands of unclosed boxes) linear, not quadratic.
    """
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for token in _BRACE_TOKEN_RE.finditer(text, start):  # visits only backslashes and braces
        ch = token.group()
        if ch == "{":
            stack.append(token.start())
        elif ch == "}" and stack:
            pairs[stack.pop()] = token.start()
    return pairs


def _box_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every closed box's content, in order; slicing is left to the caller."""
    spans: list[tuple[int, int]] = []
    pairs: dict[int, int] | None = None
    for m in _BOX_RE.finditer(text):
        start = m.end()
        if text.startswith("{", start):
            # braces before the first box cannot change how a box's own group closes
            pairs = _closing_braces(text, start) if pairs is None else pairs
            close = pairs.get(start)
            if close is not None:
                spans.append((start + 1, close))
        else:
            bare = _BARE_BOX_RE.match(text, start)
            if bare:
                spans.append(bare.span())
    return spans


def boxed_contents(text: str) -> list[str]:
    """Contents of every closed ``\\boxed{...}``/``\\fbox{...}`` (and ``\\boxed 5``), in order."""
    return [text[start:end] for start, end in _box_spans(text)]


def last_boxed(text: str) -> str | None:
    """The last non-empty box's content, stripped (an empty ``\\boxed{}`` is an echo)."""
    for start, end in reversed(_box_spans(text)):
        content = text[start:end].strip()
        if content:
            return content
    return None


# --- integer normalisation --------------------------------------------------------------

_UNIT_TEXT_RE = re.compile(r"\\(?:text|mbox|mathrm|textrm)\s*\{\s*[A-Za-z][A-Za-z .]*\}")
_WRAPPER_RE = re.compile(
    r"\\(?:text|textbf|textrm|mathbf|mathrm|mbox|boxed|fbox|displaystyle|bf|rm)(?![A-Za-z])"
)
_DEGREE_RE = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°")
_LATEX_SPACE_RE = re.compile(r"\\[,;:! ]|~|\\q?quad(?![A-Za-z])")
_MATH_DELIM_RE = re.compile(r"\\[()\[\]]|\$|\*\*|__")
_INTEGER_RE = re.compile(r"([-+]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.0*)?")


def _clean(candidate: str) -> str:
    """Strip markup that may surround an integer: $, \\text{}, bold, degrees, spaces, '.'."""
    s = candidate.replace("\u2212", "-")
    if "=" in s:
        s = s.rsplit("=", 1)[1]
    s = _UNIT_TEXT_RE.sub(" ", s)
    s = _DEGREE_RE.sub("", s)
    s = _LATEX_SPACE_RE.sub("", s)
    s = _MATH_DELIM_RE.sub("", s)
    s = _WRAPPER_RE.sub("", s)
    s = s.replace("{", "").replace("}", "")
    return s.strip().rstrip(".").strip()


def normalize_integer(candidate: str) -> str | None:
    """Canonical integer string ('033' → '33', '1,000' → '1000'), or None if not an integer.

    Works on strings, never int(), so huge digit runs cannot hit Python's int-size limit.
    """
    m = _INTEGER_RE.fullmatch(_clean(candidate))
    if m is None:
        return None
    digits = m.group(2).replace(",", "").lstrip("0") or "0"
    sign = "-" if m.group(1) == "-" and digits != "0" else ""
    return sign + digits


# --- phrases ----------------------------------------------------------------------------

_THEREFORE_RE = re.compile(r"\banswer\s+is\b\s*:?", re.IGNORECASE)
_LABEL_RE = re.compile(r"\banswer\s*(?:\*\*|__)?\s*[:：]", re.IGNORECASE)
_LEAD_RE = re.compile(
    r"(?:\s|\*|_|\$|\\\(|\\\[|\[|\{|:|=|"
    r"\\(?:boxed|fbox|textbf|text|mathbf|mathrm|displaystyle)(?![A-Za-z])\s*\{?)*"
)
_NUMBER_RE = re.compile(r"[-+\u2212]?(?:\d{1,3}(?:,\d{3})+(?![\d,]\d)|\d+)(?:\.\d+)?")
_NOT_AFTER_RE = re.compile(
    r"\d|/|\s*\^(?!\s*\{?\s*\\circ)|[A-Za-z]|\.\d|\s*\\(?:sqrt|d?frac|pi|cdot|times|div)"
    r"(?![A-Za-z])"
)


def _number_at(tail: str) -> str | None:
    """The number right after an answer phrase, or None if an expression or words follow.

    A decimal counts (it is the stated answer, graded wrong); ``3/4`` or ``5\\sqrt{2}``
    do not, so an earlier phrase is tried instead.
    """
    lead = _LEAD_RE.match(tail)
    start = lead.end() if lead else 0
    m = _NUMBER_RE.match(tail, start)
    if m is None or _NOT_AFTER_RE.match(tail, m.end()):
        return None
    raw = m.group(0).replace("\u2212", "-")
    return normalize_integer(raw) or raw


def _last_phrase_number(text: str, phrase: re.Pattern[str]) -> str | None:
    """Number after the last occurrence of `phrase` that is followed by an integer."""
    for m in reversed(list(phrase.finditer(text))):
        value = _number_at(text[m.end() : m.end() + MAX_PHRASE_TAIL])
        if value is not None:
            return value
    return None


# --- fallback ---------------------------------------------------------------------------

_ANY_NUMBER_RE = re.compile(
    r"(?:(?<![\w)}\]])[-\u2212])?(?<![\d.])(?:\d{1,3}(?:,\d{3})+(?![\d,]\d)|\d+)(?:\.\d+)?"
)


def _last_number(text: str) -> str | None:
    """The last number in `text`; decimals are kept as written (they are wrong for AIME)."""
    matches = list(_ANY_NUMBER_RE.finditer(text))
    if not matches:
        return None
    raw = matches[-1].group(0).replace("\u2212", "-")
    return normalize_integer(raw) or raw


# --- entry points -----------------------------------------------------------------------


def extract_integer(text: str | None) -> Extraction:
    """Find an AIME-style integer answer in a reply, in the priority order above."""
    region = answer_region(text or "")
    boxed = last_boxed(region)
    if boxed is not None:
        return Extraction(normalize_integer(boxed) or boxed, "boxed")
    for phrase, method in ((_THEREFORE_RE, "therefore"), (_LABEL_RE, "answer_label")):
        value = _last_phrase_number(region, phrase)
        if value is not None:
            return Extraction(value, method)
    guess = _last_number(region)
    if guess is not None:
        return Extraction(guess, "last_integer", fallback=True)
    return NONE


_MATH_SPAN_RE = re.compile(r"\s*(?:\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\])", re.S)
_SENTENCE_END_RE = re.compile(r"\.(?:\s|$)|\n")


def _latex_after_phrase(text: str) -> str | None:
    """The expression after the last "answer is": its first math span, else the sentence."""
    matches = list(_THEREFORE_RE.finditer(text))
    if not matches:
        return None
    tail = text[matches[-1].end() : matches[-1].end() + MAX_PHRASE_TAIL]
    span = _MATH_SPAN_RE.match(tail)
    if span is not None:
        found = next(g for g in span.groups() if g is not None)
    else:
        end = _SENTENCE_END_RE.search(tail)
        found = tail[: end.start()] if end else tail
    found = found.strip().strip("*").strip().rstrip(".").strip()
    return found or None


def extract_latex(text: str | None) -> Extraction:
    """Find a LaTeX answer: the last box, else the expression after "answer is", else none."""
    region = answer_region(text or "")
    boxed = last_boxed(region)
    if boxed is not None:
        return Extraction(boxed, "boxed")
    phrase = _latex_after_phrase(region)
    if phrase is not None:
        return Extraction(phrase, "therefore")
    return NONE
