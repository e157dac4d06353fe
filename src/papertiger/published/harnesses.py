"""Several score tables at once, one per harness: the same models measured by different
evaluation set-ups, compared side by side and pooled."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from papertiger.errors import InputError
from papertiger.published.embedded import EMBEDDED_NAME, embedded_scores
from papertiger.published.scores import ScoreTable, _merge_metadata, read_scores_csv


def load_harness_tables(
    sources: Sequence[str | Path] = (),
    *,
    harnesses: Sequence[str] = (),
    published: str | None = None,
    old: str | None = None,
    fresh: str | None = None,
) -> list[ScoreTable]:
    """One score table per harness: each CSV (named by `harnesses` in order, else by its
    file name) and the published tables asked for (`published`: 'all' or 'aa'). A model
    may appear in several tables: that is the point of comparing harnesses."""
    if harnesses and len(harnesses) != len(sources):
        raise InputError(
            f"--harness was given {len(harnesses)} times for {len(sources)} sources; give one per file"
        )
    tables = []
    for index, path in enumerate(sources):
        table = read_scores_csv(path, old=old, fresh=fresh)
        name = harnesses[index] if harnesses else Path(path).stem
        frame = _merge_metadata(table.frame)
        tables.append(ScoreTable(frame, str(path), table.old_label, table.fresh_label, table.notes, name))
    if published:
        wanted = {p.strip().lower() for p in published.split(",")}
        if not wanted <= {"all", "aa"}:
            raise InputError(f"--published: unknown table(s) {', '.join(sorted(wanted - {'all', 'aa'}))}; known: aa")
        tables.insert(0, ScoreTable(embedded_scores(), EMBEDDED_NAME, "AIME 2024", "AIME 2025", (), "AA"))
    return tables
