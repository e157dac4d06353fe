"""`papertiger import` as a user runs it, feeding `papertiger report` end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from import_helpers import (
    csv_table,
    inspect_run,
    item,
    lighteval_run,
    lmeval_run,
    make_data_dir,
    matharena_outputs,
)
from importer_fixtures import (
    DATE,
    inspect_header,
    inspect_sample,
    lmeval_entry,
    write_eval,
    write_jsonl,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path)


def builds(root: Path) -> dict[str, tuple[Path, list[str]]]:
    """A run of each tool and a hand-kept table, with the options each import needs."""
    return {
        "lm-eval": (lmeval_run(root), ["--model", "lm-model"]),
        "inspect": (inspect_run(root), ["--model", "inspect-model"]),
        "lighteval": (lighteval_run(root), ["--model", "lighteval-model"]),
        "matharena": (matharena_outputs(root, runs=1), ["--model", "kimi-k2"]),
        "csv": (csv_table(root / "chat.csv"), []),
    }


def report_row(out: str, model: str) -> list[str]:
    """The cells of `model`'s row in the markdown shrinkage table."""
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == model and len(cells) > 3 and cells[2] == "66.7":
            return cells
    raise AssertionError(f"no shrinkage row for {model}:\n{out}")


def test_each_tool_and_a_table_feed_one_report_each(tmp_path: Path, data: Path, cli) -> None:
    db = tmp_path / "all.db"
    models = {
        "lm-eval": "lm-model",
        "inspect": "inspect-model",
        "lighteval": "lighteval-model",
        "matharena": "kimi-k2",
        "csv": "browser-model",
    }
    catalogue = tmp_path / "models.toml"
    catalogue.write_text(
        "".join(
            f'[[model]]\nname = "{name}"\ngroup = "{"CN" if i % 2 else "US"}"\n'
            for i, name in enumerate(models.values())
        )
    )
    for tool, (path, options) in builds(tmp_path / "runs").items():
        done = cli(
            "import", tool, path, "--db", db, "--data", data, "--models", catalogue, *options
        )
        assert done.returncode == 0, done.stderr
        assert "60 new attempts" in done.stdout or "30 new attempts" in done.stdout, done.stdout
        assert f"next: papertiger report --db {db} --suite aime" in done.stdout
    # five harnesses, five prompts: the report refuses to pool them and lists the store
    mixed = cli("report", "--db", db, "--format", "md")
    assert mixed.returncode == 2 and "choose one with --prompt" in mixed.stderr
    for tool in models:
        assert tool in mixed.stderr
    for tool, prompt in (
        ("lm-eval", "lm-eval"),
        ("inspect", "inspect"),
        ("lighteval", "lighteval"),
        ("matharena", "matharena"),
        ("csv", "csv (no prompt)"),
    ):
        shown = cli("report", "--db", db, "--prompt", prompt, "--format", "md")
        assert shown.returncode == 0, (tool, shown.stderr)
        cells = report_row(shown.stdout, models[tool])
        assert cells[2:6] == ["66.7", "50.0", "-16.7", "-25.0"], (tool, cells)


def test_import_output_says_what_happened(tmp_path: Path, data: Path, cli) -> None:
    folder = lmeval_run(tmp_path)
    extra = [lmeval_entry(i, ["\\boxed{1}"]) for i in (40, 41)]
    for entry in extra:
        entry["doc"]["problem"] = f"Unknown problem {entry['doc_id']}"
    path = folder / f"samples_aime24_{DATE}.jsonl"
    path.write_text(path.read_text() + "".join(json.dumps(e) + "\n" for e in extra))
    db = tmp_path / "r.db"
    first = cli("import", "lm-eval", folder, "--db", db, "--data", data, "--model", "m")
    assert first.returncode == 0, first.stderr
    assert f"{path}: 30 new attempts, 0 already stored" in first.stdout
    assert "aime2024 (30 items); model m; matched 30 by text" in first.stdout
    assert "graded by lm-eval and by papertiger: 0 of 30 disagree" in first.stdout
    assert (
        "2 records not stored: no item of form 'aime2024' has this problem text or id: item 40, item 41"
        in first.stdout
    )
    again = cli("import", "lm-eval", folder, "--db", db, "--data", data, "--model", "m")
    assert f"{path}: 0 new attempts, 30 already stored" in again.stdout
    assert "nothing new: all 60 attempts are already in" in again.stdout


def test_mapping_file_and_form_through_the_cli(tmp_path: Path, data: Path, cli) -> None:
    entries = [lmeval_entry(i, [f"\\boxed{{{item(2025, i)['answer']}}}"]) for i in range(3)]
    path = write_jsonl(tmp_path / f"samples_custom_{DATE}.jsonl", entries)
    mapping = tmp_path / "map.csv"
    mapping.write_text("source_item,item_id\n0,aime2025-II-01\n")
    done = cli(
        "import",
        "lm-eval",
        path,
        "--db",
        tmp_path / "r.db",
        "--data",
        data,
        "--model",
        "m",
        "--form",
        "aime2025",
        "--map",
        mapping,
    )
    assert done.returncode == 0, done.stderr
    assert "aime2025 (3 items); model m; matched 2 by id, 1 by map" in done.stdout


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, data: Path, cli) -> None:
    bad = tmp_path / f"samples_aime24_{DATE}.jsonl"
    bad.write_text('{"doc_id": 0, "resps": [["a"]]}\n{"doc_id": 1, "resps": 3}\n')
    done = cli("import", "lm-eval", bad, "--db", tmp_path / "r.db", "--data", data, "--model", "m")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"papertiger: error: {bad}, line 2, column 'resps': "
        "expected a list of generated responses per request"
    )
    assert not (tmp_path / "r.db").exists()
    unknown = cli("import", "helm", bad, "--data", data)
    assert (
        unknown.returncode == 2 and "helm" in unknown.stderr and "Traceback" not in unknown.stderr
    )
    nomodel = cli(
        "import",
        "lm-eval",
        write_jsonl(tmp_path / "x" / bad.name, [lmeval_entry(0, ["a"])]),
        "--db",
        tmp_path / "r.db",
        "--data",
        data,
    )
    assert nomodel.returncode == 2 and "give --model NAME" in nomodel.stderr


def test_an_imported_and_a_live_run_of_one_model(tmp_path: Path, data: Path, cli) -> None:
    """Two harnesses are two conditions: the report never pools them; --prompt shows each."""
    models = tmp_path / "models.toml"
    models.write_text(
        '[[model]]\nname = "kimi-k2"\nprovider = "scripted"\ngroup = "CN"\n'
        "training_cutoff = 2024-06-01\n[model.provider_options]\naccuracy = [0.9, 0.9, 0.9]\n"
    )
    db = tmp_path / "r.db"
    live = cli(
        "run",
        "--models",
        models,
        "--data",
        data,
        "--samples",
        "2",
        "--db",
        db,
        "--forms",
        "aime2024,aime2025",
    )
    assert live.returncode == 0, live.stderr
    imported = cli(
        "import",
        "lm-eval",
        lmeval_run(tmp_path),
        "--db",
        db,
        "--data",
        data,
        "--model",
        "kimi-k2",
        "--models",
        models,
    )
    assert imported.returncode == 0, imported.stderr
    both = cli("report", "--db", db, "--format", "md")
    assert both.returncode == 2
    assert "boxed" in both.stderr and "lm-eval" in both.stderr and "--prompt" in both.stderr
    ours = cli("report", "--db", db, "--prompt", "boxed", "--format", "md")
    theirs = cli("report", "--db", db, "--prompt", "lm-eval", "--format", "md")
    assert ours.returncode == theirs.returncode == 0, ours.stderr + theirs.stderr
    assert report_row(theirs.stdout, "kimi-k2")[2:4] == ["66.7", "50.0"]
    live_row = next(
        line for line in ours.stdout.splitlines() if line.startswith("| kimi-k2 | Chinese |")
    )
    assert "66.7 | 50.0" not in live_row and "| fresh |" in live_row
    assert "| kimi-k2 | Chinese | 66.7 | 50.0 |" in theirs.stdout  # metadata from the catalogue
    assert "Source: " in ours.stdout and "aime2024 → aime2025" in theirs.stdout


def test_help_names_every_option() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "papertiger", "import", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": ""},
    )
    assert done.returncode == 0, done.stderr
    for option in (
        "--db",
        "--model",
        "--suite",
        "--form",
        "--data",
        "--suites",
        "--map",
        "--models",
    ):
        assert option in done.stdout
    for tool in ("lm-eval", "inspect", "lighteval", "matharena", "csv"):
        assert tool in done.stdout


def test_docs_show_each_import_command() -> None:
    text = (ROOT / "docs" / "importers.md").read_text()
    for tool in ("lm-eval", "inspect", "lighteval", "matharena", "csv"):
        assert f"papertiger import {tool} " in text, tool


def test_real_aime_texts_import_and_report(tmp_path: Path, shared_data: Path, cli) -> None:
    """Inspect logs holding the real AIME 2024 (AoPS wording) and 2025 statements."""
    for year in (2024, 2025):
        rows = [
            json.loads(line)
            for line in (shared_data / f"aime_{year}.jsonl").read_text().splitlines()
        ]
        samples = []
        for index, row in enumerate(rows):
            got = row["answer"] if index % 2 == 0 else 1000 + index  # right on half of them
            sample = inspect_sample(
                index + 1, 1, text=f"\\boxed{{{got}}}", value="C" if index % 2 == 0 else "I"
            )
            wording = row.get("problem_alt") if year == 2024 else None  # 2024: the AoPS text
            sample["input"] = wording or row["problem"]
            samples.append(sample)
        write_eval(tmp_path / "logs" / f"aime{year}.eval", inspect_header(task="aime"), samples)
    models = tmp_path / "models.toml"
    models.write_text('[[model]]\nname = "o4-mini"\ngroup = "US"\n')
    db = tmp_path / "r.db"
    done = cli(
        "import",
        "inspect",
        tmp_path / "logs",
        "--db",
        db,
        "--data",
        shared_data,
        "--model",
        "o4-mini",
        "--models",
        models,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("30 new attempts") == 2 and "matched 30 by text" in done.stdout
    assert "graded by inspect and by papertiger: 0 of 30 disagree" in done.stdout
    shown = cli("report", "--db", db, "--format", "md")
    assert shown.returncode == 0, shown.stderr
    assert "| o4-mini | Western | 50.0 | 50.0 |" in shown.stdout
