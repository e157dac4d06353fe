"""lighteval details: v0.11+ columns (both spellings), stringified cells, the flat schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from importer_fixtures import DATE, flat_row, lighteval_paths, lighteval_row, write_parquet

from papertiger.errors import InputError
from papertiger.importers import read_all


def _write_results(path: Path, model: str = "org/model-7b") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"config_general": {"model_name": model}, "results": {}}), encoding="utf-8"
    )


def test_v011_row_field_by_field(tmp_path: Path) -> None:
    details, results = lighteval_paths(tmp_path / "out")
    _write_results(results, "org/model-7b (results)")
    write_parquet(details, [lighteval_row(0, ["The answer is 100."], {"extractive_match": 1.0})])
    (sample,) = read_all("lighteval", details)
    assert (sample.source_tool, sample.source_locator) == ("lighteval", "row 1")
    assert (sample.model, sample.task, sample.item_key, sample.sample_index) == (
        "org/model-7b (results)",
        "aime24",
        "0",
        0,
    )
    assert (sample.problem, sample.gold) == ("Problem 0 text", "100")
    assert sample.prompt == "Solve this. Problem 0 text"
    assert (sample.response, sample.reasoning, sample.extracted) == (
        "The answer is 100.",
        "hmm",
        "100",
    )
    assert (sample.correct, sample.score, sample.metric) == (True, 1.0, "extractive_match")
    assert (sample.prompt_tokens, sample.completion_tokens) == (4, 2)
    assert sample.cost_usd is None and sample.latency_s is None
    assert sample.extra["task_spec"] == "lighteval|aime24|0"
    assert "extracted_predictions" not in sample.extra  # one per generation: on the record


def test_n_generations_give_n_records_and_keep_doc_metrics(tmp_path: Path) -> None:
    details, _ = lighteval_paths(tmp_path / "out")
    metric = {"pass@k:k=1&n=4": 0.5, "avg@n:n=4": 0.5}
    write_parquet(details, [lighteval_row(2, ["a", "b", "c", "d"], metric)])
    samples = read_all("lighteval", details)
    assert [(s.sample_index, s.response) for s in samples] == [
        (0, "a"),
        (1, "b"),
        (2, "c"),
        (3, "d"),
    ]
    assert {s.correct for s in samples} == {None}
    assert samples[0].extra["metrics"] == metric and samples[0].extra["n"] == 4
    # no results file: the model is the folder between details/ and the date
    assert samples[0].model == "org/model-7b"


def test_double_underscore_spelling(tmp_path: Path) -> None:
    details, _ = lighteval_paths(tmp_path / "out")
    row = lighteval_row(0, ["x"], {"extractive_match": 0.0})
    write_parquet(details, [{f"__{k}__": v for k, v in row.items()}])
    (sample,) = read_all("lighteval", details)
    assert (sample.response, sample.correct) == ("x", False)


def test_cells_written_as_str_of_python_objects(tmp_path: Path) -> None:
    """When `datasets` cannot type the rows, lighteval writes `str(v)` for every cell."""
    row = lighteval_row(5, ["It's <b>42</b>"], {"extractive_match": 1.0})
    row["doc"]["sampling_methods"] = "<SamplingMethod.GENERATIVE: 1>"
    stringified = {
        k: str(v).replace("'<SamplingMethod.GENERATIVE: 1>'", "<SamplingMethod.GENERATIVE: 1>")
        for k, v in row.items()
    }
    assert "[<SamplingMethod" not in stringified["doc"] and "<SamplingMethod" in stringified["doc"]
    path = write_parquet(tmp_path / f"details_lighteval|aime24|0_{DATE}.parquet", [stringified])
    (sample,) = read_all("lighteval", path)
    assert (sample.item_key, sample.response, sample.correct, sample.gold) == (
        "5",
        "It's <b>42</b>",
        True,
        "105",
    )
    assert sample.model is None and sample.task == "aime24"


def test_hub_layout_results_at_repo_root(tmp_path: Path) -> None:
    repo = tmp_path / "details_org__model-7b"
    path = write_parquet(
        repo / DATE / f"details_lighteval|aime24|0_{DATE}.parquet",
        [lighteval_row(0, ["x"], {"extractive_match": 1.0})],
    )
    _write_results(repo / f"results_{DATE}.json", "org/model-7b")
    assert read_all("lighteval", path)[0].model == "org/model-7b"


@pytest.mark.parametrize(
    "predictions",
    [["The answer is 100."], [["The answer is 100."]], "The answer is 100."],
    ids=["list", "nested", "text"],
)
def test_flat_schema_up_to_v010(tmp_path: Path, predictions: Any) -> None:
    details, _ = lighteval_paths(tmp_path / "out")
    other = (
        "nope"
        if isinstance(predictions, str)
        else [["nope"]]
        if isinstance(predictions[0], list)
        else ["nope"]
    )
    rows = [
        flat_row(0, predictions, {"quasi_exact_match_math": 1}),
        flat_row(1, other, {"quasi_exact_match_math": 0}),
    ]
    if isinstance(predictions, str):  # the str(v) fallback: every cell is text
        rows = [{k: v if isinstance(v, str) else str(v) for k, v in row.items()} for row in rows]
    write_parquet(details, rows)
    samples = read_all("lighteval", details)
    assert [(s.item_key, s.response, s.correct) for s in samples] == [
        ("0", "The answer is 100.", True),
        ("1", "nope", False),
    ]
    first = samples[0]
    assert (first.problem, first.prompt, first.gold) == (
        "Problem 0 text",
        "Solve this. Problem 0 text",
        "100",
    )
    assert (first.prompt_tokens, first.completion_tokens) == (3, 3)
    assert first.extra["schema"] == "flat" and first.metric == "quasi_exact_match_math"


def test_many_rows_stream_in_batches(tmp_path: Path) -> None:
    details, _ = lighteval_paths(tmp_path / "out")
    write_parquet(
        details, [lighteval_row(i, ["x"], {"extractive_match": i % 2}) for i in range(600)]
    )
    samples = read_all("lighteval", details)
    assert len(samples) == 600 and samples[-1].source_locator == "row 600"


def test_errors_name_row_and_column(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "a.parquet", [{"foo": 1}])
    with pytest.raises(InputError, match="expected lighteval details columns.*found foo"):
        read_all("lighteval", path)
    empty = lighteval_row(0, [], {"acc": 1})
    path = write_parquet(tmp_path / "b.parquet", [lighteval_row(0, ["x"], {"acc": 1}), empty])
    with pytest.raises(InputError, match="row 2: holds no generated text") as caught:
        read_all("lighteval", path)
    assert caught.value.field == "model_response.text"
    path = write_parquet(
        tmp_path / "c.parquet", [{"doc": "not a dict", "metric": "{}", "model_response": "{}"}]
    )
    with pytest.raises(InputError, match="row 1: expected a dict") as caught:
        read_all("lighteval", path)
    assert caught.value.field == "doc"
    broken = tmp_path / "d.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="cannot read Parquet"):
        read_all("lighteval", broken)
