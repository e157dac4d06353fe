"""Several base URLs per model, over real loopback HTTP: spreading, failover when a server
dies or fails, rests, preflight warnings, the catalogue's list form and the report."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runner_helpers import answers_for

from openai_server import FaultRule, ServerURL, running_server
from papertiger.benchmarks import load_suite
from papertiger.config import load_catalogue
from papertiger.errors import ConfigError, FatalProviderError, InputError, RetryableError
from papertiger.prompts import get_template
from papertiger.providers import Endpoint, EndpointLimits, OpenAICompatProvider, RetryPolicy
from papertiger.providers.router import is_failover
from papertiger.runner import RunSpec, run, work_items
from papertiger.schema import ChatRequest, Completion

pytestmark = pytest.mark.timeout(120)

KEY_VAR = "PAPERTIGER_TEST_KEY"
SECRET = "sk-endpoints-" + "0123456789abcdef"
CPU_CRASH = "CPU Generator does not use offset"
FAST = RetryPolicy(max_attempts=4, backoff_s=0.01, backoff_max_s=0.05, budget_s=20)
SLOW_BACKOFF = RetryPolicy(max_attempts=3, backoff_s=5.0, backoff_max_s=5.0, budget_s=60)


def write_fleet(path: Path, urls: list[str], **fields: object) -> Path:
    """Two models (one per group), both served by every URL in `urls` (one per line)."""
    lines = []
    for name, group in (("fleet-cn", "CN"), ("fleet-us", "US")):
        lines += ["[[model]]", f'name = "{name}"', "base_url = ["]
        lines += [f'  "{u}",' for u in urls]
        lines += ["]", f'model = "{name}-id"', f'api_key_env = "{KEY_VAR}"', f'group = "{group}"',
                  "price_in = 1.0", "price_out = 2.0", "timeout_s = 5.0"]
        lines += [f"{k} = {v!r}".replace("'", '"') for k, v in fields.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def fleet_spec(tmp_path: Path, data_dir: Path, urls: list[str], samples: int = 2,
               retry: RetryPolicy = FAST, **fields: object) -> RunSpec:
    catalogue = load_catalogue(write_fleet(tmp_path / "fleet.toml", urls, **fields))
    return RunSpec(
        models=(catalogue["fleet-cn"], catalogue["fleet-us"]),
        suite=load_suite("aime", data_dir=data_dir, forms=["aime2024", "aime2025"]),
        samples=samples, templates=(get_template("boxed", "integer"),),
        db=tmp_path / "fleet.db", retry=retry,
    )


@contextlib.contextmanager
def servers(count: int, **options: Any) -> Iterator[list[ServerURL]]:
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(running_server(**options)) for _ in range(count)]


def ok_per_key(urls: list[ServerURL]) -> Counter[str]:
    """How many times each attempt key was answered 200, over every server's log."""
    return Counter(e["key"] for u in urls for e in u.server.log() if e["status"] == 200)


def stored(db: Path) -> list[tuple[str, str, str | None]]:
    """(key, status, endpoint) of every stored attempt (none while the store is being made)."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return []
    try:
        return con.execute("SELECT key, status, endpoint FROM attempts").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def kill_after(victim: contextlib.ExitStack, url: ServerURL, served: int) -> threading.Thread:
    """Close the victim's server (listener and open connections) once it has seen `served`
    requests: what a crashed replica looks like to the client."""
    def watch() -> None:
        deadline = time.monotonic() + 60
        while len(url.server.log()) < served and time.monotonic() < deadline:
            time.sleep(0.005)
        victim.close()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


# ---------------------------------------------------------------- the catalogue
def test_catalogue_reads_a_list_and_keys_ignore_it(tmp_path: Path, data_dir: Path) -> None:
    urls = ["http://10.0.0.1:8000/v1", "http://10.0.0.2:8000/v1/", "https://replica-3/v1"]
    spec = fleet_spec(tmp_path, data_dir, urls)
    model = spec.models[0]
    assert model.base_url == urls[0] and model.base_urls == tuple(urls)
    assert model.extra_base_urls == tuple(urls[1:])
    single = load_catalogue(write_fleet(tmp_path / "one.toml", ["http://elsewhere:1/v1"]))
    one = RunSpec(**{**spec.__dict__, "models": (single["fleet-cn"], single["fleet-us"])})
    assert [w.request.key for w in work_items(spec)] == [w.request.key for w in work_items(one)]
    assert Endpoint.from_spec(model).urls == tuple(urls)


@pytest.mark.parametrize(
    ("value", "field", "line", "needle"),
    [
        ("[]", "base_url", 3, "empty list"),
        ('[\n  "http://a/v1",\n  "ftp://b/v1",\n]', "base_url[1]", 5, "http:// or https://"),
        ('["http://a/v1", 7]', "base_url[1]", 3, "must be a URL string"),
        ('["http://a/v1", "http://a/v1/"]', "base_url[1]", 3, "listed twice"),
        ('[\n  "http://a/v1",\n  "http://u:hunter2secret@b/v1",\n]', "base_url[1]", 5,
         "must not carry credentials"),
    ],
)
def test_catalogue_refuses_bad_lists(tmp_path: Path, value: str, field: str, line: int,
                                     needle: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'[[model]]\nname = "m"\nbase_url = {value}\nmodel = "x"\n')
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    error = caught.value
    assert (error.path, error.line, error.field) == (str(path), line, field), str(error)
    assert needle in str(error) and "hunter2" not in str(error)


def test_extra_base_urls_is_not_for_the_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[model]]\nname = "m"\nbase_url = "http://a/v1"\nextra_base_urls = ["http://b"]\n')
    with pytest.raises(InputError, match=r"base_url = \[") as caught:
        load_catalogue(path)
    assert caught.value.field == "extra_base_urls" and caught.value.line == 4


# ---------------------------------------------------------------- the provider
def requests(n: int, prefix: str = "k") -> list[ChatRequest]:
    return [ChatRequest(key=f"{prefix}{i}", model="m", seed=i,
                        messages=({"role": "user", "content": f"question {i}"},)) for i in range(n)]


async def _complete_all(urls: list[str], reqs: list[ChatRequest], cap: int,
                        retry: RetryPolicy) -> tuple[list[Completion], OpenAICompatProvider]:
    endpoint = Endpoint(base_url=urls[0], model="m", timeout_s=5.0, base_urls=tuple(urls))
    limits = {u: EndpointLimits(concurrency=cap) for u in urls}
    async with OpenAICompatProvider({"m": endpoint}, limits=limits, retry=retry) as provider:
        out = await asyncio.gather(*(provider.complete(r) for r in reqs))
    return list(out), provider


def test_equal_endpoints_share_the_load_within_their_caps() -> None:
    with servers(4, latency_ms=10, tokens=4) as urls:
        out, provider = asyncio.run(_complete_all(urls, requests(200), 4, FAST))
        counts = [len(u.server.log()) for u in urls]
        peaks = [u.server.stats()["max_in_flight"] for u in urls]
    assert all(c.status == "ok" and c.retries == 0 for c in out)
    assert sum(counts) == 200 and min(counts) >= 45 and max(counts) <= 55, counts
    assert max(peaks) <= 4  # the per-endpoint cap holds on every server
    report = provider.endpoint_report()
    assert [r.requests for r in report] == counts and all(r.errors == 0 for r in report)
    assert all(r.median_latency_s is not None and r.median_latency_s >= 0.01 for r in report)


def test_a_cpu_generator_500_moves_at_once_to_another_endpoint() -> None:
    with running_server(tokens=4, fault_messages={"500": CPU_CRASH},
                        rules=[FaultRule(fault="500")]) as crashing, \
            running_server(tokens=4) as healthy:
        started = time.monotonic()
        out, provider = asyncio.run(_complete_all([crashing, healthy], requests(12), 8,
                                                  SLOW_BACKOFF))
        elapsed = time.monotonic() - started
        bad = crashing.server.log()
    assert all(c.status == "ok" for c in out), [c.error for c in out if c.error]
    assert bad and all(e["status"] == 500 for e in bad)  # it was tried, and it failed
    assert elapsed < 3  # no 5 s backoff: a server failure moves on without waiting
    assert ok_per_key([crashing, healthy]) == {f"k{i}": 1 for i in range(12)}
    moved = {c.key for c in out if c.retries}
    assert moved == {e["key"] for e in bad}  # exactly the requests that hit the crash
    first, second = provider.endpoint_report()
    assert (first.errors, first.failovers, first.cooldowns) == (len(bad), len(bad), 1)
    assert (second.ok, second.errors) == (12, 0)


def test_a_4xx_on_one_endpoint_is_the_request_s_own_failure() -> None:
    with running_server(tokens=4, rules=[FaultRule(fault="400")]) as refusing, \
            running_server(tokens=4) as healthy:
        out, provider = asyncio.run(_complete_all([refusing, healthy], requests(8), 8, FAST))
    refused = [c for c in out if c.status == "error"]
    assert refused and all(c.error_code == "http_400" and c.retries == 0 for c in refused)
    assert provider.endpoint_report()[0].cooldowns == 0  # a 400 says nothing about the server


def test_failover_reasons() -> None:
    assert is_failover(RetryableError("x", code="connection"))
    assert is_failover(RetryableError("x", code="timeout"))
    assert is_failover(RetryableError("HTTP 503: busy", status=503))
    assert is_failover(RetryableError(f"server error in reply: {CPU_CRASH}"))  # in a 200's body
    assert not is_failover(RetryableError("HTTP 429", status=429))
    assert not is_failover(FatalProviderError("HTTP 401: no", status=401))


# ---------------------------------------------------------------- the runner
def test_one_of_four_killed_mid_run_loses_and_repeats_nothing(tmp_path: Path, data_dir: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_VAR, SECRET)
    answers = answers_for(data_dir)
    victim = contextlib.ExitStack()
    with servers(3, answers=answers, latency_ms=15) as survivors:
        doomed = victim.enter_context(running_server(answers=answers, latency_ms=15))
        urls = [survivors[0], doomed, *survivors[1:]]
        spec = fleet_spec(tmp_path, data_dir, urls, samples=2, concurrency=2)
        watcher = kill_after(victim, doomed, 20)
        summary = run(spec)
        watcher.join(10)
        logs = {u: u.server.log() for u in urls}
    rows = stored(spec.db)
    planned = {w.request.key for w in work_items(spec)}
    assert (summary.ok, summary.errors) == (240, 0)
    assert {k for k, _, _ in rows} == planned and len(rows) == 240
    assert {s for _, s, _ in rows} == {"ok"}
    assert ok_per_key(urls) == dict.fromkeys(planned, 1)  # none lost, none answered twice
    served = Counter(e for _, _, e in rows)
    assert served[str(doomed)] == sum(e["status"] == 200 for e in logs[doomed])
    assert all(served[str(u)] > 240 / 4 for u in survivors)  # they took the dead one's share
    report = {r.base_url: r for r in summary.endpoints}
    assert report[str(doomed)].cooldowns >= 1 and report[str(doomed)].failovers >= 1
    assert sum(r.ok for r in report.values()) == 240
    peaks = [u.server.stats()["max_in_flight"] for u in survivors]
    assert max(peaks) <= 4  # two models × concurrency 2 on each endpoint


def test_preflight_warns_about_one_dead_endpoint_and_runs_on(tmp_path: Path, data_dir: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_VAR, SECRET)
    dead = "http://127.0.0.1:9/v1"  # nothing listens on the discard port
    shown: list[str] = []

    class Observer:
        def started(self, progress: object) -> None: ...
        def advanced(self, progress: object) -> None: ...
        def stopping(self, reason: str) -> None:
            shown.append(reason)

    with servers(2, answers=answers_for(data_dir)) as live:
        spec = fleet_spec(tmp_path, data_dir, [live[0], dead, live[1]], samples=1)
        summary = run(spec, Observer())
    assert summary.ok == 120 and summary.errors == 0
    assert len(summary.warnings) == 1 and shown == list(summary.warnings)
    assert "cannot reach http://127.0.0.1:9/v1" in shown[0] and "other endpoints" in shown[0]
    report = {r.base_url: r for r in summary.endpoints}
    assert report[dead].requests == 0  # rested from the start: nothing was sent to it
    assert {e for _, _, e in stored(spec.db)} == {str(live[0]), str(live[1])}


def test_preflight_with_every_endpoint_dead_is_one_line(tmp_path: Path, data_dir: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_VAR, SECRET)
    spec = fleet_spec(tmp_path, data_dir, ["http://127.0.0.1:9/v1", "http://127.0.0.1:7/v1"])
    with pytest.raises(ConfigError) as caught:
        run(spec)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("preflight: cannot reach")
    assert "127.0.0.1:9" in message and "127.0.0.1:7" in message and "--no-preflight" in message


def test_the_report_shows_each_endpoint(tmp_path: Path, data_dir: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import papertiger.render.sections.endpoints as rendering  # registers the renderer
    from papertiger.analysis import AttemptSource, build_report
    from papertiger.analysis.sections.endpoints import EndpointsSection

    monkeypatch.setenv(KEY_VAR, SECRET)
    with servers(2, answers=answers_for(data_dir), latency_ms=5) as urls:
        spec = fleet_spec(tmp_path, data_dir, list(urls), samples=1)
        run(spec)
    (section,) = [x for x in build_report(AttemptSource(spec.db)).extras
                  if isinstance(x, EndpointsSection)]
    assert {(r.model, r.endpoint) for r in section.rows} == {
        (m, str(u)) for m in ("fleet-cn", "fleet-us") for u in urls}
    assert sum(r.attempts for r in section.rows) == 120
    assert all(r.latency is not None and r.errors == 0 for r in section.rows)
    text = rendering.markdown(section) + str(rendering.html(section))
    assert str(urls[0]) in text and str(urls[1]) in text and "end-to-end time" in text
    assert rendering.to_json(section)["rows"][0]["attempts"] > 0


def test_no_endpoint_section_for_one_url_per_model(tmp_path: Path, data_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from papertiger.analysis import AttemptSource, build_report
    from papertiger.analysis.sections.endpoints import EndpointsSection

    monkeypatch.setenv(KEY_VAR, SECRET)
    with running_server(answers=answers_for(data_dir)) as url:
        spec = fleet_spec(tmp_path, data_dir, [url], samples=1)
        summary = run(spec)
    assert len(summary.endpoints) == 1
    extras = build_report(AttemptSource(spec.db)).extras
    assert not [x for x in extras if isinstance(x, EndpointsSection)]


# ---------------------------------------------------------------- the CLI, as a process
@pytest.mark.slow
def test_cli_run_over_four_endpoints_survives_one_killed(tmp_path: Path, data_dir: Path) -> None:
    answers = answers_for(data_dir)
    db = tmp_path / "cli.db"
    victim = contextlib.ExitStack()
    env = {**os.environ, KEY_VAR: SECRET, "COLUMNS": "250"}
    with servers(3, answers=answers, latency_ms=40) as survivors:
        doomed = victim.enter_context(running_server(answers=answers, latency_ms=40))
        urls = [doomed, *survivors]
        models = write_fleet(tmp_path / "fleet.toml", urls, concurrency=2)
        proc = subprocess.Popen(
            [sys.executable, "-m", "papertiger", "run", "--models", str(models), "--suite", "aime",
             "--data", str(data_dir), "--forms", "aime2024,aime2025", "--samples", "4",
             "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 60
        while len(stored(db)) < 100 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        victim.close()  # one replica dies mid-run
        killed_at = time.time()
        out, err = proc.communicate(timeout=120)
        logs = {u: u.server.log() for u in urls}
    assert proc.returncode == 0, err
    rows = stored(db)
    assert len(rows) == 480 and len({k for k, _, _ in rows}) == 480
    assert {s for _, s, _ in rows} == {"ok"}
    assert set(ok_per_key(urls).values()) == {1} and len(ok_per_key(urls)) == 480
    assert 0 < sum(e["status"] == 200 for e in logs[doomed]) < 480 / 4  # it died early
    for u in survivors:  # each survivor took requests after the kill
        assert any(e["time"] > killed_at for e in logs[u])
    assert "Endpoints" in out and all(str(u) in out for u in urls)
