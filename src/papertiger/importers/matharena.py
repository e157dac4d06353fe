"""MathArena outputs -> `ImportedSample`s.

Two shapes:
- per-problem run files `outputs/<comp>/<model_config>/<problem_idx>.json.zst` (zstd JSON,
  since March 2026) or `.json` (before): lists per run of `answers`, `correct`, `warnings`,
  `messages`, `detailed_costs`. One record per run. The problem index is taken from the
  file name, as MathArena itself does (old files have `idx` off by one); competition and
  model come from the folders.
- rows of the published `MathArena/<comp>_outputs` datasets, as Parquet or JSON Lines:
  `problem_idx`, `model_name`, `idx_answer`, `answer`, tokens, `cost`, `gold_answer`,
  `parsed_answer`, `correct`, optional `all_messages` (a list, or JSON text) and judge points.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from papertiger.errors import require
from papertiger.importers._io import (
    Spot,
    as_float,
    as_int,
    as_text,
    iter_json_array,
    iter_jsonl,
    sniff,
    verdict,
    zstd_decompress,
)
from papertiger.importers.records import ImportedSample

__all__ = ["read_matharena"]

_OUTPUTS_DIR = re.compile(r"(?:^|--)(?P<comp>[^/]+?)_outputs$")
_BATCH = 512


def read_matharena(path: Path) -> Iterator[ImportedSample]:
    """Records of one MathArena run file or one file of an outputs dataset."""
    spot = Spot(str(path))
    if not path.is_file():
        spot.fail("file not found")
    name = path.name.lower()
    if name.endswith(".json.zst") or name.endswith(".zst"):
        yield from _run_records(_zst_document(path, spot), path)
    elif name.endswith(".parquet"):
        yield from _rows(_parquet_rows(path, spot), path)
    elif name.endswith((".jsonl", ".ndjson")):
        yield from _rows(((line, None, row) for line, row in iter_jsonl(path)), path)
    elif name.endswith(".json"):
        yield from _json_file(path, spot)
    else:
        spot.fail(
            f"unknown file type {path.suffix!r}; expected a run file (.json, .json.zst) or "
            "dataset rows (.parquet, .jsonl)"
        )


def _zst_document(path: Path, spot: Spot) -> Any:
    data = zstd_decompress(path.read_bytes(), spot)
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        spot.fail(f"decompressed data is not valid JSON ({exc})")


def _json_file(path: Path, spot: Spot) -> Iterator[ImportedSample]:
    """A run file (one object), or dataset rows saved as JSON Lines or a JSON array."""
    if sniff(path) == "[":
        yield from _rows(((line, None, row) for line, row in iter_json_array(path)), path)
        return
    with path.open(encoding="utf-8-sig") as handle:
        first_line = handle.readline()
        rest = handle.readline().strip()
    try:
        first = json.loads(first_line)
    except json.JSONDecodeError:
        first = None
    if isinstance(first, dict) and "answers" not in first and (rest or "problem_idx" in first):
        yield from _rows(((line, None, row) for line, row in iter_jsonl(path)), path)
        return
    try:
        with path.open(encoding="utf-8-sig") as handle:
            document = json.load(handle)
    except json.JSONDecodeError as exc:
        Spot(str(path), exc.lineno).fail(f"not valid JSON ({exc.msg})")
    yield from _run_records(document, path)


# -- run files ------------------------------------------------------------------------------


def _run_records(data: Any, path: Path) -> Iterator[ImportedSample]:
    spot = Spot(str(path))
    if not isinstance(data, dict) or "answers" not in data:
        spot.fail(
            "expected a MathArena run file: an object with idx, problem, answers, correct, "
            "messages ...",
            "answers",
        )
    answers = _per_run(data, "answers", spot, required=True)
    count = len(answers)
    correct = _per_run(data, "correct", spot, count=count)
    messages = _per_run(data, "messages", spot, count=count)
    warnings = _per_run(data, "warnings", spot, count=count)
    overwrite = _per_run(data, "manual_overwrite", spot, count=count)
    costs = _per_run(data, "detailed_costs", spot, count=count)
    if not costs and count == 1 and isinstance(data.get("cost"), dict):
        costs = [data["cost"]]  # files from before detailed_costs: the total is the one run's
    stem = path.name.split(".", 1)[0]
    item_key = stem if stem.isdigit() else as_text(data.get("idx"))
    if item_key is None:
        spot.fail("cannot tell the problem index: no <idx>.json name and no 'idx'", "idx")
    comp, model = _from_folders(path)
    base: dict[str, Any] = {"comp": comp} if comp else {}
    if as_text(data.get("idx")) not in (None, item_key):
        base["idx_field"] = data.get("idx")
    for key in ("source", "types"):
        if data.get(key) not in (None, "None", []):
            base[key] = data[key]
    for index in range(count):
        run = Spot(str(path), label=f"run {index}")
        response, reasoning, prompt = _conversation(messages[index] if messages else None)
        cost = costs[index] if costs else None
        if cost is not None and not isinstance(cost, dict):
            run.fail("expected a cost object per run", "detailed_costs")
        cost = cost or {}
        grade = correct[index] if correct else None
        is_correct, _ = verdict(grade) if isinstance(grade, bool) else (None, None)
        extra = dict(base)
        if isinstance(grade, str):
            extra["grading"] = grade  # a judge placeholder such as 'TODO Grading'
        if warnings:
            extra["warning"] = warnings[index]
        if overwrite and overwrite[index]:
            extra["manual_overwrite"] = True
        yield ImportedSample(
            source_tool="matharena",
            source_file=str(path),
            source_locator=run.locator,
            model=model,
            task=comp.rsplit("/", 1)[-1] if comp else None,
            item_key=item_key,
            sample_index=index,
            problem=as_text(data.get("problem")),
            gold=as_text(data.get("gold_answer")),
            prompt=prompt,
            response=response,
            reasoning=reasoning,
            extracted=_answer(answers[index]),
            correct=is_correct,
            score=None if is_correct is None else float(is_correct),
            metric="correct" if is_correct is not None else None,
            prompt_tokens=as_int(cost.get("input_tokens"), run, "detailed_costs.input_tokens"),
            completion_tokens=as_int(
                cost.get("output_tokens"), run, "detailed_costs.output_tokens"
            ),
            cost_usd=as_float(cost.get("cost"), run, "detailed_costs.cost"),
            latency_s=as_float(cost.get("time"), run, "detailed_costs.time"),
            extra=extra,
        )


def _per_run(
    data: dict[str, Any], key: str, spot: Spot, *, count: int | None = None, required: bool = False
) -> list[Any]:
    value = data.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        spot.fail("expected a list with one entry per run", key)
    if count is not None and len(value) != count:
        spot.fail(f"has {len(value)} entries but 'answers' has {count}; expected one per run", key)
    return value


def _from_folders(path: Path) -> tuple[str | None, str | None]:
    """(competition, model config) from `outputs/<comp>/<model>/<idx>.json`.

    Competitions are `<family>/<family>_<edition>` (aime/aime_2025) or, in older trees, a
    single folder; the folders after it are the model config path (moonshot/k2).
    """
    parts = path.parent.parts
    if "outputs" not in parts:
        return None, None
    rest = parts[len(parts) - parts[::-1].index("outputs") :]
    width = 2 if len(rest) >= 3 and rest[1].startswith(rest[0]) else 1
    comp, model = rest[:width], rest[width:]
    return ("/".join(comp) or None), ("/".join(model) or None)


def _conversation(messages: Any) -> tuple[str | None, str | None, str | None]:
    """(response, reasoning, prompt) of one normalised conversation."""
    if isinstance(messages, str):
        try:
            messages = json.loads(messages)
        except json.JSONDecodeError:
            return None, None, None
    if not isinstance(messages, list):
        return None, None, None
    response = prompt = None
    thoughts: list[str] = []
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            continue
        role, kind, content = message.get("role"), message.get("type"), message["content"]
        if role == "user" and prompt is None:
            prompt = content
        elif role == "assistant" and kind == "cot":
            thoughts.append(content)
        elif role == "assistant" and kind in (None, "response"):
            response = content
    return response, ("\n\n".join(thoughts) if thoughts else None), prompt


def _answer(value: Any) -> str | None:
    text = as_text(value)
    return None if text in (None, "None", "") else text


# -- dataset rows -------------------------------------------------------------------------


def _parquet_rows(path: Path, spot: Spot) -> Iterator[tuple[int | None, int, dict[str, Any]]]:
    pq = require("pyarrow.parquet", "parquet", "reading MathArena Parquet files")

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for unreadable files
        spot.fail(f"cannot read Parquet ({exc})")
    row = 0
    with parquet:
        for batch in parquet.iter_batches(batch_size=_BATCH):
            for record in batch.to_pylist():
                row += 1
                yield None, row, record


def _rows(
    rows: Iterator[tuple[int | None, int | None, Any]], path: Path
) -> Iterator[ImportedSample]:
    task = _task_from_path(path)
    seen: dict[tuple[str | None, str, int], str] = {}
    counts: dict[tuple[str | None, str], int] = {}
    for line, row, record in rows:
        spot = Spot(str(path), line, None if line is not None else f"row {row}")
        if not isinstance(record, dict):
            spot.fail("expected one object per row")
        item_key = as_text(record.get("problem_idx"))
        if item_key is None:
            spot.fail("required field is missing; expected the problem index", "problem_idx")
        model = as_text(record.get("model_name"))
        index = as_int(record.get("idx_answer"), spot, "idx_answer")
        if index is None:
            index = counts.get((model, item_key), 0)  # older dumps: rows in run order
        counts[(model, item_key)] = index + 1
        key = (model, item_key, index)
        if key in seen:
            spot.fail(
                f"model {model!r} problem {item_key} run {index} appears twice "
                f"(first at {seen[key]})",
                "idx_answer",
            )
        seen[key] = spot.locator
        yield _row_record(record, spot, path, task, item_key, model, index)


def _row_record(
    record: dict[str, Any],
    spot: Spot,
    path: Path,
    task: str | None,
    item_key: str,
    model: str | None,
    index: int,
) -> ImportedSample:
    _, reasoning, prompt = _conversation(record.get("all_messages"))
    correct, score = (
        verdict(record.get("correct")) if isinstance(record.get("correct"), bool) else (None, None)
    )
    metric = "correct" if correct is not None else None
    judged = _judge_score(record, spot)
    if judged is not None:
        score, metric = judged, "points_judge"
    extra = {
        k: record[k]
        for k in ("model_config", "source", "input_cost_per_tokens", "output_cost_per_tokens")
        if record.get(k) is not None
    }
    return ImportedSample(
        source_tool="matharena",
        source_file=str(path),
        source_locator=spot.locator,
        model=model,
        task=task,
        item_key=item_key,
        sample_index=index,
        problem=as_text(record.get("problem")),
        gold=as_text(record.get("gold_answer")),
        prompt=as_text(record.get("user_message")) or prompt,
        response=as_text(record.get("answer")),
        reasoning=reasoning,
        extracted=_answer(record.get("parsed_answer")),
        correct=correct,
        score=score,
        metric=metric,
        prompt_tokens=as_int(record.get("input_tokens"), spot, "input_tokens"),
        completion_tokens=as_int(record.get("output_tokens"), spot, "output_tokens"),
        cost_usd=as_float(record.get("cost"), spot, "cost"),
        extra=extra,
    )


def _judge_score(record: dict[str, Any], spot: Spot) -> float | None:
    """Points over maximum points, summed over judges (proof competitions)."""
    got = total = 0.0
    for key in record:
        if key.startswith("points_judge_"):
            points = as_float(record[key], spot, key)
            most = as_float(
                record.get(f"max_points_judge_{key.removeprefix('points_judge_')}"), spot, key
            )
            if points is not None and most:
                got, total = got + points, total + most
    return got / total if total else None


def _task_from_path(path: Path) -> str | None:
    """'aime_2025' from a `MathArena/aime_2025_outputs` folder or Hub cache folder."""
    for part in reversed(path.parent.parts):
        match = _OUTPUTS_DIR.search(part)
        if match:
            return match["comp"]
    return None
