"""The documented hand-kept table: columns, aliases, verdict spellings, and bad rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertiger.errors import InputError
from papertiger.importers import COLUMNS, read_all


def _table(tmp_path: Path, text: str, name: str = "browser.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_field_by_field(tmp_path: Path) -> None:
    path = _table(
        tmp_path,
        "\ufeffModel,Suite,Form,Item,Sample,Correct,Response,Reasoning,Extracted,Gold,"
        "Prompt_Tokens,Completion_Tokens,Reasoning_Tokens,Cost_USD,Latency_S,Notes\n"
        'kimi-k2,aime,aime2025,aime2025-I-01,0,1,"The answer\nis 70.",thought,70,70,'
        "120,800,300,0.004,12.5,via browser\n"
        "kimi-k2,aime,aime2025,aime2025-I-01,1,no,,,,,,,,,,\n",
    )
    first, second = read_all("csv", path)
    assert (first.source_tool, first.source_locator) == ("csv", "line 2")
    assert (first.model, first.suite, first.form, first.task) == (
        "kimi-k2",
        "aime",
        "aime2025",
        "aime2025",
    )
    assert (first.item_key, first.sample_index, first.gold) == ("aime2025-I-01", 0, "70")
    assert (first.response, first.reasoning, first.extracted) == (
        "The answer\nis 70.",
        "thought",
        "70",
    )
    assert (first.correct, first.score, first.metric) == (True, 1.0, "correct")
    assert (first.prompt_tokens, first.completion_tokens, first.reasoning_tokens) == (120, 800, 300)
    assert (first.cost_usd, first.latency_s) == (0.004, 12.5)
    assert dict(first.extra) == {"notes": "via browser"}
    # the quoted newline makes the next row start on line 4
    assert (second.source_locator, second.sample_index, second.correct, second.response) == (
        "line 4",
        1,
        False,
        None,
    )


def test_minimal_table_aliases_and_tsv(tmp_path: Path) -> None:
    path = _table(
        tmp_path, "model\titem\ttext\toutput_tokens\tcost\nm\t7\tsays 3\t10\t0.5\n", "run.tsv"
    )
    (sample,) = read_all("csv", path)
    assert (sample.item_key, sample.sample_index, sample.response, sample.correct) == (
        "7",
        0,
        "says 3",
        None,
    )
    assert (sample.completion_tokens, sample.cost_usd, sample.form, sample.metric) == (
        10,
        0.5,
        None,
        None,
    )


@pytest.mark.parametrize("spelling", ["1", "true", "Yes", "correct", "C"])
def test_verdict_spellings(tmp_path: Path, spelling: str) -> None:
    path = _table(tmp_path, f"model,item,correct\nm,1,{spelling}\n")
    assert read_all("csv", path)[0].correct is True


def test_score_only_rows(tmp_path: Path) -> None:
    (sample,) = read_all("csv", _table(tmp_path, "model,item,score,response\nm,1,0.25,\n"))
    assert (sample.correct, sample.score, sample.metric) == (None, 0.25, "score")


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("", None, None, "the table is empty"),
        ("model,correct\nm,1\n", None, "item", "required column is missing"),
        ("model,item\nm,1\n", None, "correct", "needs a 'correct' column"),
        ("model,item,Model,correct\nm,1,m,1\n", None, "Model", "given twice"),
        ("model,item,correct\nm,1,maybe\n", 2, "correct", "expected 1/0, true/false"),
        ("model,item,correct\n,1,1\n", 2, "model", "required cell is empty"),
        ("model,item,correct,sample\nm,1,1,-1\n", 2, "sample", "0-based sample index"),
        ("model,item,correct,sample\nm,1,1,x\n", 2, "sample", "expected an integer"),
        ("model,item,correct,cost_usd\nm,1,1,-2\n", 2, "cost_usd", "expected a value >= 0"),
        (
            "model,item,correct,prompt_tokens\nm,1,1,1.5\n",
            2,
            "prompt_tokens",
            "expected an integer",
        ),
        ("model,item,correct\nm,1,1,extra\n", 2, None, "more cells than the header"),
        ("model,item,correct,response\nm,1,,\n", 2, "correct", "needs a verdict"),
        ("model,item,correct\nm,1,1\nm,1,0\n", 3, "sample", r"appears twice \(first at line 2\)"),
    ],
)
def test_bad_tables_name_line_and_column(
    tmp_path: Path, text: str, line: int | None, field: str | None, message: str
) -> None:
    path = _table(tmp_path, text)
    with pytest.raises(InputError, match=message) as caught:
        read_all("csv", path)
    assert (caught.value.path, caught.value.line, caught.value.field) == (str(path), line, field)


def test_documented_columns_are_listed() -> None:
    assert COLUMNS[:6] == ("model", "suite", "form", "item", "sample", "correct")
