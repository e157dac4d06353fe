"""The judge pass against the loopback server: verdicts, stored attempts, resuming."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from dedup_cases import swap_numbers
from dedup_cli_helpers import shared_rows, write_corpus

from openai_server import running_server
from papertiger.analysis import AttemptSource, select_attempts
from papertiger.dedup import DedupItem, find_candidates
from papertiger.errors import ConfigError
from papertiger.runner.judge import (
    JUDGE_PROMPT_HASH,
    JUDGE_PROMPT_NAME,
    JUDGE_TEMPLATE,
    check_judge_model,
    judge_attempt,
    judge_prompt,
    parse_verdict,
)
from papertiger.schema import ModelSpec
from papertiger.store.flags import flagged_items

KEY_ENV = "PAPERTIGER_TEST_KEY"
EXPECTED = {"aime2025-I-01": "same", "aime2026-I-02": "different"}


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("They ask the same thing.\nSAME", "same"),
        ("Reasoning...\n\n**DIFFERENT**\n\n", "different"),
        ("Verdict: $\\boxed{SAME}$", "same"),
        ("Therefore, the answer is SAME.", "same"),
        ("Not the SAME setting at all: DIFFERENT", "different"),  # the last word on the line
        ("SAME\nOn reflection I am not sure.", "unclear"),  # only the last line counts
        ("they are the same", "unclear"),  # capitals only, as the prompt asks
        ("", "unclear"),
        (None, None),
    ],
)
def test_the_verdict_is_read_from_the_last_line(text: str | None, verdict: str | None) -> None:
    assert parse_verdict(text) == verdict


def test_the_prompt_is_fixed_and_hashed_like_the_solve_templates() -> None:
    assert hashlib.sha256(JUDGE_TEMPLATE.encode()).hexdigest() == JUDGE_PROMPT_HASH
    prompt = judge_prompt("Find $\\frac{a}{b}$ for {x}.", "Compute {problem_b}.")
    assert "Problem A:\nFind $\\frac{a}{b}$ for {x}.\n" in prompt  # braces kept as written
    assert "Problem B:\nCompute {problem_b}.\n" in prompt
    assert prompt.endswith("on the last line: SAME or DIFFERENT.")


def test_the_documented_prompt_is_the_prompt_sent() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "dedup.md").read_text(encoding="utf-8")
    assert JUDGE_TEMPLATE in docs


def test_a_judge_model_needs_a_base_url() -> None:
    with pytest.raises(ConfigError, match="has no base_url"):
        check_judge_model(ModelSpec(name="j"))
    check_judge_model(ModelSpec(name="j", provider="scripted"))  # other providers own endpoints


def test_a_judge_attempt_is_keyed_by_both_texts() -> None:
    import datetime as dt

    model = ModelSpec(name="j", base_url="http://127.0.0.1:9/v1", model="j-endpoint")
    fresh = DedupItem("f1", "aime2025", dt.date(2025, 2, 6), "Find the sum of $3$ and $4$.")
    a = DedupItem("a", "old", dt.date(2020, 1, 1), "Find the sum of $5$ and $6$.")
    b = DedupItem("b", "old", dt.date(2020, 1, 1), "Find the sum of $7$ and $8$.")
    report = find_candidates([fresh], [a, b], embedder=None)
    (id_a, req_a), (id_b, req_b) = (judge_attempt(model, "aime", c) for c in report.candidates)
    assert id_a.task == "judge" and id_a.prompt_name == JUDGE_PROMPT_NAME
    assert (id_a.form, id_a.item_id, id_a.prompt_hash) == ("aime2025", "f1", JUDGE_PROMPT_HASH)
    assert req_a.key != req_b.key and id_a.item_hash != id_b.item_hash
    assert req_a.key == judge_attempt(model, "aime", report.candidates[0])[1].key  # stable


def _models(path: Path, url: str) -> Path:
    path.write_text(
        "[[model]]\n"
        'name = "judge-m"\n'
        f'base_url = "{url}"\n'
        'model = "judge-endpoint"\n'
        f'api_key_env = "{KEY_ENV}"\n'
        "price_in = 1.0\nprice_out = 2.0\ntimeout_s = 5.0\n"
    )
    return path


def _judge_attempts(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT task, prompt_name, prompt_hash, status, form, item_id FROM attempts"
            " ORDER BY item_id").fetchall()
    finally:
        con.close()


def _flags(db: Path) -> tuple[dict[str, str | None], frozenset[tuple[str, str]]]:
    con = sqlite3.connect(db)
    try:
        verdicts = dict(con.execute(
            "SELECT item_id, verdict FROM item_flags WHERE marked = 1").fetchall())
        return verdicts, flagged_items(con, "aime")
    finally:
        con.close()


def test_the_judge_pass_stores_verdicts_and_resumes(
    cli, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-test-not-a-real-key")
    t2025 = {r["id"]: r["problem"] for r in shared_rows(shared_data, "aime_2025")}
    t2026 = {r["id"]: r["problem"] for r in shared_rows(shared_data, "aime_2026")}
    twin, lookalike = swap_numbers(t2025["aime2025-I-01"], 1), swap_numbers(t2026["aime2026-I-02"], 2)
    corpus = write_corpus(tmp_path / "older.jsonl", [
        {"id": "old-1", "problem": twin, "date": "2019-03-01"},
        {"id": "old-2", "problem": lookalike, "date": "2021-03-01"},
    ])
    answers = {
        judge_prompt(t2025["aime2025-I-01"], twin): "SAME",
        judge_prompt(t2026["aime2026-I-02"], lookalike): "DIFFERENT",
    }
    db = tmp_path / "results.db"
    with running_server(answers=answers, faults=["400"]) as url:
        models = _models(tmp_path / "models.toml", url)
        args = ("dedup", "--suite", "aime", "--data", str(shared_data), "--lexical-only",
                "--corpus", str(corpus), "--db", str(db), "--judge", "judge-m",
                "--models", str(models), "--format", "json")
        first = cli(*args)  # the first request fails (HTTP 400, not retried)
        assert first.returncode == 0, first.stderr
        assert "2 pair(s), 0 already judged, 2 sent (1 ok, 1 failed)" in first.stderr
        assert len(url.server.log()) == 2
        statuses = sorted(r[3] for r in _judge_attempts(db))
        assert statuses == ["error", "ok"]
        verdicts, _ = _flags(db)
        assert [v for v in verdicts.values() if v is None] == [None]  # the failed one: no verdict
        assert all(v is None or v == EXPECTED[k] for k, v in verdicts.items())

        second = cli(*args)  # only the failed pair is asked again
        assert second.returncode == 0, second.stderr
        assert "2 pair(s), 1 already judged, 1 sent (1 ok, 0 failed)" in second.stderr
        assert len(url.server.log()) == 3

        third = cli(*args)  # everything judged: not one request
        assert third.returncode == 0, third.stderr
        assert "2 pair(s), 2 already judged, 0 sent" in third.stderr
        assert len(url.server.log()) == 3
        prompts = {e["prompt"] for e in url.server.log()}
        assert prompts == set(answers)
        assert {e["model"] for e in url.server.log()} == {"judge-endpoint"}

    out = json.loads(third.stdout)
    shown = {p["item_id"]: p["verdict"] for p in out["pairs"] if p["marked"]}
    assert shown == EXPECTED
    assert out["judge_model"] == "judge-m"
    stored = _judge_attempts(db)
    assert [r[:4] for r in stored] == [("judge", JUDGE_PROMPT_NAME, JUDGE_PROMPT_HASH, "ok")] * 2
    assert [r[4:] for r in stored] == [("aime2025", "aime2025-I-01"), ("aime2026", "aime2026-I-02")]
    verdicts, flagged = _flags(db)
    assert verdicts == EXPECTED
    assert flagged == {("aime2025", "aime2025-I-01")}  # judged different: not flagged
    con = sqlite3.connect(db)
    runs = con.execute("SELECT json_extract(spec_json, '$.task'), outcome FROM runs").fetchall()
    con.close()
    assert runs == [("judge", "completed")] * 2  # the passes that sent requests
    with pytest.raises(ConfigError, match="no attempts stored yet"):
        select_attempts(AttemptSource(db))  # judge attempts are not solve attempts

    # without --judge (no server at all) the stored verdicts are kept and shown
    plain = cli("dedup", "--suite", "aime", "--data", str(shared_data), "--lexical-only",
                "--corpus", str(corpus), "--db", str(db), "--format", "json")
    assert plain.returncode == 0, plain.stderr
    kept = {p["item_id"]: p["verdict"] for p in json.loads(plain.stdout)["pairs"] if p["marked"]}
    assert kept == shown


def test_a_missing_api_key_stops_before_any_request(
    cli, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    t2025 = {r["id"]: r["problem"] for r in shared_rows(shared_data, "aime_2025")}
    corpus = write_corpus(tmp_path / "older.jsonl", [
        {"id": "old-1", "problem": swap_numbers(t2025["aime2025-I-01"], 1), "date": "2019-03-01"}])
    with running_server() as url:
        proc = cli("dedup", "--suite", "aime", "--data", str(shared_data), "--lexical-only",
                   "--corpus", str(corpus), "--db", str(tmp_path / "r.db"), "--judge", "judge-m",
                   "--models", str(_models(tmp_path / "models.toml", url)))
        assert url.server.log() == []
    assert proc.returncode == 2 and f"${KEY_ENV}, which is not set" in proc.stderr
    assert not (tmp_path / "r.db").exists()
