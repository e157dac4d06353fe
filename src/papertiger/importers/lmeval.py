"""lm-evaluation-harness `--log_samples` files -> `ImportedSample`s.

Two shapes: `samples_<task>_<date_id>.jsonl` (JSON Lines, v0.4.3 and later) and the single
pretty-printed JSON array of v0.4.2 and earlier (`<model_args>_<task>.jsonl`). Each entry is
one (document, filter); all K repeats live in `resps[0]`, so one entry gives K records, and
a file with two filters gives each repeat twice, once per filter, never only the first
filter's. Entries before the `filter` field existed are told apart by their order (lm-eval
wrote all documents for one filter, then the next), named from the results file beside.

The model name is not in the samples file: it is read from the `results_<date_id>.json`
(or v0.4.2's `results.json`) in the same folder when there is one.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertiger.importers._io import (
    Spot,
    as_text,
    iter_json_array,
    iter_jsonl,
    obj,
    sniff,
    verdict,
)
from papertiger.importers.records import ImportedSample

__all__ = ["read_lmeval"]

_SAMPLES = re.compile(
    r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)$"
)
_DATE = re.compile(r"_(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)$")
_ENTRY_KEYS = {
    "doc_id",
    "doc",
    "target",
    "arguments",
    "resps",
    "filtered_resps",
    "filter",
    "metrics",
    "doc_hash",
    "prompt_hash",
    "target_hash",
    "task",
}
_PROBLEM_KEYS = ("problem", "Problem", "question", "Question", "input")
_ANSWER_KEYS = ("answer", "Answer", "expected_answer")
_MODEL_ARG_KEYS = ("pretrained", "model", "model_name", "path", "engine")


@dataclass(frozen=True)
class _Context:
    model: str | None
    task: str | None
    filters: tuple[str, ...]  # filter names in the order lm-eval ran them, when known


def read_lmeval(path: Path) -> Iterator[ImportedSample]:
    """Records of one lm-eval samples file (JSON Lines or the v0.4.2 JSON array)."""
    spot = Spot(str(path))
    if not path.is_file():
        spot.fail("file not found")
    first = sniff(path)
    if first == "":
        return
    if first == "[":
        entries: Iterator[tuple[int, Any]] = iter_json_array(path)
    elif first == "{":
        entries = iter_jsonl(path)
    else:
        spot.fail(f"expected lm-eval samples: JSON Lines or a JSON array, found {first!r} first")
    context = _context(path)
    seen: dict[tuple[str, str | None], int] = {}
    unnamed: Counter[str] = Counter()
    for line, entry in entries:
        here = Spot(str(path), line)
        if not isinstance(entry, dict):
            here.fail(f"expected a JSON object per sample, found {type(entry).__name__}")
        doc_id = as_text(entry.get("doc_id"))
        if doc_id is None:
            here.fail("required field is missing; expected the document's index", "doc_id")
        filter_name, position = _filter(entry, doc_id, context, unnamed, here)
        key = (doc_id, filter_name)
        if key in seen:
            here.fail(
                f"doc_id {doc_id} appears twice for filter {filter_name!r} (first at line {seen[key]})",
                "doc_id",
            )
        seen[key] = line
        yield from _records(entry, here, doc_id, filter_name, position, context)


def _filter(
    entry: dict[str, Any], doc_id: str, context: _Context, unnamed: Counter[str], spot: Spot
) -> tuple[str | None, int | None]:
    """The entry's filter name; entries without one are named by their order (old files)."""
    name = entry.get("filter")
    if name is not None:
        if not isinstance(name, str):
            spot.fail(f"expected a filter name, found {name!r}", "filter")
        return name, None
    position = unnamed[doc_id]
    unnamed[doc_id] += 1
    if position < len(context.filters):
        return context.filters[position], position
    return (None if position == 0 else f"#{position + 1}"), position


def _records(
    entry: dict[str, Any],
    spot: Spot,
    doc_id: str,
    filter_name: str | None,
    position: int | None,
    context: _Context,
) -> Iterator[ImportedSample]:
    repeats = _repeats(entry, spot)
    metrics = _metrics(entry)
    primary = next(iter(metrics), None)
    correct, score = verdict(metrics[primary]) if primary is not None else (None, None)
    filtered = _first(entry.get("filtered_resps"))
    doc = obj(entry.get("doc"))
    single = len(repeats) == 1
    extra: dict[str, Any] = {
        key: entry[key] for key in ("doc_hash", "prompt_hash", "target_hash") if key in entry
    }
    if metrics:
        extra["metrics"] = metrics
    if position is not None:
        extra["filter_position"] = position
    if not single and filtered is not None:
        extra["filtered_response"] = as_text(filtered)
    for index, text in enumerate(repeats):
        extracted = as_text(filtered) if single and filtered != text else None
        yield ImportedSample(
            source_tool="lm-eval",
            source_file=spot.path,
            source_locator=spot.locator,
            model=context.model,
            task=context.task,
            item_key=doc_id,
            sample_index=index,
            problem=_first_text(doc, _PROBLEM_KEYS),
            gold=as_text(entry.get("target")) or _first_text(doc, _ANSWER_KEYS),
            prompt=_prompt(entry.get("arguments")),
            filter=filter_name,
            response=text,
            extracted=extracted,
            correct=correct if single else None,
            score=score if single else None,
            metric=primary if single else None,
            extra=extra,
        )


def _repeats(entry: dict[str, Any], spot: Spot) -> list[str | None]:
    resps = entry.get("resps")
    if not isinstance(resps, list) or not resps:
        spot.fail("expected a list of generated responses per request", "resps")
    if len(resps) != 1:
        spot.fail(f"expected one generation request per document, found {len(resps)}", "resps")
    repeats = resps[0]
    if isinstance(repeats, str):
        repeats = [repeats]
    if not isinstance(repeats, list) or not repeats:
        spot.fail("expected a list of generated texts (one per repeat)", "resps")
    for value in repeats:
        if isinstance(value, list):
            spot.fail(
                "holds log-likelihoods, not generated text; only generation tasks "
                "(output_type generate_until) can be imported",
                "resps",
            )
        if value is not None and not isinstance(value, str):
            spot.fail(f"expected generated text, found {value!r}", "resps")
    return list(repeats)


def _metrics(entry: dict[str, Any]) -> dict[str, Any]:
    """Scalar per-sample metric values, the listed (or first) one first."""
    names = entry.get("metrics")
    if not isinstance(names, list):
        names = [k for k in entry if k not in _ENTRY_KEYS]
    values = {}
    for name in names:
        value = entry.get(str(name))
        if isinstance(value, bool | int | float):
            values[str(name)] = value
    return values


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else None


def _first_text(doc: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = doc.get(key)
        if value is not None and not isinstance(value, dict | list):
            return as_text(value)
    return None


def _prompt(arguments: Any) -> str | None:
    """The first request's prompt: {"gen_args_0": {"arg_0": ...}} or old [[prompt, kwargs]]."""
    if isinstance(arguments, dict):
        first = next(iter(arguments.values()), None)
        if isinstance(first, dict):
            value = first.get("arg_0")
            return value if isinstance(value, str) else None
        return None
    if isinstance(arguments, list) and arguments:
        head = arguments[0]
        if isinstance(head, list) and head:
            head = head[0]
        return head if isinstance(head, str) else None
    return None


# -- the results file beside ----------------------------------------------------------------


def _context(path: Path) -> _Context:
    match = _SAMPLES.match(path.stem)
    task = match["task"] if match else None
    date = match["date"] if match else None
    found = [data for data in map(_load, _results_candidates(path, date)) if data is not None]
    if task is None:
        task = next(filter(None, (_task_from_results(path.stem, d) for d in found)), None)
    relevant = [d for d in found if task is None or task in _tasks(d)] or found
    models = {_model_name(d) for d in relevant} - {None}
    model = models.pop() if len(models) == 1 else None
    filters = _filters(relevant[0], task) if relevant and task is not None else ()
    return _Context(model, task, filters)


def _results_candidates(path: Path, date: str | None) -> list[Path]:
    folder = path.parent
    jsons = sorted(p for p in folder.glob("*.json") if not p.name.startswith("samples_"))
    if date is not None:
        exact = [p for p in jsons if (m := _DATE.search(p.stem)) and m[1] == date]
        if exact:
            return exact
    if (folder / "results.json").is_file():
        return [folder / "results.json"]
    return [p for p in jsons if p.name.startswith("results")]


def _load(path: Path) -> dict[str, Any] | None:
    """A results file, or None if it is not one (it is only a hint; the samples decide)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        return None
    return data


def _tasks(data: dict[str, Any]) -> set[str]:
    tasks = set(data.get("results", {}))
    configs = data.get("configs")
    if isinstance(configs, dict):
        tasks.update(configs)
    return {str(t) for t in tasks}


def _task_from_results(stem: str, data: dict[str, Any]) -> str | None:
    """v0.4.2 names files `<model_args>_<task>`: the longest task the stem ends with."""
    matches = [t for t in _tasks(data) if stem == t or stem.endswith(f"_{t}")]
    return max(matches, key=len) if matches else None


def _model_name(data: dict[str, Any]) -> str | None:
    name = data.get("model_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    config = data.get("config")
    args = config.get("model_args") if isinstance(config, dict) else None
    if isinstance(args, str):
        pairs = (part.split("=", 1) for part in args.split(",") if "=" in part)
        args = {k.strip(): v.strip() for k, v in pairs}
    if isinstance(args, dict):
        for key in _MODEL_ARG_KEYS:
            value = args.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def _filters(data: dict[str, Any], task: str) -> tuple[str, ...]:
    """Filter names of `task` in the order its metrics were computed ('metric,filter' keys)."""
    results = data.get("results", {}).get(task)
    if not isinstance(results, dict):
        return ()
    names: list[str] = []
    for key in results:
        metric, sep, name = str(key).partition(",")
        if sep and not metric.endswith("_stderr") and name not in names:
            names.append(name)
    return tuple(names)
