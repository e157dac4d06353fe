"""The speed section in every output format with a hostile model name, "no successes",
how many attempts carry timings, and no figure without the timings it draws."""

from __future__ import annotations

import dataclasses

from test_render_elicitation import HOSTILE, render_everywhere

from papertiger.analysis.sections.speed import SpeedRow, SpeedSection, Spread
from papertiger.render.sections import renderer_for
from papertiger.render.sections.speed import seconds


def spread(median: float, n: int = 8) -> Spread:
    return Spread(median, median * 0.8, median * 1.3, median * 0.5, median * 2, n)


def section() -> SpeedSection:
    rows = (
        SpeedRow(HOSTILE, "Chinese", 8, 8, 4, {"output_tokens_per_s": spread(90.0),
                                               "ttft_s": spread(0.004), "latency_s": spread(12.0),
                                               "queue_s": None}, 24.0, False),
        SpeedRow("east-2", "Chinese", 8, 8, 0, {"output_tokens_per_s": None, "ttft_s": None,
                                                "latency_s": spread(8.0), "queue_s": None},
                 None, True),
        SpeedRow("west-1", "Western", 8, 8, 6, {"output_tokens_per_s": spread(60.0),
                                                "ttft_s": spread(1.5), "latency_s": spread(20.0),
                                                "queue_s": spread(0.2)}, 26.7, False),
    )
    return SpeedSection(rows=rows, group_by="group", groups=("Chinese", "Western"), contrasts=(),
                        notes=(f"time to first token (s): 16 of 24 carry it; none for {HOSTILE}",))


def test_every_format_with_a_hostile_model_name() -> None:
    out = render_everywhere(section())
    assert set(out["figures"]) == {"speed_distributions"}
    for text in (out["md"], out["terminal"], out["html"]):
        assert "no successes" in text
        assert "0.004 (0.0032–0.0052)" in text  # TTFT in milliseconds stays readable
        assert "8 / 8 / 8 of 8" in text  # which attempts carry TTFT / tokens/s / latency
    rows = {r["model"]: r for r in out["json"]["rows"]}
    assert rows["east-2"]["ttft_s"] is None and rows["east-2"]["carry"]["latency_s"] == 8
    assert rows["west-1"]["queue_s"]["median"] == 0.2


def test_no_figure_when_only_queue_times_are_known() -> None:
    only_queue = SpeedRow("m", "Chinese", 2, 2, 1, {"queue_s": spread(1.0, 2)}, None, False)
    result = dataclasses.replace(section(), rows=(only_queue,), notes=())
    renderer = renderer_for(result)
    assert renderer.figures(result) == {}
    assert "No figure: no attempt carries tokens/s" in str(renderer.html(result))


def test_seconds_keep_three_significant_figures() -> None:
    assert seconds(0.0123) == "0.0123" and seconds(3.21) == "3.21" and seconds(123.4) == "123.4"
    assert seconds(None) == "\u2014"
