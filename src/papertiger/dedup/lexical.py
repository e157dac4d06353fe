"""Lexical overlap of two problem statements: Jaccard similarity of word 3-shingles.

The score is built to survive the two ways a copied problem usually differs from its
source: different typesetting and different numbers. Each text is normalised, in order:

1. Diagram code is removed: ``<asy>…</asy>``, ``[asy]…[/asy]``, ``\\begin{asy}…\\end{asy}``
   and ``\\begin{tikzpicture}…\\end{tikzpicture}`` blocks (a wording with a figure and one
   without must not differ by pages of drawing commands, and two different figures must
   not look alike because both say ``draw`` and ``label``).
2. LaTeX is stripped: every command name (``\\frac``, ``\\overline``, ``\\left``) goes; its
   arguments stay (``\\frac{m}{n}`` → ``m n``, ``\\text{red}`` → ``red``); math delimiters
   (``$``, ``\\(``, ``\\)``, ``\\[``, ``\\]``), braces, ``^``, ``_`` and every other
   non-alphanumeric character become spaces.
3. Lower-case.
4. Numbers are masked: every run of digits (with its decimal point or thousands commas,
   ``3.14``, ``1,000``) becomes the token ``#``, so a number-swapped variant shingles
   exactly like its source.
5. Tokens are the runs of letters (any script) and the ``#`` masks, in order.

The shingles of a text are its runs of `SHINGLE` = 3 consecutive tokens (a text of one
or two tokens has a single shingle, itself); the overlap of two texts is
``|A ∩ B| / |A ∪ B|`` of their shingle sets: 1 for texts that normalise alike, 0 for
texts that share no three-word run. A text with no token has no shingle and overlaps
nothing (0).

All-pairs scoring is vectorised: shingles are numbered once over both sides, each side
becomes a sparse 0/1 matrix (texts × shingles), and one sparse product gives every
intersection; `overlap_matrix` does ~200 × 10,000 problems in well under a second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

__all__ = [
    "SHINGLE",
    "ShingleIndex",
    "lexical_tokens",
    "normalise_lexical",
    "overlap",
    "overlap_matrix",
    "shingles",
    "strip_diagrams",
]

SHINGLE = 3
NUMBER_MASK = "#"

_DIAGRAM_RE = re.compile(
    r"<asy>.*?</asy>|\[asy\].*?\[/asy\]|\\begin\{asy\}.*?\\end\{asy\}"
    r"|\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}",
    re.DOTALL | re.IGNORECASE,
)
_COMMAND_RE = re.compile(r"\\(?:[A-Za-z]+|.)", re.DOTALL)
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_TOKEN_RE = re.compile(r"#|[^\W\d_]+")


def strip_diagrams(text: str) -> str:
    """`text` without Asymptote/TikZ diagram code blocks (step 1 above)."""
    return _DIAGRAM_RE.sub(" ", text)


def normalise_lexical(text: str) -> str:
    """Steps 1–4 above: diagrams and LaTeX stripped, lower-cased, numbers masked."""
    s = strip_diagrams(text)
    s = _COMMAND_RE.sub(" ", s)
    s = s.lower()
    return _NUMBER_RE.sub(f" {NUMBER_MASK} ", s)


def lexical_tokens(text: str) -> list[str]:
    """The word tokens of `text` after normalisation (letter runs and ``#`` masks)."""
    return _TOKEN_RE.findall(normalise_lexical(text))


def shingles(text: str, size: int = SHINGLE) -> frozenset[tuple[str, ...]]:
    """The set of `size`-token runs of `text` (one shingle for a shorter, non-empty text)."""
    tokens = lexical_tokens(text)
    if not tokens:
        return frozenset()
    if len(tokens) < size:
        return frozenset({tuple(tokens)})
    return frozenset(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def overlap(a: str, b: str) -> float:
    """Jaccard similarity of the shingle sets of `a` and `b`, in [0, 1]."""
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 0.0
    inter = len(sa & sb)
    return inter / (len(sa) + len(sb) - inter)


class ShingleIndex:
    """Shingle numbering shared by every text it has seen, for sparse set algebra."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, ...], int] = {}

    def ids(self, text: str) -> list[int]:
        """Sorted distinct ids of the shingles of `text`, numbering new shingles."""
        out = {self._ids.setdefault(s, len(self._ids)) for s in shingles(text)}
        return sorted(out)

    def matrix(self, texts: Iterable[str]) -> sparse.csr_matrix:
        """0/1 incidence matrix (texts × shingles seen so far, widened later by `width`)."""
        indptr = [0]
        indices: list[int] = []
        for text in texts:
            indices.extend(self.ids(text))
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float32)
        shape = (len(indptr) - 1, max(len(self._ids), 1))
        return sparse.csr_matrix(
            (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr)), shape=shape
        )

    def width(self, m: sparse.csr_matrix) -> sparse.csr_matrix:
        """`m` widened to every shingle numbered so far (columns added on the right)."""
        m.resize((m.shape[0], max(len(self._ids), 1)))
        return m


def overlap_matrix(
    targets: Sequence[str], earlier: Sequence[str], *, block: int = 512
) -> NDArray[np.float64]:
    """Overlap of every target with every earlier text: a dense (targets × earlier) array.

    Computed from one sparse product per block of `block` targets, so memory stays at
    about ``block × len(earlier)`` floats whatever the number of targets.
    """
    index = ShingleIndex()
    right = index.matrix(earlier)
    left = index.matrix(targets)
    right = index.width(right)
    right_sizes = np.asarray(right.sum(axis=1)).ravel()
    left_sizes = np.asarray(left.sum(axis=1)).ravel()
    right_t = right.T.tocsc()
    out = np.zeros((len(targets), len(earlier)), dtype=np.float64)
    for start in range(0, len(targets), block):
        stop = min(start + block, len(targets))
        inter = (left[start:stop] @ right_t).toarray()
        union = left_sizes[start:stop, None] + right_sizes[None, :] - inter
        np.divide(inter, union, out=out[start:stop], where=union > 0)
    return out
