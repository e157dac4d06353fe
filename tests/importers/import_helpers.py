"""A synthetic AIME suite on disk and one run of a model in each tool's format over it.

The runs are built with the format builders in importer_fixtures.py, with the suite's own
problem texts and gold answers put in, so matching, grading and reports can be checked
against known numbers: `right(year, index)` says which items the model gets right.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from importer_fixtures import (
    DATE,
    inspect_header,
    inspect_sample,
    lighteval_row,
    lmeval_entry,
    matharena_run,
    write_eval,
    write_jsonl,
    write_lmeval_results,
    write_parquet,
)

YEARS = (2024, 2025, 2026)
TASKS = {2024: "aime24", 2025: "aime25"}
Right = Callable[[int, int], bool]


def item(year: int, index: int) -> dict[str, object]:
    exam, number = ("I", index + 1) if index < 15 else ("II", index - 14)
    return {
        "id": f"aime{year}-{exam}-{number:02d}",
        "year": year,
        "exam": exam,
        "number": number,
        "problem": f"Synthetic {year} problem {exam}-{number}: find $x$ with  $x^2 = {index}$.",
        "answer": str((year * 7 + index * 37) % 1000),
        "released": f"{year}-02-0{1 if exam == 'I' else 7}",
        "problem_alt": f"Alternative wording of {year} {exam}-{number}.",
    }


def make_data_dir(root: Path) -> Path:
    """aime_2024/2025/2026.jsonl with 30 synthetic items each."""
    folder = root / "data"
    folder.mkdir(parents=True, exist_ok=True)
    for year in YEARS:
        rows = [item(year, i) for i in range(30)]
        (folder / f"aime_{year}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def default_right(year: int, index: int) -> bool:
    """Right on 2 of 3 items of 2024 and on half of 2025's."""
    return index % 3 != 0 if year == 2024 else index % 2 == 0


def answer(year: int, index: int, right: Right) -> str:
    gold = str(item(year, index)["answer"])
    return gold if right(year, index) else str((int(gold) + 1) % 1000)


def lmeval_run(root: Path, right: Right = default_right, years=(2024, 2025)) -> Path:
    """One lm-eval run (two tasks, one date_id) of `org/model-7b`."""
    folder = root / "lm-eval" / "org__model-7b"
    for year in years:
        entries = []
        for i in range(30):
            got = answer(year, i, right)
            entry = lmeval_entry(
                i,
                [f"... so \\boxed{{{got}}}"],
                filtered=got,
                metrics={"exact_match": float(right(year, i))},
            )
            entry["doc"]["problem"] = item(year, i)["problem"]
            entry["target"] = item(year, i)["answer"]
            entry["arguments"]["gen_args_0"]["arg_0"] = (
                f"Question: {item(year, i)['problem']}\nAnswer:"
            )
            entry["arguments"]["gen_args_0"]["arg_1"] = {"temperature": 0.6, "max_gen_toks": 2048}
            entries.append(entry)
        write_jsonl(folder / f"samples_{TASKS[year]}_{DATE}.jsonl", entries)
    write_lmeval_results(folder, task="aime24")
    return folder


def inspect_run(root: Path, right: Right = default_right, years=(2024, 2025)) -> Path:
    """One Inspect `.eval` log per year of `openai/gpt-4o`, ids spelled `2024-I-1`."""
    folder = root / "logs"
    for year in years:
        header = inspect_header(task=f"aime{year}")
        header["eval"]["eval_id"] = f"eval-{year}"
        header["eval"]["packages"] = {"inspect_ai": "0.3.99"}
        header["eval"]["model_generate_config"] = {"temperature": 0.7, "max_tokens": 4096}
        samples = []
        for i in range(30):
            row = item(year, i)
            got = answer(year, i, right)
            sample = inspect_sample(
                f"{year}-{row['exam']}-{row['number']}",
                1,
                text=f"The answer is \\boxed{{{got}}}.",
                value="C" if right(year, i) else "I",
                answer=got,
            )
            sample["input"] = row["problem"]
            sample["target"] = row["answer"]
            samples.append(sample)
        write_eval(folder / f"2025-06-01T12-30-45_aime{year}_E{year}.eval", header, samples)
    return folder


def lighteval_run(root: Path, right: Right = default_right, years=(2024, 2025)) -> Path:
    """One lighteval run (details files for two tasks, one date_id) of `org/model-7b`."""
    out = root / "lighteval"
    for year in years:
        rows = []
        for i in range(30):
            got = answer(year, i, right)
            row = lighteval_row(
                i, [f"so \\boxed{{{got}}}"], {"extractive_match": float(right(year, i))}
            )
            row["doc"]["original_query"] = item(year, i)["problem"]
            row["doc"]["query"] = f"Solve: {item(year, i)['problem']}"
            row["doc"]["choices"] = [item(year, i)["answer"]]
            row["doc"]["task_name"] = f"lighteval|{TASKS[year]}"
            row["doc"]["specific"] = {"extracted_predictions": [got]}
            row["model_response"]["input"] = f"Solve: {item(year, i)['problem']}"
            rows.append(row)
        name = f"details_lighteval|{TASKS[year]}|0_{DATE}.parquet"
        write_parquet(out / "details" / "org" / "model-7b" / DATE / name, rows)
    results = out / "results" / "org" / "model-7b" / f"results_{DATE}.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "model_name": "org/model-7b",
        "lighteval_sha": "abc123",
        "generation_parameters": {"temperature": 0.0, "max_new_tokens": 1024},
    }
    results.write_text(json.dumps({"config_general": config, "results": {}}))
    return out


def matharena_outputs(root: Path, right: Right = default_right, years=(2024, 2025), runs=2) -> Path:
    """MathArena run files `outputs/aime/aime_<year>/moonshot/k2/<idx>.json`, `runs` each."""
    outputs = root / "outputs"
    for year in years:
        folder = outputs / "aime" / f"aime_{year}" / "moonshot" / "k2"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(30):
            data = matharena_run(i + 1, runs)
            got = [answer(year, i, right) if r == 0 else "7" for r in range(runs)]
            data["problem"] = item(year, i)["problem"]
            data["gold_answer"] = item(year, i)["answer"]
            data["answers"] = got
            data["correct"] = [g == item(year, i)["answer"] for g in got]
            for r, messages in enumerate(data["messages"]):
                messages[0]["content"] = (
                    f"Put the answer in \\boxed{{}}.\n\n{item(year, i)['problem']}"
                )
                messages[2]["content"] = f"Thus \\boxed{{{got[r]}}}."
            (folder / f"{i + 1}.json").write_text(json.dumps(data))
    return outputs / "aime"


def csv_table(
    path: Path, model: str = "browser-model", right: Right = default_right, years=(2024, 2025)
) -> Path:
    """A hand-kept table: verdicts only for 2024, response text for 2025."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model", "form", "item", "sample", "correct", "response", "cost_usd"])
        for year in years:
            for i in range(30):
                good = right(year, i)
                text = f"Therefore, the answer is {answer(year, i, right)}." if year == 2025 else ""
                writer.writerow(
                    [model, f"aime{year}", item(year, i)["id"], 0, int(good), text, "0.01"]
                )
    return path
