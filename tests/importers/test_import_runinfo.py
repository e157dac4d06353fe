"""Run identity, sampling and tool version per format: stable under moves, apart across runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from import_helpers import inspect_run, lighteval_run, lmeval_run, matharena_outputs
from importer_fixtures import DATE, inspect_header, inspect_sample, lmeval_entry, write_jsonl

from papertiger.importers import (
    ImportedSample,
    RunInfo,
    find_files,
    prompt_of,
    read_all,
    run_info,
    sample_source,
)
from papertiger.schema import SamplingParams


def info_of(tool: str, path: Path) -> RunInfo:
    records = read_all(tool, path)
    return run_info(tool, path, records[0])


def test_lmeval_run_is_its_date_id_with_gen_kwargs(tmp_path: Path) -> None:
    folder = lmeval_run(tmp_path)
    results = json.loads((folder / f"results_{DATE}.json").read_text())
    results["lm_eval_version"] = "0.4.8"
    (folder / f"results_{DATE}.json").write_text(json.dumps(results))
    infos = [info_of("lm-eval", p) for p in find_files("lm-eval", folder)]
    expected = RunInfo(f"lm-eval:{DATE}", SamplingParams(temperature=0.6, max_tokens=2048), "0.4.8")
    assert infos == [expected, expected]


def test_lmeval_old_array_falls_back_to_a_content_hash(tmp_path: Path) -> None:
    path = tmp_path / "pretrained__m_aime24.jsonl"
    path.write_text(json.dumps([lmeval_entry(0, ["a"], new_arguments=False)], indent=2))
    other = tmp_path / "b" / path.name
    other.parent.mkdir()
    other.write_text(json.dumps([lmeval_entry(0, ["b"], new_arguments=False)], indent=2))
    first, second = info_of("lm-eval", path), info_of("lm-eval", other)
    assert first.source.startswith("lm-eval:") and first.source != second.source
    # gen_kwargs as a text in the results file
    (tmp_path / "results.json").write_text(
        json.dumps({"results": {}, "config": {"gen_kwargs": "temperature=0.2,max_gen_toks=64"}})
    )
    assert info_of("lm-eval", path).sampling == SamplingParams(temperature=0.2, max_tokens=64)


def test_inspect_run_is_its_eval_id_for_eval_and_json(tmp_path: Path) -> None:
    folder = inspect_run(tmp_path, years=(2024,))
    (log,) = find_files("inspect", folder)
    expected = RunInfo(
        "inspect:eval-2024", SamplingParams(temperature=0.7, max_tokens=4096), "0.3.99"
    )
    assert info_of("inspect", log) == expected
    header = inspect_header(task="aime2024")
    header["eval"].update(
        eval_id="eval-2024",
        packages={"inspect_ai": "0.3.99"},
        model_generate_config={"temperature": 0.7, "max_tokens": 4096},
    )
    as_json = tmp_path / "dumped.json"
    as_json.write_text(json.dumps({**header, "samples": [inspect_sample(1, 1)]}))
    assert info_of("inspect", as_json) == expected


def test_inspect_seed_goes_to_sampling_extra(tmp_path: Path) -> None:
    header = inspect_header()
    header["eval"]["model_generate_config"] = {"seed": 42, "reasoning_effort": "high"}
    path = tmp_path / "log.json"
    path.write_text(json.dumps({**header, "samples": [inspect_sample(1, 1)]}))
    assert info_of("inspect", path).sampling == SamplingParams(
        reasoning_effort="high", extra={"seed": 42}
    )


def test_lighteval_run_is_its_date_id(tmp_path: Path) -> None:
    out = lighteval_run(tmp_path)
    infos = [info_of("lighteval", p) for p in find_files("lighteval", out)]
    expected = RunInfo(
        f"lighteval:{DATE}", SamplingParams(temperature=0.0, max_tokens=1024), "abc123"
    )
    assert infos == [expected, expected]


def test_matharena_and_moves(tmp_path: Path) -> None:
    outputs = matharena_outputs(tmp_path, years=(2025,))
    path = find_files("matharena", outputs)[0]
    assert info_of("matharena", path) == RunInfo("matharena")
    moved = tmp_path / "elsewhere" / "outputs" / "aime" / "aime_2025" / "moonshot" / "k2"
    shutil.copytree(path.parent, moved)
    assert info_of("matharena", moved / path.name) == RunInfo("matharena")


def test_lmeval_source_survives_a_move(tmp_path: Path) -> None:
    folder = lmeval_run(tmp_path, years=(2024,))
    moved = tmp_path / "archive" / "run1"
    shutil.copytree(folder, moved)
    assert info_of("lm-eval", find_files("lm-eval", folder)[0]) == info_of(
        "lm-eval", find_files("lm-eval", moved)[0]
    )


def test_csv_run_column_names_the_source() -> None:
    base = {
        "source_tool": "csv",
        "source_file": "t.csv",
        "source_locator": "line 2",
        "model": "m",
        "task": None,
        "item_key": "x",
        "sample_index": 0,
    }
    info = RunInfo("csv")
    assert sample_source(info, ImportedSample(**base)) == "csv"
    assert (
        sample_source(info, ImportedSample(**base, extra={"run": "chat-2025-03"}))
        == "csv:chat-2025-03"
    )


def test_prompt_template_hash_ignores_the_problem_but_not_the_tool() -> None:
    def sample(tool: str, problem: str | None, prompt: str | None) -> ImportedSample:
        return ImportedSample(
            source_tool=tool,
            source_file="f",
            source_locator="l",
            model="m",
            task="t",
            item_key="1",
            sample_index=0,
            problem=problem,
            prompt=prompt,
        )

    one = prompt_of(sample("lm-eval", "P1", "Question: P1\nAnswer:"))
    two = prompt_of(sample("lm-eval", "P2", "Question: P2\nAnswer:"))
    assert one == two and one[0] == "lm-eval"
    assert prompt_of(sample("inspect", "P1", "Question: P1\nAnswer:")) != one
    assert prompt_of(sample("lm-eval", "P1", "Other: P1")) != one
    unknown = prompt_of(sample("csv", None, None))
    assert (
        unknown == prompt_of(sample("csv", "P9", "no problem inside"))
        and unknown[0] == "csv (no prompt)"
    )
    _ = write_jsonl  # the builders module is shared with the reader tests
