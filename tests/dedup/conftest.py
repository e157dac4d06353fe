"""Fixtures for the dedup command's tests: the CLI in-process and a fast fake embedder."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: openai_server

from dedup_cli_helpers import LetterEmbedder  # noqa: E402

from papertiger.cli import main  # noqa: E402
from papertiger.dedup import pairs as pairs_module  # noqa: E402

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run `papertiger ARGS...` in-process; returns (returncode, stdout, stderr)."""

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "argv", ["papertiger", *args])
        monkeypatch.setenv("COLUMNS", "160")
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return invoke


@pytest.fixture
def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> LetterEmbedder:
    """Make the "auto" embedder the letter-count fake (the real model takes ~10 s to load)."""
    embedder = LetterEmbedder()
    monkeypatch.setattr(pairs_module, "embeddings_available", lambda: True)
    monkeypatch.setattr(pairs_module, "load_embedder", lambda: embedder)
    return embedder
