"""Inspect logs: .eval zips (deflate and zstd), .json logs, epochs, usage, errors, variants."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from importer_fixtures import inspect_header, inspect_sample, write_eval

from papertiger.errors import InputError
from papertiger.importers import _io, read, read_all


def _two_by_two() -> list[dict]:
    return [
        inspect_sample(1, 1),
        inspect_sample(1, 2, text="It is 7.", value="I", answer="7", reasoning=None),
        inspect_sample("p2", 1, value=1.0),
        inspect_sample("p2", 2, error="RuntimeError: sandbox died"),
    ]


@pytest.mark.parametrize("use_zstd", [False, True], ids=["deflate", "zstd"])
def test_eval_zip_field_by_field(tmp_path: Path, use_zstd: bool) -> None:
    path = write_eval(tmp_path / "run.eval", inspect_header(), _two_by_two(), use_zstd=use_zstd)
    samples = read_all("inspect", path)
    assert [(s.item_key, s.sample_index) for s in samples] == [
        ("1", 0),
        ("1", 1),
        ("p2", 0),
        ("p2", 1),
    ]
    first = samples[0]
    assert (first.source_tool, first.source_file) == ("inspect", str(path))
    assert first.source_locator == "sample 1 epoch 1 (samples/1_epoch_1.json)"
    assert (first.model, first.task) == ("openai/gpt-4o", "aime2024")
    assert (first.problem, first.prompt, first.gold) == ("Problem 1 text", "Problem 1 text", "204")
    assert (first.response, first.reasoning) == ("The answer is 204.", "Let me think.")
    assert (first.extracted, first.correct, first.score, first.metric) == (
        "204",
        True,
        1.0,
        "match",
    )
    # model_usage wins over output.usage
    assert (first.prompt_tokens, first.completion_tokens, first.reasoning_tokens) == (100, 50, 20)
    assert (first.cost_usd, first.latency_s, first.error) == (0.002, 3.5, None)
    assert first.extra["finish_reason"] == "stop" and first.extra["working_time"] == 3.0
    assert first.extra["metadata"] == {"year": 2024}  # long values are left out
    assert first.extra["status"] == "success" and first.extra["epochs"] == 2
    assert (samples[1].correct, samples[1].reasoning, samples[1].extracted) == (False, None, "7")
    assert (samples[2].correct, samples[2].score) == (True, 1.0)
    errored = samples[3]
    assert errored.error == "RuntimeError: sandbox died"
    assert (errored.response, errored.correct) == (None, None) and not errored.has_text


def test_json_log_matches_eval(tmp_path: Path) -> None:
    log = {**inspect_header(), "samples": _two_by_two()}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(log, indent=2), encoding="utf-8")
    from_json = read_all("inspect", path)
    from_eval = read_all(
        "inspect", write_eval(tmp_path / "run.eval", inspect_header(), _two_by_two())
    )
    strip = ("source_file", "source_locator")
    assert [{k: v for k, v in vars(s).items() if k not in strip} for s in from_json] == [
        {k: v for k, v in vars(s).items() if k not in strip} for s in from_eval
    ]
    assert from_json[0].source_locator == "sample 1 epoch 1 (samples[0])"


def test_score_values_and_legacy_score_field(tmp_path: Path) -> None:
    samples = [inspect_sample(i, 1, value=v) for i, v in enumerate(["P", "N", 0.3, True, {"a": 1}])]
    legacy = inspect_sample(9, 1)
    legacy["score"] = legacy.pop("scores")["match"]  # the first log versions
    multi = inspect_sample(10, 1)
    multi["scores"]["other"] = {"value": 0}
    got = read_all(
        "inspect", write_eval(tmp_path / "s.eval", inspect_header(), [*samples, legacy, multi])
    )
    assert [(s.correct, s.score) for s in got[:5]] == [
        (None, 0.5),
        (False, 0.0),
        (None, 0.3),
        (True, 1.0),
        (None, None),
    ]
    assert got[4].extra["score_value"] == {"a": 1}
    assert (got[5].correct, got[5].metric) == (True, "score")
    assert got[6].metric == "match" and got[6].extra["scores"] == {"match": "C", "other": 0}


def test_attachments_string_content_old_reasoning_and_chat_input(tmp_path: Path) -> None:
    sample = inspect_sample(1, 1)
    sample["attachments"] = {"abc": "A long answer: 204."}
    sample["output"]["choices"][0]["message"] = {
        "role": "assistant",
        "content": "attachment://abc",
        "reasoning": "old-style reasoning",
    }
    sample["input"] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Problem 1 text"}]},
    ]
    sample["target"] = ["204", "0204"]
    del sample["model_usage"]
    (got,) = read_all("inspect", write_eval(tmp_path / "a.eval", inspect_header(), [sample]))
    assert (got.response, got.reasoning) == ("A long answer: 204.", "old-style reasoning")
    assert (got.problem, got.prompt, got.gold) == (
        "Problem 1 text",
        "Be brief.\n\nProblem 1 text",
        "204",
    )
    assert (got.prompt_tokens, got.completion_tokens, got.cost_usd) == (1, 1, None)  # output.usage


@pytest.mark.parametrize("header_name", ["_journal/start.json", "start.json"])
def test_unfinished_and_first_format_headers(tmp_path: Path, header_name: str) -> None:
    header = {"version": 2, "eval": inspect_header()["eval"], "plan": {}}
    path = write_eval(tmp_path / "u.eval", header, [inspect_sample(1, 1)], header_name=header_name)
    (got,) = read_all("inspect", path)
    assert got.model == "openai/gpt-4o" and got.correct is True


def test_log_without_samples_falls_back_to_summaries(tmp_path: Path) -> None:
    summary = {
        "id": 3,
        "epoch": 2,
        "input": "Problem 3 text",
        "target": "5",
        "scores": {"match": {"value": "I", "answer": "4"}},
        "model_usage": {"m": {"input_tokens": 10, "output_tokens": 5}},
        "error": "boom",
        "limit": "token",
    }
    path = write_eval(
        tmp_path / "s.eval", inspect_header(), [], extra_members={"summaries.json": [summary]}
    )
    (got,) = read_all("inspect", path)
    assert (got.item_key, got.sample_index, got.response, got.correct, got.extracted) == (
        "3",
        1,
        None,
        False,
        "4",
    )
    assert (got.error, got.extra["limit"], got.extra["from_summary"]) == ("boom", "token", True)
    assert (got.prompt_tokens, got.completion_tokens) == (10, 5)


def test_samples_stream_lazily(tmp_path: Path) -> None:
    bad = inspect_sample(2, 1)
    bad["epoch"] = "two"
    path = write_eval(tmp_path / "b.eval", inspect_header(), [inspect_sample(1, 1), bad])
    stream = read("inspect", path)
    assert next(stream).item_key == "1"
    with pytest.raises(InputError, match="sample 2 epoch two .*expected an integer") as caught:
        next(stream)
    assert caught.value.field == "epoch"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"id": None}, "id", "expected the sample id"),
        ({"epoch": 0}, "epoch", "1-based epoch"),
        ({"scores": ["C"]}, "scores", "scorer name -> score"),
        ({"scores": {"m": "C"}}, "scores", "expected a score object"),
        ({"model_usage": {"m": 5}}, "model_usage", "token counts per model"),
        (
            {"model_usage": {"m": {"input_tokens": "many"}}},
            "model_usage.input_tokens",
            "expected a number",
        ),
        ({"total_time": "slow"}, "total_time", "expected a number"),
    ],
)
def test_malformed_samples_name_member_and_field(
    tmp_path: Path, change: dict, field: str, message: str
) -> None:
    sample = {**inspect_sample(1, 1), **change}
    path = write_eval(tmp_path / "m.eval", inspect_header(), [sample])
    with pytest.raises(InputError, match=message) as caught:
        read_all("inspect", path)
    assert (caught.value.path, caught.value.field) == (str(path), field)
    assert "(samples/" in str(caught.value)  # the member is named


def test_broken_files(tmp_path: Path) -> None:
    not_zip = tmp_path / "x.eval"
    not_zip.write_text("hello", encoding="utf-8")
    with pytest.raises(InputError, match="expected a zip archive"):
        read_all("inspect", not_zip)
    no_header = write_eval(tmp_path / "n.eval", None, [inspect_sample(1, 1)])
    with pytest.raises(InputError, match="no header.json"):
        read_all("inspect", no_header)
    bad_member = tmp_path / "bm.eval"
    with zipfile.ZipFile(bad_member, "w") as archive:
        archive.writestr("header.json", "{not json")
    with pytest.raises(InputError, match="member header.json: member is not valid JSON"):
        read_all("inspect", bad_member)
    no_spec = write_eval(tmp_path / "h.eval", {"version": 2}, [])
    with pytest.raises(InputError, match="member header.json: expected the eval spec") as caught:
        read_all("inspect", no_spec)
    assert caught.value.field == "eval"
    json_log = tmp_path / "l.json"
    json_log.write_text('{"samples": []}', encoding="utf-8")
    with pytest.raises(InputError, match="expected an Inspect log") as caught:
        read_all("inspect", json_log)
    assert caught.value.field == "eval"
    json_log.write_text('{"eval": {"model": "m"},\n "samples": [}', encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON") as caught:
        read_all("inspect", json_log)
    assert caught.value.line == 2
    eval2 = tmp_path / "x.eval2"
    eval2.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match="inspect log convert"):
        read_all("inspect", eval2)


def test_zstd_member_without_any_zstd_support_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builtins

    path = write_eval(tmp_path / "z.eval", inspect_header(), [inspect_sample(1, 1)], use_zstd=True)
    monkeypatch.setattr(_io, "_arrow_has_zstd", lambda: False)
    real_import = builtins.__import__

    def no_zstandard(name: str, *args: object, **kwargs: object) -> object:
        if name == "zstandard":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_zstandard)
    with pytest.raises(InputError, match="zstandard") as caught:
        read_all("inspect", path)
    assert _io.ZSTD_HINT in str(caught.value)


def test_corrupt_zstd_member_fails_crc_or_decoding(tmp_path: Path) -> None:
    path = write_eval(tmp_path / "c.eval", inspect_header(), [inspect_sample(1, 1)], use_zstd=True)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("samples/1_epoch_1.json")
    start = info.header_offset + 30 + len(info.filename) + 8
    data[start : start + 4] = b"\x00\x00\x00\x00"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="member samples/1_epoch_1.json: .*(zstd|CRC)"):
        read_all("inspect", path)


def test_redacted_reasoning_keeps_only_its_summary(tmp_path: Path) -> None:
    sample = inspect_sample(1, 1)
    sample["output"]["choices"][0]["message"]["content"] = [
        {"type": "reasoning", "reasoning": "gAAAA-encrypted", "redacted": True, "summary": "short"},
        {"type": "reasoning", "reasoning": "gAAAA-encrypted", "redacted": True},
        {"type": "text", "text": "204"},
    ]
    (got,) = read_all("inspect", write_eval(tmp_path / "r.eval", inspect_header(), [sample]))
    assert (got.response, got.reasoning) == ("204", "short")
