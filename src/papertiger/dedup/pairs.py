"""Near-duplicate candidates: each fresh item against everything released before it.

A *target* is an item of a benchmark form; its *earlier* pool is every item released
strictly before the target's form (earlier forms of the suite, and corpus problems dated
before it). Each (target, earlier) pair gets two scores:

- ``overlap``: lexical Jaccard of word 3-shingles after LaTeX stripping and number masking
  (`dedup.lexical`); catches number-swapped variants and light edits.
- ``cosine``: sentence-embedding cosine (`dedup.embedding`, optional extra); catches
  rewordings. ``None`` when embeddings are not in use.

A pair is ``marked`` when ``overlap >= 0.30`` or ``cosine >= 0.70`` (`Thresholds`). These
defaults separated every two-wording pair and number-swapped variant in the AIME/HMMT data
from nearly all distinct pairs, with a thin margin (see docs/dedup.md): the output is a
ranked list for a person (or a judge model) to read, not a verdict.

Ranking: by ``strength = max(overlap / overlap_threshold, cosine / cosine_threshold)``,
how far the pair is past (≥ 1, marked) or short of (< 1) the nearer threshold; ties by
higher overlap, then the earlier pool's order. Each target keeps its `top` strongest
pairs; without embeddings, pairs with zero overlap are not candidates at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from papertiger.dedup.embedding import (
    EXTRA_HINT,
    Embedder,
    cosine_matrix,
    embeddings_available,
    load_embedder,
)
from papertiger.dedup.lexical import overlap_matrix
from papertiger.errors import ConfigError
from papertiger.schema import Problem

__all__ = [
    "DEFAULT_COSINE",
    "DEFAULT_OVERLAP",
    "DEFAULT_TOP",
    "Candidate",
    "DedupItem",
    "DedupReport",
    "Thresholds",
    "find_candidates",
]

DEFAULT_OVERLAP = 0.30
DEFAULT_COSINE = 0.70
DEFAULT_TOP = 5


@dataclass(frozen=True)
class DedupItem:
    """One problem statement: its id, the form (or corpus) it belongs to, its date."""

    id: str
    form: str
    released: dt.date
    text: str

    @classmethod
    def from_problem(
        cls, problem: Problem, *, form: str | None = None, released: dt.date | None = None
    ) -> DedupItem:
        """An item from a benchmark `Problem`; `form`/`released` default to the problem's."""
        date = released or problem.released
        if date is None:
            raise ConfigError(
                f"{problem.benchmark} item {problem.item_id} has no release date; "
                "give the form's date"
            )
        return cls(problem.item_id, form or problem.benchmark, date, problem.problem)


@dataclass(frozen=True)
class Thresholds:
    """The scores at or above which a pair is marked as a likely near-duplicate."""

    overlap: float = DEFAULT_OVERLAP
    cosine: float = DEFAULT_COSINE

    def __post_init__(self) -> None:
        for name in ("overlap", "cosine"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ConfigError(f"{name} threshold must be in (0, 1], got {value}")

    def marks(self, overlap: float, cosine: float | None) -> bool:
        """Whether a pair with these scores is marked."""
        return overlap >= self.overlap or (cosine is not None and cosine >= self.cosine)


@dataclass(frozen=True)
class Candidate:
    """One ranked (target, earlier) pair with both scores; `rank` is 1-based per target."""

    target: DedupItem
    earlier: DedupItem
    overlap: float
    cosine: float | None
    strength: float
    marked: bool
    rank: int


@dataclass(frozen=True)
class DedupReport:
    """Every target's top candidates, the thresholds used, and how cosine was computed.

    `embedder` is the model name, or None when only lexical overlap was computed; `note`
    then says why (extra not installed, or switched off).
    """

    candidates: tuple[Candidate, ...]
    thresholds: Thresholds
    embedder: str | None
    note: str | None
    n_targets: int
    n_earlier: int
    top: int = DEFAULT_TOP

    def marked(self) -> tuple[Candidate, ...]:
        """The marked candidates, strongest first."""
        return tuple(c for c in self.ranked() if c.marked)

    def marked_ids(self) -> frozenset[str]:
        """Ids of targets with at least one marked candidate (to drop for a clean gap)."""
        return frozenset(c.target.id for c in self.candidates if c.marked)

    def ranked(self) -> tuple[Candidate, ...]:
        """All candidates, strongest first (ties: higher overlap, then target and earlier ids)."""
        return tuple(
            sorted(
                self.candidates,
                key=lambda c: (-c.strength, -c.overlap, c.target.id, c.earlier.id),
            )
        )

    def for_target(self, target_id: str) -> tuple[Candidate, ...]:
        """The candidates of one target, by rank."""
        return tuple(c for c in self.candidates if c.target.id == target_id)


EmbedderChoice = Embedder | Literal["auto"] | None


def _resolve_embedder(choice: EmbedderChoice) -> tuple[Embedder | None, str | None]:
    """The embedder to use and, when there is none, the note saying why."""
    if choice is None:
        return None, "embedding similarity switched off: lexical overlap only"
    if not isinstance(choice, str):
        return choice, None
    if not embeddings_available():
        return None, f"embedding extra not installed ({EXTRA_HINT}): lexical overlap only"
    try:
        return load_embedder(), None
    except ConfigError as exc:
        return None, f"{exc}: lexical overlap only"


def _ordinals(items: Sequence[DedupItem]) -> NDArray[np.int64]:
    return np.fromiter((i.released.toordinal() for i in items), np.int64, len(items))


def _strength(
    overlap: NDArray[np.float64], cosine: NDArray[np.float64] | None, thresholds: Thresholds
) -> NDArray[np.float64]:
    """max(overlap / t_overlap, cosine / t_cosine), cosine below zero counting as zero."""
    strength = overlap / thresholds.overlap
    if cosine is not None:
        strength = np.maximum(strength, np.clip(cosine, 0.0, None) / thresholds.cosine)
    return strength


def find_candidates(
    targets: Sequence[DedupItem],
    earlier: Sequence[DedupItem],
    *,
    top: int = DEFAULT_TOP,
    thresholds: Thresholds | None = None,
    embedder: EmbedderChoice = "auto",
) -> DedupReport:
    """Rank each target's near-duplicate candidates among the items released before it.

    `earlier` may include the targets themselves (pass the whole suite plus the corpus):
    only items dated strictly before a target's date are compared with it. `embedder`:
    "auto" uses the dedup extra when installed and falls back to lexical overlap with a
    note; None switches embeddings off; or pass any `Embedder`.
    """
    if top < 1:
        raise ConfigError(f"top must be at least 1, got {top}")
    thresholds = thresholds or Thresholds()
    model, note = _resolve_embedder(embedder)
    candidates: list[Candidate] = []
    if targets and earlier:
        target_texts = [t.text for t in targets]
        earlier_texts = [e.text for e in earlier]
        overlap = overlap_matrix(target_texts, earlier_texts)
        cosine = cosine_matrix(model, target_texts, earlier_texts) if model else None
        strength = _strength(overlap, cosine, thresholds)
        eligible = _ordinals(earlier)[None, :] < _ordinals(targets)[:, None]
        if cosine is None:
            eligible &= overlap > 0.0
        strength = np.where(eligible, strength, -np.inf)
        for row, target in enumerate(targets):
            for rank, col in enumerate(_top_columns(strength[row], overlap[row], top), 1):
                cos = None if cosine is None else float(cosine[row, col])
                ov = float(overlap[row, col])
                candidates.append(
                    Candidate(
                        target=target,
                        earlier=earlier[col],
                        overlap=ov,
                        cosine=cos,
                        strength=float(strength[row, col]),
                        marked=thresholds.marks(ov, cos),
                        rank=rank,
                    )
                )
    return DedupReport(
        candidates=tuple(candidates),
        thresholds=thresholds,
        embedder=model.name if model else None,
        note=note,
        n_targets=len(targets),
        n_earlier=len(earlier),
        top=top,
    )


def _top_columns(
    strength: NDArray[np.float64], overlap: NDArray[np.float64], top: int
) -> list[int]:
    """Columns of the `top` strongest eligible entries, strongest first (stable ties)."""
    finite = np.flatnonzero(np.isfinite(strength))
    if finite.size > top:
        # keep every column tied with the cut so the final order is deterministic
        cut = np.partition(strength[finite], finite.size - top)[finite.size - top]
        finite = finite[strength[finite] >= cut]
    order = np.lexsort((finite, -overlap[finite], -strength[finite]))
    return [int(c) for c in finite[order][:top]]
