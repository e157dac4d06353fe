"""Benchmark sets from local files (JSONL, CSV, Parquet) or Hugging Face datasets.

A `SetSource` says where one set lives and how its columns map onto `Problem`; `load_set`
reads it, normalises every row at the edge and checks what it loaded (required fields,
answer format, unique ids, expected count). Source column names never leak past here.
Every error is an `InputError` naming the file (or dataset), the line or row, and the
field.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from pydantic import BaseModel, ConfigDict, Field, model_validator

from papertiger.errors import InputError, require
from papertiger.schema import BenchmarkSet, Problem
from papertiger.schema.problem import AnswerFormat

_INTEGER = re.compile(r"[+-]?\d+")
JSONL_SUFFIXES = (".jsonl", ".ndjson")


class FieldMap(BaseModel):
    """Source column for each `Problem` field; `None` means the source has no such column."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = "id"
    problem: str = "problem"
    answer: str = "answer"
    year: str | None = "year"
    exam: str | None = "exam"
    number: str | None = "number"
    topic: str | None = "topic"
    released: str | None = "released"
    problem_alt: str | None = "problem_alt"


class SetSource(BaseModel):
    """Where one benchmark set lives: a local `path`, or a Hugging Face `dataset`.

    `dataset` is anything `datasets.load_dataset` takes: a Hub id, a local folder, or a
    builder name such as 'json' together with `data_files`. `id_format`, if given, builds
    item ids from the raw row with `str.format` (e.g. 'aime2025-ma-{problem_idx:02d}').
    `released` is the set's date, used for items whose row has no date of its own.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    path: Path | None = None
    dataset: str | None = None
    split: str = "train"
    config: str | None = None
    revision: str | None = None
    data_files: str | list[str] | None = None
    fields: FieldMap = FieldMap()
    id_format: str | None = None
    count: int | None = Field(default=None, ge=1)
    released: dt.date | None = None
    answer_format: AnswerFormat = "integer"

    @model_validator(mode="after")
    def _one_location(self) -> SetSource:
        if (self.path is None) == (self.dataset is None):
            raise ValueError("give exactly one of 'path' (a local file) or 'dataset'")
        return self


class Row(NamedTuple):
    """One raw record and where it came from: `line` in a text file; `position` (0-based)."""

    data: dict[str, Any]
    line: int | None
    position: int


class _Origin(NamedTuple):
    label: str  # the file path or dataset id named in errors
    source: SetSource


# -- reading raw rows --------------------------------------------------------------------


def read_rows(path: Path) -> list[Row]:
    """Raw records of a local JSONL, CSV or Parquet file, with their line numbers."""
    if not path.is_file():
        raise InputError("file not found", path=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix in JSONL_SUFFIXES:
            return _read_jsonl(path)
        if suffix == ".csv":
            return _read_csv(path)
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text; save the file as UTF-8", path=str(path), line=line) from None
    if suffix == ".parquet":
        return _read_parquet(path)
    raise InputError(f"unknown file type {suffix!r}; use .jsonl, .csv or .parquet", path=str(path))


def _read_jsonl(path: Path) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8-sig") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"not valid JSON ({exc.msg})", path=str(path), line=number
                ) from exc
            if not isinstance(data, dict):
                raise InputError("each line must be a JSON object", path=str(path), line=number)
            rows.append(Row(data, number, len(rows)))
    return rows


def _read_csv(path: Path) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:  # Excel writes a BOM
        reader = csv.DictReader(handle)
        start = reader.line_num + 1
        for data in reader:
            # Empty cells mean "no value", as a missing JSON key does.
            clean = {k: v for k, v in data.items() if k is not None and v != ""}
            rows.append(Row(clean, start, len(rows)))
            start = reader.line_num + 1
    return rows


def _read_parquet(path: Path) -> list[Row]:
    pq = require("pyarrow.parquet", "parquet", "reading Parquet files")
    try:
        records = pq.read_table(path).to_pylist()
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise InputError(f"cannot read Parquet ({exc})", path=str(path)) from exc
    return [Row(data, None, index) for index, data in enumerate(records)]


def read_hf_rows(source: SetSource, base_dir: Path | None = None) -> list[Row]:
    """Raw records of a Hugging Face dataset split (Hub id, local folder or builder)."""
    datasets = require("datasets", "hf", f"loading {source.dataset!r} from Hugging Face (or give --data DIR)")
    assert source.dataset is not None
    try:
        loaded = datasets.load_dataset(
            _resolve_dataset(source.dataset, base_dir),
            source.config,
            split=source.split,
            revision=source.revision,
            data_files=_resolve_files(source.data_files, base_dir),
        )
    except Exception as exc:  # the Hub, builders and file systems each raise their own
        raise InputError(
            f"cannot load split {source.split!r} ({type(exc).__name__}: {exc})",
            path=source.dataset,
        ) from exc
    return [Row(dict(data), None, index) for index, data in enumerate(loaded)]


def _resolve_dataset(dataset: str, base_dir: Path | None) -> str:
    """A relative local folder is taken relative to the suites file."""
    if base_dir is not None and dataset.startswith(("./", "../")):
        return str((base_dir / dataset).resolve())
    return dataset


def _resolve_files(files: str | list[str] | None, base_dir: Path | None) -> Any:
    if files is None or base_dir is None:
        return files
    items = [files] if isinstance(files, str) else files
    resolved = [str(base_dir / f) if not Path(f).is_absolute() else f for f in items]
    return resolved[0] if isinstance(files, str) else resolved


# -- rows to problems --------------------------------------------------------------------


def load_set(source: SetSource, base_dir: Path | None = None) -> BenchmarkSet:
    """Load, normalise and check one benchmark set.

    A relative `path` (or `data_files`) is taken relative to `base_dir`.
    """
    if source.path is not None:
        path = source.path if base_dir is None else base_dir / source.path
        rows, label = read_rows(path), str(path)
    else:
        rows, label = read_hf_rows(source, base_dir), str(source.dataset)
    problems = to_problems(rows, _Origin(label, source))
    return BenchmarkSet(
        name=source.name,
        problems=problems,
        answer_format=source.answer_format,
        released=source.released,
    )


def to_problems(rows: list[Row], origin: _Origin) -> tuple[Problem, ...]:
    """Map raw rows to problems; ids must be unique and the count as expected."""
    problems: list[Problem] = []
    first_seen: dict[str, Row] = {}
    for row in rows:
        problem = _to_problem(row, origin)
        if problem.item_id in first_seen:
            where = _where(first_seen[problem.item_id])
            _fail(
                row,
                origin,
                origin.source.fields.id,
                f"duplicate id {problem.item_id!r} (first seen at {where})",
            )
        first_seen[problem.item_id] = row
        problems.append(problem)
    expected = origin.source.count
    if expected is not None and len(problems) != expected:
        raise InputError(
            f"expected {expected} problems in set {origin.source.name!r}, found {len(problems)}",
            path=origin.label,
        )
    return tuple(problems)


def _to_problem(row: Row, origin: _Origin) -> Problem:
    fields, source = origin.source.fields, origin.source
    problem_text = _required(row, origin, fields.problem)
    if not isinstance(problem_text, str) or not problem_text.strip():
        _fail(row, origin, fields.problem, "problem text is empty or not text")
    released = _optional(row, origin, fields.released, _as_date)
    return Problem(
        benchmark=source.name,
        item_id=_item_id(row, origin),
        problem=problem_text,
        answer=_answer(row, origin),
        year=_optional(row, origin, fields.year, _as_int),
        exam=_optional(row, origin, fields.exam, _as_text),
        number=_optional(row, origin, fields.number, _as_int),
        topic=_optional(row, origin, fields.topic, _as_text),
        released=released or source.released,
        problem_alt=_optional(row, origin, fields.problem_alt, _as_text) or None,
    )


def _item_id(row: Row, origin: _Origin) -> str:
    template = origin.source.id_format
    if template is None:
        value = _required(row, origin, origin.source.fields.id)
        item_id = _as_text(value)
    else:
        try:
            item_id = template.format(**row.data, row=row.position + 1)
        except KeyError as exc:
            _fail(row, origin, str(exc.args[0]), f"id_format {template!r} needs this column")
        except (ValueError, TypeError) as exc:
            _fail(row, origin, "id_format", f"cannot format {template!r}: {exc}")
    if not item_id:
        _fail(row, origin, origin.source.fields.id, "id is empty")
    return item_id


def _answer(row: Row, origin: _Origin) -> str:
    column = origin.source.fields.answer
    value = _required(row, origin, column)
    if origin.source.answer_format == "latex":
        text = _as_text(value)
        if not text:
            _fail(row, origin, column, "answer is empty")
        return text
    number = _integer_or_none(value)
    if number is None:
        _fail(row, origin, column, f"answer {value!r} is not an integer")
    if not 0 <= number <= 999:
        _fail(row, origin, column, f"answer {number} is outside 0-999")
    return str(number)


def _integer_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _required(row: Row, origin: _Origin, column: str) -> Any:
    value = row.data.get(column)
    if value is None:
        _fail(row, origin, column, "required field is missing")
    return value


def _optional(row: Row, origin: _Origin, column: str | None, convert: Callable[[Any], Any]) -> Any:
    if column is None or row.data.get(column) is None:
        return None
    try:
        return convert(row.data[column])
    except (TypeError, ValueError) as exc:
        _fail(row, origin, column, f"bad value {row.data[column]!r} ({exc})")


def _as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _as_int(value: Any) -> int:
    number = _integer_or_none(value)
    if number is None:
        raise ValueError("not an integer")
    return number


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def _where(row: Row) -> str:
    return f"line {row.line}" if row.line is not None else f"row {row.position + 1}"


def _fail(row: Row, origin: _Origin, column: str, message: str) -> NoReturn:
    """Raise the InputError for one row; rows without line numbers name the row."""
    if row.line is None:
        message = f"row {row.position + 1}: {message}"
    raise InputError(message, path=origin.label, line=row.line, field=column)
