"""Fixtures for the adoption tests: synthetic records and a snapshot file made from them."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthetic import Record, make_records, write_snapshot


@pytest.fixture(scope="session")
def records() -> list[Record]:
    """3,000 synthetic papers, 2023-2024, with known family mentions."""
    return make_records()


@pytest.fixture
def snapshot(tmp_path: Path, records: list[Record]) -> Path:
    """The records as a plain JSON Lines snapshot."""
    path = tmp_path / "arxiv-metadata-oai-snapshot.json"
    write_snapshot(path, records)
    return path
