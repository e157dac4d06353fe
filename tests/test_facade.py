"""The notebook facade: one import, DataFrames and typed results, the same as the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import papertiger


def test_dir_lists_the_public_names() -> None:
    names = dir(papertiger)
    assert names == sorted(papertiger.__all__)
    for name in ("report", "attempts", "AttemptSource", "load_scores", "Report"):
        assert name in names
    assert "importlib" not in names and "TYPE_CHECKING" not in names


def test_report_of_the_embedded_table_in_one_call() -> None:
    rep = papertiger.report()
    assert isinstance(rep, papertiger.Report)
    frame = rep.section.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 19
    assert round(rep.section.groups[-1].pct_fall, 1) == -14.3


def test_load_scores_takes_one_path_or_a_list(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("model,group,old,fresh\nA,Chinese,80,60\nB,Western,70,65\n")
    one = papertiger.load_scores(path)
    listed = papertiger.load_scores([str(path)])
    assert one.frame.equals(listed.frame) and len(one.frame) == 2


def test_attempts_has_gold_text_and_grade(tmp_path: Path, shared_data: Path) -> None:
    from papertiger.benchmarks import load_suite
    from papertiger.config import scripted_catalogue
    from papertiger.prompts import get_template
    from papertiger.runner import RunSpec, run, work_items
    from papertiger.schema import attempt_key

    suite = load_suite("aime", data_dir=shared_data, forms=["aime2025", "aime2026"])
    spec = RunSpec(models=tuple(scripted_catalogue().values())[:1], suite=suite, samples=2,
                   templates=(get_template("boxed", "integer"),), db=tmp_path / "r.db")
    # the planner's keys are exactly the public attempt_key of each identity
    assert all(attempt_key(i.identity) == i.request.key for i in work_items(spec))
    run(spec)
    frame = papertiger.attempts(spec.db, suite="aime")
    assert len(frame) == 2 * 60
    assert {"gold", "problem", "correct", "score", "flags", "condition", "form"} <= set(frame.columns)
    first = frame.iloc[0]
    item = next(p for p in suite.problems() if p.item_id == first["item_id"])
    assert (first["gold"], first["problem"]) == (item.answer, item.problem)
    condition = str(first["condition"])
    assert len(papertiger.attempts(spec.db, condition=condition[:6])) == 120
    assert papertiger.attempts(spec.db, prompt="basic").empty
