"""Matching imported records to suite items: mapping file, text, id conventions, misses."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_helpers import item, make_data_dir

from papertiger.benchmarks import load_suite
from papertiger.errors import InputError
from papertiger.importers import ImportedSample, ItemMap, ItemMatcher, Match, Miss


@pytest.fixture
def suite(tmp_path: Path):
    return load_suite("aime", data_dir=make_data_dir(tmp_path))


def record(
    key: str, tool: str = "lm-eval", task: str | None = "aime24", **fields
) -> ImportedSample:
    return ImportedSample(
        source_tool=tool,
        source_file="f",
        source_locator="line 1",
        model="m",
        task=task,
        item_key=key,
        sample_index=0,
        **fields,
    )


def placed(result: Match | Miss) -> tuple[str, str, str]:
    assert isinstance(result, Match), result
    return result.form.name, result.problem.item_id, result.method


def test_text_wins_over_id_and_whitespace_is_normalised(suite) -> None:
    matcher = ItemMatcher(suite)
    text = " ".join(str(item(2025, 4)["problem"]).split()) + "\n"
    # the id (doc 0 of aime24) points elsewhere; the text is 2025 I-05
    assert placed(matcher.match(record("0", problem=text))) == ("aime2025", "aime2025-I-05", "text")


def test_second_wording_matches_too(suite) -> None:
    result = ItemMatcher(suite).match(record("9", problem=str(item(2024, 20)["problem_alt"])))
    assert placed(result) == ("aime2024", "aime2024-II-06", "text")


@pytest.mark.parametrize(
    ("tool", "task", "key", "expected"),
    [
        ("csv", None, "aime2025-II-03", "aime2025-II-03"),  # the suite's own id
        ("inspect", "aime2024", "2024-I-1", "aime2024-I-01"),  # exam and number spelled out
        ("inspect", "aime2024", "II-7", "aime2024-II-07"),
        ("csv", "aime2025", "2025_II_15", "aime2025-II-15"),
        ("lm-eval", "aime24", "0", "aime2024-I-01"),  # doc_id: 0-based position
        ("lm-eval", "aime25", "29", "aime2025-II-15"),
        ("lighteval", "aime25", "15", "aime2025-II-01"),
        ("matharena", "aime_2025", "1", "aime2025-I-01"),  # problem_idx: 1-based
        ("matharena", "aime_2025", "16", "aime2025-II-01"),
        ("matharena", "aime_2025_II", "3", "aime2025-II-03"),  # a part of the exam
        ("inspect", "aime2026", "30", "aime2026-II-15"),  # generated ids are 1-based
    ],
)
def test_id_conventions(suite, tool: str, task: str | None, key: str, expected: str) -> None:
    result = ItemMatcher(suite).match(record(key, tool=tool, task=task))
    assert placed(result)[1:] == (expected, "id")


def test_id_match_with_other_text_is_counted(suite) -> None:
    result = ItemMatcher(suite).match(record("3", problem="A wording the suite does not have"))
    assert isinstance(result, Match) and result.problem.item_id == "aime2024-I-04"
    assert result.text_differs


def test_misses_say_why(suite) -> None:
    matcher = ItemMatcher(suite)
    no_form = matcher.match(record("3", task="aime"))
    assert isinstance(no_form, Miss) and "--form" in no_form.reason
    past_end = matcher.match(record("30"))
    assert isinstance(past_end, Miss) and "aime2024" in past_end.reason
    unknown_form = matcher.match(record("x", tool="csv", task=None, form="aime1999"))
    assert isinstance(unknown_form, Miss) and "aime1999" in unknown_form.reason
    other_suite = matcher.match(record("aime2024-I-01", tool="csv", suite="hmmt"))
    assert isinstance(other_suite, Miss) and "hmmt" in other_suite.reason
    # numbers are positions only for tools that number their items; a table names ids
    assert isinstance(matcher.match(record("3", tool="csv", task="aime2024")), Miss)


def test_form_option_places_and_restricts(suite) -> None:
    matcher = ItemMatcher(suite, form="aime2025")
    assert placed(matcher.match(record("0", task="aime")))[1] == "aime2025-I-01"
    wrong = matcher.match(record("0", problem=str(item(2024, 0)["problem"])))
    assert isinstance(wrong, Miss) and "aime2024-I-01" in wrong.reason
    clash = matcher.match(record("aime2024-I-01", tool="csv", form="aime2024"))
    assert isinstance(clash, Miss) and "--form" in clash.reason
    with pytest.raises(InputError, match="aime1999"):
        ItemMatcher(suite, form="aime1999")


def test_mapping_file_wins(suite, tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    path.write_text("source_item,item_id,task\nq7,aime2025-I-02,\n0,aime2026-II-01,aime24\n")
    matcher = ItemMatcher(suite, item_map=ItemMap.read(path, suite))
    assert placed(matcher.match(record("q7", task="anything"))) == (
        "aime2025",
        "aime2025-I-02",
        "map",
    )
    text = str(item(2024, 0)["problem"])
    assert placed(matcher.match(record("0", problem=text)))[1] == "aime2026-II-01"
    assert placed(matcher.match(record("0", task="aime25")))[1:] == ("aime2025-I-01", "id")


@pytest.mark.parametrize(
    ("content", "line", "field", "message"),
    [
        ("item,id\n", 1, "source_item", "required column"),
        ("source_item,item_id\nq1,aime2030-I-01\n", 2, "item_id", "not in suite"),
        ("source_item,item_id\nq1,aime2024-I-01\nq1,aime2024-I-02\n", 3, "source_item", "twice"),
        ("source_item,item_id\n,aime2024-I-01\n", 2, "source_item", "empty"),
        ("source_item,item_id,form\nq1,aime2024-I-01,aime2025\n", 2, "item_id", "not in suite"),
    ],
)
def test_bad_mapping_file(suite, tmp_path: Path, content, line, field, message) -> None:
    path = tmp_path / "map.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as caught:
        ItemMap.read(path, suite)
    assert (caught.value.path, caught.value.line, caught.value.field) == (str(path), line, field)


def test_missing_mapping_file(suite, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        ItemMap.read(tmp_path / "nope.csv", suite)


def test_real_texts_match(shared_data: Path) -> None:
    """The shared AIME files: MathArena's text and the AoPS wording both find the item."""
    suite = load_suite("aime", data_dir=shared_data)
    matcher = ItemMatcher(suite)
    for form in suite.forms[:2]:
        for problem in form.problems:
            assert placed(matcher.match(record("?", problem=problem.problem)))[1] == problem.item_id
            if problem.problem_alt:
                result = matcher.match(record("?", problem=problem.problem_alt))
                assert placed(result)[1] == problem.item_id
