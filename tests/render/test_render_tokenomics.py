"""The tokenomics section in every output format with a hostile model name: money, "no
successes", missing prices, the effective-discount table, and no figure without costs."""

from __future__ import annotations

import dataclasses

from test_render_elicitation import HOSTILE, render_everywhere

from papertiger.analysis.results import Interval
from papertiger.analysis.sections.prompts import ALL_FORMS
from papertiger.analysis.sections.tokenomics import (
    CostRow,
    DiscountRow,
    TokenomicsSection,
    TokenStats,
)
from papertiger.render.sections import renderer_for
from papertiger.render.sections.tokenomics import usd


def cost_row(model: str, group: str, correct: int, total: float | None, **extra: object) -> CostRow:
    cps = None if total is None or not correct else Interval(total / correct, total / correct * 0.8,
                                                             float("inf"), method="bootstrap")
    fields: dict[str, object] = dict(
        model=model, group=group, form=ALL_FORMS, attempts=8, ok=8, items=4,
        prompt_tokens=TokenStats(100.0, 100.0, 100.0, 8),
        completion_tokens=TokenStats(2000.0, 1900.0, 3100.0, 8),
        reasoning_tokens=TokenStats(1500.0, 1400.0, 2600.0, 8), priced=8 if total else 0,
        computed=0, cost_per_attempt=None if total is None else total / 8, total_cost=total,
        correct=correct, accuracy=100 * correct / 8, cost_per_success=cps,
        no_successes=total is not None and correct == 0,
        accuracy_per_dollar=None, truncated=1, accuracy_without_truncated=50.0,
        price_in=None if total is None else 0.5, price_out=None if total is None else 2.0)
    fields.update(extra)
    return CostRow(**fields)  # type: ignore[arg-type]


def section() -> TokenomicsSection:
    rows = (cost_row(HOSTILE, "Chinese", 4, 0.04), cost_row("east-2", "Chinese", 0, 0.02),
            cost_row("unpriced", "Chinese", 3, None), cost_row("west-1", "Western", 6, 0.3))
    discounts = (
        DiscountRow(HOSTILE, "Chinese", 4.0, 6.0, 5.9,
                    Interval(5.0, 3.0, float("inf"), method="paired bootstrap")),
        DiscountRow("east-2", "Chinese", 4.0, 6.0, 5.9, None,
                    "no successes: a success from this model has no finite cost"),
    )
    return TokenomicsSection(rows=rows, reference="west-1",
                             reference_basis="the most accurate model (75.0%)",
                             discounts=discounts, group_by="group", groups=("Chinese", "Western"),
                             level=0.95, n_boot=200, notes=(f"{HOSTILE}: a note",))


def test_every_format_with_a_hostile_model_name() -> None:
    out = render_everywhere(section())
    assert set(out["figures"]) == {"tokenomics_cost_vs_accuracy"}
    for text in (out["md"], out["html"], out["terminal"]):
        assert "no successes" in text and "effective discount" in text
        assert "5.00× [95% CI 3.00×, ∞]" in text  # an unbounded ratio says so
        assert "4.00×" in text and "5.90×" in text  # per-token and blended price ratios
    assert "$0.01 [$0.008, ∞]" in out["md"]  # an unbounded upper limit says so
    rows = {r["model"]: r for r in out["json"]["rows"]}
    assert rows["east-2"]["no_successes"] and rows["east-2"]["cost_per_success"] is None
    assert rows[HOSTILE]["cost_per_success"]["high"] is None  # inf becomes null in JSON
    assert out["json"]["reference"] == "west-1" and "completion tokens include" in out["json"]["convention"]


def test_no_figure_without_a_cost_and_a_success() -> None:
    result = dataclasses.replace(section(), rows=(cost_row("unpriced", "Chinese", 3, None),),
                                 discounts=(), reference=None,
                                 reference_basis="no model has both a cost and a success")
    renderer = renderer_for(result)
    assert renderer.figures(result) == {}
    html = str(renderer.html(result))
    assert "No figure: no model has both a known cost and a success" in html
    assert "No effective-discount table: no model has both a cost and a success" in renderer.markdown(result)


def test_usd_reads_well() -> None:
    assert usd(0.001234) == "$0.00123" and usd(12.345) == "$12.35" and usd(1234.5) == "$1,234"
    assert usd(None) == "\u2014" and usd(float("inf")) == "\u221e"
