"""`papertiger adoption report | harvest` as a user runs them: stdout, stderr, exit codes, files."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from oai_server import OaiServer
from synthetic import FAMILY_SPECS, Record, expected, write_snapshot

from papertiger.cli import main

FAMILY_ARGS = [arg for spec in FAMILY_SPECS for arg in ("--family", spec)]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `papertiger ARGS...` in-process; returns (returncode, stdout, stderr)."""

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "argv", ["papertiger", *args])
        monkeypatch.setenv("COLUMNS", "200")
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return invoke


def test_report_prints_and_draws_the_monthly_series(run, snapshot: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    html, figure = tmp_path / "adoption.html", tmp_path / "share.svg"
    proc = run(
        "adoption",
        "report",
        "--snapshot",
        str(snapshot),
        *FAMILY_ARGS,
        "--html",
        str(html),
        "--figure",
        str(figure),
        "--no-progress",
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for text in (
        "LLaMA vs Qwen",
        "2023-01",
        "2024-12",
        "LLaMA share [95% CI]",
        "LLaMA/Qwen [CI]",
        "Qwen has been ahead of LLaMA every month since",
        "Rule: A family is ahead",
    ):
        assert text in out, text
    assert f"wrote {html}" in proc.stderr and f"wrote {figure}" in proc.stderr
    page = html.read_text()
    assert "Qwen has been ahead of LLaMA" in page and "<svg" in page and "<script" not in page
    assert "LLaMA" in figure.read_text() and figure.read_text().lstrip().startswith("<?xml")


def test_csv_and_json_carry_the_exact_counts(run, snapshot: Path, records: list[Record]) -> None:  # type: ignore[no-untyped-def]
    truth = expected(records)
    proc = run(
        "adoption",
        "report",
        "--snapshot",
        str(snapshot),
        *FAMILY_ARGS,
        "--format",
        "csv",
        "--no-progress",
    )
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [r["month"] for r in rows] == sorted(truth)
    for row in rows:
        want = truth[row["month"]]
        assert (
            int(row["papers"]),
            int(row["LLaMA_mentions"]),
            int(row["Qwen_mentions"]),
            int(row["both"]),
        ) == (want["papers"], want["LLaMA"], want["Qwen"], want["both"])
        assert float(row["LLaMA_share"]) == pytest.approx(want["LLaMA"] / want["papers"], rel=1e-5)
    proc = run(
        "adoption",
        "report",
        "--snapshot",
        str(snapshot),
        *FAMILY_ARGS,
        "--format",
        "json",
        "--no-progress",
    )
    data = json.loads(proc.stdout)
    assert data["compare"] == ["LLaMA", "Qwen"] and data["lead"]["leader"] == "Qwen"
    assert len(data["months"]) == 24 and data["in_scope"] == sum(
        c["papers"] for c in truth.values()
    )
    assert data["families"][1]["terms"] == ["qwen", "qwen2", "qwen2.5", "qwq"]


def test_default_families_and_origin_pooling(run, snapshot: Path) -> None:  # type: ignore[no-untyped-def]
    proc = run(
        "adoption", "report", "--snapshot", str(snapshot), "--format", "json", "--no-progress"
    )
    assert proc.returncode == 0, proc.stderr
    names = [f["name"] for f in json.loads(proc.stdout)["families"]]
    assert names[:2] == ["LLaMA", "Qwen"] and len(names) > 5
    proc = run(
        "adoption",
        "report",
        "--snapshot",
        str(snapshot),
        "--by-origin",
        "--compare",
        "Chinese,Western",
        "--format",
        "json",
        "--no-progress",
    )
    data = json.loads(proc.stdout)
    assert {f["name"] for f in data["families"]} >= {"Chinese", "Western"} and data["compare"] == [
        "Chinese",
        "Western",
    ]


def test_malformed_records_warn_by_line(run, tmp_path: Path, records: list[Record]) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.json"
    bad = write_snapshot(path, records, bad=True)
    proc = run(
        "adoption",
        "report",
        "--snapshot",
        str(path),
        *FAMILY_ARGS,
        "--format",
        "csv",
        "--no-progress",
    )
    assert proc.returncode == 0
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == len(bad)
    assert (
        warnings[1]
        == f"papertiger: warning: {path}, line {bad[1][0]}, field 'versions': missing; skipped"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["adoption", "report"], "--snapshot FILE is required"),
        (["adoption", "report", "--snapshot", "{snap}", "--family", "LLaMA"], "expected NAME=term"),
        (
            ["adoption", "report", "--snapshot", "{snap}", "--compare", "Qwen"],
            "--compare takes two",
        ),
        (
            ["adoption", "report", "--snapshot", "{snap}", "--compare", "Qwen,Nope"],
            "no family 'Nope'",
        ),
        (
            ["adoption", "report", "--snapshot", "{snap}", "--since", "May 2024"],
            "--since: expected a month",
        ),
        (["adoption", "report", "--snapshot", "{snap}", "--figure", "x.gif"], "suffix must be"),
        (["adoption", "report", "--snapshot", "{missing}"], "cannot open the snapshot"),
        (
            ["adoption", "report", "--snapshot", "{snap}", "--families-file", "{missing}"],
            "cannot read",
        ),
        (["adoption", "harvest", "--out", "x.jsonl"], "needs --from DATE and --out FILE"),
        (
            ["adoption", "harvest", "--from", "01/02/2024", "--out", "x.jsonl"],
            "--from: not an ISO date",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    run, snapshot: Path, tmp_path: Path, args: list[str], message: str
) -> None:  # type: ignore[no-untyped-def]
    args = [a.format(snap=snapshot, missing=tmp_path / "missing.json") for a in args]
    proc = run(*args, "--no-progress")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("papertiger: error: ") and message in lines[0], (
        proc.stderr
    )


def test_harvest_end_to_end_then_report(run, tmp_path: Path, records: list[Record]) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cs.jsonl"
    with OaiServer(records[:600], page_size=100, retry_after="0") as server:
        server.faults = {2: ["503"]}
        proc = run(
            "adoption",
            "harvest",
            "--from",
            "2024-01-01",
            "--out",
            str(out),
            "--base-url",
            server.url,
            "--delay",
            "0",
        )
    assert proc.returncode == 0, proc.stderr
    assert (
        "600 records (6 pages, 0 duplicates skipped, 0 deleted, 1 retries); harvest complete"
        in proc.stderr
    )
    proc = run(
        "adoption",
        "report",
        "--snapshot",
        str(out),
        *FAMILY_ARGS,
        "--format",
        "json",
        "--no-progress",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["in_scope"] == sum(
        c["papers"] for c in expected(records[:600]).values()
    )
