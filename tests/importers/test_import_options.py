"""Choices an import makes: the suite, costs, failures, sources per table run, `--run`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from import_helpers import (
    csv_table,
    item,
    lighteval_run,
    lmeval_run,
    make_data_dir,
)
from importer_fixtures import DATE, lmeval_entry, write_jsonl

from papertiger.errors import InputError
from papertiger.importers import ImportSpec, import_files
from papertiger.store import open_store


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path)


def suites_file(tmp_path: Path, data: Path) -> Path:
    forms = "".join(
        f'[[suite.form]]\nname = "tiny{year}"\npath = "{data}/aime_{year}.jsonl"\n'
        f"count = 30\nreleased = {year}-02-01\n"
        for year in (2024, 2025)
    )
    path = tmp_path / "suites.toml"
    path.write_text(f'[[suite]]\nname = "tiny"\ngrader = "integer"\n{forms}')
    return path


def stored(db: Path, *columns: str) -> list[tuple]:
    with open_store(db) as store:
        frame = store.attempts_frame()
    return sorted(map(tuple, frame[list(columns)].itertuples(index=False)))


def test_suite_from_the_task_name(tmp_path: Path, data: Path) -> None:
    folder = lmeval_run(tmp_path)
    for path in folder.glob("samples_aime*"):
        path.rename(path.with_name(path.name.replace("samples_aime", "samples_tiny")))
    db = tmp_path / "r.db"
    spec = ImportSpec("lm-eval", (folder,), db, suites_file=suites_file(tmp_path, data))
    summary = import_files(spec)
    assert summary.suite == "tiny" and summary.new == 60
    assert {form for (form,) in stored(db, "form")} == {"tiny2024", "tiny2025"}


def test_suite_from_the_table_and_several_suites_refused(tmp_path: Path, data: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("model,suite,form,item,correct\nm,tiny,tiny2025,aime2025-I-01,1\n")
    suites = suites_file(tmp_path, data)
    summary = import_files(ImportSpec("csv", (table,), tmp_path / "r.db", suites_file=suites))
    assert summary.suite == "tiny" and summary.new == 1
    table.write_text("model,suite,item,correct\nm,tiny,aime2025-I-01,1\nm,other,x,1\n")
    with pytest.raises(InputError, match="several suites") as caught:
        import_files(ImportSpec("csv", (table,), tmp_path / "s.db", suites_file=suites))
    assert (caught.value.path, caught.value.field) == (str(table), "suite")


def test_default_suite_is_aime(tmp_path: Path, data: Path) -> None:
    table = csv_table(tmp_path / "t.csv")
    summary = import_files(ImportSpec("csv", (table,), tmp_path / "r.db", data_dir=data))
    assert summary.suite == "aime" and summary.new == 60


def test_cost_from_catalogue_prices_when_the_tool_kept_none(tmp_path: Path, data: Path) -> None:
    models = tmp_path / "models.toml"
    models.write_text('[[model]]\nname = "priced"\nprice_in = 1.0\nprice_out = 2.0\n')
    db = tmp_path / "r.db"
    spec = ImportSpec(
        "lighteval",
        (lighteval_run(tmp_path),),
        db,
        data_dir=data,
        model="priced",
        models_file=models,
    )
    import_files(spec)
    costs = {cost for (cost,) in stored(db, "cost_usd")}
    assert len(costs) == 1 and costs.pop() == pytest.approx((4 * 1.0 + 2 * 2.0) / 1e6)


def test_nothing_recorded_is_a_failure_not_a_wrong_answer(tmp_path: Path, data: Path) -> None:
    entry = lmeval_entry(0, [None], metrics={})  # type: ignore[list-item]
    path = write_jsonl(tmp_path / f"samples_aime24_{DATE}.jsonl", [entry])
    db = tmp_path / "r.db"
    (report,) = import_files(ImportSpec("lm-eval", (path,), db, data_dir=data, model="m")).files
    assert report.errors == 1
    ((status, error),) = stored(db, "status", "error")
    assert status == "error" and "neither a response nor a grade" in error


def test_table_run_column_keeps_runs_apart(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    for run in ("march", "april"):
        table = tmp_path / f"{run}.csv"
        table.write_text(f"model,form,item,correct,run\nm,aime2024,aime2024-I-01,1,{run}\n")
        assert import_files(ImportSpec("csv", (table,), db, data_dir=data)).new == 1
    assert stored(db, "source") == [("csv:april",), ("csv:march",)]


def test_cli_reports_other_wordings_and_other_golds(tmp_path: Path, data: Path, cli) -> None:
    entries = [lmeval_entry(i, ["\\boxed{1}"]) for i in range(2)]
    entries[0]["doc"]["problem"] = item(2024, 0)["problem"]
    entries[0]["target"] = "999"
    entries[1]["doc"]["problem"] = "A wording of its own"
    entries[1]["target"] = item(2024, 1)["answer"]
    path = write_jsonl(tmp_path / f"samples_aime24_{DATE}.jsonl", entries)
    done = cli("import", "lm-eval", path, "--db", tmp_path / "r.db", "--data", data, "--model", "m")
    assert done.returncode == 0, done.stderr
    assert "matched 1 by id, 1 by text" in done.stdout
    assert (
        "1 matched by id although the file's problem text differs from the suite's" in done.stdout
    )
    assert "the file's gold answer differs from the suite's for aime2024-I-01" in done.stdout


def test_report_run_picks_an_import(tmp_path: Path, data: Path, cli) -> None:
    db = tmp_path / "r.db"
    models = tmp_path / "models.toml"
    models.write_text(
        '[[model]]\nname = "lm"\ngroup = "US"\n[[model]]\nname = "browser-model"\ngroup = "CN"\n'
    )
    first = cli(
        "import",
        "lm-eval",
        lmeval_run(tmp_path),
        "--db",
        db,
        "--data",
        data,
        "--model",
        "lm",
        "--models",
        models,
    )
    second = cli(
        "import",
        "csv",
        csv_table(tmp_path / "t.csv"),
        "--db",
        db,
        "--data",
        data,
        "--models",
        models,
    )
    assert first.returncode == second.returncode == 0
    run_id = re.search(r"as run (\w+):", second.stdout)[1]
    shown = cli("report", "--db", db, "--run", run_id, "--format", "md")
    assert shown.returncode == 0, shown.stderr
    assert (
        "| browser-model | Chinese | 66.7 | 50.0 |" in shown.stdout and "| lm |" not in shown.stdout
    )
