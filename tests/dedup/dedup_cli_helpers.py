"""Helpers for the dedup command's tests: a fake embedder, benchmark rows, corpus files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray


class LetterEmbedder:
    """A fast deterministic stand-in for the model: normalised letter counts."""

    name = "letters"

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), 26), dtype=np.float32)
        for row, text in enumerate(texts):
            for ch in text.lower():
                if "a" <= ch <= "z":
                    out[row, ord(ch) - 97] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1)


def shared_rows(shared_data: Path, name: str) -> list[dict[str, Any]]:
    """The rows of one benchmark file in ../shared/data."""
    lines = (shared_data / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def write_corpus(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """A JSONL corpus file of `rows` (id, problem, date, optional form)."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
