"""Builders for other tools' per-sample files, in the shapes those tools write them.

Every fixture is made by the test in tmp_path; nothing here touches the network or
needs the tools themselves installed.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

DATE = "2025-06-01T12-30-45.123456"


def zstd(data: bytes) -> bytes:
    return bytes(pa.Codec("zstd").compress(data, asbytes=True))


# -- lm-evaluation-harness ----------------------------------------------------------------


def lmeval_entry(
    doc_id: int,
    repeats: list[str],
    *,
    filter_name: str | None = "none",
    filtered: str | None = None,
    metrics: dict[str, Any] | None = None,
    problem_key: str = "problem",
    new_arguments: bool = True,
) -> dict[str, Any]:
    """One `samples_*.jsonl` line as lm-eval's evaluator builds it."""
    metrics = {"exact_match": 1.0} if metrics is None else metrics
    prompt = f"Solve: problem {doc_id}"
    arguments: Any = (
        {"gen_args_0": {"arg_0": prompt, "arg_1": {"until": [], "do_sample": True}}}
        if new_arguments
        else [[prompt, {"until": []}]]
    )
    entry: dict[str, Any] = {
        "doc_id": doc_id,
        "doc": {problem_key: f"Problem {doc_id} text", "answer": str(100 + doc_id)},
        "target": str(100 + doc_id),
        "arguments": arguments,
        "resps": [repeats],
        "filtered_resps": [filtered if filtered is not None else repeats[0]],
    }
    if filter_name is not None:
        entry["filter"] = filter_name
        entry["metrics"] = list(metrics)
    entry.update({"doc_hash": f"dh{doc_id}", "prompt_hash": f"ph{doc_id}", "target_hash": "th"})
    entry.update(metrics)
    return entry


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_lmeval_results(
    folder: Path,
    *,
    model: str | None = "org/model-7b",
    task: str = "aime24",
    filters: tuple[str, ...] = ("none",),
    name: str = f"results_{DATE}.json",
    model_args: str | dict[str, Any] = "pretrained=org/model-7b,dtype=bfloat16",
) -> Path:
    results: dict[str, Any] = {"alias": task}
    for filter_name in filters:
        results[f"exact_match,{filter_name}"] = 0.5
        results[f"exact_match_stderr,{filter_name}"] = 0.1
    data: dict[str, Any] = {
        "results": {task: results},
        "configs": {task: {"task": task}},
        "config": {"model": "hf", "model_args": model_args},
    }
    if model is not None:
        data["model_name"] = model
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(data, indent=2), encoding="utf-8")
    return folder / name


# -- Inspect AI ---------------------------------------------------------------------------


def inspect_header(model: str = "openai/gpt-4o", task: str = "aime2024") -> dict[str, Any]:
    return {
        "version": 2,
        "status": "success",
        "eval": {
            "eval_id": "E1",
            "run_id": "R1",
            "created": "2025-06-01T12:30:45+00:00",
            "task": task,
            "task_version": 0,
            "dataset": {"name": "aime_2024", "samples": 2},
            "model": model,
            "config": {"epochs": 2},
        },
        "plan": {"name": "plan", "steps": []},
        "results": {"total_samples": 4, "completed_samples": 4, "scores": []},
        "stats": {"started_at": "2025-06-01T12:30:45+00:00", "model_usage": {}},
    }


def inspect_sample(
    sample_id: int | str,
    epoch: int,
    *,
    text: str = "The answer is 204.",
    reasoning: str | None = "Let me think.",
    value: Any = "C",
    answer: str | None = "204",
    error: str | None = None,
) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if reasoning is not None:
        content.append({"type": "reasoning", "reasoning": reasoning, "redacted": False})
    content.append({"type": "text", "text": text})
    sample: dict[str, Any] = {
        "id": sample_id,
        "epoch": epoch,
        "input": f"Problem {sample_id} text",
        "target": "204",
        "messages": [],
        "output": {
            "model": "gpt-4o-2024-08-06",
            "choices": [
                {
                    "message": {"role": "assistant", "content": content},
                    "stop_reason": "stop",
                }
            ],
            "completion": text,
            "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2},
        },
        "scores": {"match": {"value": value, "answer": answer, "explanation": text}},
        "metadata": {"year": 2024, "long": "x" * 500},
        "model_usage": {
            "openai/gpt-4o": {
                "input_tokens": 100,
                "output_tokens": 50,
                "total_tokens": 150,
                "reasoning_tokens": 20,
                "total_cost": 0.002,
            }
        },
        "total_time": 3.5,
        "working_time": 3.0,
        "attachments": {},
    }
    if error is not None:
        sample["error"] = {"message": error, "traceback": "Traceback ...", "traceback_ansi": ""}
        sample["output"] = {"model": "openai/gpt-4o", "choices": []}
        sample["scores"] = None
    return sample


def write_eval(
    path: Path,
    header: dict[str, Any] | None,
    samples: list[dict[str, Any]],
    *,
    header_name: str = "header.json",
    use_zstd: bool = False,
    extra_members: dict[str, Any] | None = None,
) -> Path:
    """An Inspect `.eval` zip: header, samples/<id>_epoch_<n>.json, summaries."""
    members: dict[str, Any] = {}
    if header is not None:
        members[header_name] = header
    for sample in samples:
        members[f"samples/{sample['id']}_epoch_{sample['epoch']}.json"] = sample
    members.update(extra_members or {})
    payloads = {name: json.dumps(value).encode() for name, value in members.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    if not use_zstd:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, payload in payloads.items():
                archive.writestr(name, payload)
        return path
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, payload in payloads.items():
            archive.writestr(name, zstd(payload))
    _mark_zstd(path, payloads)
    return path


def _mark_zstd(path: Path, payloads: dict[str, bytes]) -> None:
    """Rewrite stored members' headers to say 'zstd (93)', as Python 3.14's zipfile writes."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    end = data.rfind(b"PK\x05\x06")
    central = struct.unpack_from("<L", data, end + 16)[0]
    for info in infos:
        payload = payloads[info.filename]
        crc, size = zlib.crc32(payload), len(payload)
        local = info.header_offset
        struct.pack_into("<H", data, local + 8, 93)
        struct.pack_into("<L", data, local + 14, crc)
        struct.pack_into("<L", data, local + 22, size)
        assert data[central : central + 4] == b"PK\x01\x02"
        struct.pack_into("<H", data, central + 10, 93)
        struct.pack_into("<L", data, central + 16, crc)
        struct.pack_into("<L", data, central + 24, size)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, central + 28)
        central += 46 + name_len + extra_len + comment_len
    path.write_bytes(bytes(data))


# -- lighteval ----------------------------------------------------------------------------


def lighteval_row(index: int, texts: list[str], metric: dict[str, Any]) -> dict[str, Any]:
    """One v0.11+ details row: doc, metric, model_response (columns sorted, no id)."""
    return {
        "doc": {
            "query": f"Solve this. Problem {index} text",
            "choices": [str(100 + index)],
            "gold_index": 0,
            "instruction": "",
            "specific": {"extracted_predictions": [str(100 + index)] * len(texts)},
            "original_query": f"Problem {index} text",
            "id": str(index),
            "task_name": "lighteval|aime24",
            "num_samples": len(texts),
        },
        "metric": metric,
        "model_response": {
            "input": f"Solve this. Problem {index} text",
            "input_tokens": [1, 2, 3, 4],
            "text": texts,
            "output_tokens": [[5, 6]] * len(texts),
            "text_post_processed": None,
            "reasonings": ["hmm"] * len(texts),
        },
    }


def flat_row(index: int, predictions: Any, metrics: dict[str, Any]) -> dict[str, Any]:
    """One details row as lighteval <= 0.10 wrote it."""
    return {
        "example": f"Problem {index} text",
        "instruction": "",
        "full_prompt": f"Solve this. Problem {index} text",
        "num_effective_few_shots": 0,
        "num_asked_few_shots": 0,
        "predictions": predictions,
        "input_tokens": [1, 2, 3],
        "cont_tokens": [[7, 8, 9]],
        "truncated": [0],
        "padded": [0],
        "gold": [str(100 + index)],
        "choices": [],
        "gold_index": [],
        "metrics": metrics,
        "specifics": {"extracted_predictions": [str(100 + index)]},
    }


def lighteval_paths(out: Path, model: str = "org/model-7b") -> tuple[Path, Path]:
    details = out / "details" / model / DATE / f"details_lighteval|aime24|0_{DATE}.parquet"
    results = out / "results" / model / f"results_{DATE}.json"
    return details, results


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


# -- MathArena ----------------------------------------------------------------------------


def matharena_run(idx: int, runs: int = 2) -> dict[str, Any]:
    """A per-problem run file as MathArena's `Runs.to_dict()` writes it."""
    return {
        "idx": idx,
        "problem": f"Problem {idx} text",
        "gold_answer": "204",
        "source": "aime 2025 I",
        "types": ["Algebra"],
        "N": runs,
        "cost": {"cost": 0.02 * runs, "input_tokens": 100 * runs, "output_tokens": 50 * runs},
        "pass_at_1": 0.5,
        "answers": ["204", "None"][:runs],
        "correct": [True, False][:runs],
        "warnings": [0, 3][:runs],
        "manual_overwrite": [False, True][:runs],
        "llm_annotation": [None, None][:runs],
        "messages": [
            [
                {"role": "user", "content": f"Problem {idx} text"},
                {"role": "assistant", "type": "cot", "content": f"thinking {i}"},
                {"role": "assistant", "type": "response", "content": f"answer text {i}"},
            ]
            for i in range(runs)
        ],
        "judgment": [None] * runs,
        "history": [None] * runs,
        "detailed_costs": [
            {"cost": 0.02, "input_tokens": 100, "output_tokens": 50 + i, "time": 10.0 + i}
            for i in range(runs)
        ],
    }


def matharena_row(problem_idx: int, idx_answer: int, **overrides: Any) -> dict[str, Any]:
    """One row of a `MathArena/<comp>_outputs` dataset."""
    row: dict[str, Any] = {
        "problem_idx": problem_idx,
        "problem": f"Problem {problem_idx} text",
        "model_name": "Kimi K2",
        "model_config": "moonshot/k2",
        "idx_answer": idx_answer,
        "user_message": f"Problem {problem_idx} text",
        "answer": f"so \\boxed{{{204 + idx_answer}}}",
        "input_tokens": 100,
        "output_tokens": 200,
        "cost": 0.01,
        "input_cost_per_tokens": 0.6,
        "output_cost_per_tokens": 2.5,
        "gold_answer": "204",
        "parsed_answer": str(204 + idx_answer),
        "correct": idx_answer == 0,
    }
    row.update(overrides)
    return row
