"""`papertiger dedup` as a user runs it: the suite's forms, corpus files, formats, errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from dedup_cases import swap_numbers
from dedup_cli_helpers import shared_rows, write_corpus

from papertiger.dedup import embeddings_available

D2024, D2025, D2026 = "2024-02-01", "2025-02-06", "2026-02-05"  # the built-in form dates
FORM_DATES = {"aime2024": D2024, "aime2025": D2025, "aime2026": D2026}


def _json(proc) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _swapped_corpus(tmp_path: Path, shared_data: Path) -> Path:
    """Older problems: number-swapped copies of AIME 2025 I-01 and AIME 2026 I-02, and noise."""
    r2025 = {r["id"]: r for r in shared_rows(shared_data, "aime_2025")}
    r2026 = {r["id"]: r for r in shared_rows(shared_data, "aime_2026")}
    return write_corpus(
        tmp_path / "older.jsonl",
        [
            {"id": "old-1", "problem": swap_numbers(r2025["aime2025-I-01"]["problem"], 1),
             "date": "2019-03-01", "form": "older contest"},
            {"id": "old-2", "problem": swap_numbers(r2026["aime2026-I-02"]["problem"], 2),
             "date": "2021-03-01", "form": "older contest"},
            {"id": "old-3", "problem": "How many ways can a knight tour a chessboard of size 5?",
             "date": "2020-01-01", "form": "older contest"},
        ],
    )


def test_ranks_aime_2025_and_2026_against_the_earlier_forms(cli, shared_data: Path) -> None:
    out = _json(cli("dedup", "--suite", "aime", "--data", str(shared_data), "--lexical-only",
                    "--format", "json"))
    assert out["n_targets"] == 90 and out["n_earlier"] == 90 and out["embedder"] is None
    assert "lexical overlap only" in out["note"]
    pairs = out["pairs"]
    by_form: dict[str, set[str]] = {}
    for p in pairs:
        by_form.setdefault(p["form"], set()).add(p["source_form"])
        assert p["source_released"] < p["released"]  # only material released before the item
        assert p["released"] == FORM_DATES[p["form"]]
    assert by_form == {"aime2025": {"aime2024"}, "aime2026": {"aime2024", "aime2025"}}
    strengths = [p["strength"] for p in pairs]
    assert strengths == sorted(strengths, reverse=True)  # ranked, strongest first
    per_item: dict[tuple[str, str], list[int]] = {}
    for p in pairs:
        per_item.setdefault((p["form"], p["item_id"]), []).append(p["rank"])
    assert len(per_item) == 60 and all(sorted(r) == list(range(1, len(r) + 1)) for r in per_item.values())
    assert max(len(r) for r in per_item.values()) == 5  # --top defaults to 5
    assert out["thresholds"] == {"overlap": 0.30, "cosine": 0.70}


def test_the_terminal_table_shows_both_texts_and_the_summary(cli, shared_data: Path) -> None:
    proc = cli("dedup", "--suite", "aime", "--data", str(shared_data), "--lexical-only",
               "--near-misses", "2")
    assert proc.returncode == 0, proc.stderr
    assert "fresh item" in proc.stdout and "earlier item" in proc.stdout
    assert "90 items compared with 90 items (aime: aime2024, aime2025, aime2026)" in " ".join(proc.stdout.split())
    assert "0 pair(s) marked" in proc.stdout
    assert "note: embedding similarity switched off" in proc.stderr


def test_a_corpus_twin_is_marked_first_and_the_first_form_meets_the_corpus(
    cli, shared_data: Path, tmp_path: Path
) -> None:
    corpus = _swapped_corpus(tmp_path, shared_data)
    out = _json(cli("dedup", "--suite", "aime", "--data", str(shared_data), "--lexical-only",
                    "--corpus", str(corpus), "--format", "json", "--top", "3"))
    first, second = out["pairs"][:2]
    assert (first["item_id"], first["source_id"], first["overlap"]) == ("aime2025-I-01", "old-1", 1.0)
    assert (second["item_id"], second["source_id"], second["overlap"]) == ("aime2026-I-02", "old-2", 1.0)
    assert first["marked"] and first["source_form"] == "older contest"
    assert {(m["form"], m["item_id"]) for m in out["marked_items"]} == {
        ("aime2025", "aime2025-I-01"), ("aime2026", "aime2026-I-02")}
    assert {p["form"] for p in out["pairs"]} >= {"aime2024"}  # 2024 now has older material
    assert all(p["rank"] <= 3 for p in out["pairs"])
    assert out["n_earlier"] == 93 and "older.jsonl: 3 problems" in out["compared"]


def test_cosine_comes_from_the_embedder_when_the_extra_is_there(
    cli, shared_data: Path, fake_embedder
) -> None:
    out = _json(cli("dedup", "--suite", "aime", "--data", str(shared_data), "--format", "json"))
    assert out["embedder"] == "letters" and out["note"] is None
    assert all(p["cosine"] is not None for p in out["pairs"])


def test_thresholds_are_options(cli, shared_data: Path) -> None:
    out = _json(cli("dedup", "--suite", "aime", "--data", str(shared_data), "--lexical-only",
                    "--overlap-threshold", "0.1", "--format", "json"))
    assert out["thresholds"]["overlap"] == 0.1
    assert all(p["marked"] == (p["overlap"] >= 0.1) for p in out["pairs"])
    assert any(p["marked"] for p in out["pairs"])


def test_csv_and_markdown_carry_the_texts(cli, shared_data: Path, tmp_path: Path) -> None:
    corpus = _swapped_corpus(tmp_path, shared_data)
    args = ("dedup", "--suite", "aime", "--data", str(shared_data), "--lexical-only",
            "--corpus", str(corpus))
    proc = cli(*args, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    table = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert table[0]["item_id"] == "aime2025-I-01" and table[0]["marked"] == "True"
    assert table[0]["source_text"].startswith("Find the sum of all integer bases")
    assert len(table) == len(_json(cli(*args, "--format", "json"))["pairs"])
    md = cli(*args, "--format", "md", "--near-misses", "0")
    assert md.returncode == 0
    body = [line for line in md.stdout.splitlines() if line.startswith("| 1 ")]
    assert len(body) == 1 and "aime2025-I-01" in body[0] and "old-1" in body[0]
    assert md.stdout.count("\n| ") == 3  # header, two marked pairs, no near misses


def test_html_escapes_hostile_text_and_writes_the_figure(
    cli, shared_data: Path, tmp_path: Path, fake_embedder
) -> None:
    r2025 = {r["id"]: r for r in shared_rows(shared_data, "aime_2025")}
    hostile = "<script>alert('pwned')</script> " + r2025["aime2025-I-03"]["problem"]
    corpus = write_corpus(tmp_path / "evil.csv.jsonl",
                          [{"id": "<b>x</b>", "problem": hostile, "date": "2020-01-01"}])
    html, png, svg = tmp_path / "out" / "dedup.html", tmp_path / "f.png", tmp_path / "f.svg"
    proc = cli("dedup", "--suite", "aime", "--data", str(shared_data), "--corpus", str(corpus),
               "--html", str(html), "--figure", str(png))
    assert proc.returncode == 0, proc.stderr
    page = html.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    assert "default-src 'none'" in page and "<svg" in page
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli("dedup", "--suite", "aime", "--data", str(shared_data), "--lexical-only",
               "--figure", str(svg)).returncode == 0
    assert "<svg" in svg.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--judge", "m"], "--judge needs --models"),
        (["--figure", "f.gif"], "the suffix must be .png, .svg or .pdf"),
        (["--top", "0"], "top must be at least 1"),
        (["--overlap-threshold", "1.5"], "overlap threshold must be in (0, 1]"),
        (["--suite", "nope"], "unknown suite 'nope'"),
    ],
)
def test_bad_options_are_one_line_errors(cli, shared_data: Path, extra, message) -> None:
    proc = cli("dedup", "--suite", "aime", "--data", str(shared_data), "--lexical-only", *extra)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_a_bad_corpus_names_file_line_and_column(cli, shared_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "older.csv"
    bad.write_text("id,problem,date\n1,Find x.,2019-01-01\n2,Find y.,Feb 2019\n")
    proc = cli("dedup", "--suite", "aime", "--data", str(shared_data), "--corpus", str(bad))
    assert proc.returncode == 2
    assert f"{bad}, line 3, column 'date': not a date: 'Feb 2019'" in proc.stderr


def test_a_judge_model_must_be_in_the_catalogue(cli, shared_data: Path, tmp_path: Path) -> None:
    models = tmp_path / "models.toml"
    models.write_text('[[model]]\nname = "other"\nbase_url = "http://127.0.0.1:9/v1"\n')
    proc = cli("dedup", "--suite", "aime", "--data", str(shared_data), "--db",
               str(tmp_path / "r.db"), "--judge", "missing", "--models", str(models))
    assert proc.returncode == 2 and "--judge 'missing' is not a model in" in proc.stderr
    assert not (tmp_path / "r.db").exists()  # refused before anything is written


@pytest.mark.slow
@pytest.mark.skipif(not embeddings_available(), reason="the dedup extra is not installed")
def test_the_real_model_marks_the_two_tetrahedron_problems(cli, shared_data: Path) -> None:
    out = _json(cli("dedup", "--suite", "aime", "--data", str(shared_data), "--format", "json"))
    assert out["embedder"] == "all-MiniLM-L6-v2"
    marked = [p for p in out["pairs"] if p["marked"]]
    assert [(p["item_id"], p["source_id"]) for p in marked] == [("aime2026-II-12", "aime2024-I-14")]
    assert marked[0]["cosine"] == pytest.approx(0.728, abs=0.002)
    assert dt.date.fromisoformat(marked[0]["source_released"]) < dt.date(2026, 2, 5)


def test_a_corpus_given_twice_is_compared_once(cli, shared_data: Path, tmp_path: Path) -> None:
    corpus = _swapped_corpus(tmp_path, shared_data)
    db = tmp_path / "r.db"
    proc = cli("dedup", "--suite", "aime", "--data", str(shared_data), "--lexical-only",
               "--corpus", str(corpus), "--corpus", str(corpus), "--db", str(db), "--format", "json")
    out = _json(proc)
    assert "note: 3 problem(s) with a form and id already compared were skipped" in proc.stderr
    assert out["n_earlier"] == 93
    assert len({(p["form"], p["item_id"], p["source_form"], p["source_id"]) for p in out["pairs"]}) == len(out["pairs"])
