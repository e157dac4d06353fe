"""Fixtures for the results store: a real SQLite file per test and a record factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from store_records import RecordFactory, make_grade, make_record

from papertiger.schema import Grade
from papertiger.store import SQLiteStore, open_store


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "results.sqlite"


@pytest.fixture
def store(store_path: Path) -> Iterator[SQLiteStore]:
    with open_store(store_path) as opened:
        yield opened


@pytest.fixture
def record() -> RecordFactory:
    return make_record


@pytest.fixture
def grade() -> Callable[..., Grade]:
    return make_grade
