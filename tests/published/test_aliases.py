"""The alias table: every published name is covered, names match whatever their case,
a user file extends and overrides it, and bad user files fail with file, line and field."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from papertiger.errors import InputError
from papertiger.published import PUBLISHED_TABLES, load_aliases, normalise_name, published_scores


def test_every_name_of_every_shipped_table_has_a_row_for_its_table() -> None:
    aliases = load_aliases()
    used = {(normalise_name(r.alias), r.source) for r in aliases.rows}
    for spec in PUBLISHED_TABLES:
        for name in published_scores(spec.file)["model"]:
            assert (normalise_name(name), spec.harness) in used, (spec.harness, name)


def test_matharena_names_are_covered(shared_data: Path) -> None:
    aliases = load_aliases()
    used = {(normalise_name(r.alias), r.source) for r in aliases.rows}
    with (shared_data / "matharena_aime2025_I_models.csv").open(encoding="utf-8") as fh:
        names = [row["model"] for row in csv.DictReader(fh)]
    assert len(names) == 16
    assert all((normalise_name(n), "MathArena") in used for n in names)


def test_no_alias_names_two_models() -> None:
    aliases = load_aliases()
    seen: dict[str, str] = {}
    for row in aliases.rows:
        key = normalise_name(row.alias)
        assert seen.setdefault(key, row.canonical) == row.canonical, row.alias


def test_the_same_model_across_tables_and_within_one() -> None:
    aliases = load_aliases()
    assert aliases.same("Kimi K2-Instruct", "together/moonshotai/Kimi-K2-Instruct")
    assert aliases.same("kimi  k2", "Kimi K2-Instruct")  # case and spacing do not matter
    assert aliases.same("DeepSeek-R1", "fireworks/deepseek-r1")
    assert aliases.same("o3-mini-high", "o3-mini (high)")  # GAIR vs MathArena
    assert not aliases.same("o3-mini-high", "o3-mini-low")
    assert not aliases.same("DeepSeek R1 0528", "DeepSeek-R1")  # another checkpoint
    assert not aliases.same("anthropic/claude-3-7-sonnet-20250219",
                            "anthropic/claude-3-7-sonnet-20250219-thinking")
    assert aliases.canonical("a model nobody knows ") == "a model nobody knows"
    assert set(aliases.sources_of(aliases.canonical("DeepSeek-R1"))) >= {"GAIR", "Vals", "MathArena"}
    dupes = aliases.duplicates(published_scores("aime_aa.csv")["model"])
    assert dupes == [(aliases.canonical("Kimi K2"), ("Kimi K2", "Kimi K2-Instruct"))]
    for spec in PUBLISHED_TABLES[1:]:  # GAIR and Vals list no model twice
        assert aliases.duplicates(published_scores(spec.file)["model"]) == []


def test_a_user_file_extends_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("canonical,alias\nMy R1,deepseek-r1-mine\nNot Kimi,Kimi K2\n", encoding="utf-8")
    aliases = load_aliases(path)
    assert aliases.same("deepseek-r1-mine", "My R1")
    assert aliases.canonical("Kimi K2") == "Not Kimi"  # the user's row wins
    assert not aliases.same("Kimi K2", "Kimi K2-Instruct")
    assert aliases.paths[-1] == str(path)


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [
        ("canonical,name\nA,B\n", 1, "alias", "missing required column"),
        ("canonical,alias\nA,\n", 2, "alias", "empty alias"),
        ("canonical,alias\nA,x\nB,X\n", 3, "alias", "names 'B' here but 'A' on line 2"),
    ],
)
def test_bad_user_files(tmp_path: Path, text: str, line: int, field: str, fragment: str) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_aliases(path)
    assert (info.value.path, info.value.line, info.value.field) == (str(path), line, field)
    assert fragment in str(info.value)


def test_a_missing_user_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_aliases(tmp_path / "absent.csv")
