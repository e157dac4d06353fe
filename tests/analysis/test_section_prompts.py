"""The prompt-variant experiment end to end: `papertiger run --provider scripted --prompt
basic --prompt boxed --samples 4` into a real store, then `papertiger report --db ...
--prompt boxed --format json` in-process: the elicitation, prompt, tokenomics and speed
sections are there with numbers that agree with the store."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from papertiger.analysis import AttemptSource, ReportOptions, build_report
from papertiger.analysis.results import GroupComparison, Skipped
from papertiger.analysis.sections.prompts import ALL_FORMS, PromptSection
from papertiger.cli import main

ITEMS = 30  # the AIME loader checks the count
YEARS = (2024, 2025, 2026)
MODELS = """
[[model]]
name = "{name}"
provider = "scripted"
group = "{group}"
lab = "{lab}"
price_in = {price_in}
price_out = {price_out}
provider_options = {{ accuracy = {accuracy}, latency_s = {latency}, completion_tokens = {tokens} }}
"""
ROSTER = [
    ("east-1", "Chinese", "E1", 0.3, 1.2, [0.8, 0.5, 0.4], 0.004, 1500),
    ("east-2", "Chinese", "E2", 0.3, 1.0, [0.7, 0.45, 0.4], 0.006, 1200),
    ("west-1", "Western", "W1", 2.0, 10.0, [0.85, 0.8, 0.8], 0.005, 500),
    ("west-2", "Western", "W2", 3.0, 15.0, [0.75, 0.7, 0.7], 0.003, 400),
]


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


def write_data(folder: Path) -> Path:
    folder.mkdir()
    for year in YEARS:
        with (folder / f"aime_{year}.jsonl").open("w") as handle:
            for i in range(ITEMS):
                handle.write(json.dumps({
                    "id": f"aime{year}-I-{i + 1:02d}", "year": year, "exam": "I",
                    "number": i + 1, "problem": f"Problem {year}-{i}: find x with x = {i}.",
                    "answer": str((year * 7 + i * 37) % 1000), "released": f"{year}-02-01",
                }) + "\n")
    return folder


def write_models(path: Path, roster: list[tuple[Any, ...]] = ROSTER) -> Path:
    keys = ("name", "group", "lab", "price_in", "price_out", "accuracy", "latency", "tokens")
    path.write_text("".join(MODELS.format(**dict(zip(keys, r, strict=True))) for r in roster))
    return path


@pytest.fixture
def two_prompts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture[str]) -> Path:
    data, models, db = write_data(tmp_path / "data"), write_models(tmp_path / "m.toml"), tmp_path / "p.db"
    code, _, err = cli(monkeypatch, capsys, "run", "--provider", "scripted", "--models", str(models),
                       "--data", str(data), "--db", str(db), "--prompt", "basic", "--prompt",
                       "boxed", "--samples", "4")
    assert code == 0, err
    return db


def report_json(db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                *extra: str) -> dict[str, Any]:
    code, out, err = cli(monkeypatch, capsys, "report", "--db", str(db), "--prompt", "boxed",
                         "--format", "json", "--n-boot", "300", *extra)
    assert code == 0, err
    return {x["section"].split(":")[0]: x for x in json.loads(out)["extras"]}


def test_report_json_holds_all_four_sections_with_sane_numbers(
    two_prompts: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    extras = report_json(two_prompts, monkeypatch, capsys)
    ours = [n for n in extras if n in ("Elicitation gap", "Prompt variants", "Tokenomics", "Speed")]
    assert ours == ["Elicitation gap", "Prompt variants", "Tokenomics", "Speed"]  # registry order
    assert not any(extras[name].get("skipped") for name in ours)
    con = sqlite3.connect(two_prompts)
    # Elicitation: 4 models × 3 forms, K = 4, monotone curves in [0, 100].
    curves = extras["Elicitation gap"]["curves"]
    assert len(curves) == 12 and {c["samples"] for c in curves} == {4}
    for c in curves:
        values = [p["pass_at_k"] for p in c["points"]]
        assert [p["k"] for p in c["points"]] == [1, 2, 4]
        assert all(0 <= v <= 100 for v in values) and values == sorted(values)
    # pass@1 equals the share of boxed attempts graded right on that form.
    boxed = dict(con.execute(
        "SELECT a.model || '/' || a.form, AVG(a.grade_correct) * 100 FROM attempts a "
        "WHERE a.prompt_name = 'boxed' GROUP BY a.model, a.form").fetchall())
    for c in curves:
        assert c["points"][0]["pass_at_k"] == pytest.approx(boxed[f"{c['model']}/{c['form']}"])
    # Prompt variants: basic − boxed per model and form, items paired.
    prompts = extras["Prompt variants"]
    assert prompts["baseline"] == "boxed" and prompts["prompts"] == ["boxed", "basic"]
    acc = {(a["model"], a["form"], a["prompt"]): a["accuracy"] for a in prompts["accuracies"]}
    for d in prompts["differences"]:
        assert d["items"] == (3 * ITEMS if d["form"] == ALL_FORMS else ITEMS)
        expected = acc[(d["model"], d["form"], "basic")] - acc[(d["model"], d["form"], "boxed")]
        assert d["difference"]["estimate"] == pytest.approx(expected)
        assert d["difference"]["low"] <= d["difference"]["estimate"] <= d["difference"]["high"]
    assert prompts["contrasts"][0]["label"] == f"basic − boxed on {ALL_FORMS}"
    # Tokenomics: the totals are the store's stored costs of the boxed attempts.
    rows = {(r["model"], r["form"]): r for r in extras["Tokenomics"]["rows"]}
    stored = dict(con.execute("SELECT model, SUM(cost_usd) FROM attempts WHERE prompt_name = "
                              "'boxed' GROUP BY model").fetchall())
    for model, total in stored.items():
        row = rows[(model, ALL_FORMS)]
        assert row["total_cost"] == pytest.approx(total)
        assert row["cost_per_success"]["estimate"] == pytest.approx(total / row["correct"])
        assert row["computed"] == 0
    assert extras["Tokenomics"]["reference"] == "west-1"  # the most accurate
    # Speed: every attempt timed; medians near the scripted latencies.
    speed = {r["model"]: r for r in extras["Speed"]["rows"]}
    for name, *_, latency, _ in ROSTER:
        assert speed[name]["carry"]["ttft_s"] == 3 * ITEMS * 4
        assert speed[name]["latency_s"]["median"] == pytest.approx(latency)
        assert speed[name]["ttft_s"]["median"] == pytest.approx(0.2 * latency)
    con.close()


def test_without_a_prompt_the_report_asks_and_names_both(
    two_prompts: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(monkeypatch, capsys, "report", "--db", str(two_prompts))
    assert code == 2 and "--prompt" in err and "basic" in err and "boxed" in err


# The shrinkage multiverse's t tests warn on nearly identical falls in a small subset
# (stats._t_test lets scipy's precision warning through); not this section's concern.
@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")
def test_the_other_sections_read_the_chosen_prompt(two_prompts: Path) -> None:
    boxed = build_report(AttemptSource(two_prompts, prompt="boxed"), ReportOptions(n_boot=200))
    basic = build_report(AttemptSource(two_prompts, prompt="basic"), ReportOptions(n_boot=200))
    b1 = next(x for x in boxed.extras if isinstance(x, PromptSection))
    b2 = next(x for x in basic.extras if isinstance(x, PromptSection))
    assert (b1.baseline, b2.baseline) == ("boxed", "basic")
    d1 = {(d.model, d.form): d.difference.estimate for d in b1.differences}
    d2 = {(d.model, d.form): d.difference.estimate for d in b2.differences}
    assert d1 and all(d1[k] == pytest.approx(-d2[k]) for k in d1)  # the same pairs, reversed
    pooled = next(d for d in b1.differences if d.form == ALL_FORMS)
    assert "within each form" in pooled.difference.method  # stratified by form
    assert "within each form" not in next(d for d in b1.differences if d.form != ALL_FORMS).difference.method
    contrast = b1.contrasts[0].comparison
    assert isinstance(contrast, GroupComparison) and contrast.n_a == contrast.n_b == 2
    assert np.isfinite(b1.to_frame()["accuracy"]).all()


def test_one_prompt_shows_no_prompt_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data, models, db = write_data(tmp_path / "data"), write_models(tmp_path / "m.toml"), tmp_path / "one.db"
    code, _, err = cli(monkeypatch, capsys, "run", "--provider", "scripted", "--models", str(models),
                       "--data", str(data), "--db", str(db), "--samples", "2")
    assert code == 0, err
    report = build_report(AttemptSource(db), ReportOptions(n_boot=200))
    names = [type(x).__name__ for x in report.extras]
    assert "PromptSection" not in names and "ElicitationSection" in names


def test_a_prompt_with_two_sampling_conditions_is_left_out_with_a_note(
    two_prompts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A second basic run with another seed base: basic now has two conditions per model.
    code, _, err = cli(monkeypatch, capsys, "run", "--provider", "scripted", "--models",
                       str(tmp_path / "m.toml"), "--data", str(tmp_path / "data"), "--db",
                       str(two_prompts), "--prompt", "basic", "--samples", "2", "--seed", "100")
    assert code == 0, err
    report = build_report(AttemptSource(two_prompts, prompt="boxed"), ReportOptions(n_boot=200))
    skipped = [x for x in report.extras if isinstance(x, Skipped) and x.section == "prompt variants"]
    assert skipped, [type(x).__name__ for x in report.extras]
    assert "prompt basic left out" in skipped[0].reason and "sampling conditions" in skipped[0].reason
    # --condition picks the sampling: the other prompt's condition with the same sampling
    # and seed base is found, so the comparison runs again.
    con = sqlite3.connect(two_prompts)
    (boxed,) = con.execute("SELECT DISTINCT condition FROM attempts WHERE prompt_name = 'boxed'").fetchone()
    con.close()
    chosen = build_report(AttemptSource(two_prompts, prompt="boxed", condition=boxed),
                          ReportOptions(n_boot=200))
    section = next(x for x in chosen.extras if isinstance(x, PromptSection))
    assert section.prompts == ("boxed", "basic") and section.differences
    basic = [a for a in section.accuracies if a.prompt == "basic" and a.form != ALL_FORMS]
    assert basic and all(a.attempts == ITEMS * 4 for a in basic)  # the seed-0 run (k = 4) only
