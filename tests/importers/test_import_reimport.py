"""Re-imports add nothing, newer files add what is new, bad files leave the store as it was."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from import_helpers import (
    csv_table,
    inspect_run,
    item,
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

import papertiger
from papertiger.errors import InputError
from papertiger.importers import ImportSpec, ImportSummary, import_files
from papertiger.store import export, open_store


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path)


def run_import(tool: str, paths, db: Path, data: Path, **options) -> ImportSummary:
    paths = tuple(paths) if isinstance(paths, list | tuple) else (paths,)
    return import_files(ImportSpec(tool, paths, db, suite="aime", data_dir=data, **options))


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, so 'untouched' can be checked exactly."""
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}"))) for t in tables}
    finally:
        con.close()


@pytest.mark.parametrize("tool", ["lm-eval", "inspect", "matharena", "csv"])
def test_reimport_adds_nothing(tmp_path: Path, data: Path, tool: str) -> None:
    build = {
        "lm-eval": lmeval_run,
        "inspect": inspect_run,
        "matharena": matharena_outputs,
        "csv": lambda root: csv_table(root / "t.csv"),
    }[tool]
    path = build(tmp_path / "files")
    db = tmp_path / "r.db"
    first = run_import(tool, path, db, data, model="m")
    before = snapshot(db)
    again = run_import(tool, path, db, data, model="m")
    assert again.run_id is None and again.new == 0 and again.stored == first.new > 0
    assert snapshot(db) == before  # not even a run record


def test_a_moved_copy_imports_to_the_same_keys(tmp_path: Path, data: Path) -> None:
    folder = lmeval_run(tmp_path / "a")
    db = tmp_path / "r.db"
    run_import("lm-eval", folder, db, data)
    moved = tmp_path / "b" / "renamed"
    shutil.copytree(folder, moved)
    assert run_import("lm-eval", moved, db, data).new == 0


def test_two_runs_of_one_model_do_not_collide(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    run_import("lm-eval", lmeval_run(tmp_path / "a"), db, data)
    second = tmp_path / "b"
    shutil.copytree(tmp_path / "a" / "lm-eval", second)
    later = "2025-07-01T08-00-00.000001"
    for path in list(second.rglob(f"*{DATE}*")):
        path.rename(path.with_name(path.name.replace(DATE, later)))
    summary = run_import("lm-eval", second, db, data)
    assert summary.new == 60
    with open_store(db) as store:
        assert set(store.attempts_frame().source) == {f"lm-eval:{DATE}", f"lm-eval:{later}"}


def test_newer_version_of_a_file_adds_what_is_new(tmp_path: Path, data: Path) -> None:
    def entries(count: int) -> list[dict]:
        out = []
        for i in range(count):
            entry = lmeval_entry(i, ["\\boxed{1}"])
            entry["doc"]["problem"] = item(2024, i)["problem"]
            out.append(entry)
        return out

    path = write_jsonl(tmp_path / "lm" / f"samples_aime24_{DATE}.jsonl", entries(20))
    db = tmp_path / "r.db"
    assert run_import("lm-eval", path, db, data, model="m").new == 20
    write_jsonl(path, entries(30))
    (report,) = run_import("lm-eval", path, db, data, model="m").files
    assert (report.new, report.stored) == (10, 20)


def test_a_finished_inspect_log_adds_its_remaining_samples(tmp_path: Path, data: Path) -> None:
    header = inspect_header(task="aime2024")

    def sample(i: int, **kw) -> dict:
        s = inspect_sample(f"2024-I-{i}", 1, **kw)
        s["input"] = item(2024, i - 1)["problem"]
        return s

    path = tmp_path / "logs" / "run.eval"
    write_eval(
        path,
        header,
        [sample(1), sample(2, error="rate limited")],
        header_name="_journal/start.json",
    )
    db = tmp_path / "r.db"
    first = run_import("inspect", path, db, data)
    assert (first.new, first.files[0].errors) == (2, 1)
    write_eval(path, header, [sample(i) for i in range(1, 6)])
    (report,) = run_import("inspect", path, db, data).files
    assert (report.new, report.replaced, report.stored) == (3, 1, 1)
    with open_store(db) as store:
        rows = store.attempts_frame()
        assert set(rows.status) == {"ok"} and len(rows) == 5
        assert len(store.errors_frame()) == 1  # the earlier failure stays in the history
    # the same failure imported again is not a new failure
    write_eval(path, header, [sample(1), sample(6, error="rate limited")])
    run_import("inspect", path, db, data)
    before = snapshot(db)
    (report,) = run_import("inspect", path, db, data).files
    assert (report.new, report.stored) == (0, 2) and snapshot(db) == before


def test_a_malformed_file_leaves_the_store_as_it_was(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    run_import("csv", csv_table(tmp_path / "old.csv", model="old"), db, data)
    before = snapshot(db)
    good = lmeval_run(tmp_path)
    bad = good / f"samples_aime26_{DATE}.jsonl"
    bad.write_text(json.dumps(lmeval_entry(0, ["x"])) + "\n" + '{"doc_id": 1, "resps": "oops"}\n')
    with pytest.raises(InputError) as caught:
        run_import("lm-eval", good, db, data)
    assert (caught.value.path, caught.value.line, caught.value.field) == (str(bad), 2, "resps")
    assert "expected a list of generated responses" in str(caught.value)
    assert snapshot(db) == before  # the good files before it were not written either


def test_file_without_a_model_needs_the_option(tmp_path: Path, data: Path) -> None:
    path = write_jsonl(tmp_path / f"samples_aime24_{DATE}.jsonl", [lmeval_entry(0, ["x"])])
    with pytest.raises(
        InputError, match=r"does not name the model \(first at line 1\); give --model"
    ) as caught:
        run_import("lm-eval", path, tmp_path / "r.db", data)
    assert caught.value.path == str(path)
    assert run_import("lm-eval", path, tmp_path / "r.db", data, model="m").new == 1


def test_model_option_refuses_a_file_of_several_models(tmp_path: Path, data: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("model,item,correct\na,aime2024-I-01,1\nb,aime2024-I-01,0\n")
    with pytest.raises(InputError, match="holds 2 models"):
        run_import("csv", table, tmp_path / "r.db", data, model="m")
    assert run_import("csv", table, tmp_path / "r.db", data).new == 2


def test_unknown_tool_and_empty_folder(tmp_path: Path, data: Path) -> None:
    with pytest.raises(InputError, match="unknown tool 'helm'"):
        run_import("helm", tmp_path, tmp_path / "r.db", data)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no inspect files") as caught:
        run_import("inspect", tmp_path / "empty", tmp_path / "r.db", data)
    assert caught.value.path == str(tmp_path / "empty")
    assert not (tmp_path / "r.db").exists()


def test_store_to_parquet_to_dataframe(tmp_path: Path, data: Path) -> None:
    db = tmp_path / "r.db"
    run_import("inspect", inspect_run(tmp_path), db, data)
    run_import("csv", csv_table(tmp_path / "t.csv"), db, data)
    table = papertiger.attempts(db)
    with open_store(db) as store:
        path = export(store, tmp_path / "all.parquet")
    back = pd.read_parquet(path)
    assert len(back) == len(table) == 120
    for column in ("gold", "problem", "source", "condition", "model", "form", "item_id", "text"):
        assert column in back.columns
    left = back.set_index("key").sort_index()
    right = table.set_index("key").sort_index()
    for column in (
        "source",
        "condition",
        "gold",
        "problem",
        "grader",
        "correct",
        "prompt_tokens",
        "cost_usd",
    ):
        assert left[column].astype(object).where(left[column].notna(), None).tolist() == (
            right[column].astype(object).where(right[column].notna(), None).tolist()
        ), column
    row = left[left.item_id == "aime2025-II-01"].iloc[0]
    assert row.gold == item(2025, 15)["answer"] and row.problem == item(2025, 15)["problem"]
