"""CSV score tables: wide and long form, metadata merge, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertiger.errors import InputError
from papertiger.published import load_scores, read_scores_csv


def write(tmp_path: Path, text: str, name: str = "scores.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_wide_form_with_aliases(tmp_path: Path) -> None:
    path = write(tmp_path, "model,origin,developer,aime2024,aime2025\nA,CN,Lab1,80,60\nB,US,Lab2,70,65\n")
    table = read_scores_csv(path)
    assert table.old_label == "aime2024"
    assert list(table.frame["group"]) == ["Chinese", "Western"]
    assert list(table.frame["lab"]) == ["Lab1", "Lab2"]
    assert list(table.frame["old"]) == [80.0, 70.0]


def test_long_form(tmp_path: Path) -> None:
    text = "model,benchmark,score,group\nA,aime2024,80,Chinese\nA,aime2025,60,Chinese\nB,aime2024,70,Western\nB,aime2025,65,Western\n"
    table = read_scores_csv(write(tmp_path, text))
    assert (table.old_label, table.fresh_label) == ("aime2024", "aime2025")
    assert table.frame.set_index("model").loc["A", "fresh"] == 60.0


def test_explicit_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "model,group,y24,y25\nA,Chinese,80,60\n")
    table = read_scores_csv(path, old="y24", fresh="y25")
    assert table.frame.loc[0, "fresh"] == 60.0


def test_metadata_merged_from_embedded(tmp_path: Path) -> None:
    path = write(tmp_path, "model,old,fresh\no3,90,80\nunknown-model,50,40\n")
    frame = load_scores([path]).frame.set_index("model")
    assert frame.loc["o3", "lab"] == "OpenAI"
    assert frame.loc["o3", "group"] == "Western"
    assert frame.loc["unknown-model", "lab"] is None


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        ("model,aime2024\nA,80\n", 1, "old", "no score columns"),
        ("name2,old,fresh\nA,80,60\n", 1, "model", "missing required column"),
        ("model,old,fresh,group\nA,80,60,Chinese\nB,eighty,60,Western\n", 3, "old", "not a number"),
        ("model,old,fresh,group\nA,80,60,Chinese\nA,70,60,Western\n", 3, "model", "duplicate model"),
        ("model,old,fresh,group\nA,80,60,Martian\n", 2, "group", "unknown group"),
        ("model,old,fresh\nA,180,60\n", 2, "old", "outside 0-100"),
        ("model,old,fresh,released\nA,80,60,yesterday\n", 2, "released", "ISO date"),
        ("model,benchmark,score\nA,aime2024,80\nA,aime2025,70\nB,aime2024,60\nB,aime2026,60\n", 1, "benchmark", "3 benchmark versions"),
    ],
)
def test_errors_name_file_line_and_column(
    tmp_path: Path, text: str, line: int, field: str, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_scores_csv(path)
    err = info.value
    assert (err.path, err.line, err.field) == (str(path), line, field)
    assert fragment in str(err)
    assert str(path) in str(err) and f"line {line}" in str(err) and f"'{field}'" in str(err)


def test_missing_fresh_in_long_form(tmp_path: Path) -> None:
    text = "model,benchmark,score\nA,aime2024,80\nA,aime2025,70\nB,aime2024,60\n"
    with pytest.raises(InputError, match="no score for 'aime2025'") as info:
        read_scores_csv(write(tmp_path, text))
    assert info.value.line == 4


def test_multiline_quoted_field_keeps_line_numbers(tmp_path: Path) -> None:
    text = 'model,old,fresh,notes\nA,80,60,"two\nlines"\nB,x,60,ok\n'
    with pytest.raises(InputError) as info:
        read_scores_csv(write(tmp_path, text))
    assert info.value.line == 4


def test_gair_table(shared_data: Path) -> None:
    table = read_scores_csv(shared_data / "gair_aime_preview_scores.csv")
    assert len(table.frame) == 17
    assert set(table.frame["group"]) == {"Chinese", "Western"}


def test_known_columns_match_in_any_case(tmp_path: Path) -> None:
    table = read_scores_csv(write(tmp_path, "Model,GROUP,Old,Fresh\nA,Chinese,80,60\n"))
    assert list(table.frame["group"]) == ["Chinese"] and table.frame.loc[0, "old"] == 80.0


def test_surplus_fields_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "model,old,fresh\nA,80,60\nB,70,60,oops\n")
    with pytest.raises(InputError, match="4 fields but the header has 3 columns") as info:
        read_scores_csv(path)
    assert info.value.line == 3


def test_long_form_unknown_version_names(tmp_path: Path) -> None:
    path = write(tmp_path, "model,benchmark,score\nA,aime2024,80\nA,aime2025,70\n")
    with pytest.raises(InputError, match="--old 'x' is not a value") as info:
        read_scores_csv(path, old="x", fresh="y")
    assert (info.value.line, info.value.field) == (1, "benchmark")
    with pytest.raises(InputError, match="give both --old and --fresh"):
        read_scores_csv(path, old="aime2024")
