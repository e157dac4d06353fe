"""Read score tables from CSV (wide or long form) with errors that name file, line, column.

Wide form: one row per model, a `model` column and one column per benchmark version
(`old`/`fresh`, `aime2024`/`aime2025`, or any two named with `old=` and `fresh=`).
Long form: `model`, `benchmark` (or `version`), `score`; one row per model and version.
Optional metadata columns (`group`/`origin`, `lab`/`developer`, `lineage`, `released`,
`training_cutoff`, ...) are kept and merged with the embedded metadata by model name.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from papertiger.errors import InputError
from papertiger.published.embedded import EMBEDDED_NAME, embedded_metadata, embedded_scores
from papertiger.published.groups import KNOWN_GROUPS, normalise_group

_ALIASES = {"origin": "group", "developer": "lab", "name": "model", "cutoff": "training_cutoff"}
_WIDE_PAIRS = (("old", "fresh"), ("aime2024", "aime2025"), ("old_score", "fresh_score"))
_LONG_VERSION = ("benchmark", "version")
_DATES = ("released", "training_cutoff")
_KNOWN_COLUMNS = {
    "model",
    "group",
    "lab",
    "lineage",
    "released",
    "training_cutoff",
    "old",
    "fresh",
    "old_score",
    "fresh_score",
    "aime2024",
    "aime2025",
    "benchmark",
    "version",
    "score",
    "harness",
}


def _column_name(header: str) -> str:
    """Known columns match whatever their case (`Model`, `GROUP`); aliases map to them."""
    name = header.strip()
    lowered = name.lower()
    return _ALIASES.get(lowered, lowered if lowered in _KNOWN_COLUMNS else name)


@dataclass(frozen=True)
class ScoreTable:
    """Model-level scores on an old and a fresh benchmark version, with metadata."""

    frame: pd.DataFrame
    source: str
    old_label: str = "old"
    fresh_label: str = "fresh"
    notes: tuple[str, ...] = field(default_factory=tuple)
    harness: str | None = None
    caveats: tuple[str, ...] = field(default_factory=tuple)  # what a reader must see
    as_of: str | None = None  # when the published table was copied (ISO date)


@dataclass
class _Rows:
    path: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


def _read_rows(path: Path) -> _Rows:
    try:
        return _decode_rows(path)
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 text (byte {exc.object[exc.start]:#04x}); save the file as UTF-8",
            path=str(path), line=line,
        ) from None


def _decode_rows(path: Path) -> _Rows:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path)) from exc
    with handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            raise InputError("empty file, expected a CSV header", path=str(path), line=1)
        header = [_column_name(h) for h in reader.fieldnames]
        rows = []
        for raw in reader:
            if None in raw:  # DictReader files surplus fields under the key None
                raise InputError(
                    f"{len(reader.fieldnames) + len(raw[None])} fields but the header has "
                    f"{len(reader.fieldnames)} columns",
                    path=str(path),
                    line=reader.line_num,
                )
            values = [v if isinstance(v, str) else "" for v in raw.values()]
            if not any(v.strip() for v in values):
                continue
            rows.append((reader.line_num, dict(zip(header, values, strict=False))))
    if "model" not in header:
        raise InputError("missing required column", path=str(path), line=1, field="model")
    return _Rows(str(path), header, rows)


def _score(text: str, rows: _Rows, line: int, column: str) -> float:
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise InputError(
            f"not a number: {text.strip()!r}", path=rows.path, line=line, field=column
        ) from None
    if not math.isfinite(value) or not 0.0 <= value <= 100.0:
        raise InputError(
            f"score {value:g} outside 0-100 (scores are percentages)",
            path=rows.path,
            line=line,
            field=column,
        )
    return value


def _model_name(row: dict[str, str], rows: _Rows, line: int) -> str:
    name = row.get("model", "").strip()
    if not name:
        raise InputError("empty model name", path=rows.path, line=line, field="model")
    return name


def _duplicate(name: str, detail: str, rows: _Rows, line: int) -> InputError:
    return InputError(
        f"duplicate model {name!r} ({detail})", path=rows.path, line=line, field="model"
    )


def _pick_wide(rows: _Rows, old: str | None, fresh: str | None) -> tuple[str, str]:
    if old or fresh:
        for name in (old, fresh):
            if name is None or name not in rows.header:
                raise InputError(
                    f"missing score column (columns: {', '.join(rows.header)})",
                    path=rows.path,
                    line=1,
                    field=name or "?",
                )
        return old or "", fresh or ""
    for pair in _WIDE_PAIRS:
        if all(p in rows.header for p in pair):
            return pair
    raise InputError(
        "no score columns found: expected 'old' and 'fresh' (or 'aime2024' and 'aime2025'), "
        "long form 'benchmark' + 'score', or name them with --old/--fresh",
        path=rows.path,
        line=1,
        field="old",
    )


def _wide(rows: _Rows, old: str | None, fresh: str | None) -> tuple[pd.DataFrame, str, str]:
    old_col, fresh_col = _pick_wide(rows, old, fresh)
    records: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for line, row in rows.rows:
        name = _model_name(row, rows, line)
        if name in seen:
            raise _duplicate(name, f"first on line {seen[name]}", rows, line)
        seen[name] = line
        rec: dict[str, object] = {
            k: v.strip() for k, v in row.items() if k not in (old_col, fresh_col)
        }
        rec["old"] = _score(row.get(old_col, ""), rows, line, old_col)
        rec["fresh"] = _score(row.get(fresh_col, ""), rows, line, fresh_col)
        rec["_line"] = line
        records.append(rec)
    return pd.DataFrame.from_records(records), old_col, fresh_col


def _long(rows: _Rows, old: str | None, fresh: str | None) -> tuple[pd.DataFrame, str, str]:
    version_col = next(c for c in _LONG_VERSION if c in rows.header)
    if "score" not in rows.header:
        raise InputError("missing required column", path=rows.path, line=1, field="score")
    versions = sorted({r[version_col].strip() for _, r in rows.rows})
    if old is None and fresh is None:
        if len(versions) != 2:
            raise InputError(
                f"{len(versions)} benchmark versions ({', '.join(versions)}); "
                "name the pair with --old and --fresh",
                path=rows.path,
                line=1,
                field=version_col,
            )
        old, fresh = versions
    for flag, name in (("--old", old), ("--fresh", fresh)):
        if name is None:
            raise InputError(
                f"give both --old and --fresh ({flag} is missing)",
                path=rows.path,
                line=1,
                field=version_col,
            )
        if name not in versions:
            raise InputError(
                f"{flag} {name!r} is not a value of this column (values: {', '.join(versions)})",
                path=rows.path,
                line=1,
                field=version_col,
            )
    wanted = {old: "old", fresh: "fresh"}
    by_model: dict[str, dict[str, object]] = {}
    for line, row in rows.rows:
        role = wanted.get(row[version_col].strip())
        if role is None:
            continue
        name = _model_name(row, rows, line)
        rec = by_model.setdefault(name, {"_line": line})
        if role in rec:
            raise _duplicate(name, f"for {row[version_col].strip()!r}", rows, line)
        rec[role] = _score(row["score"], rows, line, "score")
        _keep_metadata(rec, row, {version_col, "score"})
    _check_complete(by_model, rows, version_col, (str(old), str(fresh)))
    return pd.DataFrame.from_records(list(by_model.values())), str(old), str(fresh)


def _keep_metadata(rec: dict[str, object], row: dict[str, str], skip: set[str]) -> None:
    for key, value in row.items():
        if key not in skip and value.strip():
            rec.setdefault(key, value.strip())


def _check_complete(
    by_model: dict[str, dict[str, object]], rows: _Rows, version_col: str, labels: tuple[str, str]
) -> None:
    old, fresh = labels
    for name, rec in by_model.items():
        for role, label in (("old", old), ("fresh", fresh)):
            if role not in rec:
                raise InputError(
                    f"model {name!r} has no score for {label!r}",
                    path=rows.path,
                    line=int(str(rec["_line"])),
                    field=version_col,
                )


def _check_groups(frame: pd.DataFrame, path: str) -> pd.DataFrame:
    if "group" not in frame.columns:
        return frame
    groups: list[str | None] = []
    for line, value in zip(frame["_line"], frame["group"], strict=True):
        if value is None or (isinstance(value, float) and math.isnan(value)) or not str(value):
            groups.append(None)
            continue
        known = normalise_group(str(value))
        if known is None:
            raise InputError(
                f"unknown group {value!r} (known: {', '.join(KNOWN_GROUPS)}, or CN/US); "
                "to compare by another column use --group-by COLUMN",
                path=path,
                line=int(line),
                field="group",
            )
        groups.append(known)
    frame["group"] = groups
    return frame


def _check_percentages(frame: pd.DataFrame, path: str, old: str, fresh: str) -> None:
    """Scores that are all at most 1 are fractions, not percentages: 0.80 would read as 0.8 %."""
    values = pd.concat([frame["old"], frame["fresh"]]).astype(float)
    if len(values) and (values <= 1.0).all() and (values > 0).any():
        raise InputError(
            f"every score in {old!r} and {fresh!r} is at most 1: these look like fractions; "
            "give percentages (0-100), e.g. 80 for 0.80",
            path=path,
            line=2,
            field=old,
        )


def _check_dates(frame: pd.DataFrame, path: str) -> None:
    for column in _DATES:
        if column not in frame.columns:
            continue
        for line, value in zip(frame["_line"], frame[column], strict=True):
            if isinstance(value, str) and value:
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    raise InputError(
                        f"not an ISO date (YYYY-MM-DD): {value!r}",
                        path=path,
                        line=int(line),
                        field=column,
                    ) from None


def read_scores_csv(
    path: str | Path, *, old: str | None = None, fresh: str | None = None
) -> ScoreTable:
    """Read one CSV of published scores (wide or long form), validated row by row."""
    rows = _read_rows(Path(path))
    if not rows.rows:
        raise InputError("no data rows", path=rows.path, line=2)
    harnesses = sorted({r.get("harness", "").strip() for _, r in rows.rows} - {""})
    if len(harnesses) > 1:
        raise InputError(
            f"{len(harnesses)} harnesses in column 'harness' ({', '.join(harnesses)}): one score "
            "table holds one harness; load_harness_tables splits such a file into one per harness",
            path=rows.path, line=1, field="harness")
    return _table(rows, old, fresh, str(path))


def _table(rows: _Rows, old: str | None, fresh: str | None, source: str) -> ScoreTable:
    """Parse and validate the rows of one score table (one harness)."""
    is_long = "score" in rows.header and any(c in rows.header for c in _LONG_VERSION)
    frame, old_label, fresh_label = (_long if is_long else _wide)(rows, old, fresh)
    frame = frame.replace({"": None})
    _check_percentages(frame, rows.path, old_label, fresh_label)
    frame = _check_groups(frame, rows.path)
    _check_dates(frame, rows.path)
    return ScoreTable(frame.drop(columns="_line"), source, old_label, fresh_label)


def _merge_metadata(frame: pd.DataFrame) -> pd.DataFrame:
    meta = embedded_metadata()
    meta_by_key = {str(m).strip().lower(): row for m, row in meta.set_index("model").iterrows()}
    frame = frame.copy()
    for column in meta.columns:
        if column == "model":
            continue
        if column not in frame.columns:
            frame[column] = None
        for i, name in enumerate(frame["model"]):
            current: object = frame.at[frame.index[i], column]
            known = meta_by_key.get(str(name).strip().lower())
            if known is not None and (current is None or current != current):  # None or NaN
                frame.at[frame.index[i], column] = known[column]
    return frame


def load_scores(
    sources: str | Path | Sequence[str | Path] = (),
    *,
    old: str | None = None,
    fresh: str | None = None,
) -> ScoreTable:
    """Load the embedded table (no sources) or one or more score CSVs, metadata merged.

    `sources` is one path or a list of paths. Several CSVs are stacked; a model may appear
    in only one of them.
    """
    if isinstance(sources, str | Path):
        sources = [sources]
    if not sources:
        return ScoreTable(embedded_scores(), EMBEDDED_NAME, "AIME 2024", "AIME 2025")
    tables = [read_scores_csv(s, old=old, fresh=fresh) for s in sources]
    frame = pd.concat([t.frame for t in tables], ignore_index=True)
    dupes = frame["model"][frame["model"].duplicated()].tolist()
    if dupes:
        raise InputError(f"model {dupes[0]!r} appears in more than one file", field="model")
    labels = {(t.old_label, t.fresh_label) for t in tables}
    old_label, fresh_label = labels.pop() if len(labels) == 1 else ("old", "fresh")
    source = ", ".join(str(s) for s in sources)
    return ScoreTable(_merge_metadata(frame), source, old_label, fresh_label)


def load_published(
    sources: str | Path | Sequence[str | Path] = (),
    *,
    old: str | None = None,
    fresh: str | None = None,
) -> pd.DataFrame:
    """Notebook entry point: the score table as a DataFrame (labels in `frame.attrs`)."""
    table = load_scores(sources, old=old, fresh=fresh)
    frame = table.frame.copy()
    frame.attrs.update(
        source=table.source, old_label=table.old_label, fresh_label=table.fresh_label
    )
    return frame
