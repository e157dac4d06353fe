"""Candidate pairs: who is compared with whom, ranking, marking, the lexical-only fallback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from dedup_cases import load_rows, swap_numbers
from numpy.typing import NDArray

from papertiger.dedup import (
    DedupItem,
    Embedder,
    Thresholds,
    find_candidates,
)
from papertiger.dedup import pairs as pairs_module
from papertiger.errors import ConfigError
from papertiger.schema import Problem

D2024, D2025, D2026 = dt.date(2024, 2, 1), dt.date(2025, 2, 6), dt.date(2026, 2, 5)
SOURCE = "A stack of $2024$ tokens lies on a table; each turn removes $1$ or $4$ tokens."
OTHER = "Compute the area of the triangle with vertices on the parabola $y = x^2$."


class LetterEmbedder:
    """A tiny deterministic stand-in for the model: normalised letter counts."""

    name = "letters"

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), 26), dtype=np.float32)
        for row, text in enumerate(texts):
            for ch in text.lower():
                if "a" <= ch <= "z":
                    out[row, ord(ch) - 97] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1)


def item(id_: str, released: dt.date, text: str, form: str = "f") -> DedupItem:
    return DedupItem(id=id_, form=form, released=released, text=text)


def test_the_fake_embedder_is_an_embedder() -> None:
    assert isinstance(LetterEmbedder(), Embedder)


def test_a_number_swapped_twin_in_an_earlier_form_is_marked_first() -> None:
    fresh = item("2025-01", D2025, SOURCE.replace("2024", "2025"), "aime2025")
    old = [item("2024-01", D2024, SOURCE, "aime2024"), item("2024-02", D2024, OTHER, "aime2024")]
    report = find_candidates([fresh], old, embedder=None)
    first = report.candidates[0]
    assert (first.earlier.id, first.rank, first.marked) == ("2024-01", 1, True)
    assert first.overlap == 1.0 and first.cosine is None
    assert first.strength == pytest.approx(1.0 / 0.30)
    assert report.marked_ids() == frozenset({"2025-01"})
    assert report.embedder is None and report.note and "lexical overlap only" in report.note


def test_only_items_released_strictly_before_the_target_are_compared() -> None:
    target = item("t", D2025, SOURCE)
    pool = [
        item("same-day", D2025, SOURCE),
        item("later", D2026, SOURCE),
        item("before", D2024, SOURCE),
        target,  # the whole suite may be passed as the pool: an item never meets itself
    ]
    report = find_candidates([target], pool, embedder=None)
    assert [c.earlier.id for c in report.candidates] == ["before"]


def test_the_first_form_sees_only_older_corpus_items() -> None:
    suite = [item("a24", D2024, SOURCE), item("a25", D2025, SOURCE)]
    corpus = [item("c19", dt.date(2019, 3, 1), SOURCE, "old-olympiad")]
    report = find_candidates(suite, [*suite, *corpus], embedder=None)
    seen = {(c.target.id, c.earlier.id) for c in report.candidates}
    assert seen == {("a24", "c19"), ("a25", "a24"), ("a25", "c19")}


def test_lexical_only_drops_pairs_with_nothing_in_common() -> None:
    report = find_candidates([item("t", D2025, SOURCE)], [item("o", D2024, OTHER)], embedder=None)
    assert report.candidates == ()
    assert report.marked_ids() == frozenset()


def test_top_n_per_target_in_strength_order() -> None:
    base = "one two three four five six seven eight nine ten"
    words = base.split()
    pool = [item(f"e{k}", D2024, " ".join(words[: 10 - k] + ["zz"] * k)) for k in range(8)]
    targets = [item("t1", D2025, base), item("t2", D2025, base)]
    report = find_candidates(targets, pool, top=3, embedder=None)
    assert report.top == 3
    for tid in ("t1", "t2"):
        mine = report.for_target(tid)
        assert [c.rank for c in mine] == [1, 2, 3]
        assert [c.earlier.id for c in mine] == ["e0", "e1", "e2"]
        strengths = [c.strength for c in mine]
        assert strengths == sorted(strengths, reverse=True)
    ranked = report.ranked()
    assert [c.strength for c in ranked] == sorted((c.strength for c in ranked), reverse=True)


def test_cosine_marks_a_rewording_the_lexical_score_misses() -> None:
    target = item("t", D2025, "tokens stack removes turn each")
    reworded = item("r", D2024, "each turn removes tokens stack")  # same letters, no shingle
    report = find_candidates([target], [reworded], embedder=LetterEmbedder())
    (only,) = report.candidates
    assert only.overlap == 0.0
    assert only.cosine == pytest.approx(1.0)
    assert only.marked and only.strength == pytest.approx(1 / 0.70)
    assert report.embedder == "letters" and report.note is None
    assert report.marked() == (only,)


def test_thresholds_decide_marking() -> None:
    strict = Thresholds(overlap=0.9, cosine=0.999)
    assert not strict.marks(0.5, 0.99)
    assert strict.marks(0.95, None)
    assert Thresholds().marks(0.30, None) and Thresholds().marks(0.0, 0.70)
    assert not Thresholds().marks(0.29, 0.69)


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5])
def test_thresholds_must_be_in_the_unit_interval(bad: float) -> None:
    with pytest.raises(ConfigError, match="threshold"):
        Thresholds(overlap=bad)


def test_top_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="top"):
        find_candidates([], [], top=0, embedder=None)


def test_auto_without_the_extra_falls_back_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pairs_module, "embeddings_available", lambda: False)
    report = find_candidates([item("t", D2025, SOURCE)], [item("o", D2024, SOURCE)])
    assert report.embedder is None
    assert report.note and "papertiger[dedup]" in report.note
    assert report.candidates[0].cosine is None


def test_items_from_problems() -> None:
    problem = Problem(
        benchmark="aime2025", item_id="aime2025-I-01", problem=SOURCE, answer="70", released=D2025
    )
    assert DedupItem.from_problem(problem) == DedupItem("aime2025-I-01", "aime2025", D2025, SOURCE)
    undated = problem.model_copy(update={"released": None})
    assert DedupItem.from_problem(undated, form="AIME 2025", released=D2026).released == D2026
    with pytest.raises(ConfigError, match="no release date"):
        DedupItem.from_problem(undated)


def test_each_fresh_item_finds_its_swapped_twin_among_older_problems(shared_data: Path) -> None:
    rows = load_rows(shared_data)
    fresh = [r for r in rows if r["id"].startswith("aime2025")]
    older = [r for r in rows if r["id"].startswith(("aime2024", "hmmt"))]
    targets = [item(r["id"], D2025, r["problem"], "aime2025") for r in fresh]
    pool = [item(r["id"], D2024, r["problem"], "older") for r in older]
    twins = [
        item(f"twin-{r['id']}", dt.date(2020, 1, 1), swap_numbers(r["problem"], n), "corpus")
        for n, r in enumerate(fresh)
    ]
    report = find_candidates(targets, pool + twins, top=3, embedder=None)
    for target in targets:
        best = report.for_target(target.id)[0]
        assert best.earlier.id == f"twin-{target.id}" and best.marked
    assert all(c.earlier.form == "corpus" for c in report.marked())
    assert report.marked_ids() == frozenset(t.id for t in targets)
