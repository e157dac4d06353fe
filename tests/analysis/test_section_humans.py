"""The human baseline and topic mix section on the shared human and topic files, for
score tables (labels name the forms) and for item counts (item ids name them)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from papertiger.analysis.counts import ItemCounts
from papertiger.analysis.humans import TopicMix, read_human_scores
from papertiger.analysis.results import Skipped
from papertiger.analysis.sections.base import SectionInput
from papertiger.analysis.sections.humans import HumansSection, build_humans, form_key
from papertiger.analysis.shrinkage import ReportOptions
from papertiger.cli import main
from papertiger.errors import InputError
from papertiger.published import load_harness_tables, load_scores


def _implied_mean(path: Path, competition: str) -> float:
    """The mean the file implies: Σ score × count / Σ count, computed from the raw rows."""
    total = weight = 0.0
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["competition"] == competition:
                total += float(row["score"]) * float(row["count"])
                weight += float(row["count"])
    return total / weight


def humans(shared: Path, topics: bool = True, **kw: Any) -> HumansSection:
    options = ReportOptions(humans=str(shared / "human_score_distributions.csv"),
                            topics=str(shared / "aime_topics_helper_assigned.csv") if topics else None)
    table = load_scores([])
    result = build_humans(SectionInput(options, table=table, tables=(table,), **kw))
    assert isinstance(result, HumansSection)
    return result


def test_form_keys() -> None:
    assert form_key("AIME 2025") == form_key("aime2025") == form_key("aime/aime_2025") == "aime2025"
    assert form_key("hmmt/hmmt_feb_2024") == form_key("hmmt_feb2024")


def test_human_means_are_those_the_file_implies(shared_data: Path) -> None:
    result = humans(shared_data)
    path = shared_data / "human_score_distributions.csv"
    old, fresh = result.forms
    assert (old.form, old.competition, fresh.competition) == ("AIME 2024", "aime/aime_2024", "aime/aime_2025")
    assert old.mean == pytest.approx(_implied_mean(path, "aime/aime_2024"))
    assert fresh.mean == pytest.approx(_implied_mean(path, "aime/aime_2025"))
    assert round(old.mean, 2) == 5.79 and round(fresh.mean, 2) == 6.16
    assert (old.n, fresh.n) == (6649, 10795) and (old.median, fresh.median) == (5.0, 6.0)
    (comparison,) = result.comparisons
    assert comparison.fresh_harder is False and comparison.difference.estimate > 0
    assert "easier" in result.anchor[0] and "equal-means anchor understates" in result.anchor[0]


def test_each_model_old_and_fresh_as_a_human_percentile(shared_data: Path) -> None:
    result = humans(shared_data)
    table = read_human_scores(shared_data / "human_score_distributions.csv")
    frame = result.to_frame().set_index(["model", "form"])
    assert frame.loc[("Kimi K2", "AIME 2024"), "human_percentile"] == pytest.approx(
        table["aime/aime_2024"].percentile(0.693))
    assert frame.loc[("Kimi K2", "AIME 2025"), "human_percentile"] == pytest.approx(
        table["aime/aime_2025"].percentile(0.57))
    assert len(frame) == 2 * 19
    groups = {g.group: g for g in result.groups}
    assert groups["Chinese"].n == 7 and groups["Chinese"].change < groups["Western"].change


def test_topic_mix_of_the_labelled_forms(shared_data: Path) -> None:
    mix = humans(shared_data).topics
    assert isinstance(mix, TopicMix)
    assert mix.forms == ("AIME 2024", "AIME 2025")
    counts = dict(zip(mix.topics, mix.counts[1], strict=True))
    assert counts["Combinatorics"] == 9 and mix.counts.sum() == 60
    assert 0 < mix.p_permutation <= 1


def test_several_harnesses_name_one_form_by_two_labels(shared_data: Path) -> None:
    tables = tuple(load_harness_tables([shared_data / "gair_aime_preview_scores.csv"],
                                       harnesses=["GAIR"], published="aa"))
    options = ReportOptions(humans=str(shared_data / "human_score_distributions.csv"))
    result = build_humans(SectionInput(options, table=tables[0], tables=tables))
    assert isinstance(result, HumansSection)
    assert [f.form for f in result.forms] == ["AIME 2024", "AIME 2025"]  # 'aime2024' merged
    assert {p.harness for p in result.percentiles} == {"AA", "GAIR"}
    assert {g.harness for g in result.groups} == {"AA", "GAIR"}


def _counts() -> ItemCounts:
    items = tuple(("aime2024", f"aime2024-I-{i:02d}") for i in range(1, 16)) + tuple(
        ("aime2025", f"aime2025-I-{i:02d}") for i in range(1, 16)) + (("aime2025", "unlabelled"),)
    rng = np.random.default_rng(0)
    trials = np.full((2, len(items)), 4)
    return ItemCounts(models=("m1", "m2"), forms=("aime2024", "aime2025"), items=items,
                      form_of_item=np.array([0 if f == "aime2024" else 1 for f, _ in items]),
                      correct=rng.integers(0, 5, size=(2, len(items))), trials=trials,
                      errors=np.zeros_like(trials))


def test_item_counts_use_their_item_ids(shared_data: Path) -> None:
    counts = _counts()
    selected = SimpleNamespace(models=pd.DataFrame({"model": ["m1", "m2"], "group": ["Chinese", "Western"]}))
    options = ReportOptions(humans=str(shared_data / "human_score_distributions.csv"),
                            topics=str(shared_data / "aime_topics_helper_assigned.csv"))
    result = build_humans(SectionInput(options, counts=counts, selected=selected))  # type: ignore[arg-type]
    assert isinstance(result, HumansSection)
    assert [f.form for f in result.forms] == ["aime2024", "aime2025"]
    score = 100 * counts.scores("aime2025")[0]
    row = next(p for p in result.percentiles if p.model == "m1" and p.form == "aime2025")
    assert row.score == pytest.approx(score) and row.group == "Chinese"
    mix = result.topics
    assert isinstance(mix, TopicMix) and mix.counts.sum() == 30  # the 15 + 15 labelled items
    assert any("1 items have no topic" in n for n in result.notes)


def test_nothing_without_either_file() -> None:
    table = load_scores([])
    assert build_humans(SectionInput(ReportOptions(), table=table, tables=(table,))) is None


def test_forms_the_files_do_not_know(tmp_path: Path, shared_data: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("model,group,y1,y2\nA,Chinese,80,60\nB,Western,70,65\n", encoding="utf-8")
    table = load_scores([path], old="y1", fresh="y2")
    options = ReportOptions(humans=str(shared_data / "human_score_distributions.csv"))
    result = build_humans(SectionInput(options, table=table, tables=(table,)))
    assert isinstance(result, Skipped) and "no human statistics for y1, y2" in result.reason
    options = ReportOptions(topics=str(shared_data / "aime_topics_helper_assigned.csv"))
    result = build_humans(SectionInput(options, table=table, tables=(table,)))
    assert isinstance(result, HumansSection) and isinstance(result.topics, Skipped)
    assert "aime2024, aime2025" in result.topics.reason


def test_a_bad_human_file_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("competition,score,max_score,count\naime/aime_2024,3,15,many\n", encoding="utf-8")
    table = load_scores([])
    with pytest.raises(InputError) as info:
        build_humans(SectionInput(ReportOptions(humans=str(path)), table=table, tables=(table,)))
    assert (info.value.path, info.value.line, info.value.field) == (str(path), 2, "count")


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
        ) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["papertiger", *args])
    monkeypatch.setenv("COLUMNS", "160")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_shows_both(shared_data: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    flags = ["--humans", str(shared_data / "human_score_distributions.csv"),
             "--topics", str(shared_data / "aime_topics_helper_assigned.csv")]
    code, out, err = cli(monkeypatch, capsys, "report", *flags, "--figures", str(tmp_path))
    assert code == 0, err
    assert "Humans per form" in out and "Topic mix per form" in out and "human percentile" in out
    assert (tmp_path / "humans_percentiles.svg").is_file() and (tmp_path / "topics_mix.png").is_file()
    code, out, err = cli(monkeypatch, capsys, "report", *flags, "--format", "json")
    extra = next(e for e in json.loads(out)["extras"] if e["section"].startswith("Human baseline"))
    assert [f["form"] for f in extra["forms"]] == ["AIME 2024", "AIME 2025"]
    assert extra["topics"]["counts"][0] == [9, 8, 9, 4]


def test_cli_bad_human_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "h.csv"
    path.write_text("competition,score,max_score\naime/aime_2024,3,15\n", encoding="utf-8")
    code, _, err = cli(monkeypatch, capsys, "report", "--humans", str(path))
    assert code == 2 and str(path) in err and "count" in err and "Traceback" not in err


MODELS = "".join(f"""
[[model]]
name = "{name}"
provider = "scripted"
group = "{group}"
provider_options = {{ accuracy = {acc} }}
""" for name, group, acc in (("east-1", "Chinese", [0.8, 0.5, 0.4]), ("east-2", "Chinese", [0.7, 0.45, 0.4]),
                             ("west-1", "Western", [0.85, 0.8, 0.8]), ("west-2", "Western", [0.75, 0.7, 0.7])))


def test_cli_on_a_store(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runner"))
    from runner_helpers import make_data_dir  # the synthetic items carry real AIME ids

    models = tmp_path / "m.toml"
    models.write_text(MODELS, encoding="utf-8")
    db = tmp_path / "s.db"
    code, _, err = cli(monkeypatch, capsys, "run", "--provider", "scripted", "--models", str(models),
                       "--data", str(make_data_dir(tmp_path)), "--db", str(db), "--samples", "2")
    assert code == 0, err
    code, out, err = cli(monkeypatch, capsys, "report", "--db", str(db), "--format", "json",
                         "--n-boot", "200",
                         "--humans", str(shared_data / "human_score_distributions.csv"),
                         "--topics", str(shared_data / "aime_topics_helper_assigned.csv"))
    assert code == 0, err
    extra = next(e for e in json.loads(out)["extras"] if e["section"].startswith("Human baseline"))
    assert [f["form"] for f in extra["forms"]] == ["aime2024", "aime2025"]
    assert {p["model"] for p in extra["percentiles"]} == {"east-1", "east-2", "west-1", "west-2"}
    assert extra["topics"]["forms"] == ["aime2024", "aime2025"]
    assert any("no human statistics for aime2026" in n for n in extra["notes"])
    assert any("30 items have no topic" in n for n in extra["notes"])
