"""Fixtures for runner tests (helpers live in runner_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: openai_server

from runner_helpers import make_data_dir  # noqa: E402


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A synthetic AIME-format suite on disk."""
    return make_data_dir(tmp_path)
