"""Tokenomics on hand-made usage rows in a real store: the reasoning-token convention, cost
per attempt and per success, "no successes", accuracy per dollar, truncation, missing
prices, and the effective discount against a reference model."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from papertiger.analysis import AttemptSource, ReportOptions, build_report
from papertiger.analysis.sections.prompts import ALL_FORMS
from papertiger.analysis.sections.tokenomics import (
    TokenomicsSection,
    billed_output_tokens,
    usage_cost,
)
from papertiger.config.pricing import attempt_cost
from papertiger.errors import ConfigError
from papertiger.schema import (
    Attempt,
    AttemptIdentity,
    Completion,
    Grade,
    SamplingParams,
    attempt_key,
    text_hash,
)
from papertiger.store import open_store

Row = dict[str, Any]


def write_store(path: Path, models: dict[str, Row], rows: Iterable[Row]) -> Path:
    """A store holding `rows` (one attempt each: model, form, item, sample, correct, usage)
    from one run whose spec carries each model's group and prices."""
    with open_store(path) as store:
        run = store.start_run("r1", spec={"models": [{"name": n, **m} for n, m in models.items()],
                                          "prompts": [{"name": "boxed", "hash": "h"}]})
        attempts, grades = [], []
        for r in rows:
            identity = AttemptIdentity(
                model=r["model"], endpoint_model=r["model"], suite="s", form=r.get("form", "f1"),
                item_id=r["item"], item_hash=text_hash(r["item"]), prompt_name="boxed",
                prompt_hash="h", sampling=SamplingParams(), sample_index=r.get("sample", 0),
                seed=r.get("sample", 0))
            key = attempt_key(identity)
            usage = {k: r[k] for k in ("prompt_tokens", "completion_tokens", "reasoning_tokens",
                                       "latency_s", "ttft_s", "output_tokens_per_s", "queue_s",
                                       "finish_reason") if k in r}
            status = r.get("status", "ok")
            attempts.append(Attempt(
                identity=identity, run_id=run, cost_usd=r.get("cost_usd"),
                completion=Completion(key=key, status=status,
                                      text="\\boxed{1}" if status == "ok" else None,
                                      error=None if status == "ok" else "HTTP 500", **usage)))
            if status == "ok":
                flags = frozenset({"truncated"}) if r.get("truncated") else frozenset()
                grades.append((key, Grade(grader="integer", version="1", extracted="1",
                                          score=float(r["correct"]), method="boxed", flags=flags)))
        store.put_attempts(attempts, grades)
        store.finish_run(run)
    return path


def tokenomics(db: Path, **options: Any) -> TokenomicsSection:
    report = build_report(AttemptSource(db), ReportOptions(n_boot=400, **options))
    found = [x for x in report.extras if isinstance(x, TokenomicsSection)]
    assert found, [type(x).__name__ for x in report.extras]
    return found[0]


def row(section: TokenomicsSection, model: str, form: str = ALL_FORMS) -> Any:
    return next(r for r in section.rows if r.model == model and r.form == form)


# -- the convention ------------------------------------------------------------------------


def test_reasoning_tokens_are_inside_completion_tokens_and_never_added_twice() -> None:
    # OpenAI-compatible usage: 3,000 completion tokens of which 2,500 are reasoning.
    # $1 / M in, $4 / M out: 1,000 × 1 + 3,000 × 4 = $0.013 (not 5,500 × 4).
    assert billed_output_tokens(3000, 2500) == 3000
    assert usage_cost(1.0, 4.0, 1000, 3000, 2500) == pytest.approx(0.013)
    assert usage_cost(1.0, 4.0, 1000, 3000, 2500) == attempt_cost(1.0, 4.0, 1000, 3000)


def test_reasoning_counted_apart_is_added() -> None:
    # A provider that counts thoughts apart (Gemini's thoughts_token_count) reports more
    # reasoning than completion tokens: the two are billed together.
    assert billed_output_tokens(1000, 5000) == 6000
    assert usage_cost(1.0, 4.0, 1000, 1000, 5000) == pytest.approx((1000 + 6000 * 4) / 1e6)
    assert billed_output_tokens(None, 700) == 700
    assert usage_cost(None, 4.0, 1000, 1000, None) is None  # no price: unknown, not free
    assert usage_cost(1.0, 4.0, None, None, None) is None  # no usage: unknown, not free


# -- cost arithmetic on hand-made rows -----------------------------------------------------


MODELS = {
    "cheap": {"group": "Chinese", "price_in": 0.5, "price_out": 2.0},
    "dear": {"group": "Western", "price_in": 2.0, "price_out": 12.0},
    "unpriced": {"group": "Chinese"},
}


def _rows() -> list[Row]:
    rows: list[Row] = []
    for item in ("a", "b"):
        for sample in (0, 1):
            # cheap: 1,000 in, 4,000 out (3,000 reasoning); right on item a only.
            rows.append({"model": "cheap", "item": item, "sample": sample, "correct": item == "a",
                         "prompt_tokens": 1000, "completion_tokens": 4000,
                         "reasoning_tokens": 3000})
            # dear: 1,000 in, 1,000 out; right on every sample; one reply truncated.
            rows.append({"model": "dear", "item": item, "sample": sample, "correct": True,
                         "prompt_tokens": 1000, "completion_tokens": 1000,
                         "truncated": item == "b" and sample == 1, "finish_reason": "stop"})
            # unpriced: usage but no price and no stored cost; never right.
            rows.append({"model": "unpriced", "item": item, "sample": sample, "correct": False,
                         "prompt_tokens": 500, "completion_tokens": 500})
    return rows


@pytest.fixture
def section(tmp_path: Path) -> TokenomicsSection:
    return tokenomics(write_store(tmp_path / "t.db", MODELS, _rows()))


def test_cost_per_attempt_total_and_cost_per_success(section: TokenomicsSection) -> None:
    cheap = row(section, "cheap")
    per_attempt = (1000 * 0.5 + 4000 * 2.0) / 1e6  # reasoning inside the 4,000
    assert cheap.attempts == 4 and cheap.priced == 4 and cheap.computed == 4
    assert cheap.cost_per_attempt == pytest.approx(per_attempt)
    assert cheap.total_cost == pytest.approx(4 * per_attempt)
    assert cheap.correct == 2 and cheap.accuracy == pytest.approx(50.0)
    assert cheap.cost_per_success is not None
    assert cheap.cost_per_success.estimate == pytest.approx(4 * per_attempt / 2)
    assert cheap.cost_per_success.low <= cheap.cost_per_success.estimate <= cheap.cost_per_success.high
    # accuracy per dollar: 50 points ÷ the cost of one pass over the 2 items
    assert cheap.accuracy_per_dollar == pytest.approx(50.0 / (per_attempt * 2))
    assert cheap.reasoning_tokens is not None and cheap.reasoning_tokens.mean == 3000
    assert cheap.completion_tokens is not None and cheap.completion_tokens.p90 == 4000


def test_per_form_rows_and_stored_costs_win(tmp_path: Path) -> None:
    rows = [{"model": "cheap", "item": i, "form": f, "correct": True, "prompt_tokens": 10,
             "completion_tokens": 10, "cost_usd": 0.25} for f in ("f1", "f2") for i in "ab"]
    s = tokenomics(write_store(tmp_path / "s.db", {"cheap": MODELS["cheap"]}, rows))
    assert [r.form for r in s.rows] == ["f1", "f2", ALL_FORMS]
    assert row(s, "cheap", "f1").total_cost == pytest.approx(0.5)  # the stored figures
    assert row(s, "cheap").total_cost == pytest.approx(1.0) and row(s, "cheap").computed == 0


def test_no_successes_is_said_as_such(section: TokenomicsSection, tmp_path: Path) -> None:
    rows = [{"model": "cheap", "item": i, "correct": False, "prompt_tokens": 10,
             "completion_tokens": 10} for i in "ab"]
    s = tokenomics(write_store(tmp_path / "n.db", {"cheap": MODELS["cheap"]}, rows))
    r = row(s, "cheap")
    assert r.no_successes and r.cost_per_success is None and r.total_cost is not None


def test_missing_prices_are_named_not_guessed(section: TokenomicsSection) -> None:
    unpriced = row(section, "unpriced")
    assert unpriced.total_cost is None and unpriced.cost_per_attempt is None
    assert not unpriced.no_successes  # no cost known: not "no successes"
    assert any(n.startswith("unpriced: no price") for n in section.notes)
    d = next(d for d in section.discounts if d.model == "unpriced")
    assert d.price_in_ratio is None and d.cost_per_success_ratio is None


def test_accuracy_with_and_without_truncated(section: TokenomicsSection) -> None:
    dear = row(section, "dear")
    assert dear.truncated == 1
    assert dear.accuracy == pytest.approx(100.0)
    assert dear.accuracy_without_truncated == pytest.approx(100.0)
    cheap = row(section, "cheap")
    assert cheap.truncated == 0 and cheap.accuracy_without_truncated == cheap.accuracy


def test_effective_discount_against_the_most_accurate_model(section: TokenomicsSection) -> None:
    assert section.reference == "dear" and "most accurate" in section.reference_basis
    d = next(d for d in section.discounts if d.model == "cheap")
    assert d.price_in_ratio == pytest.approx(4.0) and d.price_out_ratio == pytest.approx(6.0)
    # cheap's own mix (1,000 in, 4,000 out) at dear's prices ÷ at its own
    assert d.blended_price_ratio == pytest.approx((1000 * 2 + 4000 * 12) / (1000 * 0.5 + 4000 * 2))
    dear_cps = 4 * (1000 * 2 + 1000 * 12) / 1e6 / 4
    cheap_cps = 4 * (1000 * 0.5 + 4000 * 2) / 1e6 / 2
    assert d.cost_per_success_ratio is not None
    assert d.cost_per_success_ratio.estimate == pytest.approx(dear_cps / cheap_cps)
    # the per-token discount (~5.9×) is far above the effective one (~3.3×)
    assert d.blended_price_ratio > d.cost_per_success_ratio.estimate
    frame = section.discount_frame()
    assert set(frame["model"]) == {"cheap", "unpriced"}


def test_a_named_reference_and_an_unknown_one(tmp_path: Path) -> None:
    db = write_store(tmp_path / "r.db", MODELS, _rows())
    chosen = tokenomics(db, cost_reference="cheap")
    assert chosen.reference == "cheap" and "--cost-reference" in chosen.reference_basis
    with pytest.raises(ConfigError, match="--cost-reference 'nobody'"):
        tokenomics(db, cost_reference="nobody")


def test_no_usage_at_all_is_skipped(tmp_path: Path) -> None:
    rows = [{"model": "cheap", "item": i, "correct": True} for i in "ab"]
    report = build_report(AttemptSource(write_store(tmp_path / "u.db", MODELS, rows)),
                          ReportOptions(n_boot=200))
    skipped = [x for x in report.extras if getattr(x, "section", "") == "tokenomics"]
    assert skipped and "no attempt carries token usage" in skipped[0].reason


def test_published_scores_get_no_tokenomics() -> None:
    report = build_report(None, ReportOptions(n_boot=200))
    assert not any(isinstance(x, TokenomicsSection) for x in report.extras)
    assert not any(getattr(x, "section", "") == "tokenomics" for x in report.extras)


def test_to_frame_has_one_row_per_model_and_form(section: TokenomicsSection) -> None:
    frame = section.to_frame()
    assert len(frame) == 3 * 2  # three models × (f1, all forms)
    assert {"cost_per_success", "cost_per_success_low", "completion_tokens_p90"} <= set(frame.columns)


def test_the_narrow_usage_read_matches_the_per_attempt_frame(tmp_path: Path) -> None:
    from papertiger.analysis.attempts import select_attempts
    from papertiger.analysis.sections.elicitation import USAGE_COLUMNS

    db = write_store(tmp_path / "u.db", MODELS, _rows())
    selected = select_attempts(AttemptSource(db))
    narrow = selected.usage_frame()
    wide = selected.frame[list(USAGE_COLUMNS)]
    key = ["model", "form", "item_id", "completion_tokens", "correct"]
    narrow = narrow.assign(correct=narrow["correct"].astype(bool)).sort_values(key, ignore_index=True)
    wide = wide.assign(correct=wide["correct"].astype(bool)).sort_values(key, ignore_index=True)
    assert len(narrow) == len(wide) == len(_rows())
    for column in USAGE_COLUMNS:
        if column == "flags":
            assert [("truncated" in str(v)) for v in narrow[column]] == \
                [("truncated" in str(v)) for v in wide[column]]
        else:
            def plain(series: pd.Series) -> list[Any]:
                return [None if pd.isna(v) else v for v in series.astype(object)]
            assert plain(narrow[column]) == plain(wide[column]), column
