"""`papertiger report` as a user runs it: a real subprocess, stdout, stderr, exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from papertiger.cli import main


@pytest.fixture
def run(capsys, monkeypatch):
    """Run the CLI in-process as `papertiger ARGS...`; returns (returncode, stdout, stderr)."""

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "argv", ["papertiger", *args])
        monkeypatch.setenv("COLUMNS", "160")
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return invoke


@pytest.mark.slow
def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "papertiger", "report", "--format", "md"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| **Overall mean** | Overall | 68.3 | 60.5 | -7.9 | -14.3 |" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "papertiger", "report", "nope.csv"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_default_report_prints_the_essay_numbers(run) -> None:
    proc = run("report")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for text in ("Chinese mean", "Western mean", "Overall", "−13.7", "−21.0", "−4.5", "−10.4",
                 "68.3", "60.5", "−7.9", "−14.3", "Permutation", "Multiverse"):
        assert text in out, text


def test_json_schema(run) -> None:
    proc = run("report", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["schema_version"] == 2
    assert {"title", "source", "condition", "sections", "metrics", "notes"} <= set(data)
    (section,) = data["sections"]
    assert {"models", "groups", "tests", "multiverse", "comparison", "notes"} <= set(section)
    assert (section["old_label"], section["fresh_label"]) == ("AIME 2024", "AIME 2025")
    assert len(section["models"]) == 19
    assert {"freshness", "freshness_basis"} <= set(section["models"][0])
    for test in section["tests"]:
        assert {"name", "metric", "alternative", "statistic", "p_value"} <= set(test)
        assert 0 <= test["p_value"] <= 1
    overall = section["groups"][-1]
    assert overall["group"] == "Overall" and overall["overall"] is True
    assert round(overall["pct_fall"], 1) == -14.3
    assert data["metrics"]["skipped"] is True  # published aggregates: says why, not silent


def test_markdown_and_csv(run) -> None:
    md = run("report", "--format", "md", "--metric", "pp")
    assert md.returncode == 0 and "| Kimi K2 |" in md.stdout and "on pp fall" in md.stdout
    csv = run("report", "--format", "csv")
    assert csv.returncode == 0
    lines = csv.stdout.splitlines()
    assert lines[0].startswith("model,group,old,fresh,pp_fall,pct_fall,logit_fall")
    assert lines[0].endswith("old_form,fresh_form")
    assert len(lines) == 1 + 19 + 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model,old\nA,80\n", "line 1, column 'old'"),
        ("model,old,fresh,group\nA,80,sixty,Chinese\n", "line 2, column 'fresh': not a number"),
        ("model,old,fresh,group\nA,80,60,Chinese\nA,80,60,Chinese\n", "line 3, column 'model': duplicate model"),
        ("model,old,fresh,group\nA,80,60,Atlantis\n", "line 2, column 'group': unknown group"),
    ],
)
def test_bad_csv_is_one_clear_line(run, tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    proc = run("report", str(path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(path) in lines[0] and expected in lines[0]


def test_bad_options_are_clear(run) -> None:
    proc = run("report", "--trained-before", "soon")
    assert proc.returncode == 2 and "ISO date" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("report", "--group-by", "colour")
    assert proc.returncode == 2 and "no column 'colour'" in proc.stderr
    proc = run("report", "missing.csv")
    assert proc.returncode == 2 and "missing.csv" in proc.stderr and "Traceback" not in proc.stderr


def test_gair_csv_end_to_end(run, shared_data: Path, tmp_path: Path) -> None:
    html = tmp_path / "gair.html"
    proc = run("report", str(shared_data / "gair_aime_preview_scores.csv"), "--html", str(html))
    assert proc.returncode == 0, proc.stderr
    assert "DeepSeek-R1" in proc.stdout and "Chinese mean" in proc.stdout
    assert html.stat().st_size > 10_000


def test_subset_flags(run, tmp_path: Path) -> None:
    proc = run("report", "--frontier", "5", "--trained-before", "2025-02-15", "--exclude", "o3",
               "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (section,) = json.loads(proc.stdout)["sections"]
    assert any("--trained-before" in n for n in section["notes"])
    assert "o3" not in {m["model"] for m in section["models"]}


def test_figures_dir(run, tmp_path: Path) -> None:
    proc = run("report", "--figures", str(tmp_path / "figs"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (tmp_path / "figs").iterdir())
    assert any(n.endswith(".png") for n in names) and any(n.endswith(".svg") for n in names)
