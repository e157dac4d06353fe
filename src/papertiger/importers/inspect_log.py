"""Inspect AI eval logs (`.eval` zip archives and `.json` logs) -> `ImportedSample`s.

Read with the standard library, never `inspect_ai`. A `.eval` is streamed one member at a
time: `header.json` (or, for a run that never finished, `_journal/start.json`; in the first
`.eval` releases, `start.json`) gives the model and task, then each
`samples/<id>_epoch_<n>.json` is one record with `sample_index = epoch - 1`. A log written
without samples falls back to `summaries.json` (scores and usage, no text). zstd members
and `attachment://` references are resolved. Samples that errored are kept, with `error`
set, for the caller to store apart. The `.json` log holds the same `EvalLog` in one
document and is read whole.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertiger.importers._io import Spot, as_float, as_int, as_text, obj, verdict
from papertiger.importers._zip import member_json
from papertiger.importers.records import ImportedSample

__all__ = ["read_inspect"]

_HEADERS = ("header.json", "_journal/start.json", "start.json")
_SUMMARIES = ("summaries.json", "summary.json")
_ATTACHMENT = "attachment://"
_LETTERS: dict[str, tuple[bool | None, float]] = {
    "C": (True, 1.0),
    "I": (False, 0.0),
    "N": (False, 0.0),
    "P": (None, 0.5),
}
_USAGE = ("input_tokens", "output_tokens", "reasoning_tokens", "total_cost")


@dataclass(frozen=True)
class _Header:
    model: str | None
    task: str | None
    extra: dict[str, Any]


def read_inspect(path: Path) -> Iterator[ImportedSample]:
    """Records of one Inspect log, `.eval` or `.json`."""
    spot = Spot(str(path))
    if not path.is_file():
        spot.fail("file not found")
    if path.suffix.lower() == ".eval2":
        spot.fail(
            "the experimental .eval2 format is not supported; convert it with "
            "'inspect log convert --to eval'"
        )
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04":
        yield from _read_eval(path)
    elif path.suffix.lower() == ".eval":
        spot.fail("expected a zip archive (an Inspect .eval log); the file is not one")
    else:
        yield from _read_json(path)


def _read_eval(path: Path) -> Iterator[ImportedSample]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        Spot(str(path)).fail(f"not a readable zip archive ({exc}); expected an Inspect .eval log")
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        header_name = next((n for n in _HEADERS if n in infos), None)
        if header_name is None:
            Spot(str(path)).fail(
                "no header.json or _journal/start.json inside; expected an Inspect .eval log"
            )
        raw_header = member_json(archive, infos[header_name], path)
        header = _header(raw_header, Spot(str(path), label=f"member {header_name}"))
        members = [
            info
            for name, info in infos.items()
            if name.startswith("samples/") and name.endswith(".json")
        ]
        for info in members:
            sample = member_json(archive, info, path)
            yield _record(sample, header, path, info.filename, summary=False)
        if members:
            return
        name = next((n for n in _SUMMARIES if n in infos), None)
        if name is not None:
            summaries = member_json(archive, infos[name], path)
            if not isinstance(summaries, list):
                Spot(str(path), label=name).fail("expected a list of sample summaries")
            for summary in summaries:
                yield _record(summary, header, path, name, summary=True)


def _read_json(path: Path) -> Iterator[ImportedSample]:
    spot = Spot(str(path))
    try:
        with path.open(encoding="utf-8-sig") as handle:
            log = json.load(handle)
    except UnicodeDecodeError as exc:
        spot.fail(f"not UTF-8 text ({exc}); expected an Inspect .json or .eval log")
    except json.JSONDecodeError as exc:
        Spot(str(path), exc.lineno).fail(
            f"not valid JSON ({exc.msg}); expected an Inspect .json log"
        )
    if not isinstance(log, dict) or not isinstance(log.get("eval"), dict):
        spot.fail("expected an Inspect log: a JSON object with 'eval' and 'samples'", "eval")
    header = _header(log, spot)
    samples = log.get("samples") or []
    if not isinstance(samples, list):
        spot.fail("expected a list of samples", "samples")
    for index, sample in enumerate(samples):
        yield _record(sample, header, path, f"samples[{index}]", summary=False)


def _header(raw: Any, spot: Spot) -> _Header:
    if not isinstance(raw, dict):
        spot.fail("expected a JSON object")
    spec = raw.get("eval")
    if not isinstance(spec, dict):
        spot.fail("expected the eval spec (an object)", "eval")
    dataset, config = obj(spec.get("dataset")), obj(spec.get("config"))
    extra = {
        "status": raw.get("status"),
        "eval_id": spec.get("eval_id"),
        "run_id": spec.get("run_id"),
        "task_version": spec.get("task_version"),
        "dataset": dataset.get("name"),
        "epochs": config.get("epochs"),
    }
    return _Header(
        model=as_text(spec.get("model")),
        task=as_text(spec.get("task")),
        extra={k: v for k, v in extra.items() if v is not None},
    )


def _record(
    sample: Any, header: _Header, path: Path, member: str, *, summary: bool
) -> ImportedSample:
    if not isinstance(sample, dict):
        Spot(str(path), label=member).fail("expected a sample object")
    attachments = sample.get("attachments")
    if isinstance(attachments, dict) and attachments:
        used = ("input", "output", "target", "scores", "metadata")
        sample = {**sample, **{k: _resolve(sample[k], attachments) for k in used if k in sample}}
    raw_id = sample.get("id")
    epoch = sample.get("epoch", 1)
    spot = Spot(str(path), label=f"sample {raw_id} epoch {epoch} ({member})")
    item_key = as_text(raw_id)
    if item_key is None or isinstance(raw_id, dict | list):
        spot.fail("expected the sample id (int or str)", "id")
    epoch_number = as_int(epoch, spot, "epoch")
    epoch_number = 1 if epoch_number is None else epoch_number
    if epoch_number < 1:
        spot.fail(f"expected a 1-based epoch, found {epoch_number}", "epoch")
    response, reasoning, output_extra = _output(sample.get("output"))
    correct, score, metric, extracted, scores_extra = _scores(sample, spot)
    usage = _usage(sample, spot)
    extra: dict[str, Any] = {**header.extra, **output_extra, **scores_extra}
    if summary:
        extra["from_summary"] = True
    working = sample.get("working_time")
    if isinstance(working, int | float):
        extra["working_time"] = float(working)
    limit = sample.get("limit")
    if limit is not None:
        extra["limit"] = limit.get("type") if isinstance(limit, dict) else as_text(limit)
    metadata = sample.get("metadata")
    if isinstance(metadata, dict):
        extra["metadata"] = {k: v for k, v in metadata.items() if _small(v)}
    problem, prompt = _input(sample.get("input"))
    return ImportedSample(
        source_tool="inspect",
        source_file=str(path),
        source_locator=spot.locator,
        model=header.model,
        task=header.task,
        item_key=item_key,
        sample_index=epoch_number - 1,
        problem=problem,
        gold=_target(sample.get("target")),
        prompt=prompt,
        response=response,
        reasoning=reasoning,
        extracted=extracted,
        correct=correct,
        score=score,
        metric=metric,
        prompt_tokens=usage[0],
        completion_tokens=usage[1],
        reasoning_tokens=usage[2],
        cost_usd=usage[3],
        latency_s=as_float(sample.get("total_time"), spot, "total_time"),
        error=_error(sample.get("error")),
        extra=extra,
    )


def _resolve(value: Any, attachments: dict[str, Any]) -> Any:
    """Replace `attachment://<hash>` (and the older `tc://`) references with their text."""
    if isinstance(value, str):
        for protocol in (_ATTACHMENT, "tc://"):
            if value.startswith(protocol):
                return attachments.get(value[len(protocol) :], value)
        return value
    if isinstance(value, list):
        return [_resolve(item, attachments) for item in value]
    if isinstance(value, dict):
        return {k: _resolve(v, attachments) for k, v in value.items()}
    return value


def _content(content: Any) -> tuple[str | None, str | None]:
    """(text, reasoning) of a message's content: a string or a list of content blocks."""
    if isinstance(content, str):
        return content, None
    if not isinstance(content, list):
        return None, None
    texts, thoughts = [], []
    for block in content:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "reasoning":  # redacted reasoning is encrypted; its summary is not
            thought = block.get("summary") if block.get("redacted") else block.get("reasoning")
            if isinstance(thought, str):
                thoughts.append(thought)
    return ("".join(texts) if texts else None), ("\n\n".join(thoughts) if thoughts else None)


def _output(output: Any) -> tuple[str | None, str | None, dict[str, Any]]:
    if not isinstance(output, dict):
        return None, None, {}
    extra: dict[str, Any] = {}
    text: str | None = None
    reasoning: str | None = None
    choices = output.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        choice = choices[0]
        message = obj(choice.get("message"))
        text, reasoning = _content(message.get("content"))
        if reasoning is None and isinstance(message.get("reasoning"), str):
            reasoning = message["reasoning"]  # before reasoning became a content block
        if choice.get("stop_reason") is not None:
            extra["finish_reason"] = choice["stop_reason"]
    if text is None and isinstance(output.get("completion"), str):
        text = output["completion"]
    if output.get("error"):
        extra["output_error"] = as_text(output["error"])
    if output.get("model"):
        extra["output_model"] = as_text(output["model"])
    return text, reasoning, extra


def _scores(
    sample: dict[str, Any], spot: Spot
) -> tuple[bool | None, float | None, str | None, str | None, dict[str, Any]]:
    scores = sample.get("scores")
    if scores is None and sample.get("score") is not None:
        scores = {"score": sample["score"]}  # the first log versions had one `score`
    if not scores:
        return None, None, None, None, {}
    if not isinstance(scores, dict):
        spot.fail("expected an object of scorer name -> score", "scores")
    name, first = next(iter(scores.items()))
    if not isinstance(first, dict):
        spot.fail(f"expected a score object for scorer {name!r}", "scores")
    correct, score = _value(first.get("value"))
    extra: dict[str, Any] = {}
    if len(scores) > 1:
        extra["scores"] = {
            k: v.get("value")
            for k, v in scores.items()
            if isinstance(v, dict) and _small(v.get("value"))
        }
    if correct is None and score is None and first.get("value") is not None:
        extra["score_value"] = first.get("value")
    return correct, score, str(name), as_text(first.get("answer")), extra


def _value(value: Any) -> tuple[bool | None, float | None]:
    if isinstance(value, str) and value.strip().upper() in _LETTERS:
        return _LETTERS[value.strip().upper()]
    return verdict(value)


def _usage(
    sample: dict[str, Any], spot: Spot
) -> tuple[int | None, int | None, int | None, float | None]:
    """Token and cost totals over the sample's models (`model_usage`, else `output.usage`)."""
    usages: list[Any] = []
    model_usage = sample.get("model_usage")
    if isinstance(model_usage, dict):
        usages = list(model_usage.values())
    output = sample.get("output")
    if not usages and isinstance(output, dict) and isinstance(output.get("usage"), dict):
        usages = [output["usage"]]
    totals: list[float | None] = [None] * len(_USAGE)
    for usage in usages:
        if not isinstance(usage, dict):
            spot.fail("expected token counts per model", "model_usage")
        for position, key in enumerate(_USAGE):
            value = as_float(usage.get(key), spot, f"model_usage.{key}")
            if value is not None:
                totals[position] = (totals[position] or 0.0) + value
    tokens = [int(t) if t is not None else None for t in totals[:3]]
    return tokens[0], tokens[1], tokens[2], totals[3]


def _input(value: Any) -> tuple[str | None, str | None]:
    """(problem, prompt): the input text, or the last user message and all messages' text."""
    if isinstance(value, str):
        return value, value
    if not isinstance(value, list):
        return None, None
    texts, last_user = [], None
    for message in value:
        if not isinstance(message, dict):
            continue
        text, _ = _content(message.get("content"))
        if text is None:
            continue
        texts.append(text)
        if message.get("role") == "user":
            last_user = text
    return last_user, ("\n\n".join(texts) if texts else None)


def _target(value: Any) -> str | None:
    if isinstance(value, list):
        return as_text(value[0]) if value else None
    return as_text(value)


def _error(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        return as_text(value.get("message")) or "error"
    return as_text(value)


def _small(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= 200
    return value is None or isinstance(value, bool | int | float)
