"""The package's shape, checked rather than remembered: facades, module size, layering."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "papertiger"
PACKAGES = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())
MAX_MODULE_LINES = 400


@pytest.mark.parametrize("package", ["papertiger", *[f"papertiger.{p}" for p in PACKAGES]])
def test_every_package_has_a_sorted_complete_all(package: str) -> None:
    module = importlib.import_module(package)
    names = module.__all__
    assert names in (sorted(names), sorted(names, key=_isort_key)), f"{package}.__all__ unsorted"
    for name in names:
        assert getattr(module, name) is not None, f"{package}.{name} missing"


def _isort_key(name: str) -> tuple[int, str]:
    """isort's order (ruff RUF022): CONSTANTS, then Classes, then functions."""
    if name.isupper() or (name.upper() == name and "_" in name):
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name}: {lines} lines"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_imports_the_facade(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "papertiger":
            raise AssertionError(f"{path}: 'from papertiger import' inside the package")
        if isinstance(node, ast.Import) and any(a.name == "papertiger" for a in node.names):
            raise AssertionError(f"{path}: 'import papertiger' inside the package")
