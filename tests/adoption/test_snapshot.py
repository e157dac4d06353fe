"""The snapshot reader: exact counts on a generated snapshot, in every container format."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest
from synthetic import FAMILIES, Record, expected, tally_by_month, write_snapshot

from papertiger.adoption import scan_snapshot
from papertiger.adoption.records import month_of, parse_line, rfc2822_day
from papertiger.errors import ConfigError, InputError


def test_counts_are_exact(snapshot: Path, records: list[Record]) -> None:
    scan = scan_snapshot(snapshot, FAMILIES)
    truth = expected(records)
    assert tally_by_month(scan.tally, FAMILIES) == truth
    assert scan.records == len(records)
    assert scan.in_scope == sum(c["papers"] for c in truth.values())
    assert scan.malformed == 0 and scan.problems == []
    assert scan.bytes == snapshot.stat().st_size
    # the data has what the test needs: both families, overlaps, near-misses, out-of-scope mentions
    assert sum(c["both"] for c in truth.values()) > 20
    assert any("Ollama" in r.abstract for r in records if r.in_scope())
    assert any(r.families and not r.in_scope() for r in records)


def test_first_version_dates_the_paper(snapshot: Path, records: list[Record]) -> None:
    scan = scan_snapshot(snapshot, FAMILIES)
    months = {m for m, _ in scan.tally}
    assert months == {r.month for r in records if r.in_scope()}  # v2, 400 days later, moves nothing


def test_primary_category_only(snapshot: Path, records: list[Record]) -> None:
    scan = scan_snapshot(snapshot, FAMILIES, primary_only=True)
    assert tally_by_month(scan.tally, FAMILIES) == expected(records, primary_only=True)
    assert scan.in_scope < scan_snapshot(snapshot, FAMILIES).in_scope  # cs.CV cs.CL drops out


def test_other_categories(snapshot: Path, records: list[Record]) -> None:
    scan = scan_snapshot(snapshot, FAMILIES, categories=["math.CO"])
    assert scan.in_scope == sum(1 for r in records if r.categories == "math.CO")


def test_gzip_zip_and_spaced_json_give_the_same_counts(
    tmp_path: Path, records: list[Record], snapshot: Path
) -> None:
    plain = scan_snapshot(snapshot, FAMILIES).tally
    gz = tmp_path / "snapshot.json.gz"
    write_snapshot(gz, records)
    assert gzip.decompress(gz.read_bytes())[:1] == b"{"
    archive = tmp_path / "arxiv.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(snapshot, "arxiv-metadata-oai-snapshot.json")
    spaced = tmp_path / "spaced.json"
    write_snapshot(spaced, records, spaced=True)
    for path in (gz, archive, spaced):
        assert scan_snapshot(path, FAMILIES).tally == plain, path.name


def test_malformed_records_are_reported_by_line_and_skipped(
    tmp_path: Path, records: list[Record]
) -> None:
    path = tmp_path / "bad.json"
    bad = write_snapshot(path, records, bad=True)
    scan = scan_snapshot(path, FAMILIES)
    assert [(p.line, p.field) for p in scan.problems] == bad
    assert scan.malformed == len(bad)
    assert tally_by_month(scan.tally, FAMILIES) == expected(records)  # nothing else lost
    messages = [scan.describe(p) for p in scan.problems]
    assert messages[0].startswith(f"{path}, line {bad[0][0]}: not valid JSON")
    assert f"line {bad[1][0]}, field 'versions': missing" in messages[1]
    assert "cannot read the date 'yesterday'" in messages[3]
    assert "field 'title': expected a string, got null" in messages[4]


def test_a_truncated_out_of_scope_line_is_still_reported(
    tmp_path: Path, records: list[Record]
) -> None:
    line = json.dumps(records[0].snapshot() | {"categories": "hep-ph"}, separators=(",", ":"))
    path = tmp_path / "cut.json"
    path.write_text(line + "\n" + line[:150] + "\n")
    scan = scan_snapshot(path, FAMILIES)
    assert [(p.line, p.field) for p in scan.problems] == [(2, None)]


def test_a_file_without_a_readable_record_is_an_input_error(tmp_path: Path, snapshot: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n")
    with pytest.raises(InputError, match=r"notes.txt, line 1: not valid JSON"):
        scan_snapshot(path, FAMILIES)
    (tmp_path / "empty.json").write_text("")
    with pytest.raises(InputError, match="no records"):
        scan_snapshot(tmp_path / "empty.json", FAMILIES)
    with pytest.raises(InputError, match="cannot open"):
        scan_snapshot(tmp_path / "missing.json", FAMILIES)
    packed = gzip.compress(snapshot.read_bytes())
    (tmp_path / "broken.json.gz").write_bytes(packed[: len(packed) // 2])  # a cut download
    with pytest.raises(InputError, match="cannot read the snapshot"):
        scan_snapshot(tmp_path / "broken.json.gz", FAMILIES)


def test_options_are_checked(snapshot: Path) -> None:
    with pytest.raises(ConfigError, match="no model families"):
        scan_snapshot(snapshot, [])
    with pytest.raises(ConfigError, match="no arXiv categories"):
        scan_snapshot(snapshot, FAMILIES, categories=[" "])
    with pytest.raises(ConfigError, match="defined twice"):
        scan_snapshot(snapshot, [FAMILIES[0], FAMILIES[0]])


def test_progress_reports_bytes_and_records(tmp_path: Path, records: list[Record]) -> None:
    path = tmp_path / "big.json"
    write_snapshot(path, records * 4)  # 12,000 lines: more than one progress step
    calls: list[tuple[int, int, int]] = []
    scan_snapshot(path, FAMILIES, on_progress=lambda *a: calls.append(a))
    size = path.stat().st_size
    assert len(calls) >= 2 and calls[-1] == (size, size, 12_000)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


@pytest.mark.parametrize(
    ("created", "month"),
    [
        ("Mon, 2 Apr 2007 19:18:42 GMT", "2007-04"),
        ("Tue, 31 Dec 2024 23:59:59 GMT", "2024-12"),
        ("2 Jan 2025 00:00:00 GMT", "2025-01"),
        ("2023-09-30", "2023-09"),
        ("2023-09-30T12:00:00Z", "2023-09"),
        ("yesterday", None),
        ("Mon, 2 Foo 2007", None),
    ],
)
def test_month_of(created: str, month: str | None) -> None:
    assert month_of(created) == month


def test_rfc2822_day_round_trips() -> None:
    import datetime as dt

    assert rfc2822_day(dt.date(2007, 4, 2)) == "Mon, 2 Apr 2007 00:00:00 GMT"
    assert month_of(rfc2822_day(dt.date(2024, 2, 29))) == "2024-02"


def test_versions_out_of_order_use_v1() -> None:
    line = json.dumps(
        {
            "id": "x",
            "title": "t",
            "abstract": "a",
            "categories": "cs.CL",
            "versions": [
                {"version": "v2", "created": "Mon, 1 Jul 2024 00:00:00 GMT"},
                {"version": "v1", "created": "Fri, 1 Mar 2024 00:00:00 GMT"},
            ],
        }
    ).encode()
    paper = parse_line(line, 1)
    assert not isinstance(paper, type(None)) and getattr(paper, "month", None) == "2024-03"


def test_concatenated_gzip_members_are_read_whole(tmp_path: Path, snapshot: Path) -> None:
    data = snapshot.read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 1
    path = tmp_path / "two-members.json.gz"
    path.write_bytes(gzip.compress(data[:cut]) + gzip.compress(data[cut:]))
    assert scan_snapshot(path, FAMILIES).tally == scan_snapshot(snapshot, FAMILIES).tally
