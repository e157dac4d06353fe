"""Several score tables at once, one per harness: the same question asked by different
evaluation set-ups, compared side by side and pooled.

Shipped tables (`--published all`, or a comma list of `aa`, `gair`, `vals`): the essay's
Artificial Analysis table, GAIR's AIME-Preview table and a 2026 copy of Vals AI's AIME page,
each transcribed with per-row sources (`data/SOURCES.md`). User CSVs are named by
`--harness NAME` (one per file, in order), else by a `harness` column (a file whose column
holds several harnesses is split into one table each), else by the file name. Metadata
missing from a user table is filled from the shipped tables, matching models through the
alias table (`published.aliases`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from papertiger.errors import InputError
from papertiger.published.aliases import AliasTable, load_aliases
from papertiger.published.embedded import EMBEDDED_NAME, published_metadata, published_scores
from papertiger.published.scores import (
    ScoreTable,
    _merge_metadata,
    _read_rows,
    _Rows,
    _table,
)

__all__ = ["ESSAY_DATE", "PUBLISHED_TABLES", "PublishedTable", "load_harness_tables", "published_table"]

ESSAY_DATE = dt.date(2025, 11, 16)  # "Paper AI Tigers" was read against the pages of this date
_FILL = ("group", "lab", "lineage", "released", "training_cutoff", "cutoff_kind", "open_weights")


@dataclass(frozen=True)
class PublishedTable:
    """A shipped table: its file, its harness's name and what a reader must know about it."""

    key: str
    harness: str
    file: str
    title: str
    as_of: str
    protocol: str
    caveats: tuple[str, ...] = ()


PUBLISHED_TABLES: tuple[PublishedTable, ...] = (
    PublishedTable(
        "aa", "AA", "aime_aa.csv", EMBEDDED_NAME, "2025-11-16",
        "Artificial Analysis harness, as printed in the essay",
        ("AA: the scores rest on the essay's table alone; no stored copy of the AA pages could "
         "be checked",),
    ),
    PublishedTable(
        "gair", "GAIR", "aime_gair.csv",
        "published: GAIR AIME-Preview, AIME 2024 vs 2025 (table of 2025-03-11)", "2025-03-11",
        "GAIR AIME-Preview: 8 samples per question; local models AIME 2024 at T = 0.3, AIME 2025 "
        "the mean over T in {0, 0.3, 0.6}; API models at provider defaults; AIME 2025 = mean of I and II",
        ("GAIR: the essay's 'Chinese −19.4 %, Western −15.6 %' counts s1 (a Stanford fine-tune "
         "of Qwen2.5-32B) as Chinese; --group-by essay_group reproduces it, the group column "
         "follows the lab's origin", "GAIR: the essay calls this harness under-elicited "
         "(local models at 32k tokens, API models at defaults)"),
    ),
    PublishedTable(
        "vals", "Vals", "aime_vals.csv",
        "published: Vals AI AIME benchmark, AIME 2024 vs 2025 (copy of 2026-04-16)", "2026-04-16",
        "Vals AI: per-model accuracy on AIME 2024 and 2025 (30 questions each)",
    ),
)


def _vals_caveats(frame: pd.DataFrame) -> tuple[str, ...]:
    released = pd.to_datetime(frame["released"], errors="coerce").dt.date
    late = int((released > ESSAY_DATE).sum())
    return (
        f"Vals: this copy is of 2026-04-16, not the page the essay read: {late} of its "
        f"{len(frame)} models were released after {ESSAY_DATE.isoformat()}, so it does not "
        "reproduce the essay's '−11.2 % vs −10.8 %' (the essay's model list is not published)",
        "Vals: older models may have been re-run since (Claude 3.7 Sonnet Thinking: 52.7 % "
        "overall on the 2025-03-13 page, 44.6 % here); near-zero AIME 2024 scores make % fall "
        "unstable (Jamba 1.6 and Claude 3.5 Haiku fall −100 %)",
    )


def published_table(key: str) -> ScoreTable:
    """One shipped table as a ScoreTable labelled with its harness (`aa`, `gair`, `vals`)."""
    for spec in PUBLISHED_TABLES:
        if spec.key == key:
            frame = published_scores(spec.file)
            caveats = spec.caveats + (_vals_caveats(frame) if key == "vals" else ())
            return ScoreTable(frame, spec.title, "AIME 2024", "AIME 2025", (), spec.harness,
                              caveats, spec.as_of)
    known = ", ".join(s.key for s in PUBLISHED_TABLES)
    raise InputError(f"--published: unknown table {key!r}; known: all, {known}")


def _published_keys(published: str) -> list[str]:
    wanted = [p.strip().lower() for p in published.split(",") if p.strip()]
    keys = [s.key for s in PUBLISHED_TABLES]
    unknown = [w for w in wanted if w != "all" and w not in keys]
    if unknown or not wanted:
        raise InputError(f"--published: unknown table(s) {', '.join(unknown) or '(none)'}; "
                         f"known: all, {', '.join(keys)}")
    return keys if "all" in wanted else list(dict.fromkeys(wanted))


def _fill_from_published(frame: pd.DataFrame, aliases: AliasTable) -> pd.DataFrame:
    """Metadata a user table lacks, from the shipped table rows of the same model."""
    known: dict[str, dict[str, object]] = {}
    for spec in PUBLISHED_TABLES:
        meta = published_metadata(spec.file)
        for record in meta.to_dict("records"):
            fields = {str(k): v for k, v in record.items()}
            known.setdefault(aliases.canonical(str(fields["model"])), fields)
    frame = frame.copy()
    for column in _FILL:
        if column not in frame.columns:
            frame[column] = None
        values = list(frame[column])
        for i, name in enumerate(frame["model"]):
            current = values[i]
            if current is None or (isinstance(current, float) and current != current):
                values[i] = known.get(aliases.canonical(str(name)), {}).get(column)
        frame[column] = values
    return frame


def _harness_name(value: str) -> str:
    """'GAIR AIME-Preview (avg over 8 samples; ...)' → 'GAIR AIME-Preview'."""
    return value.split(" (", 1)[0].strip() or value.strip()


def _split(rows: _Rows) -> list[tuple[str | None, _Rows]]:
    """One (harness, rows) per value of the `harness` column (None: no such column)."""
    if "harness" not in rows.header:
        return [(None, rows)]
    values = list(dict.fromkeys(r.get("harness", "").strip() for _, r in rows.rows))
    if len(values) == 1:
        return [(values[0] or None, rows)]
    if "" in values:
        line = next(n for n, r in rows.rows if not r.get("harness", "").strip())
        raise InputError("empty harness (the other rows name theirs)", path=rows.path,
                         line=line, field="harness")
    return [(v, _Rows(rows.path, rows.header,
                      [(n, r) for n, r in rows.rows if r.get("harness", "").strip() == v]))
            for v in values]


def _from_csv(path: str | Path, name: str | None, old: str | None, fresh: str | None,
              aliases: AliasTable) -> list[ScoreTable]:
    rows = _read_rows(Path(path))
    if not rows.rows:
        raise InputError("no data rows", path=rows.path, line=2)
    parts = [(None, rows)] if name else _split(rows)
    tables = []
    for column_name, part in parts:
        table = _table(part, old, fresh, str(path))
        label = name or (_harness_name(column_name) if column_name else Path(path).stem)
        frame = _fill_from_published(_merge_metadata(table.frame), aliases)
        tables.append(ScoreTable(frame, str(path), table.old_label, table.fresh_label,
                                 table.notes, label))
    return tables


def _unique(tables: list[ScoreTable]) -> list[ScoreTable]:
    """Two tables may not share a harness name: the later ones get ' (2)', ' (3)', ..."""
    seen: dict[str, int] = {}
    out = []
    for table in tables:
        name = table.harness or table.source
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            table = ScoreTable(table.frame, table.source, table.old_label, table.fresh_label,
                               table.notes, f"{name} ({seen[name]})", table.caveats, table.as_of)
        out.append(table)
    return out


def load_harness_tables(
    sources: Sequence[str | Path] = (),
    *,
    harnesses: Sequence[str] = (),
    published: str | None = None,
    old: str | None = None,
    fresh: str | None = None,
    aliases: str | Path | None = None,
) -> list[ScoreTable]:
    """One score table per harness: the shipped tables asked for (`published`: 'all' or a
    comma list of aa, gair, vals), first, then each CSV's (named by `harnesses` in order,
    else by its `harness` column, else by its file name). A model may appear in several
    tables: that is the point of comparing harnesses. `aliases` is a user alias file."""
    if harnesses and len(harnesses) != len(sources):
        raise InputError(
            f"--harness was given {len(harnesses)} times for {len(sources)} sources; "
            "give one per file")
    table_aliases = load_aliases(aliases)
    tables = [published_table(k) for k in (_published_keys(published) if published else [])]
    for index, path in enumerate(sources):
        name = harnesses[index] if harnesses else None
        tables.extend(_from_csv(path, name, old, fresh, table_aliases))
    return _unique(tables)
