"""A store written by papertiger 0.1 (schema 0001) opens, reports and exports after 0002."""

from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path

import pandas as pd

from papertiger.analysis import AttemptSource, build_report
from papertiger.schema import SamplingParams, condition_id
from papertiger.store import export, open_store
from papertiger.store.migrations import MIGRATIONS, applied_migrations, migrate

SAMPLING = SamplingParams(temperature=0.6).model_dump_json()  # as 0.1 stored it
SPEC = {
    "suite": "aime", "old": "aime2024", "fresh": "aime2025", "fresh_released": "2025-02-06",
    "samples": 2, "prompt": {"name": "boxed", "hash": "h-boxed"},
    "models": [
        {"name": "m-cn", "group": "CN", "lab": "Lab A", "temperature": 0.6, "extra": {}},
        {"name": "m-us", "group": "US", "lab": "Lab B", "temperature": 0.6, "extra": {}},
    ],
}


def _old_store(path: Path) -> int:
    """Write a 0001 store the way 0.1 did: attempts with roles, grades, one run."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA application_id = 1886677351")
    migrate(conn, MIGRATIONS[:1])
    conn.execute(
        "INSERT INTO runs (run_id, started_at, finished_at, outcome, argv_json, spec_json)"
        " VALUES ('r1', '2025-08-01T00:00:00.000000+00:00', '2025-08-01T01:00:00.000000+00:00',"
        " 'completed', '[]', ?)", (json.dumps(SPEC),))
    rows = grades = 0
    for model, skill in (("m-cn", (0.8, 0.4)), ("m-us", (0.7, 0.65))):
        for role, bench, p in (("old", "aime2024", skill[0]), ("fresh", "aime2025", skill[1])):
            for item in range(10):
                for sample in range(2):
                    key = f"{model}-{bench}-{item}-{sample}"
                    correct = int((item * 2 + sample) / 20 < p)
                    conn.execute(
                        "INSERT INTO attempts (key, run_id, model, endpoint_model, base_url, suite,"
                        " benchmark, role, item_id, sample_index, seed, prompt_name, prompt_hash,"
                        " sampling_json, status, text, finish_reason, prompt_tokens,"
                        " completion_tokens, latency_s, retries, raw, created_at)"
                        " VALUES (?, 'r1', ?, ?, 'http://x/v1', 'aime', ?, ?, ?, ?, ?, 'boxed',"
                        " 'h-boxed', ?, 'ok', 'The answer is \\boxed{1}.', 'stop', 50, 500, 1.5, 0,"
                        " ?, '2025-08-01T00:10:00.000000+00:00')",
                        (key, model, model, bench, role, f"{bench}-{item:02d}", sample, sample,
                         SAMPLING, zlib.compress(b"data: [DONE]\n\n")))
                    conn.execute(
                        "INSERT INTO grades (attempt_key, grader, version, extracted, correct,"
                        " method, fallback, truncated, created_at) VALUES (?, 'integer', '1',"
                        " '1', ?, 'boxed', ?, 0, '2025-08-01T00:10:00.000000+00:00')",
                        (key, correct, int(sample == 1)))
                    rows += 1
                    grades += 1
    conn.close()
    return rows


def test_a_0001_store_opens_reports_and_exports(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    count = _old_store(path)
    with open_store(path) as store:
        assert store.count_attempts() == count  # nothing lost
        frame = store.attempts_frame()
        exported = pd.read_parquet(export(store, tmp_path / "old.parquet"))
    conn = sqlite3.connect(path)
    assert applied_migrations(conn) == [m.name for m in MIGRATIONS]
    conn.close()
    assert set(frame["form"]) == {"aime2024", "aime2025"}
    assert set(frame["task"]) == {"solve"} and set(frame["source"]) == {"papertiger"}
    expected = condition_id("solve", "h-boxed", SAMPLING, 0)
    assert set(frame["condition"]) == {expected}  # one condition, as the new runner names it
    assert frame["correct"].notna().all() and set(frame["score"]) == {0.0, 1.0}
    assert frame["flags"].str.contains("fallback").sum() == count // 2  # flags carried over
    fresh = frame[frame["form"] == "aime2025"]["form_released"]
    assert set(fresh) == {"2025-02-06"}  # the fresh date 0.1 recorded in the run
    assert len(exported) == count and exported.loc[0, "raw"] == "data: [DONE]\n\n"
    report = build_report(AttemptSource(path))
    (section,) = report.shrinkage
    assert (section.old_label, section.fresh_label) == ("aime2024", "aime2025")
    assert {m.model for m in section.models} == {"m-cn", "m-us"}
    cn = next(m for m in section.models if m.model == "m-cn")
    assert cn.group == "Chinese" and round(cn.pp_fall) == -40
    assert section.fresh_released is not None and section.fresh_released.isoformat() == "2025-02-06"
