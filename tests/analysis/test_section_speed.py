"""The speed section on hand-made timings in a real store: medians and quartiles, time
per success, which attempts carry timings, and the group comparison of tokens/s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_section_tokenomics import write_store

from papertiger.analysis import AttemptSource, ReportOptions, build_report
from papertiger.analysis.results import GroupComparison, Skipped
from papertiger.analysis.sections.speed import SpeedSection, spread

MODELS = {"fast": {"group": "Chinese"}, "slow": {"group": "Western"},
          "untimed": {"group": "Chinese"}}


def speed(db: Path) -> SpeedSection | Skipped:
    report = build_report(AttemptSource(db), ReportOptions(n_boot=200))
    found = [x for x in report.extras
             if isinstance(x, SpeedSection) or getattr(x, "section", "") == "speed"]
    assert found
    return found[0]  # type: ignore[no-any-return]


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i, item in enumerate("abcd"):
        # fast: 1, 2, 3, 4 s end to end; TTFT a tenth of that; right on a and b.
        rows.append({"model": "fast", "item": item, "correct": i < 2, "latency_s": i + 1.0,
                     "ttft_s": (i + 1) / 10, "output_tokens_per_s": 100.0 * (i + 1),
                     "completion_tokens": 100})
        # slow: 10 s each, streamed, always right; one failed request that took 30 s.
        rows.append({"model": "slow", "item": item, "correct": True, "latency_s": 10.0,
                     "ttft_s": 2.0, "output_tokens_per_s": 20.0, "queue_s": 0.5})
        # untimed: an import without timings.
        rows.append({"model": "untimed", "item": item, "correct": False})
    rows.append({"model": "slow", "item": "a", "sample": 1, "status": "error", "latency_s": 30.0})
    return rows


@pytest.fixture
def section(tmp_path: Path) -> SpeedSection:
    result = speed(write_store(tmp_path / "speed.db", MODELS, _rows()))
    assert isinstance(result, SpeedSection)
    return result


def test_medians_and_quartiles_per_model(section: SpeedSection) -> None:
    fast = next(r for r in section.rows if r.model == "fast")
    latency = fast.timings["latency_s"]
    assert latency is not None
    assert (latency.median, latency.q1, latency.q3) == pytest.approx(
        tuple(np.quantile([1, 2, 3, 4], [0.5, 0.25, 0.75])))
    assert latency.n == 4 and latency.whisker_low == 1 and latency.whisker_high == 4
    rate = fast.timings["output_tokens_per_s"]
    assert rate is not None and rate.median == pytest.approx(250.0)
    ttft = fast.timings["ttft_s"]
    assert ttft is not None and ttft.median == pytest.approx(0.25)


def test_time_per_success_counts_failures_too(section: SpeedSection) -> None:
    fast = next(r for r in section.rows if r.model == "fast")
    assert fast.time_per_success == pytest.approx((1 + 2 + 3 + 4) / 2)
    slow = next(r for r in section.rows if r.model == "slow")
    assert slow.time_per_success == pytest.approx((4 * 10 + 30) / 4)  # the failed 30 s counts
    assert slow.timings["queue_s"] is not None and slow.timings["queue_s"].median == 0.5


def test_the_report_says_which_attempts_carry_timings(section: SpeedSection) -> None:
    untimed = next(r for r in section.rows if r.model == "untimed")
    assert untimed.carried("ttft_s") == 0 and untimed.time_per_success is None
    assert not untimed.no_successes  # no timing: not "no successes"
    text = " ".join(section.notes)
    assert "time to first token (s): 8 of 12 successful attempts carry it; none for untimed" in text
    assert "streamed" in text
    assert "queue_s" in section.columns and "latency_s" in section.columns


def test_no_successes_with_timings(tmp_path: Path) -> None:
    rows = [{"model": "fast", "item": i, "correct": False, "latency_s": 2.0} for i in "ab"]
    result = speed(write_store(tmp_path / "n.db", MODELS, rows))
    assert isinstance(result, SpeedSection)
    assert result.rows[0].no_successes and result.rows[0].time_per_success is None


def test_group_comparison_of_median_tokens_per_second(tmp_path: Path) -> None:
    rows = []
    models = {}
    for m, (group, rate) in enumerate([("Chinese", 100), ("Chinese", 120), ("Western", 40),
                                       ("Western", 50)]):
        models[f"m{m}"] = {"group": group}
        rows += [{"model": f"m{m}", "item": i, "correct": True, "latency_s": 1.0,
                  "output_tokens_per_s": float(rate + j)} for j, i in enumerate("ab")]
    result = speed(write_store(tmp_path / "g.db", models, rows))
    assert isinstance(result, SpeedSection)
    comparison = result.contrasts[0].comparison
    assert isinstance(comparison, GroupComparison)
    assert comparison.mean_a == pytest.approx(110.5) and comparison.mean_b == pytest.approx(45.5)


def test_no_timings_at_all_is_skipped(tmp_path: Path) -> None:
    rows = [{"model": "untimed", "item": i, "correct": True} for i in "ab"]
    result = speed(write_store(tmp_path / "u.db", MODELS, rows))
    assert isinstance(result, Skipped) and "no attempt carries timings" in result.reason


def test_spread_ignores_missing_values() -> None:
    assert spread(np.array([np.nan, np.nan])) is None
    s = spread(np.array([1.0, 2.0, np.nan, 100.0]))
    assert s is not None and s.n == 3 and s.median == 2.0


def test_to_frame(section: SpeedSection) -> None:
    frame = section.to_frame()
    assert list(frame["model"]) == ["fast", "untimed", "slow"]  # by group, then name
    assert frame.loc[frame["model"] == "slow", "ttft_s_median"].item() == 2.0


def test_a_narrow_usage_read_gives_the_same_sections(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The sections read the store's narrow usage rows (plain rows, grades as 0/1), built
    into a frame a chunk at a time; the results are those of the full per-attempt frame,
    and do not depend on the chunk size (a chunk of one row makes columns that are all
    missing in some chunks)."""
    import functools

    from test_section_tokenomics import MODELS as PRICED
    from test_section_tokenomics import _rows as priced_rows

    from papertiger.analysis.attempts import SelectedAttempts
    from papertiger.analysis.sections.elicitation import USAGE_COLUMNS
    from papertiger.analysis.sections.tokenomics import TokenomicsSection
    from papertiger.store import reads, sqlite

    db = write_store(tmp_path / "both.db", {**MODELS, **PRICED}, [*_rows(), *priced_rows()])

    def sections() -> list[Any]:
        report = build_report(AttemptSource(db), ReportOptions(n_boot=200))
        return [x for x in report.extras if isinstance(x, SpeedSection | TokenomicsSection)]

    seen: list[int] = []

    def narrow(*args: Any, **kwargs: Any) -> pd.DataFrame:
        frame = reads.usage_frame(*args, **kwargs)
        seen.append(len(frame))
        return frame

    monkeypatch.setattr(sqlite, "read_usage_frame", narrow)
    before = sections()
    assert seen == [len(_rows()) + len(priced_rows())]
    monkeypatch.setattr(sqlite, "read_usage_frame", functools.partial(reads.usage_frame, chunk=1))
    one_by_one = sections()
    monkeypatch.setattr(SelectedAttempts, "usage_frame",
                        lambda self: self.frame[list(USAGE_COLUMNS)])
    wide = sections()
    assert len(before) == len(one_by_one) == len(wide) == 2
    for a, b, c in zip(before, one_by_one, wide, strict=True):
        assert a.to_frame().equals(b.to_frame())
        assert a.to_frame().equals(c.to_frame())
