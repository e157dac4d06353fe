"""The shared reading helpers: streamed JSON arrays, Python-literal cells, coercions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papertiger.errors import InputError
from papertiger.importers import _io
from papertiger.importers._io import Spot, iter_json_array, parse_cell, verdict

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_json, max_size=6), st.sampled_from([None, 2]))
def test_array_stream_matches_json_load(
    tmp_path_factory: pytest.TempPathFactory, items: list, indent: int | None
) -> None:
    path = tmp_path_factory.mktemp("arr") / "a.json"
    path.write_text(json.dumps(items, indent=indent), encoding="utf-8")
    assert [value for _, value in iter_json_array(path)] == items


def test_array_stream_across_small_chunks_keeps_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_io, "_CHUNK", 7)
    items = [{"doc_id": i, "text": "x" * 30, "n": 12345678} for i in range(3)]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(items, indent=2), encoding="utf-8")
    streamed = list(iter_json_array(path))
    assert [value for _, value in streamed] == items
    assert [line for line, _ in streamed] == [2, 7, 12]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1}', "expected a JSON array"),
        ("[1, 2", "expected ',' or ']'"),
        ("[1 2]", "expected ',' or ']'"),
        ("[1, ]", "not valid JSON"),
        ("[1] x", "unexpected text after"),
    ],
)
def test_array_stream_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        list(iter_json_array(path))


def test_python_literal_cells_parse_without_executing() -> None:
    spot = Spot("f.parquet", label="row 1")
    text = (
        "{'query': 'a <b> c', 'sampling_methods': [<SamplingMethod.GENERATIVE: 1>], "
        "'value': np.float64(0.5), 'n': -3, 'ok': True, 'none': None, 'q': \"it's\"}"
    )
    parsed = parse_cell(text, spot, "doc", dict)
    assert parsed == {
        "query": "a <b> c",
        "sampling_methods": ["<SamplingMethod.GENERATIVE: 1>"],
        "value": 0.5,
        "n": -3,
        "ok": True,
        "none": None,
        "q": "it's",
    }
    assert parse_cell('["a", "b"]', spot, "text", list) == ["a", "b"]
    assert parse_cell(("a",), spot, "text", list) == ["a"]
    with pytest.raises(InputError, match="row 1: expected a dict"):
        parse_cell("__import__('os').system('true')", spot, "doc", dict)


def test_verdicts() -> None:
    assert verdict(True) == (True, 1.0)
    assert verdict(0) == (False, 0.0)
    assert verdict(0.25) == (None, 0.25)
    assert verdict("yes") == (True, 1.0)
    assert verdict("maybe") == (None, None)
    assert verdict(float("nan")) == (None, None)
