"""The OAI-PMH harvester against a loopback server: tokens, 503s, drops, resume, kill -9."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from oai_server import OaiServer
from synthetic import FAMILIES, Record, write_snapshot

from papertiger.adoption import HarvestOptions, HarvestProgress, harvest, scan_snapshot, state_path
from papertiger.adoption.oai import parse_page
from papertiger.errors import ConfigError, FatalProviderError, InputError, RetryableError

START = dt.date(2024, 1, 1)


class Sleeps:
    """An asyncio.sleep stand-in that records how long it was asked to wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class Stop(Exception):
    """Raised from on_page to interrupt a harvest after some pages."""


def options(server: OaiServer, **kw: object) -> HarvestOptions:
    return dataclasses.replace(HarvestOptions(START, base_url=server.url, delay=0), **kw)  # type: ignore[arg-type]


def ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


@pytest.fixture
def small(records: list[Record]) -> list[Record]:
    """400 records, a few deleted, served 50 a page (8 pages)."""
    chosen = [dataclasses.replace(r) for r in records[:400]]
    for r in chosen[::97]:
        r.deleted = True
    return chosen


def live_ids(records: list[Record]) -> list[str]:
    return [r.id for r in records if not r.deleted]


def test_harvest_follows_tokens_through_503_and_a_dropped_connection(
    tmp_path: Path, small: list[Record]
) -> None:
    out, sleeps = tmp_path / "cs.jsonl", Sleeps()
    with OaiServer(small) as server:
        server.faults = {1: ["503"], 3: ["drop"], 5: ["503", "drop"]}
        result = harvest(out, options(server), sleep=sleeps)
    assert ids(out) == live_ids(small)  # every record, once, in order
    assert result.complete and result.pages == 8 and result.written == len(live_ids(small))
    assert result.deleted == 5 and result.retries == 4 and result.duplicates == 0
    assert sleeps.calls.count(7.0) == 2  # the server's Retry-After, honoured
    assert 1.0 in sleeps.calls  # backoff after the dropped connection
    first = server.requests[0]
    assert first == {
        "verb": "ListRecords",
        "metadataPrefix": "arXiv",
        "from": "2024-01-01",
        "set": "cs",
    }
    assert all(set(q) == {"verb", "resumptionToken"} for q in server.requests[1:])
    state = json.loads(state_path(out).read_text())
    assert state["complete"] and state["token"] is None and state["size"] == out.stat().st_size


def test_requests_are_paced_by_the_delay(tmp_path: Path, small: list[Record]) -> None:
    sleeps = Sleeps()
    with OaiServer(small, page_size=100) as server:
        harvest(tmp_path / "out.jsonl", options(server, delay=3.0), sleep=sleeps)
    assert len(server.requests) == 4
    assert len(sleeps.calls) == 3 and all(2.5 < s <= 3.0 for s in sleeps.calls)


def test_harvested_records_read_like_the_snapshot(tmp_path: Path, small: list[Record]) -> None:
    out = tmp_path / "cs.jsonl"
    with OaiServer(small) as server:
        harvest(out, options(server))
    snapshot = tmp_path / "snapshot.json"
    write_snapshot(snapshot, small)
    assert scan_snapshot(out, FAMILIES).tally == scan_snapshot(snapshot, FAMILIES).tally
    first = json.loads(out.read_text().splitlines()[0])
    assert list(first)[:4] == ["id", "submitter", "authors", "title"]
    assert first["versions"][0]["version"] == "v1" and first["versions"][0]["created"].endswith(
        "00:00:00 GMT"
    )
    assert first["authors"] == "Ann Author, Bo Writer" and first["authors_parsed"][0] == [
        "Author",
        "Ann",
        "",
    ]
    assert first["update_date"] == "2025-01-02"


def test_resume_after_an_interruption_cuts_a_torn_tail(tmp_path: Path, small: list[Record]) -> None:
    out = tmp_path / "cs.jsonl"

    def stop_after_three(p: HarvestProgress) -> None:
        if p.pages == 3:
            raise Stop

    with OaiServer(small) as server:
        with pytest.raises(Stop):
            harvest(out, options(server), on_page=stop_after_three)
        saved = json.loads(state_path(out).read_text())
        assert saved["token"] == "page-3" and not saved["complete"]
        with out.open("ab") as handle:  # what a kill during the next append would leave
            handle.write(out.read_bytes().splitlines(keepends=True)[0])
            handle.write(b'{"id":"2401.0000')
        before = len(server.requests)
        result = harvest(out, options(server))
        assert server.requests[before] == {"verb": "ListRecords", "resumptionToken": "page-3"}
    assert result.resumed and result.truncated_bytes > 0 and result.complete
    assert ids(out) == live_ids(small)


def test_rerun_of_a_complete_harvest_asks_nothing(tmp_path: Path, small: list[Record]) -> None:
    out = tmp_path / "cs.jsonl"
    with OaiServer(small) as server:
        harvest(out, options(server))
        count = len(server.requests)
        again = harvest(out, options(server))
        assert len(server.requests) == count
        assert again.complete and again.written == len(live_ids(small))
        restarted = harvest(out, options(server, restart=True))  # asks again, writes nothing twice
        assert restarted.duplicates == len(live_ids(small)) and restarted.written == 0
    assert ids(out) == live_ids(small)


def test_expired_token_says_how_to_go_on(tmp_path: Path, small: list[Record]) -> None:
    out = tmp_path / "cs.jsonl"
    with OaiServer(small) as server:
        server.faults = {2: ["expire"]}
        with pytest.raises(ConfigError, match="--restart"):
            harvest(out, options(server))
        result = harvest(out, options(server, restart=True))
    assert result.complete and ids(out) == live_ids(small)


def test_state_from_another_harvest_is_refused(tmp_path: Path, small: list[Record]) -> None:
    out = tmp_path / "cs.jsonl"
    with OaiServer(small) as server:
        harvest(out, options(server))
        with pytest.raises(ConfigError, match="belongs to another harvest"):
            harvest(out, options(server, set_spec="math"))
    state_path(out).write_text("{not json")
    with pytest.raises(InputError, match="unreadable harvest state"):
        harvest(out, HarvestOptions(START, base_url="http://127.0.0.1:9/oai"))


def test_giving_up_keeps_what_was_harvested(tmp_path: Path, small: list[Record]) -> None:
    out = tmp_path / "cs.jsonl"
    with OaiServer(small) as server:
        server.faults = {2: ["503"] * 10}
        with pytest.raises(RetryableError, match="gave up after 3 tries.*rerun"):
            harvest(out, options(server, retries=2), sleep=Sleeps())
        assert len(ids(out)) == 100 - sum(r.deleted for r in small[:100])
        server.faults = {}
        assert harvest(out, options(server)).complete
    assert ids(out) == live_ids(small)


def test_http_errors_and_bad_options(tmp_path: Path, small: list[Record]) -> None:
    with OaiServer(small) as server:
        with pytest.raises(FatalProviderError, match="HTTP 404"):
            harvest(tmp_path / "a.jsonl", options(server, base_url=server.url + "/nothing"))
        with pytest.raises(ConfigError, match="OAI-PMH error badArgument"):
            harvest(tmp_path / "b.jsonl", options(server, prefix="arXivRaw"))
    with pytest.raises(ConfigError, match="plain JSON Lines"):
        harvest(tmp_path / "c.jsonl.gz", HarvestOptions(START))
    with pytest.raises(ConfigError, match="--until is before --from"):
        harvest(tmp_path / "d.jsonl", HarvestOptions(START, until=dt.date(2023, 1, 1)))
    with pytest.raises(ConfigError, match="metadata-prefix"):
        harvest(tmp_path / "e.jsonl", HarvestOptions(START, prefix="oai_dc"))


def test_parse_page_records_problems_and_raw_format() -> None:
    body = b"""<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>
      <record><header><identifier>oai:arXiv.org:2401.1</identifier></header><metadata>
        <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>2401.1</id><submitter>A</submitter>
        <version version="v1"><date>Mon, 1 Jan 2024 10:00:00 GMT</date></version>
        <version version="v2"><date>Fri, 1 Mar 2024 10:00:00 GMT</date></version>
        <title>Qwen &amp; friends</title><authors>A. B</authors><categories>cs.CL</categories>
        <abstract>We use Qwen.</abstract></arXivRaw></metadata></record>
      <record><header><identifier>oai:arXiv.org:2401.2</identifier></header><metadata>
        <arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/"><id>2401.2</id><categories>cs.CL</categories>
        </arXivRaw></metadata></record>
      <resumptionToken completeListSize="2" cursor="0"></resumptionToken></ListRecords></OAI-PMH>"""
    page = parse_page(body, "arXivRaw")
    assert page.token is None and page.complete_list_size == 2
    assert [r["id"] for r in page.records] == ["2401.1"]
    assert page.records[0]["title"] == "Qwen & friends" and len(page.records[0]["versions"]) == 2
    assert page.records[0]["update_date"] == "2024-03-01"
    assert page.problems == ["oai:arXiv.org:2401.2: field 'version' is missing or has no date"]
    with pytest.raises(RetryableError, match="not well-formed"):
        parse_page(b"<OAI-PMH><ListRec")
    empty = b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error code="noRecordsMatch"/></OAI-PMH>'
    assert parse_page(empty).records == [] and parse_page(empty).token is None


@pytest.mark.slow
def test_harvest_resumes_after_kill_minus_9(tmp_path: Path, small: list[Record]) -> None:
    out = tmp_path / "cs.jsonl"
    with OaiServer(small) as server:
        server.faults = {3: ["block"]}
        command = [
            sys.executable,
            "-m",
            "papertiger",
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
            "--no-progress",
        ]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not any(q.get("resumptionToken") == "page-3" for q in server.requests):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the harvester never asked for page 3"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
        if proc.stderr:
            proc.stderr.close()
        saved = json.loads(state_path(out).read_text())
        assert saved["pages"] == 3 and saved["token"] == "page-3"
        server.faults = {}
        server.release()
        result = harvest(out, options(server))
    assert result.resumed and result.complete and result.duplicates == 0
    assert ids(out) == live_ids(small)
