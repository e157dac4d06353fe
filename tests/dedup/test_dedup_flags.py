"""Stored flags: the item_flags table, replacing a suite's rows, carried verdicts, `--db`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from dedup_cases import swap_numbers
from dedup_cli_helpers import shared_rows, write_corpus

from papertiger.errors import StoreError
from papertiger.store import open_store
from papertiger.store.flags import (
    FLAG_COLUMNS,
    FlagRow,
    create_flags_table,
    flagged_items,
    read_flags,
    replace_flags,
)


def row(item: str, source: str, *, marked: bool = True, verdict: str | None = None,
        pair_hash: str = "h", suite: str = "aime") -> FlagRow:
    return FlagRow(suite=suite, form="aime2025", item_id=item, source_form="aime2024",
                   source_id=source, overlap=0.9 if marked else 0.1, cosine=None, marked=marked,
                   rank=1, pair_hash=pair_hash, verdict=verdict,
                   judge_model="j" if verdict else None, judge_key="b2:k" if verdict else None)


@pytest.fixture
def conn() -> sqlite3.Connection:
    c = sqlite3.connect(":memory:")
    create_flags_table(c)
    create_flags_table(c)  # safe twice
    return c


def test_the_table_has_the_documented_columns(conn: sqlite3.Connection) -> None:
    columns = [r[1] for r in conn.execute("PRAGMA table_info(item_flags)")]
    assert tuple(columns) == FLAG_COLUMNS
    keys = [r[1] for r in sorted(conn.execute("PRAGMA table_info(item_flags)"), key=lambda r: r[5]) if r[5]]
    assert keys == ["suite", "form", "item_id", "source_form", "source_id"]


def test_replace_writes_reads_and_replaces_a_whole_suite(conn: sqlite3.Connection) -> None:
    assert replace_flags(conn, "aime", [row("a", "x"), row("b", "y", marked=False)]) == 2
    replace_flags(conn, "hmmt", [row("a", "x", suite="hmmt")])
    frame = read_flags(conn, "aime")
    assert list(frame["item_id"]) == ["a", "b"] and list(frame["marked"]) == [True, False]
    replace_flags(conn, "aime", [row("c", "z")])
    assert list(read_flags(conn, "aime")["item_id"]) == ["c"]  # a's and b's pairs are gone
    assert list(read_flags(conn, "hmmt")["item_id"]) == ["a"]  # other suites untouched
    assert len(read_flags(conn)) == 2


def test_a_verdict_survives_a_rerun_only_while_the_texts_are_unchanged(
    conn: sqlite3.Connection,
) -> None:
    replace_flags(conn, "aime", [row("a", "x", verdict="same"), row("b", "y", verdict="same")])
    replace_flags(conn, "aime", [row("a", "x"), row("b", "y", pair_hash="edited")])
    frame = read_flags(conn, "aime").set_index("item_id")
    assert frame.loc["a", "verdict"] == "same" and frame.loc["a", "judge_model"] == "j"
    assert frame.loc["a", "judge_key"] == "b2:k"
    assert pd.isna(frame.loc["b", "verdict"])  # b's text changed: its verdict is not carried
    replace_flags(conn, "aime", [row("a", "x", verdict="different")])
    assert read_flags(conn, "aime")["verdict"].tolist() == ["different"]  # new verdicts win


def test_flagged_items_are_marked_and_not_judged_different(conn: sqlite3.Connection) -> None:
    replace_flags(conn, "aime", [
        row("a", "x"),                          # marked, not judged: flagged
        row("b", "x", verdict="same"),          # judged the same: flagged
        row("c", "x", verdict="unclear"),       # judge unsure: still flagged
        row("d", "x", verdict="different"),     # cleared by the judge
        row("e", "x", marked=False),            # not marked
        row("f", "x", verdict="different"),     # one pair cleared ...
        row("f", "y"),                          # ... another still marked: flagged
    ])
    assert flagged_items(conn, "aime") == {("aime2025", i) for i in ("a", "b", "c", "f")}


def test_bad_rows_are_refused_and_nothing_is_lost(conn: sqlite3.Connection) -> None:
    replace_flags(conn, "aime", [row("a", "x")])
    with pytest.raises(StoreError, match="duplicate flag row"):
        replace_flags(conn, "aime", [row("b", "x"), row("b", "x")])
    with pytest.raises(StoreError, match="unknown verdict 'maybe'"):
        replace_flags(conn, "aime", [row("b", "x", verdict="maybe")])
    with pytest.raises(StoreError, match="suite 'hmmt' given while replacing 'aime'"):
        replace_flags(conn, "aime", [row("b", "x", suite="hmmt")])
    assert list(read_flags(conn, "aime")["item_id"]) == ["a"]


def _stored(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT form, item_id, source_form, source_id, marked, rank FROM item_flags"
            " ORDER BY form, item_id, rank").fetchall()
    finally:
        con.close()


def test_db_stores_every_ranked_pair_and_a_rerun_replaces_them(
    cli, shared_data: Path, tmp_path: Path
) -> None:
    r2025 = {r["id"]: r for r in shared_rows(shared_data, "aime_2025")}
    corpus = write_corpus(tmp_path / "older.jsonl", [
        {"id": "old-1", "problem": swap_numbers(r2025["aime2025-I-01"]["problem"], 1),
         "date": "2019-03-01"}])
    db = tmp_path / "results.db"
    base = ("dedup", "--suite", "aime", "--data", str(shared_data), "--lexical-only",
            "--db", str(db), "--format", "json")
    first = cli(*base, "--corpus", str(corpus))
    assert first.returncode == 0, first.stderr
    rows = _stored(db)
    assert ("aime2025", "aime2025-I-01", "older", "old-1", 1, 1) in rows
    assert len(rows) == len(set(rows)) and sum(r[4] for r in rows) == 1
    again = cli(*base, "--corpus", str(corpus))
    assert again.returncode == 0 and _stored(db) == rows  # idempotent
    without = cli(*base)
    assert without.returncode == 0
    left = _stored(db)
    assert not any(r[2] == "older" for r in left) and sum(r[4] for r in left) == 0
    with open_store(db) as store:  # still a papertiger store, attempts untouched
        assert store.count_attempts() == 0
    con = sqlite3.connect(db)
    try:
        assert flagged_items(con, "aime") == frozenset()
    finally:
        con.close()
