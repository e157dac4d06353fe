"""What identifies the run a file belongs to, how it sampled, and which tool version wrote it.

An imported attempt's `source` is the tool and the run, never the file's path, so that a
moved or copied file imports to the same keys, while two runs of the same model stay apart:

| tool | source | taken from |
|---|---|---|
| lm-eval | `lm-eval:<date_id>` | `samples_<task>_<date_id>.jsonl` (one date_id per run, shared by its tasks) |
| inspect | `inspect:<eval_id>` | the log header's `eval.eval_id` (else `run_id`); the same for `.eval` and `.json` |
| lighteval | `lighteval:<date_id>` | `details_<task>_<date_id>.parquet` or its `<date_id>/` folder |
| matharena | `matharena` | MathArena keeps one canonical file per competition, model and problem, with runs appended |
| csv | `csv`, or `csv:<run>` | a `run` column, when the table has one |

Where a format records none of these (lm-eval's v0.4.2 files), the source is the tool and a
hash of the file's first record, which a newer version of the same file keeps.

Sampling comes from what the run recorded (lm-eval's `gen_kwargs`, Inspect's
`model_generate_config`, lighteval's `generation_parameters`); a recorded seed goes to
`sampling.extra["seed"]`, not to the attempt's seed, because these tools send one seed for
every repeat. The version names the tool's grader in the source's own grade.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertiger.importers._io import iter_json_array, iter_jsonl, obj, sniff
from papertiger.importers._zip import member_json
from papertiger.importers.records import ImportedSample
from papertiger.schema import SamplingParams

__all__ = ["RunInfo", "run_info", "sample_source"]

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)$")
_INSPECT_HEADERS = ("header.json", "_journal/start.json", "start.json")
_MAX_TOKENS = ("max_tokens", "max_gen_toks", "max_new_tokens", "max_length")


@dataclass(frozen=True)
class RunInfo:
    """A file's run: its source label, its sampling, and the tool's version if recorded."""

    source: str
    sampling: SamplingParams = SamplingParams()
    version: str | None = None


def run_info(tool: str, path: Path, first: ImportedSample | None) -> RunInfo:
    """The run `path` (written by `tool`, first record `first`) belongs to."""
    if tool == "lm-eval":
        return _lmeval(path, first)
    if tool == "inspect":
        return _inspect(path, first)
    if tool == "lighteval":
        return _lighteval(path, first)
    return RunInfo(tool)


def sample_source(info: RunInfo, sample: ImportedSample) -> str:
    """The source of one record: the file's, or for a table with a `run` column, that run."""
    run = sample.extra.get("run") if sample.source_tool == "csv" else None
    return f"csv:{run}" if run else info.source


def _fallback(tool: str, first: ImportedSample | None) -> str:
    if first is None:
        return tool
    parts = [first.item_key, first.sample_index, first.filter, first.response, first.correct]
    digest = hashlib.blake2b(json.dumps(parts, default=str).encode(), digest_size=6)
    return f"{tool}:{digest.hexdigest()}"


def _sampling(config: Mapping[str, Any]) -> SamplingParams:
    """SamplingParams from a tool's generation settings (only what is recorded)."""
    values: dict[str, Any] = {}
    for name in ("temperature", "top_p"):
        if isinstance(config.get(name), int | float) and not isinstance(config[name], bool):
            values[name] = float(config[name])
    for name in _MAX_TOKENS:
        value = config.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            values["max_tokens"] = value
            break
    if isinstance(config.get("reasoning_effort"), str):
        values["reasoning_effort"] = config["reasoning_effort"]
    if isinstance(config.get("seed"), int) and not isinstance(config["seed"], bool):
        values["extra"] = {"seed": config["seed"]}
    return SamplingParams(**values)


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


# -- lm-eval ------------------------------------------------------------------------------


def _lmeval(path: Path, first: ImportedSample | None) -> RunInfo:
    found = _DATE.search(path.stem)
    date = found[1] if found else None
    results = _lmeval_results(path, date)
    # the request's own kwargs (the task's, with --gen_kwargs merged in) over the run's
    config = {**_kwargs(obj(results.get("config")).get("gen_kwargs")), **_lmeval_gen_kwargs(path)}
    version = results.get("lm_eval_version")
    return RunInfo(
        f"lm-eval:{date}" if date else _fallback("lm-eval", first),
        _sampling(config),
        version if isinstance(version, str) else None,
    )


def _lmeval_results(path: Path, date: str | None) -> dict[str, Any]:
    folder = path.parent
    if date is not None:
        for candidate in sorted(folder.glob(f"*{date}.json")):
            if not candidate.name.startswith("samples_"):
                return _load_json(candidate)
    return _load_json(folder / "results.json")


def _lmeval_gen_kwargs(path: Path) -> dict[str, Any]:
    """`arguments.gen_args_0.arg_1` (or the old `[[prompt, kwargs]]`) of the first entry."""
    try:
        first = sniff(path)
        entries = iter_json_array(path) if first == "[" else iter_jsonl(path)
        entry = next(iter(entries), (0, {}))[1]
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    arguments = obj(entry).get("arguments")
    if isinstance(arguments, dict):
        request = next(iter(arguments.values()), None)
        return _kwargs(obj(request).get("arg_1"))
    if isinstance(arguments, list) and arguments and isinstance(arguments[0], list):
        return _kwargs(arguments[0][1] if len(arguments[0]) > 1 else None)
    return {}


def _kwargs(value: Any) -> dict[str, Any]:
    """gen_kwargs as a dict: a mapping, or lm-eval's 'temperature=0.6,max_gen_toks=100'."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return {}
    out: dict[str, Any] = {}
    for part in value.split(","):
        name, sep, text = part.partition("=")
        if sep:
            try:
                out[name.strip()] = json.loads(text.strip())
            except json.JSONDecodeError:
                out[name.strip()] = text.strip()
    return out


# -- Inspect ------------------------------------------------------------------------------


def _inspect(path: Path, first: ImportedSample | None) -> RunInfo:
    spec = obj(_inspect_header(path).get("eval"))
    identity = spec.get("eval_id") or spec.get("run_id")
    if identity is None and first is not None:
        identity = first.extra.get("eval_id") or first.extra.get("run_id")
    version = obj(spec.get("packages")).get("inspect_ai")
    return RunInfo(
        f"inspect:{identity}" if identity else _fallback("inspect", first),
        _sampling(obj(spec.get("model_generate_config"))),
        version if isinstance(version, str) else None,
    )


def _inspect_header(path: Path) -> dict[str, Any]:
    """The log's header: `header.json` in a `.eval` zip, or the `.json` log itself."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            name = next((n for n in _INSPECT_HEADERS if n in infos), None)
            return obj(member_json(archive, infos[name], path)) if name else {}
    return _load_json(path)


# -- lighteval ----------------------------------------------------------------------------


def _lighteval(path: Path, first: ImportedSample | None) -> RunInfo:
    found = _DATE.search(path.stem) or _DATE.search(path.parent.name)
    date = found[1] if found else None
    config: dict[str, Any] = {}
    if date is not None:
        for results in _lighteval_results(path, date):
            config = obj(_load_json(results).get("config_general"))
            if config:
                break
    generation = obj(config.get("generation_parameters")) or obj(
        obj(config.get("model_config")).get("generation_parameters")
    )
    version = config.get("lighteval_sha")
    return RunInfo(
        f"lighteval:{date}" if date else _fallback("lighteval", first),
        _sampling(generation),
        version if isinstance(version, str) and version else None,
    )


def _lighteval_results(path: Path, date: str) -> list[Path]:
    name = f"results_{date}.json"
    paths = [path.parent.parent / name]  # a Hub details repository: results at its root
    details = next((p for p in path.parents if p.name == "details"), None)
    if details is not None and path.parent.parent not in (details, path.parent):
        paths.insert(0, details.parent / "results" / path.parent.parent.relative_to(details) / name)
    return paths
