"""The shipped GAIR and Vals tables (transcriptions checked against the shared files) and
`load_harness_tables`: names, splitting, metadata through aliases, errors."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest

from papertiger.analysis import add_falls
from papertiger.errors import InputError
from papertiger.published import (
    embedded_metadata,
    embedded_scores,
    is_self_report,
    load_harness_tables,
    load_scores,
    published_scores,
    published_table,
    read_scores_csv,
)


def _shared(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(("file", "shared"), [("aime_gair.csv", "gair_aime_preview_scores.csv"),
                                              ("aime_vals.csv", "vals_aime_scores.csv")])
def test_transcription_matches_the_shared_file(shared_data: Path, file: str, shared: str) -> None:
    ours = published_scores(file).set_index("model")
    rows = _shared(shared_data / shared)
    assert list(ours.index) == [r["model"] for r in rows]
    for r in rows:
        assert ours.loc[r["model"], "old"] == float(r["aime2024"])
        assert ours.loc[r["model"], "fresh"] == float(r["aime2025"])
        origin = r["origin"]
        assert ours.loc[r["model"], "group"] == ("Chinese" if origin == "CN" else "Western")
    assert ours["source_scores"].notna().all() and ours["source_metadata"].notna().all()
    assert set(ours["source_kind"]) == {"harness"}
    assert ours["released"].notna().all()


def test_aa_marks_the_four_vendor_figures() -> None:
    frame = embedded_scores()
    vendor = set(frame.loc[[is_self_report(k) for k in frame["source_kind"]], "model"])
    assert vendor == {"Kimi K2-Instruct", "Magistral Medium", "DeepSeek-v3", "OpenAI-o1-0912"}
    assert "source_kind" not in embedded_metadata().columns  # row origin, never merged by name


def test_gair_reproduces_the_essay_only_with_s1_counted_chinese() -> None:
    frame = add_falls(published_scores("aime_gair.csv"))
    by_lab = frame.groupby("group")["pct_fall"].mean()
    by_essay = frame.groupby("essay_group")["pct_fall"].mean()
    assert round(by_essay["Chinese"], 1) == -19.4 and round(by_essay["Western"], 1) == -15.6
    assert round(by_lab["Chinese"], 1) == -20.1 and round(by_lab["Western"], 1) == -15.3


def test_vals_is_a_later_copy_and_says_so() -> None:
    table = published_table("vals")
    released = pd.to_datetime(table.frame["released"]).dt.date.astype(str)
    assert int((released > "2025-11-16").sum()) == 30 and len(table.frame) == 96
    assert table.as_of == "2026-04-16"
    assert any("30 of its 96 models were released after 2025-11-16" in c for c in table.caveats)
    frame = add_falls(table.frame)  # the recomputation in PROVENANCE.md: CN −6.8, other −16.1
    means = frame.groupby("group")["pct_fall"].mean()
    assert round(means["Chinese"], 1) == -6.8 and round(means["Western"], 1) == -16.1


def test_published_all_gives_every_harness_in_order() -> None:
    tables = load_harness_tables([], published="all")
    assert [t.harness for t in tables] == ["AA", "GAIR", "Vals"]
    assert [len(t.frame) for t in tables] == [19, 17, 96]
    assert all((t.old_label, t.fresh_label) == ("AIME 2024", "AIME 2025") for t in tables)
    assert [t.harness for t in load_harness_tables([], published="vals, aa")] == ["Vals", "AA"]


def test_unknown_published_table() -> None:
    with pytest.raises(InputError, match="unknown table.*mathbench.*known: all, aa, gair, vals"):
        load_harness_tables([], published="aa,mathbench")


def test_the_shared_gair_file_is_named_by_its_harness_column(shared_data: Path) -> None:
    (table,) = load_harness_tables([shared_data / "gair_aime_preview_scores.csv"])
    assert table.harness == "GAIR AIME-Preview"
    named = load_harness_tables([shared_data / "gair_aime_preview_scores.csv"], harnesses=["GAIR"])
    assert named[0].harness == "GAIR"
    frame = table.frame.set_index("model")  # metadata filled from the shipped table by alias
    assert frame.loc["QwQ-32B", "released"] == "2025-03-06"
    assert frame.loc["limo", "lineage"] == "Qwen2.5"


def test_a_harness_column_with_several_values_is_split(tmp_path: Path) -> None:
    path = tmp_path / "two.csv"
    path.write_text("model,group,old,fresh,harness\nA,Chinese,80,60,X (run 1)\nB,Western,70,65,X (run 1)\n"
                    "A,Chinese,82,61,Y\nB,Western,71,66,Y\n", encoding="utf-8")
    tables = load_harness_tables([path])
    assert [t.harness for t in tables] == ["X", "Y"]
    assert list(tables[1].frame["old"]) == [82.0, 71.0]
    with pytest.raises(InputError, match="2 harnesses in column 'harness'") as info:
        read_scores_csv(path)  # one table holds one harness
    assert info.value.field == "harness"


def test_an_empty_harness_among_named_ones(tmp_path: Path) -> None:
    path = tmp_path / "gap.csv"
    path.write_text("model,old,fresh,harness\nA,80,60,X\nB,70,65,\nC,70,65,Y\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty harness") as info:
        load_harness_tables([path])
    assert (info.value.line, info.value.field) == (3, "harness")


def test_names_default_to_the_file_and_stay_unique(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "scores.csv").write_text("model,old,fresh\nA,80,60\n", encoding="utf-8")
    tables = load_harness_tables([tmp_path / "a" / "scores.csv", tmp_path / "b" / "scores.csv"])
    assert [t.harness for t in tables] == ["scores", "scores (2)"]


def test_harness_count_must_match_the_files(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("model,old,fresh\nA,80,60\n", encoding="utf-8")
    with pytest.raises(InputError, match="--harness was given 2 times for 1 sources"):
        load_harness_tables([path], harnesses=["X", "Y"])


def test_one_file_loads_as_load_scores_does(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("model,group,old,fresh\no3,Western,90,80\nmine,Chinese,50,40\n", encoding="utf-8")
    (table,) = load_harness_tables([path])
    single = load_scores([path])
    assert (table.source, table.old_label, table.fresh_label) == (single.source, single.old_label,
                                                                    single.fresh_label)
    for column in single.frame.columns:
        left, right = list(table.frame[column]), list(single.frame[column])
        assert all(a == b or (a is None or (isinstance(a, float) and math.isnan(a)))
                   and (b is None or (isinstance(b, float) and math.isnan(b)))
                   for a, b in zip(left, right, strict=True)), column
