"""The readers by tool name, and the files each would read under a folder.

    for sample in read("lm-eval", "out/model/samples_aime24_2025-06-01T12-30-45.123456.jsonl"):
        ...
    samples = read_all("inspect", "logs/2025-06-01T12-30-45_aime_abc.eval")

`read` streams: an `InputError` may surface part-way through, so a caller that must not
half-import a file collects it first (`read_all`) or writes inside one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

from papertiger.errors import InputError
from papertiger.importers.inspect_log import read_inspect
from papertiger.importers.lighteval import read_lighteval
from papertiger.importers.lmeval import read_lmeval
from papertiger.importers.matharena import read_matharena
from papertiger.importers.records import TOOLS, ImportedSample, Reader, Tool
from papertiger.importers.table import read_table

__all__ = ["READERS", "find_files", "guess_tool", "read", "read_all", "reader"]

READERS: Mapping[Tool, Reader] = MappingProxyType(
    {
        "lm-eval": read_lmeval,
        "inspect": read_inspect,
        "lighteval": read_lighteval,
        "matharena": read_matharena,
        "csv": read_table,
    }
)
_INSPECT_LISTINGS = {"logs.json", "eval-set.json", "listing.json"}


def reader(tool: str) -> Reader:
    """The reader for `tool`; an unknown name is an `InputError` listing the known ones."""
    found = READERS.get(tool)  # type: ignore[call-overload]
    if found is None:
        raise InputError(f"unknown tool {tool!r}; expected one of: {', '.join(TOOLS)}")
    return found


def read(tool: str, path: str | Path) -> Iterator[ImportedSample]:
    """Stream the records of one file written by `tool`."""
    return reader(tool)(Path(path))


def read_all(tool: str, path: str | Path) -> list[ImportedSample]:
    """All records of one file, so that a malformed file fails before anything is used."""
    return list(read(tool, path))


def guess_tool(path: str | Path) -> Tool | None:
    """The tool that most likely wrote `path`, from its name alone (None if unsure)."""
    name = Path(path).name.lower()
    if name.endswith((".eval", ".eval2")):
        return "inspect"
    if name.startswith("samples_") and name.endswith(".jsonl"):
        return "lm-eval"
    if name.startswith("details_") and name.endswith(".parquet"):
        return "lighteval"
    if name.endswith(".json.zst") or (name.endswith(".json") and name[:-5].isdigit()):
        return "matharena"
    if name.endswith((".csv", ".tsv")):
        return "csv"
    return None


def find_files(tool: str, path: str | Path) -> list[Path]:
    """`path` itself if it is a file; under a folder, the files `tool` reads, sorted."""
    reader(tool)
    root = Path(path)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise InputError("no such file or folder", path=str(root))
    files = sorted(p for p in root.rglob("*") if p.is_file())
    names = {p: p.name.lower() for p in files}
    if tool == "lm-eval":
        chosen = [p for p in files if names[p].endswith(".jsonl")]
    elif tool == "inspect":
        chosen = [
            p
            for p in files
            if names[p].endswith(".eval")
            or (names[p].endswith(".json") and names[p] not in _INSPECT_LISTINGS)
        ]
    elif tool == "lighteval":
        details = [p for p in files if guess_tool(p) == "lighteval"]
        chosen = details or [p for p in files if names[p].endswith(".parquet")]
    elif tool == "matharena":
        runs = [p for p in files if guess_tool(p) == "matharena"]
        chosen = runs or [p for p in files if names[p].endswith((".parquet", ".jsonl"))]
    else:
        chosen = [p for p in files if names[p].endswith((".csv", ".tsv"))]
    return chosen
