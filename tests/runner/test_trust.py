"""Trust under fault injection: odd replies, leaked keys, two runs at once, dead endpoints,
budgets, and twenty kills — all through the real CLI against loopback servers."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runner_helpers import answers_for

from openai_server import running_server

SECRET = "sk-trust-" + "0123456789abcdef0123456789"  # 35 characters, as real keys are long
KEY_VAR = "PAPERTIGER_TEST_KEY"


def catalogue(path: Path, entries: list[tuple[str, str]], **fields: object) -> Path:
    """[[model]] tables: (name, base_url) each, sharing `fields`."""
    lines = []
    for name, url in entries:
        lines += ["[[model]]", f'name = "{name}"', f'base_url = "{url}"', f'api_key_env = "{KEY_VAR}"',
                  'group = "CN"' if name.endswith("cn") else 'group = "US"', "price_in = 1.0",
                  "price_out = 2.0", "timeout_s = 5.0"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in fields.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def papertiger(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, KEY_VAR: SECRET, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "papertiger", *args], capture_output=True,
                          text=True, env=full, timeout=timeout)


def spawn(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, KEY_VAR: SECRET, "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "papertiger", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def run_args(models: Path, data_dir: Path, db: Path, *extra: str) -> list[str]:
    return ["run", "--models", str(models), "--suite", "aime", "--data", str(data_dir),
            "--forms", "aime2024,aime2025", "--db", str(db), *extra]


def keys_and_status(db: Path) -> dict[str, tuple[str, str | None]]:
    if not db.exists():
        return {}
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return {}
    try:
        return {k: (s, c) for k, s, c in con.execute("SELECT key, status, error_code FROM attempts")}
    except sqlite3.OperationalError:
        return {}
    finally:
        con.close()


@pytest.mark.slow
def test_odd_replies_become_attempts_and_never_stop_the_run(tmp_path: Path, data_dir: Path) -> None:
    answers = answers_for(data_dir)
    shapes = ("parts", "null_content", "refusal", "int_content", "int_finish", "list_choice")
    with running_server(answers=answers) as healthy, running_server(
        answers=answers, fail_rate=1.0, fail_faults=shapes
    ) as odd:
        models = catalogue(tmp_path / "m.toml", [("odd-cn", str(odd)), ("good-us", str(healthy))])
        db = tmp_path / "r.db"
        for stream in (True, False):  # streamed and whole-body replies alike
            cat = catalogue(tmp_path / f"m{stream}.toml", [("odd-cn", str(odd)), ("good-us", str(healthy))],
                            stream=stream)
            proc = papertiger(*run_args(cat, data_dir, tmp_path / f"r{stream}.db", "--samples", "2"))
            assert proc.returncode == 3, proc.stderr  # some attempts failed: said by the exit status
            assert "Traceback" not in proc.stderr
            rows = keys_and_status(tmp_path / f"r{stream}.db")
            assert len(rows) == 2 * 60 * 2  # every attempt of both models is stored
            codes = {c for s, c in rows.values() if s == "error"}
            assert codes == {"bad_reply"}, codes
        con = sqlite3.connect(tmp_path / "rTrue.db")
        good = con.execute("SELECT COUNT(*) FROM attempts WHERE model = 'good-us' AND status = 'ok'").fetchone()[0]
        assert good == 120  # the healthy model stored everything
        parts = con.execute(
            "SELECT a.text FROM attempts a WHERE model = 'odd-cn' AND status = 'ok' AND text LIKE 'Therefore%'"
        ).fetchall()
        assert parts  # content parts, null content and odd finish reasons were read as text
        del models, db


@pytest.mark.slow
def test_the_key_never_leaks_under_any_echo_route(tmp_path: Path, data_dir: Path) -> None:
    routes = ("echo_finish", "echo_cut", "text_error", "error_in_200", "echo_text", "400", "500")
    with running_server(answers=answers_for(data_dir), echo_auth=True, fail_rate=0.7,
                        fail_faults=routes, retry_after=0.01) as url:
        models = catalogue(tmp_path / "m.toml", [("leak-cn", str(url)), ("leak-us", str(url))])
        db = tmp_path / "r.db"
        proc = papertiger(*run_args(models, data_dir, db, "--samples", "1"))
        auth = {e.get("authorization") for e in url.server.log()}
        faults = {e.get("fault") for e in url.server.log()}
    assert f"Bearer {SECRET}" in auth and set(routes) <= faults  # every route was exercised
    texts = [proc.stdout, proc.stderr]
    for cmd in (["export", "--db", str(db), "-o", str(tmp_path / "x.csv")],
                ["export", "--db", str(db), "-o", str(tmp_path / "x.parquet")],
                ["export", "--db", str(db), "-o", "-"],
                ["report", "--db", str(db), "--format", "json"],
                ["report", "--db", str(db), "--format", "md"],
                ["report", "--db", str(db), "--html", str(tmp_path / "r.html")]):
        p = papertiger(*cmd)
        assert p.returncode == 0, p.stderr
        texts += [p.stdout, p.stderr]
    blobs = [t.encode() for t in texts]
    blobs += [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    leaks = [b for b in blobs if SECRET.encode() in b]
    assert not leaks
    # not even most of it: a key cut at 300 characters must not survive in part
    assert not [b for b in blobs if SECRET[:20].encode() in b or SECRET[-20:].encode() in b]
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM attempts WHERE error LIKE '%[redacted]%' OR "
                       "finish_reason LIKE '%[redacted]%' OR text LIKE '%[redacted]%'").fetchone()[0] > 0


@pytest.mark.slow
def test_two_runs_on_one_store_never_pay_twice(tmp_path: Path, data_dir: Path) -> None:
    with running_server(answers=answers_for(data_dir), latency_ms=200) as url:
        models = catalogue(tmp_path / "m.toml", [("a-cn", str(url)), ("b-us", str(url))], concurrency=4)
        db = tmp_path / "r.db"
        first = spawn(*run_args(models, data_dir, db, "--samples", "2"))
        deadline = time.monotonic() + 60
        while not keys_and_status(db) and time.monotonic() < deadline:
            time.sleep(0.05)
        busy = papertiger(*run_args(models, data_dir, db, "--samples", "2"))
        assert busy.returncode == 2 and "Traceback" not in busy.stderr
        reading = papertiger("export", "--db", str(db), "-o", "-")  # readers go alongside
        assert reading.returncode == 0 and reading.stdout.startswith("key,"), reading.stderr
        assert first.poll() is None  # ... while the writer is still writing
        assert f"process {first.pid}" in busy.stderr and "--wait" in busy.stderr
        waiting = spawn(*run_args(models, data_dir, db, "--samples", "2", "--wait"))
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err
        out2, err2 = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, err2
        assert "nothing to do: 240 attempts already stored" in out2
        per_key = url.server.stats()["per_key"]
    assert len(per_key) == 240 and set(per_key.values()) == {1}  # each key requested once


@pytest.mark.slow
def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path: Path, data_dir: Path) -> None:
    with running_server(answers=answers_for(data_dir), latency_ms=30) as url:
        models = catalogue(tmp_path / "m.toml", [("a-cn", str(url)), ("b-us", str(url))], concurrency=2)
        db = tmp_path / "r.db"
        first = spawn(*run_args(models, data_dir, db, "--samples", "2"))
        deadline = time.monotonic() + 60
        while not keys_and_status(db) and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        assert str(first.pid) in Path(f"{db}.lock").read_text()  # the stale holder is described
        second = papertiger(*run_args(models, data_dir, db, "--samples", "2"))
    assert second.returncode == 0, second.stderr
    assert len(keys_and_status(db)) == 240


@pytest.mark.parametrize(
    ("server", "needle"),
    [
        ({"require_key": "another-key-000000"}, f"refused the key in ${KEY_VAR} (HTTP 401"),
        ({"served_models": ("only-this",)}, "does not serve model 'a-cn-id'"),
        (None, "cannot reach"),
    ],
)
def test_preflight_turns_a_bad_endpoint_into_one_line(
    tmp_path: Path, data_dir: Path, server: dict | None, needle: str
) -> None:
    db = tmp_path / "r.db"
    if server is None:
        url = "http://127.0.0.1:9/v1"  # nothing listens on the discard port
        models = catalogue(tmp_path / "m.toml", [("a-cn", url)], model="a-cn-id")
        proc = papertiger(*run_args(models, data_dir, db, "--samples", "1"))
        sent: list = []
    else:
        with running_server(answers=answers_for(data_dir), **server) as live:
            models = catalogue(tmp_path / "m.toml", [("a-cn", str(live))], model="a-cn-id")
            proc = papertiger(*run_args(models, data_dir, db, "--samples", "1"))
            sent = live.server.log()
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0] and "--no-preflight" in lines[0], lines
    assert SECRET not in proc.stderr
    assert sent == []  # not one paid request
    assert not keys_and_status(db)


@pytest.mark.slow
def test_a_hopeless_endpoint_stops_its_models_and_the_summary_says_why(tmp_path: Path, data_dir: Path) -> None:
    with running_server(answers=answers_for(data_dir), require_key="another-key-000000") as bad, \
            running_server(answers=answers_for(data_dir)) as good:
        models = catalogue(tmp_path / "m.toml", [("bad-cn", str(bad)), ("good-us", str(good))],
                           concurrency=1)
        db = tmp_path / "r.db"
        proc = papertiger(*run_args(models, data_dir, db, "--samples", "2", "--no-preflight"))
        bad_requests = len(bad.server.log())
    assert proc.returncode == 3, proc.stderr
    assert bad_requests <= 5 + 1  # stopped after five identical 401s, not 120
    out = proc.stdout
    assert "5 attempts in a row failed with http_401" in out
    assert "Most frequent errors" in out and "http_401" in out
    assert "none was retried" in out  # 401s are not retried, and the summary does not pretend
    rows = keys_and_status(db)
    assert sum(1 for s, _ in rows.values() if s == "ok") == 120  # the healthy model ran fully


@pytest.mark.slow
def test_a_budget_stop_exits_4_and_every_figure_agrees(tmp_path: Path, data_dir: Path) -> None:
    with running_server(answers=answers_for(data_dir)) as url:
        models = catalogue(tmp_path / "m.toml", [("a-cn", str(url)), ("b-us", str(url))],
                           max_tokens=64, concurrency=8)
        db = tmp_path / "r.db"
        dry = papertiger(*run_args(models, data_dir, db, "--samples", "4", "--max-cost", "0.003", "--dry-run"))
        assert dry.returncode == 0, dry.stderr
        assert "total" in dry.stdout and "max_tokens (upper bound)" in dry.stdout
        assert "exceeds --max-cost" in dry.stdout and "aime2024, aime2025" in dry.stdout
        proc = papertiger(*run_args(models, data_dir, db, "--samples", "4", "--max-cost", "0.003"))
    assert proc.returncode == 4, proc.stderr
    stored = sqlite3.connect(db).execute("SELECT SUM(cost_usd) FROM attempts").fetchone()[0]
    assert stored <= 0.003
    assert f"spent ${stored:.4f}" in proc.stdout  # the message and the store agree
    assert "(exit status 4)" in proc.stdout


@pytest.mark.slow
def test_twenty_kills_with_faults_lose_nothing_and_repeat_little(tmp_path: Path, data_dir: Path) -> None:
    """The README's bound: a kill loses the attempts in flight and at most 64 finished ones."""
    rng = random.Random(20261201)
    concurrency = 4
    with running_server(answers=answers_for(data_dir), latency_ms=20, fail_rate=0.3,
                        fail_faults=("429", "500", "503", "drop", "cut", "malformed"),
                        retry_after=0.01) as url:
        models = catalogue(tmp_path / "m.toml", [("k-cn", str(url)), ("k-us", str(url))],
                           concurrency=concurrency)
        db = tmp_path / "r.db"
        args = run_args(models, data_dir, db, "--samples", "4", "--no-preflight")
        worst = 0
        for _ in range(20):
            before = {k for k, (s, _) in keys_and_status(db).items() if s == "ok"}
            if len(before) >= 480:
                break
            proc = spawn(*args)
            time.sleep(rng.uniform(0.8, 2.5))
            finished_at_kill = None
            if proc.poll() is None:
                log_before_kill = len(url.server.log())
                proc.send_signal(signal.SIGKILL)
                proc.wait(30)
                finished_at_kill = {e["key"] for e in url.server.log()[:log_before_kill]
                                    if e.get("status") == 200}
            else:
                proc.communicate()
            after = {k for k, (s, _) in keys_and_status(db).items() if s == "ok"}
            if finished_at_kill is not None:
                lost = finished_at_kill - after - before
                worst = max(worst, len(lost))
                assert len(lost) <= 2 * concurrency + 64, f"{len(lost)} answered attempts lost"
        final = papertiger(*args)
        assert final.returncode in (0, 3), final.stderr
        per_key = url.server.stats()["per_key"]
    rows = keys_and_status(db)
    assert len(rows) == 480 and all(s == "ok" for s, _ in rows.values())
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM attempts").fetchone() == (480, 480)
    assert worst <= 2 * concurrency + 64
    assert len(per_key) == 480
