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
    assert suite.form_names == ("aime2024", "aime2025", "aime2026")
    assert len(suite.forms[0].problems) == len(suite.forms[1].problems) == 30
    assert suite.forms[1].released == dt.date(2025, 2, 6)
    assert all(0 <= int(p.answer) <= 999 for p in suite.forms[0].problems + suite.forms[1].problems)
    by_id = {p.item_id: p for p in suite.forms[1].problems}
    assert by_id["aime2025-II-07"].released == dt.date(2025, 2, 12)  # per-exam dates kept


def test_builtin_hmmt_from_shared_data(shared_data: Path) -> None:
    suite = load_suite("hmmt", data_dir=shared_data)
    assert (suite.grader, suite.forms[0].answer_format) == ("math_verify", "latex")
    assert len(suite.forms[0].problems) == len(suite.forms[1].problems) == 30
    # The HMMT files carry no dates, so items inherit their set's tournament day.
    assert {p.released for p in suite.forms[1].problems} == {dt.date(2025, 2, 15)}
    assert {p.released for p in suite.forms[0].problems} == {dt.date(2024, 2, 17)}


def test_builtin_from_a_folder_the_test_made(tiny_data_dir: Path) -> None:
    suite = load_suite("aime", data_dir=tiny_data_dir)
    assert suite.forms[0].problems[0].item_id == "aime2024-I-01"
    write_jsonl(tiny_data_dir / "aime_2025.jsonl", aime_rows(2025, 28))
    with pytest.raises(InputError, match="expected 30 problems") as caught:
        load_suite("aime", data_dir=tiny_data_dir)
    assert caught.value.path == str(tiny_data_dir / "aime_2025.jsonl")


def test_builtin_defaults_are_hugging_face_ids() -> None:
    specs = builtin_suites()
    assert specs["aime"].forms[0].dataset == "HuggingFaceH4/aime_2024"
    assert specs["aime"].forms[1].dataset == "MathArena/aime_2025"
    assert specs["hmmt"].forms[1].dataset == "MathArena/hmmt_feb_2025"
    assert all(f.count == 30 for s in specs.values() for f in s.forms)
    assert specs["aime"].forms[2].dataset == "MathArena/aime_2026"
    assert builtin_suite("aime", Path("/data")).forms[0].path == Path("/data/aime_2024.jsonl")


@pytest.mark.usefixtures("offline_datasets")
def test_suites_file_with_local_and_datasets_halves(tmp_path: Path, tiny_data_dir: Path) -> None:
    suites = tmp_path / "suites.toml"
    suites.write_text(SUITES_TOML.replace('name = "aime"', 'name = "mine"', 1))
    suite = load_suite("mine", suites_file=suites)  # relative paths: next to the TOML
    assert suite.forms[1].problems == load_suite("aime", data_dir=tiny_data_dir).forms[1].problems
    assert suite.forms[0].released == dt.date(2024, 2, 1)


def test_user_suite_of_the_same_name_wins(tmp_path: Path, tiny_data_dir: Path) -> None:
    suites = tmp_path / "suites.toml"
    suites.write_text(
        SUITES_TOML.split("[suite.fresh]")[0]
        + '[suite.fresh]\nname = "again"\npath = "data/aime_2024.jsonl"\ncount = 30\n'
    )
    suite = load_suite("aime", suites_file=suites)
    assert suite.forms[1].name == "again"


def test_a_bare_suite_table(tiny_data_dir: Path) -> None:
    entry = {
        "name": "adhoc",
        "old": {"name": "a", "path": "aime_2024.jsonl"},
        "fresh": {"name": "b", "path": "aime_2025.jsonl"},
    }
    suite = load_suite(entry, data_dir=tiny_data_dir)
    assert (suite.name, len(suite.forms[1].problems)) == ("adhoc", 30)


@pytest.mark.parametrize(
    ("toml", "match", "field"),
    [
        (
            SUITES_TOML.replace("count = 30\nreleased = 2024", "cout = 30\nreleased = 2024"),
            r"\[\[suite\]\] #1 \('aime'\): Extra inputs are not permitted",
            "forms.0.cout",
        ),
        (
            SUITES_TOML.replace("count = 30\nreleased = 2024", 'count = "many"\nreleased = 2024'),
            "valid integer",
            "forms.0.count",
        ),
        (
            SUITES_TOML.replace('path = "data/aime_2024.jsonl"', 'path = "x"\ndataset = "y"'),
            "exactly one of 'path'",
            "forms.0",
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


FORMS_TOML = """
[[suite]]
name = "series"
[[suite.form]]
name = "a24"
path = "data/aime_2024.jsonl"
released = 2024-02-01
[[suite.form]]
name = "a25"
path = "data/aime_2025.jsonl"
released = 2025-02-06
[[suite.form]]
name = "a26"
path = "data/aime_2026.jsonl"
released = 2026-02-05
"""


def test_a_suite_is_a_series_of_dated_forms(tmp_path: Path, tiny_data_dir: Path) -> None:
    suites = tmp_path / "suites.toml"
    suites.write_text(FORMS_TOML)
    suite = load_suite("series", suites_file=suites)
    assert suite.form_names == ("a24", "a25", "a26")
    assert [(a.name, b.name) for a, b in suite.pairs()] == [("a24", "a25"), ("a25", "a26")]
    subset = load_suite("series", suites_file=suites, forms=["a26", "a25"])
    assert subset.form_names == ("a25", "a26")  # release order, whatever order asked


def test_forms_must_be_listed_in_release_order(tmp_path: Path, tiny_data_dir: Path) -> None:
    suites = tmp_path / "suites.toml"
    suites.write_text(FORMS_TOML.replace("2026-02-05", "2023-02-05"))
    with pytest.raises(InputError, match="release order"):
        load_suite("series", suites_file=suites)


def test_unknown_form_is_named(tiny_data_dir: Path) -> None:
    with pytest.raises(InputError, match=r"no form 'aime2027' \(forms: aime2024, aime2025, aime2026\)"):
        load_suite("aime", data_dir=tiny_data_dir, forms=["aime2027"])


def test_a_subset_of_forms_reads_only_their_files(tiny_data_dir: Path) -> None:
    (tiny_data_dir / "aime_2026.jsonl").unlink()
    suite = load_suite("aime", data_dir=tiny_data_dir, forms=["aime2024", "aime2025"])
    assert suite.form_names == ("aime2024", "aime2025")


def test_aime_2026_and_its_second_wordings(shared_data: Path) -> None:
    suite = load_suite("aime", data_dir=shared_data)
    form = suite.form("aime2026")
    assert form.released == dt.date(2026, 2, 5) and len(form.problems) == 30
    by_id = {p.item_id: p for p in form.problems}
    # PROVENANCE: II-10's two published wordings ask different questions, so it has none.
    assert by_id["aime2026-II-10"].problem_alt is None
    assert by_id["aime2026-II-10"].answer == "850"
    assert sum(p.problem_alt is not None for p in form.problems) == 29
