"""lighteval details Parquet files -> `ImportedSample`s.

Two schemas, told apart by their columns:
- v0.11 and later: one row per document with `doc`, `model_response`, `metric` (the docs
  spell them `__doc__`, `__model_response__`, `__metric__`; both are accepted). The n
  generations of a document are `model_response.text`, one record each.
- up to v0.10: flat columns `example`, `full_prompt`, `predictions`, `gold`, `metrics`,
  `specifics`, `cont_tokens`, `input_tokens` ...
When `datasets` could not type the rows, lighteval wrote every cell as `str(value)`; such
cells are parsed back (JSON, or a Python literal with reprs like `<SamplingMethod...>`).
Rows are streamed in batches. The model comes from the results file of the same run
(`results/<model>/results_<date>.json`), or from the `details/<model>/<date>/` folders.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertiger.errors import require
from papertiger.importers._io import Spot, as_text, parse_cell, verdict
from papertiger.importers.records import ImportedSample

__all__ = ["read_lighteval"]

_DATE_RE = r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?"
_DETAILS = re.compile(rf"^details_(?P<task>.+)_(?P<date>{_DATE_RE})$")
_DATE = re.compile(rf"^{_DATE_RE}$")
_NEW = ("doc", "model_response", "metric")
_BATCH = 256


@dataclass(frozen=True)
class _Context:
    model: str | None
    task: str | None  # the short task name: 'aime24' for 'lighteval|aime24|0'
    task_spec: str | None


def read_lighteval(path: Path) -> Iterator[ImportedSample]:
    """Records of one lighteval details file (either schema)."""
    pq = require("pyarrow.parquet", "parquet", "reading lighteval details (Parquet)")

    spot = Spot(str(path))
    if not path.is_file():
        spot.fail("file not found")
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for unreadable files
        spot.fail(f"cannot read Parquet ({exc}); expected a lighteval details file")
    names = set(parquet.schema_arrow.names)
    columns = _new_columns(names)
    if columns is None and "predictions" not in names:
        spot.fail(
            "expected lighteval details columns: doc, model_response, metric (v0.11+, "
            "also __doc__ ...) or the older flat predictions, gold, metrics; found "
            + ", ".join(sorted(names))
        )
    context = _context(path)
    row = 0
    with parquet:
        for batch in parquet.iter_batches(batch_size=_BATCH):
            for record in batch.to_pylist():
                here = Spot(str(path), label=f"row {row + 1}")
                if columns is not None:
                    yield from _new_records(record, columns, here, context, row)
                else:
                    yield from _flat_records(record, here, context, row)
                row += 1


def _new_columns(names: set[str]) -> dict[str, str] | None:
    found = {}
    for name in _NEW:
        spelled = next((n for n in (name, f"__{name}__") if n in names), None)
        if spelled is None:
            return None
        found[name] = spelled
    return found


# -- v0.11+ -------------------------------------------------------------------------------


def _new_records(
    record: dict[str, Any], columns: dict[str, str], spot: Spot, context: _Context, row: int
) -> Iterator[ImportedSample]:
    doc = parse_cell(record.get(columns["doc"]), spot, columns["doc"], dict) or {}
    response = (
        parse_cell(record.get(columns["model_response"]), spot, columns["model_response"], dict)
        or {}
    )
    metrics = _scalars(parse_cell(record.get(columns["metric"]), spot, columns["metric"], dict))
    field = f"{columns['model_response']}.text"
    texts = _texts(response.get("text"), spot, field)
    reasonings = _list(response.get("reasonings"), spot, f"{columns['model_response']}.reasonings")
    specific = parse_cell(doc.get("specific"), spot, f"{columns['doc']}.specific", dict) or {}
    task_name = as_text(doc.get("task_name"))
    extra = _extra(metrics, specific, len(texts))
    if context.task_spec is not None:
        extra["task_spec"] = context.task_spec
    yield from _emit(
        spot,
        context,
        item_key=as_text(doc.get("id")) or str(row),
        task=_short(task_name) if task_name else context.task,
        problem=as_text(doc.get("original_query")) or as_text(doc.get("query")),
        gold=_gold(doc.get("choices"), doc.get("gold_index"), spot, columns["doc"]),
        prompt=_prompt(response.get("input")) or as_text(doc.get("query")),
        texts=texts,
        reasonings=reasonings,
        metrics=metrics,
        extracted=_list(specific.get("extracted_predictions"), spot, "specific"),
        prompt_tokens=_count(response.get("input_tokens")),
        completion_tokens=_list(response.get("output_tokens"), spot, "output_tokens"),
        extra=extra,
    )


def _gold(choices: Any, gold_index: Any, spot: Spot, column: str) -> str | None:
    choices = parse_cell(choices, spot, f"{column}.choices", list)
    if not choices:
        return None
    indices = gold_index if isinstance(gold_index, list) else [gold_index]
    for index in indices:
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(choices):
            return as_text(choices[index])
    return None


def _prompt(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # chat messages
        texts = [m.get("content") for m in value if isinstance(m, dict)]
        joined = "\n\n".join(t for t in texts if isinstance(t, str))
        return joined or None
    return None


# -- up to v0.10 ----------------------------------------------------------------------------


def _flat_records(
    record: dict[str, Any], spot: Spot, context: _Context, row: int
) -> Iterator[ImportedSample]:
    predictions = _texts(record.get("predictions"), spot, "predictions")
    if len(predictions) == 1 and isinstance(predictions[0], list):
        predictions = _texts(predictions[0], spot, "predictions")
    metrics = _scalars(parse_cell(record.get("metrics"), spot, "metrics", dict))
    specifics = parse_cell(record.get("specifics"), spot, "specifics", dict) or {}
    golds = _list(record.get("gold"), spot, "gold")
    extra = _extra(metrics, specifics, len(predictions))
    extra["schema"] = "flat"
    if context.task_spec is not None:
        extra["task_spec"] = context.task_spec
    yield from _emit(
        spot,
        context,
        item_key=str(row),
        task=context.task,
        problem=as_text(record.get("example")),
        gold=as_text(golds[0]) if golds else None,
        prompt=as_text(record.get("full_prompt")) or as_text(record.get("example")),
        texts=predictions,
        reasonings=None,
        metrics=metrics,
        extracted=_list(specifics.get("extracted_predictions"), spot, "specifics"),
        prompt_tokens=_count(parse_cell(record.get("input_tokens"), spot, "input_tokens", list)),
        completion_tokens=_list(record.get("cont_tokens"), spot, "cont_tokens"),
        extra=extra,
    )


# -- shared -------------------------------------------------------------------------------


def _emit(
    spot: Spot,
    context: _Context,
    *,
    item_key: str,
    task: str | None,
    problem: str | None,
    gold: str | None,
    prompt: str | None,
    texts: list[Any],
    reasonings: list[Any] | None,
    metrics: dict[str, Any],
    extracted: list[Any] | None,
    prompt_tokens: int | None,
    completion_tokens: list[Any] | None,
    extra: dict[str, Any],
) -> Iterator[ImportedSample]:
    """One record per generation; the document's metric is a verdict only when n = 1."""
    single = len(texts) == 1
    primary = next(iter(metrics), None)
    correct, score = verdict(metrics[primary]) if primary is not None else (None, None)
    for index, text in enumerate(texts):
        yield ImportedSample(
            source_tool="lighteval",
            source_file=spot.path,
            source_locator=spot.locator,
            model=context.model,
            task=task,
            item_key=item_key,
            sample_index=index,
            problem=problem,
            gold=gold,
            prompt=prompt,
            response=as_text(text),
            reasoning=_at(reasonings, index, len(texts)),
            extracted=_at(extracted, index, len(texts)),
            correct=correct if single else None,
            score=score if single else None,
            metric=primary if single else None,
            prompt_tokens=prompt_tokens,
            completion_tokens=_count(_at_raw(completion_tokens, index, len(texts))),
            extra=extra,
        )


def _texts(value: Any, spot: Spot, field: str) -> list[Any]:
    if isinstance(value, str) and not value.lstrip().startswith("["):
        return [value]
    texts = parse_cell(value, spot, field, list) or []
    if not texts:
        spot.fail("holds no generated text; only generative tasks can be imported", field)
    return texts


def _list(value: Any, spot: Spot, field: str) -> list[Any] | None:
    if value is None:
        return None
    return (
        parse_cell(value, spot, field, list)
        if not isinstance(value, str) or value.startswith("[")
        else [value]
    )


def _at(values: list[Any] | None, index: int, count: int) -> str | None:
    return as_text(_at_raw(values, index, count))


def _at_raw(values: list[Any] | None, index: int, count: int) -> Any:
    """values[index] when there is one value per generation, else nothing."""
    if values is None or len(values) != count:
        return None
    return values[index]


def _count(tokens: Any) -> int | None:
    """A token count from a list of token ids (empty lists, as API models leave, are None)."""
    if isinstance(tokens, list) and tokens and all(isinstance(t, int) for t in tokens):
        return len(tokens)
    if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens > 0:
        return tokens
    return None


def _scalars(metrics: dict[str, Any] | None) -> dict[str, Any]:
    return {str(k): v for k, v in (metrics or {}).items() if isinstance(v, bool | int | float)}


def _extra(metrics: dict[str, Any], specific: dict[str, Any], count: int) -> dict[str, Any]:
    extra: dict[str, Any] = {"metrics": metrics} if metrics else {}
    if count > 1:
        extra["n"] = count
    for key in ("extracted_predictions", "extracted_golds"):
        value = specific.get(key)
        if isinstance(value, list) and (key == "extracted_golds" or len(value) != count):
            extra[key] = [as_text(v) for v in value[:20]]
    return extra


def _short(task: str) -> str:
    parts = task.split("|")
    return parts[1] if len(parts) >= 2 and parts[1] else task


def _context(path: Path) -> _Context:
    match = _DETAILS.match(path.stem)
    spec = match["task"] if match else None
    date = match["date"] if match else (path.parent.name if _DATE.match(path.parent.name) else None)
    model = None
    if date is not None:
        for results in _results_paths(path, date):
            model = model or _model_name(results)
    if model is None:
        model = _model_from_folders(path)
    return _Context(model, _short(spec) if spec else None, spec)


def _results_paths(path: Path, date: str) -> list[Path]:
    name = f"results_{date}.json"
    paths = [path.parent.parent / name]  # a Hub details repo: results at its root
    details = next((p for p in path.parents if p.name == "details"), None)
    if details is not None and path.parent != details:
        model = path.parent.parent.relative_to(details) if path.parent.parent != details else None
        if model is not None:
            paths.insert(0, details.parent / "results" / model / name)
    return paths


def _model_name(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    config = data.get("config_general") if isinstance(data, dict) else None
    name = config.get("model_name") if isinstance(config, dict) else None
    return name if isinstance(name, str) and name else None


def _model_from_folders(path: Path) -> str | None:
    """`details/<model>/<date>/details_*.parquet`: the folders between are the model name."""
    details = next((p for p in path.parents if p.name == "details"), None)
    if details is None or not _DATE.match(path.parent.name) or path.parent.parent == details:
        return None
    return path.parent.parent.relative_to(details).as_posix()
