"""Fixtures for the import tests (builders live in importer_fixtures.py and import_helpers.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from papertiger.cli import main


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run `papertiger ARGS...` in-process; returns (exit code, stdout, stderr)."""

    def invoke(*args: str | Path) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "argv", ["papertiger", *map(str, args)])
        monkeypatch.setenv("COLUMNS", "200")
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess([str(a) for a in args], code, out, err)

    return invoke
