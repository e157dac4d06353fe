"""Near-duplicate detection: which fresh items have a near twin in older material.

Two scores per (fresh item, earlier item) pair, ranked for a person to read:

- lexical overlap, Jaccard of word 3-shingles after stripping LaTeX and masking numbers
  (`overlap`, `overlap_matrix`); no extra dependency, catches number-swapped variants;
- sentence-embedding cosine with all-MiniLM-L6-v2 (`load_embedder`, `cosine_matrix`),
  the optional extra ``pip install 'papertiger[dedup]'``; catches rewordings.

`find_candidates` compares each target with the items released before it and marks pairs
at ``overlap >= 0.30`` or ``cosine >= 0.70``; `read_corpus` reads older problems from
JSONL/CSV/Parquet. See docs/dedup.md.

    >>> from papertiger.dedup import overlap
    >>> overlap("Find the sum of $3$ and $4$.", "Find the sum of $10$ and $12$.")
    1.0
"""

from papertiger.dedup.corpus import CORPUS_SUFFIXES, read_corpus
from papertiger.dedup.embedding import (
    EXTRA_HINT,
    MODEL_NAME,
    Embedder,
    MiniLMEmbedder,
    cosine_matrix,
    embeddings_available,
    load_embedder,
)
from papertiger.dedup.lexical import normalise_lexical, overlap, overlap_matrix, shingles
from papertiger.dedup.pairs import (
    DEFAULT_COSINE,
    DEFAULT_OVERLAP,
    DEFAULT_TOP,
    Candidate,
    DedupItem,
    DedupReport,
    Thresholds,
    find_candidates,
)

__all__ = [
    "CORPUS_SUFFIXES",
    "DEFAULT_COSINE",
    "DEFAULT_OVERLAP",
    "DEFAULT_TOP",
    "EXTRA_HINT",
    "MODEL_NAME",
    "Candidate",
    "DedupItem",
    "DedupReport",
    "Embedder",
    "MiniLMEmbedder",
    "Thresholds",
    "cosine_matrix",
    "embeddings_available",
    "find_candidates",
    "load_embedder",
    "normalise_lexical",
    "overlap",
    "overlap_matrix",
    "read_corpus",
    "shingles",
]
