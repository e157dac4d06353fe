"""The embedded table reproduces the essay's printed rows."""

from __future__ import annotations

import pandas as pd
import pytest

from papertiger.analysis import add_falls, summarise_groups
from papertiger.published import embedded_scores

# (model, printed pp fall, printed % fall) from the essay's table.
ESSAY_ROWS = [
    ("Kimi K2", -12.3, -17.7),
    ("MiniMax-M1 80k", -23.7, -28.0),
    ("DeepSeek-v3", -13.2, -33.7),
    ("DeepSeek V3 0324", -11.0, -21.2),
    ("Qwen3 235B (Reasoning)", -2.0, -2.4),
    ("Kimi K2-Instruct", -20.1, -28.9),
    ("DeepSeek R1 0528", -13.3, -14.9),
    ("Gemini-2.5 Pro", -1.0, -1.1),
    ("Gemini 2.5 Flash (Reasoning)", -9.0, -10.9),
    ("Claude 4 Opus Thinking", -2.4, -3.2),
    ("o4-mini (high)", -3.3, -3.5),
    ("GPT-4.1", -9.0, -20.6),
    ("Nova Premier", 0.3, 1.8),
    ("GPT-4o Nov 24", -9.0, -60.0),
    ("Magistral Medium", -8.7, -11.8),
    ("Claude 3.7 Sonnet", -5.0, -8.2),
    ("OpenAI-o1-0912", -2.9, -3.9),
    ("o3", -2.0, -2.2),
    ("Grok 4", -1.6, -1.7),
]


@pytest.fixture(scope="module")
def falls() -> pd.DataFrame:
    return add_falls(embedded_scores())


def test_every_printed_row(falls: pd.DataFrame) -> None:
    by_model = falls.set_index("model")
    assert list(falls["model"]) == [m for m, _, _ in ESSAY_ROWS]
    for model, pp, pct in ESSAY_ROWS:
        assert round(by_model.loc[model, "pp_fall"], 1) == pytest.approx(pp), model
        assert round(by_model.loc[model, "pct_fall"], 1) == pytest.approx(pct), model


def test_group_and_overall_rows(falls: pd.DataFrame) -> None:
    groups = summarise_groups(falls, "group", ["Chinese", "Western"]).set_index("group")
    assert groups.loc["Chinese", "n"] == 7 and groups.loc["Western", "n"] == 12
    assert round(groups.loc["Chinese", "pp_fall"], 1) == -13.7
    assert round(groups.loc["Chinese", "pct_fall"]) == -21
    assert round(groups.loc["Western", "pp_fall"], 1) == -4.5
    assert round(groups.loc["Western", "pct_fall"], 1) == -10.4
    overall = groups.loc["Overall"]
    assert [round(overall[c], 1) for c in ("old", "fresh", "pp_fall", "pct_fall")] == [
        68.3,
        60.5,
        -7.9,
        -14.3,
    ]


def test_metadata_is_cited_and_never_guessed() -> None:
    frame = embedded_scores()
    assert frame["source_metadata"].notna().all()
    assert frame["source_scores"].notna().all()
    # a stated cutoff always says what kind of statement it rests on
    stated = frame["training_cutoff"].notna()
    assert frame.loc[stated, "cutoff_kind"].notna().all()
    assert set(frame["group"]) == {"Chinese", "Western"}


def test_notebook_api_returns_dataframe() -> None:
    import papertiger

    frame = papertiger.load_published()
    assert isinstance(frame, pd.DataFrame)
    assert {"model", "old", "fresh", "group", "lab"} <= set(frame.columns)
    assert frame.attrs["old_label"] == "AIME 2024"
