"""Loading one set from JSONL, CSV, Parquet or `datasets`, and the errors bad rows give."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from benchmark_rows import aime_rows, write_jsonl

from papertiger.benchmarks import FieldMap, SetSource, load_set
from papertiger.errors import InputError


def _source(path: Path, **kw: object) -> SetSource:
    return SetSource(name="aime2024", path=path, **kw)


def test_jsonl_rows_become_problems(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", aime_rows(2024, 3), blank_line_after=1)
    loaded = load_set(_source(path, count=3, released="2024-02-01"))
    first = loaded.problems[0]
    assert (first.item_id, first.answer, first.exam, first.number) == (
        "aime2024-I-01",
        "24",
        "I",
        1,
    )
    assert first.released.isoformat() == "2024-02-01" and loaded.answer_format == "integer"
    assert [p.benchmark for p in loaded.problems] == ["aime2024"] * 3


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"problem": "p", "answer": 5}, "id", "required field is missing"),
        ({"id": "x", "problem": "p"}, "answer", "required field is missing"),
        ({"id": "x", "problem": "  ", "answer": 5}, "problem", "problem text is empty"),
        ({"id": "x", "problem": "p", "answer": "12a"}, "answer", "not an integer"),
        ({"id": "x", "problem": "p", "answer": 1000}, "answer", "outside 0-999"),
        ({"id": "x", "problem": "p", "answer": True}, "answer", "not an integer"),
        ({"id": "x", "problem": "p", "answer": 5, "year": "MMXXIV"}, "year", "bad value"),
        ({"id": "x", "problem": "p", "answer": 5, "released": "Feb 1"}, "released", "bad value"),
    ],
)
def test_bad_row_names_file_line_and_field(
    tmp_path: Path, row: dict, field: str, message: str
) -> None:
    good = {"id": "ok", "problem": "fine", "answer": 1}
    path = write_jsonl(tmp_path / "bad.jsonl", [good, row])
    with pytest.raises(InputError, match=message) as caught:
        load_set(_source(path))
    error = caught.value
    assert (error.path, error.line, error.field) == (str(path), 2, field)
    assert f"{path}, line 2, column '{field}'" in str(error)


def test_invalid_json_and_non_objects(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"id": "a", "problem": "p", "answer": 1}\n\n{"id": "b", \n')
    with pytest.raises(InputError, match="not valid JSON") as caught:
        load_set(_source(path))
    assert caught.value.line == 3
    path.write_text("[1, 2]\n")
    with pytest.raises(InputError, match="JSON object"):
        load_set(_source(path))


def test_duplicate_ids_point_at_both_lines(tmp_path: Path) -> None:
    rows = aime_rows(2024, 3)
    rows[2]["id"] = rows[0]["id"]
    path = write_jsonl(tmp_path / "dup.jsonl", rows)
    with pytest.raises(
        InputError, match=r"duplicate id 'aime2024-I-01' \(first seen at line 1\)"
    ) as c:
        load_set(_source(path))
    assert c.value.line == 3 and c.value.field == "id"


def test_count_is_checked(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "short.jsonl", aime_rows(2024, 29))
    with pytest.raises(InputError, match="expected 30 problems in set 'aime2024', found 29"):
        load_set(_source(path, count=30))


def test_latex_answers_keep_their_text(tmp_path: Path) -> None:
    rows = [
        {"id": "h1", "problem": "p", "answer": r"-\dfrac{13}{96}, \dfrac{13}{40}"},
        {"id": "h2", "problem": "q", "answer": 103},
        {"id": "h3", "problem": "r", "answer": " "},
    ]
    path = write_jsonl(tmp_path / "hmmt.jsonl", rows)
    with pytest.raises(InputError, match="answer is empty") as caught:
        load_set(_source(path, answer_format="latex"))
    assert caught.value.line == 3
    path = write_jsonl(tmp_path / "hmmt.jsonl", rows[:2])
    answers = [p.answer for p in load_set(_source(path, answer_format="latex")).problems]
    assert answers == [r"-\dfrac{13}{96}, \dfrac{13}{40}", "103"]


def test_csv_line_numbers_count_multiline_cells(tmp_path: Path) -> None:
    path = tmp_path / "set.csv"
    path.write_text(
        "id,problem,answer,topic\n"
        'a,"two\nlines",025,\n'  # lines 2-3; leading zeros and empty cells are fine
        "b,plain,7,Algebra\n"  # line 4
        "c,broken,x,\n",  # line 5
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_set(_source(path))
    assert (caught.value.line, caught.value.field) == (5, "answer")
    path.write_text(path.read_text().replace("c,broken,x,\n", ""))
    problems = load_set(_source(path)).problems
    assert [(p.answer, p.topic) for p in problems] == [("25", None), ("7", "Algebra")]


def test_parquet_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "set.parquet"
    pd.DataFrame({"problem_idx": [1, 2], "problem": ["p", "q"], "answer": ["5", "-1"]}).to_parquet(
        path
    )
    source = _source(
        path, fields=FieldMap(id="problem_idx"), id_format="aime2025-ma-{problem_idx:02d}"
    )
    with pytest.raises(InputError, match=r"row 2: answer -1 is outside 0-999"):
        load_set(source)


def test_id_format_needs_its_columns(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"idx": 1, "problem": "p", "answer": 1}])
    with pytest.raises(InputError, match="id_format") as caught:
        load_set(_source(path, id_format="x-{problem_idx}"))
    assert caught.value.field == "problem_idx"


def test_source_needs_exactly_one_location(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        SetSource(name="x")
    with pytest.raises(ValueError, match="exactly one"):
        SetSource(name="x", path=tmp_path, dataset="org/set")


def test_unknown_file_type_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "set.xlsx").write_text("")
    with pytest.raises(InputError, match="unknown file type"):
        load_set(_source(tmp_path / "set.xlsx"))
    with pytest.raises(InputError, match="file not found"):
        load_set(_source(tmp_path / "absent.jsonl"))


@pytest.mark.usefixtures("offline_datasets")
def test_datasets_json_builder_on_local_files(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", aime_rows(2024))
    via_hf = load_set(SetSource(name="aime2024", dataset="json", data_files=str(path), count=30))
    assert via_hf == load_set(_source(path, count=30))


@pytest.mark.usefixtures("offline_datasets")
def test_datasets_local_folder_with_matharena_fields(tmp_path: Path) -> None:
    folder = tmp_path / "aime_2025"
    folder.mkdir()
    rows = [{"problem_idx": i, "problem": f"p{i}", "answer": str(i * 3)} for i in range(1, 31)]
    (folder / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    source = SetSource(
        name="aime2025",
        dataset=str(folder),
        fields=FieldMap(id="problem_idx", year=None, exam=None, number=None),
        id_format="aime2025-ma-{problem_idx:02d}",
        count=30,
        released="2025-02-06",
    )
    problems = load_set(source).problems
    assert problems[15].item_id == "aime2025-ma-16" and problems[15].answer == "48"
    assert problems[0].released.isoformat() == "2025-02-06"


@pytest.mark.usefixtures("offline_datasets")
def test_datasets_errors_become_input_errors(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", aime_rows(2024, 2))
    source = SetSource(name="aime2024", dataset="json", data_files=str(path), split="test")
    with pytest.raises(InputError, match="cannot load split 'test'") as caught:
        load_set(source)
    assert caught.value.path == "json"


@pytest.mark.usefixtures("offline_datasets")
def test_shared_aime_file_same_through_both_paths(shared_data: Path) -> None:
    path = shared_data / "aime_2024.jsonl"
    local = load_set(_source(path, count=30))
    via_hf = load_set(SetSource(name="aime2024", dataset="json", data_files=str(path), count=30))
    assert via_hf == local


def test_csv_with_excel_bom(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("id,problem,answer\nq1,p,7\n".encode("utf-8-sig"))
    assert load_set(_source(path)).problems[0].item_id == "q1"
