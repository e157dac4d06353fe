"""The reader registry, guessing a tool from a file name, finding files under a folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from importer_fixtures import (
    DATE,
    inspect_header,
    inspect_sample,
    lmeval_entry,
    write_eval,
    write_jsonl,
)

from papertiger.errors import InputError
from papertiger.importers import (
    READERS,
    TOOLS,
    ImportedSample,
    find_files,
    guess_tool,
    read,
    read_all,
)


def test_every_tool_has_a_reader() -> None:
    assert tuple(READERS) == TOOLS == ("lm-eval", "inspect", "lighteval", "matharena", "csv")


def test_unknown_tool_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown tool 'helm'; expected one of: lm-eval, inspect"):
        read("helm", tmp_path / "x")


@pytest.mark.parametrize(
    ("name", "tool"),
    [
        ("2025-06-01T12-30-45_aime_abc.eval", "inspect"),
        (f"samples_aime24_{DATE}.jsonl", "lm-eval"),
        (f"details_lighteval|aime24|0_{DATE}.parquet", "lighteval"),
        ("12.json.zst", "matharena"),
        ("12.json", "matharena"),
        ("browser.csv", "csv"),
        ("notes.txt", None),
    ],
)
def test_guess_tool(name: str, tool: str | None) -> None:
    assert guess_tool(name) == tool


def test_find_files_under_a_folder(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_eval(logs / "a.eval", inspect_header(), [inspect_sample(1, 1)])
    (logs / "b.json").write_text(json.dumps({**inspect_header(), "samples": []}), encoding="utf-8")
    (logs / "logs.json").write_text("{}", encoding="utf-8")
    assert [p.name for p in find_files("inspect", logs)] == ["a.eval", "b.json"]
    assert find_files("inspect", logs / "a.eval") == [logs / "a.eval"]
    outputs = tmp_path / "outputs" / "aime" / "aime_2025" / "m"
    outputs.mkdir(parents=True)
    (outputs / "1.json.zst").write_bytes(b"")
    (outputs / "2.json").write_text("{}", encoding="utf-8")
    (outputs / "notes.json").write_text("{}", encoding="utf-8")
    assert [p.name for p in find_files("matharena", tmp_path / "outputs")] == [
        "1.json.zst",
        "2.json",
    ]
    with pytest.raises(InputError, match="no such file or folder"):
        find_files("csv", tmp_path / "nope")


def test_read_streams_and_records_are_frozen(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / f"samples_aime24_{DATE}.jsonl", [lmeval_entry(0, ["a", "b"])])
    stream = read("lm-eval", path)
    first = next(stream)
    assert isinstance(first, ImportedSample) and next(stream).sample_index == 1
    with pytest.raises(AttributeError):
        first.correct = True  # type: ignore[misc]
    with pytest.raises(TypeError):
        first.extra["x"] = 1  # type: ignore[index]
    assert hash(first) == hash(read_all("lm-eval", path)[0])
    with pytest.raises(ValueError, match="sample_index"):
        ImportedSample("csv", "f", "line 1", None, None, "1", -1)
