"""The Rasch equating section in every output format with a hostile model name; the headline
γ, δ per model, form shifts and hardest items everywhere; figures only with data to draw."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from test_render_elicitation import HOSTILE, render_everywhere

from papertiger.analysis.results import Skipped
from papertiger.analysis.sections.equating import EquatingSection, build_equating
from papertiger.render.sections import renderer_for
from papertiger.render.sections.equating import hardest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
from test_section_equating import Simulated, inputs, simulate  # noqa: E402


def hostile(sim: Simulated) -> Simulated:
    """Model 0 (the one with the known fall) renamed to the hostile name."""
    names = (HOSTILE, *sim.counts.models[1:])
    return dataclasses.replace(sim, counts=dataclasses.replace(sim.counts, models=names),
                               meta=sim.meta.assign(model=list(names)))


def section(sim: Simulated | None = None, **options: object) -> EquatingSection:
    result = build_equating(inputs(sim or hostile(simulate()), n_boot=200, **options))  # type: ignore[arg-type]
    assert isinstance(result, EquatingSection), result
    return result


@pytest.fixture(scope="module")
def result() -> EquatingSection:
    return section()


def test_every_format_with_a_hostile_model_name(result: EquatingSection) -> None:
    out = render_everywhere(result)
    assert set(out["figures"]) == {"equating_delta_forest", "equating_item_difficulty"}
    for text in (out["md"], out["terminal"], out["html"]):
        assert "\u03b3 = mean \u03b4(Chinese) \u2212 mean \u03b4(Western) (n = 10 / 10)" in text
        assert "needs no anchor" in text and "permutation p, two-sided" in text
        assert "aime2024 old \u00b7 aime2025 fresh \u00b7 aime2026 fresh" in text
        assert "reference point (shift 0 by definition)" in text
        assert "super-population over items" in text and "200 draws" in text
        for item in hardest(result, "aime2026"):
            assert item.item_id in text
    assert "Every item (90)" in out["html"] and out["html"].count("<svg") == 2
    assert "&lt; 0.001" in out["md"]  # the permutation p, escaped


def test_json_holds_every_number(result: EquatingSection) -> None:
    payload = renderer_for(result).json(result)
    contrast = payload["contrast"]
    assert contrast["gamma"]["high"] < 0 and contrast["anchor_free"] is True
    assert [t["alternative"] for t in contrast["tests"]] == ["two-sided", "less"]
    first = payload["models"][0]
    assert first["model"] == HOSTILE and first["delta"]["estimate"] < 0
    assert first["freshness"] == {"aime2024": "not fresh", "aime2025": "fresh",
                                  "aime2026": "fresh"}
    assert len(payload["items"]) == 90 and payload["shifts"][0]["shift"]["estimate"] == 0
    assert payload["forms"][2] == {"name": "aime2026", "released": "2026-02-05"}
    assert payload["n_boot"] == 200 and "draws scaled" in payload["method"]


def test_no_forest_without_delta_and_no_difficulty_without_items() -> None:
    no_delta = section(hostile(simulate(cutoffs=("2023-01-01",))))
    renderer = renderer_for(no_delta)
    assert set(renderer.figures(no_delta)) == {"equating_item_difficulty"}
    html = str(renderer.html(no_delta))
    assert "No figure: no model has both old and fresh forms" in html
    out = render_everywhere(no_delta)
    assert "undefined" in out["md"] and "not computed" in out["md"]  # δ and γ
    assert out["json"]["contrast"]["skipped"]
    empty = dataclasses.replace(no_delta, items=())
    assert renderer.figures(empty) == {}
    assert "No figure: no item has a difficulty" in str(renderer.html(empty))


def test_models_without_delta_are_listed_beside_the_forest() -> None:
    sim = hostile(simulate())
    meta = sim.meta.copy()
    meta.loc[3, "training_cutoff"] = "2026-06-01"  # every form old to western-03
    result = section(dataclasses.replace(sim, meta=meta))
    out = render_everywhere(result)
    assert "Not drawn (δ undefined): western-03." in out["html"]
    assert "no fresh form attempted" in out["md"]


def test_reference_anchor_marks_the_references(result: EquatingSection) -> None:
    ref = section(reference_group="Western", anchor="reference")
    out = render_everywhere(ref)
    assert "western-01 (reference)" in out["md"] and "anchor: reference (western-01" in out["md"]
    assert out["json"]["anchor_kind"] == "reference"
    assert all(m["is_reference"] == (m["group"] == "Western") for m in out["json"]["models"])


def test_skipped_gamma_says_why_everywhere() -> None:
    sim = hostile(simulate())
    result = section(dataclasses.replace(sim, meta=sim.meta.assign(group="Chinese")))
    assert isinstance(result.contrast, Skipped)
    out = render_everywhere(result)
    for text in (out["md"], out["terminal"], out["html"]):
        assert "not computed" in text and "exactly two groups" in text
