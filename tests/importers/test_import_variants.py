"""Every documented file variant (and FORMATS.md's traps) imported into a store, end to end.

The readers' own tests check each variant record by record; these check that each one also
lands as attempts on the right items, with the right samples, text and grades.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from importer_fixtures import (
    DATE,
    flat_row,
    inspect_header,
    inspect_sample,
    lighteval_paths,
    lighteval_row,
    lmeval_entry,
    matharena_row,
    matharena_run,
    write_eval,
    write_jsonl,
    write_lmeval_results,
    write_parquet,
    zstd,
)

from papertiger.importers import ImportSpec, import_files
from papertiger.schema import BenchmarkSet, Problem, Suite
from papertiger.store import open_store

SUITE = Suite(
    name="fx",
    forms=(
        BenchmarkSet(
            name="fx2024",
            problems=tuple(
                Problem(
                    benchmark="fx2024",
                    item_id=f"p{i}",
                    problem=f"Problem {i} text",
                    answer=str(100 + i),
                )
                for i in range(12)
            ),
        ),
    ),
)
Build = Callable[[Path], Path]


def lmeval_old_array(root: Path) -> Path:
    write_lmeval_results(
        root, filters=("strict-match", "flexible-extract"), name="results.json", model=None
    )
    entries = [
        lmeval_entry(i, [f"\\boxed{{{100 + i}}}"], filter_name=None, new_arguments=False)
        for i in (0, 1)
    ] * 2  # all documents for the first filter, then all for the second
    path = root / "pretrained__org__model-7b_aime24.jsonl"
    path.write_text(json.dumps(entries, indent=2))
    return path


def lmeval_k_repeats(root: Path) -> Path:
    write_lmeval_results(root)
    entries = [lmeval_entry(i, ["\\boxed{1}", f"\\boxed{{{100 + i}}}"]) for i in (0, 1)]
    return write_jsonl(root / f"samples_aime24_{DATE}.jsonl", entries)


def inspect_eval(root: Path, **options) -> Path:
    samples = [inspect_sample(i, e, text=f"\\boxed{{{100 + i}}}") for i in (1, 2) for e in (1, 2)]
    return write_eval(root / "a.eval", inspect_header(), samples, **options)


def inspect_json(root: Path) -> Path:
    samples = [inspect_sample(i, e, text=f"\\boxed{{{100 + i}}}") for i in (1, 2) for e in (1, 2)]
    path = root / "a.json"
    path.write_text(json.dumps({**inspect_header(), "samples": samples}))
    return path


def inspect_attachments(root: Path) -> Path:
    sample = inspect_sample(3, 1, text="attachment://t1")
    sample["output"]["choices"][0]["message"]["content"][1]["text"] = "attachment://t1"
    sample["input"] = "attachment://p1"
    sample["attachments"] = {"t1": "\\boxed{103}", "p1": "Problem 3 text"}
    return write_eval(root / "a.eval", inspect_header(), [sample])


def inspect_summaries(root: Path) -> Path:
    summaries = [
        {k: v for k, v in inspect_sample(i, 1).items() if k not in ("output", "messages")}
        for i in (1, 2)
    ]
    return write_eval(
        root / "a.eval", inspect_header(), [], extra_members={"summaries.json": summaries}
    )


def lighteval_details(root: Path, spell: Callable[[str], str] = str) -> Path:
    details, _ = lighteval_paths(root)
    rows = [lighteval_row(i, [f"\\boxed{{{100 + i}}}"], {"extractive_match": 1.0}) for i in (0, 1)]
    return write_parquet(details, [{spell(k): v for k, v in row.items()} for row in rows])


def lighteval_str_cells(root: Path) -> Path:
    rows = [lighteval_row(i, [f"\\boxed{{{100 + i}}}"], {"extractive_match": 1.0}) for i in (0, 1)]
    path = root / f"details_lighteval|aime24|0_{DATE}.parquet"
    return write_parquet(path, [{k: str(v) for k, v in row.items()} for row in rows])


def lighteval_flat(root: Path) -> Path:
    details, _ = lighteval_paths(root)
    rows = [flat_row(i, [f"\\boxed{{{100 + i}}}"], {"quasi_exact_match_math": 1}) for i in (0, 1)]
    return write_parquet(details, rows)


def matharena_zst(root: Path) -> Path:
    path = root / "outputs" / "aime" / "aime_2025" / "moonshot" / "k2" / "4.json.zst"
    path.parent.mkdir(parents=True)
    path.write_bytes(zstd(json.dumps(matharena_run(4)).encode()))
    return path


def matharena_old_json(root: Path) -> Path:
    data = matharena_run(7, runs=1)
    data["idx"] = 6  # older files stored the index one lower; the file name is right
    del data["detailed_costs"]
    path = root / "outputs" / "aime_2024" / "moonshot" / "k2" / "7.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data, indent=4))
    return path


def matharena_rows(root: Path, suffix: str) -> Path:
    rows = [matharena_row(i, j, answer=f"\\boxed{{{100 + i}}}") for i in (1, 2) for j in (0, 1)]
    folder = root / "aime_2025_outputs"
    if suffix == "parquet":
        return write_parquet(folder / "train.parquet", rows)
    return write_jsonl(folder / "train.jsonl", rows)


def table_tsv(root: Path) -> Path:
    path = root / "t.tsv"
    path.write_bytes(
        b"\xef\xbb\xbfModel\tItem\tSample\tText\nm\tp1\t0\t\\boxed{101}\nm\tp1\t1\tno\n"
    )
    return path


# tool, builder, attempts, (item, sample) of one attempt, its graders in write order
VARIANTS: list[tuple[str, str, Build, int, tuple[str, int], list[str]]] = [
    (
        "lm-eval v0.4.2 array, filters by order",
        "lm-eval",
        lmeval_old_array,
        2,
        ("p1", 0),
        ["source:lm-eval", "source:lm-eval:flexible-extract", "integer"],
    ),
    ("lm-eval k repeats", "lm-eval", lmeval_k_repeats, 4, ("p1", 1), ["integer"]),
    ("inspect .eval", "inspect", inspect_eval, 4, ("p2", 1), ["source:inspect", "integer"]),
    (
        "inspect .eval zstd",
        "inspect",
        lambda r: inspect_eval(r, use_zstd=True),
        4,
        ("p2", 1),
        ["source:inspect", "integer"],
    ),
    (
        "inspect unfinished",
        "inspect",
        lambda r: inspect_eval(r, header_name="_journal/start.json"),
        4,
        ("p1", 0),
        ["source:inspect", "integer"],
    ),
    ("inspect .json", "inspect", inspect_json, 4, ("p1", 1), ["source:inspect", "integer"]),
    (
        "inspect attachments",
        "inspect",
        inspect_attachments,
        1,
        ("p3", 0),
        ["source:inspect", "integer"],
    ),
    ("inspect summaries only", "inspect", inspect_summaries, 2, ("p2", 0), ["source:inspect"]),
    (
        "lighteval v0.11",
        "lighteval",
        lighteval_details,
        2,
        ("p1", 0),
        ["source:lighteval", "integer"],
    ),
    (
        "lighteval __doc__",
        "lighteval",
        lambda r: lighteval_details(r, lambda k: f"__{k}__"),
        2,
        ("p0", 0),
        ["source:lighteval", "integer"],
    ),
    (
        "lighteval str cells",
        "lighteval",
        lighteval_str_cells,
        2,
        ("p1", 0),
        ["source:lighteval", "integer"],
    ),
    ("lighteval flat", "lighteval", lighteval_flat, 2, ("p0", 0), ["source:lighteval", "integer"]),
    (
        "matharena .json.zst",
        "matharena",
        matharena_zst,
        2,
        ("p4", 1),
        ["source:matharena", "integer"],
    ),
    (
        "matharena old .json",
        "matharena",
        matharena_old_json,
        1,
        ("p7", 0),
        ["source:matharena", "integer"],
    ),
    (
        "matharena rows parquet",
        "matharena",
        lambda r: matharena_rows(r, "parquet"),
        4,
        ("p2", 1),
        ["source:matharena", "integer"],
    ),
    (
        "matharena rows jsonl",
        "matharena",
        lambda r: matharena_rows(r, "jsonl"),
        4,
        ("p1", 0),
        ["source:matharena", "integer"],
    ),
    ("csv tsv with BOM", "csv", table_tsv, 2, ("p1", 1), ["integer"]),
]


@pytest.mark.parametrize(
    ("tool", "build", "count", "where", "graders"),
    [v[1:] for v in VARIANTS],
    ids=[v[0] for v in VARIANTS],
)
def test_variant_lands_on_the_right_items(
    tmp_path: Path, tool: str, build: Build, count: int, where: tuple[str, int], graders: list[str]
) -> None:
    (tmp_path / "in").mkdir()
    path = build(tmp_path / "in")
    db = tmp_path / "r.db"
    summary = import_files(ImportSpec(tool, (path,), db, suite=SUITE, model="m"))
    (report,) = summary.files
    assert not report.unmatched and (report.new, len(report.prepared.attempts)) == (count, count)
    with open_store(db) as store:
        rows = store.attempts_frame().set_index(["item_id", "sample_index"])
    assert len(rows) == count and set(rows.form) == {"fx2024"}
    row = rows.loc[where]
    con = sqlite3.connect(db)
    try:
        stored = [
            g
            for (g,) in con.execute(
                "SELECT grader FROM grades WHERE attempt_key = ? ORDER BY id", (row.key,)
            )
        ]
    finally:
        con.close()
    assert stored == graders
    if "integer" in graders:
        assert row.grader == "integer" and isinstance(row.text, str)
    assert import_files(ImportSpec(tool, (path,), db, suite=SUITE, model="m")).new == 0
