"""Fixtures for benchmark loading: tiny local sets, and `datasets` kept offline in tmp."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmark_rows import aime_rows, write_jsonl


@pytest.fixture
def tiny_data_dir(tmp_path: Path) -> Path:
    """A data folder shaped like ../shared/data, made by the test (3 × 30 AIME problems)."""
    folder = tmp_path / "data"
    folder.mkdir()
    write_jsonl(folder / "aime_2024.jsonl", aime_rows(2024))
    write_jsonl(folder / "aime_2025.jsonl", aime_rows(2025))
    write_jsonl(folder / "aime_2026.jsonl", aime_rows(2026))
    return folder


@pytest.fixture
def offline_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the `datasets` cache at tmp_path and forbid the Hub, for HF-path tests."""
    datasets_config = pytest.importorskip("datasets.config")
    monkeypatch.setattr(datasets_config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    monkeypatch.setattr(datasets_config, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
