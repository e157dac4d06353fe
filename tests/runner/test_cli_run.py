"""`papertiger run` as a process: kill -9 and resume, and the API key never leaks."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runner_helpers import answers_for, write_models

from openai_server import running_server

pytestmark = pytest.mark.slow
SECRET = "sk-papertiger-test-" + "7f3a9c1e5b2d4f60"


def cli(args: list[str], env: dict[str, str], **kw) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "papertiger", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kw,
    )


def stored(db: Path) -> dict[str, str]:
    if not db.exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return dict(con.execute("SELECT key, status FROM attempts").fetchall())
    except sqlite3.OperationalError:
        return {}
    finally:
        con.close()


def test_kill_dash_9_then_resume(tmp_path: Path, data_dir: Path) -> None:
    env = {**os.environ, "PAPERTIGER_TEST_KEY": SECRET}
    db = tmp_path / "r.db"
    with running_server(answers=answers_for(data_dir), latency_ms=40) as url:
        models = write_models(tmp_path / "models.toml", url, concurrency=6)
        args = ["run", "--models", str(models), "--suite", "aime", "--data", str(data_dir),
                "--samples", "4", "--db", str(db)]
        proc = cli(args, env)
        target = random.Random().randint(40, 300)
        deadline = time.monotonic() + 120
        while len(stored(db)) < target and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        finished = {k for k, s in stored(db).items() if s == "ok"}
        assert 0 < len(finished) < 720, "kill landed before any commit or after the end"
        sent_before = len(url.server.log())
        second = cli(args, env)
        out, err = second.communicate(timeout=300)
        assert second.returncode == 0, err
        after = url.server.log()[sent_before:]
    rows = stored(db)
    assert len(rows) == 720 and set(rows.values()) == {"ok"}  # every planned key exactly once
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(DISTINCT key), COUNT(*) FROM attempts").fetchone() == (720, 720)
    resent = [e for e in after if e.get("key") in finished]
    assert resent == [], f"{len(resent)} finished attempts were requested again"
    # the second run asked only for keys that were not finished
    assert {e.get("key") for e in after} == set(rows) - finished


def test_api_key_never_written(tmp_path: Path, data_dir: Path) -> None:
    env = {**os.environ, "PAPERTIGER_TEST_KEY": SECRET}
    db = tmp_path / "r.db"
    with running_server(
        answers=answers_for(data_dir), echo_auth=True, fail_rate=0.3,
        fail_faults=("400", "500"), retry_after=0.01,
    ) as url:
        models = write_models(tmp_path / "models.toml", url)
        args = ["run", "--models", str(models), "--suite", "aime", "--data", str(data_dir),
                "--samples", "1", "--db", str(db)]
        proc = cli(args, env)
        out, err = proc.communicate(timeout=300)
        auth = {e.get("authorization") for e in url.server.log()}
    assert proc.returncode == 3, err  # some attempts failed (400s): exit status says so
    assert f"Bearer {SECRET}" in auth  # the key was really sent
    texts = [out, err]
    for cmd in (["export", "--db", str(db), "-o", str(tmp_path / "x.csv")],
                ["export", "--db", str(db), "-o", str(tmp_path / "x.parquet")],
                ["report", "--db", str(db), "--format", "json"],
                ["report", "--db", str(db), "--html", str(tmp_path / "r.html")]):
        p = cli(cmd, env)
        o, e = p.communicate(timeout=300)
        assert p.returncode == 0, e
        texts += [o, e]
    blobs = [t.encode() for t in texts]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            blobs.append(path.read_bytes())
    assert not [b for b in blobs if SECRET.encode() in b]
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM attempts WHERE status = 'error'").fetchone()[0] > 0


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_cleanly_and_says_how_to_resume(
    tmp_path: Path, data_dir: Path, signum: int, code: int
) -> None:
    env = {**os.environ, "PAPERTIGER_TEST_KEY": SECRET}
    db = tmp_path / "r.db"
    with running_server(answers=answers_for(data_dir), latency_ms=50) as url:
        models = write_models(tmp_path / "models.toml", url, concurrency=4)
        args = ["run", "--models", str(models), "--suite", "aime", "--data", str(data_dir),
                "--samples", "4", "--db", str(db)]
        proc = cli(args, env)
        deadline = time.monotonic() + 120
        while len(stored(db)) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signum)
        time.sleep(0.05)
        proc.send_signal(signum)  # a second signal does not stop the final commit
        out, err = proc.communicate(timeout=60)
        kept = stored(db)
        log = url.server.log()
        answered = {e.get("key") for e in log if e.get("status") == 200}
    assert proc.returncode == code, err
    assert "Traceback" not in err and "resume" in err
    assert signal.Signals(signum).name in err
    assert 20 <= len(kept) < 720
    assert set(kept) <= {e.get("key") for e in log}
    # every attempt the server finished answering before the stop was committed, except
    # those still in flight in the client: two models × 4 each share the endpoint
    missing = answered - set(kept)
    assert len(missing) <= 2 * 4, f"{len(missing)} answered attempts were not stored"
    con = sqlite3.connect(db)
    assert con.execute("SELECT outcome FROM runs").fetchall() == [("interrupted",)]
