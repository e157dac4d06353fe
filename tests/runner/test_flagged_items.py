"""Near-duplicate flags change the report: a "without flagged items" row, and
`--exclude-flagged` runs every section without them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from papertiger.cli import main
from papertiger.store import open_store
from papertiger.store.flags import FlagRow


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str):
    monkeypatch.setattr(sys, "argv", ["papertiger", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _flag(db: Path, items: list[tuple[str, str]]) -> None:
    import inspect

    fields = set(inspect.signature(FlagRow).parameters)
    rows = []
    for form, item in items:
        values = {"suite": "aime", "form": form, "item_id": item, "source_id": "aime2024-I-01",
                  "source_form": "aime2024", "overlap": 0.9, "cosine": 0.95, "marked": True,
                  "verdict": None, "judge_model": None, "rank": 1, "pair_hash": "h", "judge_key": None}
        rows.append(FlagRow(**{k: v for k, v in values.items() if k in fields}))
    with open_store(db) as store:
        store.put_item_flags("aime", rows)


def test_flagged_items_show_and_can_be_left_out(tmp_path, data_dir, monkeypatch, capsys) -> None:
    db = tmp_path / "f.db"
    code, _, err = cli(monkeypatch, capsys, "run", "--provider", "scripted", "--data", str(data_dir),
                       "--forms", "aime2024,aime2025", "--samples", "2", "--db", str(db))
    assert code == 0, err
    flagged = [("aime2025", f"aime2025-I-{n:02d}") for n in (1, 2, 3)]
    _flag(db, flagged)
    code, out, err = cli(monkeypatch, capsys, "report", "--db", str(db), "--format", "json")
    assert code == 0, err
    (section,) = json.loads(out)["sections"]
    wf = section["without_flagged"]
    assert wf is not None and len(wf["items"]) == 3
    assert wf["difference"] is not None and wf["difference_all"] is not None
    assert wf["difference"] != wf["difference_all"]
    equating = next(x for x in json.loads(out)["extras"] if x["section"].startswith("Rasch equating"))
    ewf = equating["without_flagged"]
    assert ewf is not None and len(ewf["items"]) == 3
    assert ewf["gamma"] is not None and ewf["gamma_all"] is not None
    assert ewf["gamma"] != ewf["gamma_all"]
    code, out, _ = cli(monkeypatch, capsys, "report", "--db", str(db))
    assert "without 3 flagged near-duplicate items" in out
    assert "γ without flagged items" in out
    code, out, err = cli(monkeypatch, capsys, "report", "--db", str(db), "--exclude-flagged",
                         "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert any("--exclude-flagged: 3 items" in n for n in data["notes"])
    fresh = [m for m in data["metrics"] if m["form"] == "aime2025"]
    assert {m["items"] for m in fresh} == {27}  # three items left out of every section
    assert data["sections"][0]["without_flagged"] is None
    equating = next(x for x in data["extras"] if x["section"].startswith("Rasch equating"))
    assert equating["without_flagged"] is None  # nothing flagged is left to leave out
