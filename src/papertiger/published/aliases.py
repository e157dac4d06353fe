"""One model, several names: the alias table that matches models across harnesses.

AA calls it "Kimi K2-Instruct", Vals "together/moonshotai/Kimi-K2-Instruct", Hugging Face
"moonshotai/Kimi-K2-Instruct". The package ships `data/aliases.csv` (canonical, alias,
source, note) covering every name in the published AA, GAIR, Vals and MathArena tables; a
user file with the same columns (`canonical`, `alias`; `source`, `note` optional) extends
it, and its rows win where both name the same alias. Names match whatever their case and
spacing. Different checkpoints, and thinking vs non-thinking modes, are different models;
a reasoning effort one table does not state matches the stated one only where that table
lists the model once.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from papertiger.errors import InputError

__all__ = ["AliasRow", "AliasTable", "load_aliases", "normalise_name"]

_FILE = "aliases.csv"
_REQUIRED = ("canonical", "alias")


def normalise_name(name: str) -> str:
    """The key names are matched by: lower case, runs of spaces collapsed."""
    return re.sub(r"\s+", " ", str(name)).strip().casefold()


@dataclass(frozen=True)
class AliasRow:
    """One name of one model, and where it is used."""

    canonical: str
    alias: str
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class AliasTable:
    """Alias → canonical name; a name not in the table is its own canonical name."""

    rows: tuple[AliasRow, ...]
    paths: tuple[str, ...] = ()
    _index: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for row in self.rows:
            self._index[normalise_name(row.alias)] = row.canonical
            self._index.setdefault(normalise_name(row.canonical), row.canonical)

    def canonical(self, name: str) -> str:
        """The canonical name of `name` (itself when the table does not know it)."""
        return self._index.get(normalise_name(name), str(name).strip())

    def same(self, a: str, b: str) -> bool:
        """Whether two names denote the same model."""
        return self.canonical(a) == self.canonical(b)

    def duplicates(self, names: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
        """Groups of distinct names (in one table) that are one model: (canonical, names)."""
        groups: dict[str, list[str]] = {}
        for name in names:
            members = groups.setdefault(self.canonical(name), [])
            if name not in members:
                members.append(name)
        return [(c, tuple(m)) for c, m in groups.items() if len(m) > 1]

    def sources_of(self, canonical: str) -> tuple[str, ...]:
        """The tables (sources) that use some name of this model."""
        return tuple(dict.fromkeys(r.source for r in self.rows if r.canonical == canonical and r.source))


def _read(handle: Iterable[str], path: str) -> list[AliasRow]:
    reader = csv.DictReader(handle)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    for column in _REQUIRED:
        if column not in header:
            raise InputError("missing required column", path=path, line=1, field=column)
    reader.fieldnames = header
    rows: list[AliasRow] = []
    seen: dict[str, tuple[int, str]] = {}
    for raw in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in raw.items() if isinstance(k, str)}
        if not any(values.values()):
            continue
        for column in _REQUIRED:
            if not values.get(column):
                raise InputError(f"empty {column}", path=path, line=line, field=column)
        key = normalise_name(values["alias"])
        if key in seen and seen[key][1] != values["canonical"]:
            raise InputError(
                f"alias {values['alias']!r} names {values['canonical']!r} here but "
                f"{seen[key][1]!r} on line {seen[key][0]}", path=path, line=line, field="alias")
        seen.setdefault(key, (line, values["canonical"]))
        rows.append(AliasRow(values["canonical"], values["alias"], values.get("source", ""),
                             values.get("note", "")))
    return rows


@functools.cache
def _packaged() -> tuple[AliasRow, ...]:
    ref = resources.files("papertiger.published").joinpath("data", _FILE)
    with ref.open("r", encoding="utf-8") as handle:
        return tuple(_read(handle, f"papertiger/published/data/{_FILE}"))


def load_aliases(extra: str | Path | None = None) -> AliasTable:
    """The packaged alias table, extended (and overridden) by the user's file `extra`."""
    rows = list(_packaged())
    paths = [f"papertiger/published/data/{_FILE}"]
    if extra is not None:
        path = Path(extra)
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                user = _read(handle, str(path))
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", path=str(path)) from exc
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text; save the file as UTF-8", path=str(path)) from None
        overridden = {normalise_name(r.alias) for r in user}
        rows = [r for r in rows if normalise_name(r.alias) not in overridden] + user
        paths.append(str(path))
    return AliasTable(tuple(rows), tuple(paths))
