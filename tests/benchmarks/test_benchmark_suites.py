"""Suites: the built-ins from local folders, user suites in TOML, and their errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from benchmark_rows import aime_rows, write_jsonl

from papertiger.benchmarks import builtin_suite, builtin_suites, load_suite, read_suites_file
from papertiger.errors import InputError

SUITES_TOML = """
[[suite]]
name = "aime"
grader = "integer"
[suite.old]
name = "aime2024"
path = "data/aime_2024.jsonl"
fields = { id = "id", problem = "problem", answer = "answer" }
count = 30
released = 2024-02-01
[suite.fresh]
name = "aime2025"
dataset = "json"
data_files = "data/aime_2025.jsonl"
split = "train"
count = 30
released = 2025-02-06
"""


def test_builtin_aime_from_shared_data(shared_data: Path) -> None:
    suite = load_suite("aime", data_dir=shared_data)
    assert (suite.name, suite.grader) == ("aime", "integer")
    assert (suite.old.name, suite.fresh.name) == ("aime2024", "aime2025")
    assert len(suite.old.problems) == len(suite.fresh.problems) == 30
    assert suite.fresh.released == dt.date(2025, 2, 6)
    assert all(0 <= int(p.answer) <= 999 for p in suite.old.problems + suite.fresh.problems)
    by_id = {p.item_id: p for p in suite.fresh.problems}
    assert by_id["aime2025-II-07"].released == dt.date(2025, 2, 12)  # per-exam dates kept


def test_builtin_hmmt_from_shared_data(shared_data: Path) -> None:
    suite = load_suite("hmmt", data_dir=shared_data)
    assert (suite.grader, suite.old.answer_format) == ("math_verify", "latex")
    assert len(suite.old.problems) == len(suite.fresh.problems) == 30
    # The HMMT files carry no dates, so items inherit their set's tournament day.
    assert {p.released for p in suite.fresh.problems} == {dt.date(2025, 2, 15)}
    assert {p.released for p in suite.old.problems} == {dt.date(2024, 2, 17)}


def test_builtin_from_a_folder_the_test_made(tiny_data_dir: Path) -> None:
    suite = load_suite("aime", data_dir=tiny_data_dir)
    assert suite.old.problems[0].item_id == "aime2024-I-01"
    write_jsonl(tiny_data_dir / "aime_2025.jsonl", aime_rows(2025, 28))
    with pytest.raises(InputError, match="expected 30 problems") as caught:
        load_suite("aime", data_dir=tiny_data_dir)
    assert caught.value.path == str(tiny_data_dir / "aime_2025.jsonl")


def test_builtin_defaults_are_hugging_face_ids() -> None:
    specs = builtin_suites()
    assert specs["aime"].old.dataset == "HuggingFaceH4/aime_2024"
    assert specs["aime"].fresh.dataset == "MathArena/aime_2025"
    assert specs["hmmt"].fresh.dataset == "MathArena/hmmt_feb_2025"
    assert all(s.old.count == s.fresh.count == 30 for s in specs.values())
    assert builtin_suite("aime", Path("/data")).old.path == Path("/data/aime_2024.jsonl")


@pytest.mark.usefixtures("offline_datasets")
def test_suites_file_with_local_and_datasets_halves(tmp_path: Path, tiny_data_dir: Path) -> None:
    suites = tmp_path / "suites.toml"
    suites.write_text(SUITES_TOML.replace('name = "aime"', 'name = "mine"', 1))
    suite = load_suite("mine", suites_file=suites)  # relative paths: next to the TOML
    assert suite.fresh.problems == load_suite("aime", data_dir=tiny_data_dir).fresh.problems
    assert suite.old.released == dt.date(2024, 2, 1)


def test_user_suite_of_the_same_name_wins(tmp_path: Path, tiny_data_dir: Path) -> None:
    suites = tmp_path / "suites.toml"
    suites.write_text(
        SUITES_TOML.split("[suite.fresh]")[0]
        + '[suite.fresh]\nname = "again"\npath = "data/aime_2024.jsonl"\ncount = 30\n'
    )
    suite = load_suite("aime", suites_file=suites)
    assert suite.fresh.name == "again"


def test_a_bare_suite_table(tiny_data_dir: Path) -> None:
    entry = {
        "name": "adhoc",
        "old": {"name": "a", "path": "aime_2024.jsonl"},
        "fresh": {"name": "b", "path": "aime_2025.jsonl"},
    }
    suite = load_suite(entry, data_dir=tiny_data_dir)
    assert (suite.name, len(suite.fresh.problems)) == ("adhoc", 30)


@pytest.mark.parametrize(
    ("toml", "match", "field"),
    [
        (
            SUITES_TOML.replace("count = 30\nreleased = 2024", "cout = 30\nreleased = 2024"),
            r"\[\[suite\]\] #1 \('aime'\): Extra inputs are not permitted",
            "old.cout",
        ),
        (
            SUITES_TOML.replace("count = 30\nreleased = 2024", 'count = "many"\nreleased = 2024'),
            "valid integer",
            "old.count",
        ),
        (
            SUITES_TOML.replace('path = "data/aime_2024.jsonl"', 'path = "x"\ndataset = "y"'),
            "exactly one of 'path'",
            "old",
        ),
        (SUITES_TOML + SUITES_TOML, "duplicate suite name 'aime'", "name"),
        ('[[suites]]\nname = "x"\n', r"unknown table\(s\) suites", "suites"),
        (
            SUITES_TOML.replace(
                'grader = "integer"', 'grader = "integer"\nanswer_format = "latex"'
            ).replace(
                "count = 30\nreleased = 2025",
                'answer_format = "integer"\ncount = 30\nreleased = 2025',
            ),
            "answer_format must match",
            None,
        ),
    ],
)
def test_bad_suites_file_names_entry_and_field(
    tmp_path: Path, toml: str, match: str, field: str | None
) -> None:
    path = tmp_path / "suites.toml"
    path.write_text(toml)
    with pytest.raises(InputError, match=match) as caught:
        read_suites_file(path)
    assert caught.value.path == str(path)
    # Entry errors point at the entry's [[suite]] header (the last one for a duplicate).
    header = None if "unknown table" in match else toml[: toml.rindex("[[suite]]")].count("\n") + 1
    assert caught.value.line == header
    if field is not None:
        assert caught.value.field == field


def test_toml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = tmp_path / "suites.toml"
    path.write_text('[[suite]]\nname = "x"\ngrader = \n')
    with pytest.raises(InputError, match="not valid TOML") as caught:
        read_suites_file(path)
    assert caught.value.line == 3


def test_unknown_suite_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown suite 'gsm8k'; known suites: aime, hmmt"):
        load_suite("gsm8k")
    with pytest.raises(InputError, match="file not found"):
        load_suite("aime", suites_file=tmp_path / "absent.toml")


def test_halves_need_distinct_set_names(tiny_data_dir: Path) -> None:
    entry = {
        "name": "same",
        "old": {"name": "a", "path": "aime_2024.jsonl"},
        "fresh": {"name": "a", "path": "aime_2025.jsonl"},
    }
    with pytest.raises(InputError, match="share the name 'a'"):
        load_suite(entry, data_dir=tiny_data_dir)
