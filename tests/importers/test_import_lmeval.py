"""lm-eval samples files: JSON Lines, the v0.4.2 array, repeats, filters, the results file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from importer_fixtures import DATE, lmeval_entry, write_jsonl, write_lmeval_results

from papertiger.errors import InputError
from papertiger.importers import read_all


def _samples(folder: Path, entries: list[dict]) -> Path:
    return write_jsonl(folder / f"samples_aime24_{DATE}.jsonl", entries)


def test_jsonl_record_field_by_field(tmp_path: Path) -> None:
    write_lmeval_results(tmp_path)
    path = _samples(tmp_path, [lmeval_entry(0, ["The answer is 100."], filtered="100")])
    (sample,) = read_all("lm-eval", path)
    assert sample.source_tool == "lm-eval"
    assert sample.source_file == str(path)
    assert sample.source_locator == "line 1"
    assert (sample.model, sample.task, sample.item_key, sample.sample_index) == (
        "org/model-7b",
        "aime24",
        "0",
        0,
    )
    assert (sample.problem, sample.gold, sample.prompt) == (
        "Problem 0 text",
        "100",
        "Solve: problem 0",
    )
    assert (sample.filter, sample.response, sample.extracted) == (
        "none",
        "The answer is 100.",
        "100",
    )
    assert (sample.correct, sample.score, sample.metric) == (True, 1.0, "exact_match")
    assert sample.reasoning is None and sample.prompt_tokens is None and sample.error is None
    assert sample.extra["doc_hash"] == "dh0" and sample.extra["metrics"] == {"exact_match": 1.0}


def test_all_k_repeats_come_from_resps(tmp_path: Path) -> None:
    write_lmeval_results(tmp_path)
    path = _samples(tmp_path, [lmeval_entry(3, ["a", "b", "c", "d"], metrics={"exact_match": 0.0})])
    samples = read_all("lm-eval", path)
    assert [s.sample_index for s in samples] == [0, 1, 2, 3]
    assert [s.response for s in samples] == ["a", "b", "c", "d"]
    # a per-document value is not a verdict on each repeat; it is kept aside
    assert {s.correct for s in samples} == {None} and {s.metric for s in samples} == {None}
    assert samples[0].extra["metrics"] == {"exact_match": 0.0}
    assert samples[0].extra["filtered_response"] == "a"


def test_two_filters_keep_every_repeat_of_each(tmp_path: Path) -> None:
    write_lmeval_results(tmp_path, filters=("strict-match", "maj@4"))
    entries = [
        lmeval_entry(0, ["1", "2", "2", "2"], filter_name="strict-match", filtered="1"),
        lmeval_entry(0, ["1", "2", "2", "2"], filter_name="maj@4", filtered="2"),
        lmeval_entry(1, ["5", "5", "6", "5"], filter_name="strict-match", filtered="5"),
        lmeval_entry(1, ["5", "5", "6", "5"], filter_name="maj@4", filtered="5"),
    ]
    samples = read_all("lm-eval", _samples(tmp_path, entries))
    assert len(samples) == 16
    by_filter = {
        (s.filter, s.item_key): [
            x.response for x in samples if (x.filter, x.item_key) == (s.filter, s.item_key)
        ]
        for s in samples
    }
    assert by_filter[("maj@4", "0")] == ["1", "2", "2", "2"]
    assert by_filter[("strict-match", "1")] == ["5", "5", "6", "5"]


def test_old_array_without_filter_field_is_split_by_order(tmp_path: Path) -> None:
    """v0.4.2: one pretty-printed array, no `filter`; all docs for filter 1, then filter 2."""
    write_lmeval_results(
        tmp_path, filters=("strict-match", "flexible-extract"), name="results.json", model=None
    )
    entries = [
        lmeval_entry(0, ["x0"], filter_name=None, filtered="0", new_arguments=False),
        lmeval_entry(1, ["x1"], filter_name=None, filtered="1", new_arguments=False),
        lmeval_entry(0, ["x0"], filter_name=None, filtered="100", new_arguments=False),
        lmeval_entry(1, ["x1"], filter_name=None, filtered="101", new_arguments=False),
    ]
    path = tmp_path / "pretrained__org__model-7b_aime24.jsonl"
    path.write_text(json.dumps(entries, indent=2), encoding="utf-8")
    samples = read_all("lm-eval", path)
    assert [(s.item_key, s.filter, s.extracted) for s in samples] == [
        ("0", "strict-match", "0"),
        ("1", "strict-match", "1"),
        ("0", "flexible-extract", "100"),
        ("1", "flexible-extract", "101"),
    ]
    # model from config.model_args (no model_name in old results), task from the file name
    assert {s.model for s in samples} == {"org/model-7b"}
    assert {s.task for s in samples} == {"aime24"}
    assert samples[0].prompt == "Solve: problem 0"
    assert (
        samples[2].source_locator.startswith("line ") and samples[2].extra["filter_position"] == 1
    )


def test_without_results_file_model_is_unknown_and_filters_numbered(tmp_path: Path) -> None:
    entries = [
        lmeval_entry(0, ["a"], filter_name=None),
        lmeval_entry(0, ["a"], filter_name=None),
    ]
    samples = read_all("lm-eval", write_jsonl(tmp_path / f"samples_aime25_{DATE}.jsonl", entries))
    assert [s.filter for s in samples] == [None, "#2"]
    assert {s.model for s in samples} == {None} and {s.task for s in samples} == {"aime25"}


def test_results_with_dict_model_args_and_other_run_in_folder(tmp_path: Path) -> None:
    write_lmeval_results(tmp_path, model=None, model_args={"model": "gpt-4o", "base_url": "x"})
    write_lmeval_results(tmp_path, model="other", name="results_2024-01-01T00-00-00.json")
    (sample,) = read_all("lm-eval", _samples(tmp_path, [lmeval_entry(0, ["a"])]))
    assert sample.model == "gpt-4o"  # the results file of the same date wins


def test_capitalised_doc_keys_and_missing_metrics(tmp_path: Path) -> None:
    entry = lmeval_entry(4, ["t"], problem_key="Problem", metrics={})
    (sample,) = read_all("lm-eval", _samples(tmp_path, [entry]))
    assert sample.problem == "Problem 4 text"
    assert (sample.correct, sample.score, sample.metric) == (None, None, None)


def test_empty_file_gives_nothing(tmp_path: Path) -> None:
    path = tmp_path / f"samples_aime24_{DATE}.jsonl"
    path.write_text("\n", encoding="utf-8")
    assert read_all("lm-eval", path) == []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"doc_id": None}, "doc_id", "required field is missing"),
        ({"resps": "oops"}, "resps", "expected a list of generated responses"),
        ({"resps": [["a"], ["b"]]}, "resps", "one generation request per document"),
        ({"resps": [[["-1.5", "False"]]]}, "resps", "log-likelihoods"),
        ({"resps": [[3]]}, "resps", "expected generated text"),
        ({"filter": 7}, "filter", "expected a filter name"),
    ],
)
def test_malformed_entries_name_line_and_field(
    tmp_path: Path, change: dict, field: str, message: str
) -> None:
    bad = {**lmeval_entry(1, ["b"]), **change}
    path = _samples(tmp_path, [lmeval_entry(0, ["a"]), bad])
    with pytest.raises(InputError, match=message) as caught:
        read_all("lm-eval", path)
    assert (caught.value.path, caught.value.line, caught.value.field) == (str(path), 2, field)


def test_duplicate_doc_and_filter_is_an_error(tmp_path: Path) -> None:
    path = _samples(tmp_path, [lmeval_entry(0, ["a"]), lmeval_entry(0, ["a"])])
    with pytest.raises(InputError, match=r"appears twice .* \(first at line 1\)") as caught:
        read_all("lm-eval", path)
    assert caught.value.line == 2


def test_broken_json_and_wrong_shapes(tmp_path: Path) -> None:
    path = tmp_path / "samples_x.jsonl"
    path.write_text('{"doc_id": 0, "resps": [["a"]]}\n{"doc_id": 1,\n', encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON") as caught:
        read_all("lm-eval", path)
    assert caught.value.line == 2
    path.write_text('"just text"\n', encoding="utf-8")
    with pytest.raises(InputError, match="expected lm-eval samples"):
        read_all("lm-eval", path)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match="expected a JSON object per sample"):
        read_all("lm-eval", path)
    with pytest.raises(InputError, match="file not found"):
        read_all("lm-eval", tmp_path / "missing.jsonl")
