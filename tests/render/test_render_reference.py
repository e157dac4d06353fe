"""The reference-regression section in every output format with a hostile model name, its
Skipped pairs, the aggregate-score wording, and both new sections through the real CLI on
a scripted store over the three-form AIME data (json, md, terminal, --html, --figures)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from test_render_elicitation import HOSTILE, render_everywhere
from test_render_equating import hostile

from papertiger.analysis import ReportOptions, build_report
from papertiger.analysis.results import Skipped
from papertiger.analysis.sections.reference import ReferenceSection, build_reference
from papertiger.cli import main
from papertiger.render.sections import renderer_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
from test_section_equating import inputs, scripted_store, simulate  # noqa: E402


@pytest.fixture(scope="module")
def result() -> ReferenceSection:
    out = build_reference(inputs(hostile(simulate()), n_boot=200, reference_group="Western"))
    assert isinstance(out, ReferenceSection)
    return out


def test_every_format_with_a_hostile_model_name(result: ReferenceSection) -> None:
    out = render_everywhere(result)
    assert set(out["figures"]) == {"reference_curve"}
    for text in (out["md"], out["terminal"], out["html"]):
        assert "aime2024 \u2192 aime2025" in text and "aime2025 \u2192 aime2026" in text
        assert "excess (p < 0.05)" in text.replace("&lt;", "<")
        assert "extrapolated" in text and "(residual)" in text and "reference" in text
        assert "chosen by group = Western" in text
    assert out["html"].count("<svg") == 1
    first = out["json"]["pairs"][0]
    assert first["models"][0]["model"] == HOSTILE and first["models"][0]["flagged"] is True
    assert len(first["grid"]) <= 101 and first["grid"][0][0] == 0.0
    assert first["curve"] == "smoothing spline" and len(first["references"]) == 10


def test_tested_models_come_first_by_excess(result: ReferenceSection) -> None:
    from papertiger.render.sections.reference import rows

    table = rows(result, result.computed[0])
    assert table[0][0] == HOSTILE  # the biggest excess on top
    assert [r[-1] for r in table][-10:] == ["reference"] * 10


def test_skipped_pairs_render_their_reason_and_no_figure_without_a_pair(
        result: ReferenceSection) -> None:
    one = dataclasses.replace(result, pairs=(Skipped("aime2024 \u2192 aime2025",
                                                     "only 3 reference models"),
                                             result.pairs[1]))
    out = render_everywhere(one)
    assert "not computed: only 3 reference models" in out["md"]
    assert "Not computed: only 3 reference models" in out["html"]
    assert out["json"]["pairs"][0] == {"label": "aime2024 \u2192 aime2025",
                                       "skipped": "only 3 reference models"}
    none = dataclasses.replace(result, pairs=(Skipped("x", "why"),))
    renderer = renderer_for(none)
    assert renderer.figures(none) == {}
    assert "No figure: no pair of forms could be computed" in str(renderer.html(none))


def test_aggregate_scores_say_only_references_were_resampled() -> None:
    report = build_report(None, ReportOptions(reference_group="Western", n_boot=200))
    (section,) = [x for x in report.extras if isinstance(x, ReferenceSection)]
    renderer = renderer_for(section)
    md = renderer.markdown(section)
    assert "reference models only" in md and "too narrow" in md
    assert renderer.json(section)["item_level"] is False
    assert set(renderer.figures(section)) == {"reference_curve"}


# -- through the CLI -----------------------------------------------------------------------


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
        ) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["papertiger", *args])
    monkeypatch.setenv("COLUMNS", "200")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


EQUATING = "Rasch equating"
REFERENCE = "Reference-model regression"


@pytest.mark.slow  # four runs of the CLI: about 8 s
@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # multiverse t tests
def test_the_cli_shows_both_sections_everywhere(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = scripted_store(tmp_path, shared_data, monkeypatch)
    capsys.readouterr()
    base = ["report", "--db", str(db), "--n-boot", "200", "--reference-group", "Western"]
    code, out, err = cli(monkeypatch, capsys, *base, "--format", "json")
    assert code == 0, err
    extras = {x["section"].split(":")[0]: x for x in json.loads(out)["extras"]}
    equating, reference = extras[EQUATING], extras[REFERENCE]
    assert [f["name"] for f in equating["forms"]] == ["aime2024", "aime2025", "aime2026"]
    assert equating["contrast"]["gamma"]["high"] < 0  # the eastern models fall on fresh forms
    assert [p["label"] for p in reference["pairs"]] == ["aime2024 \u2192 aime2025",
                                                        "aime2025 \u2192 aime2026"]
    html, figures = tmp_path / "r.html", tmp_path / "figs"
    code, md, err = cli(monkeypatch, capsys, *base, "--format", "md", "--html", str(html),
                        "--figures", str(figures))
    assert code == 0, err
    assert f"## {EQUATING}" in md and f"## {REFERENCE}" in md
    page = html.read_text()
    for section in ("equating", "reference"):
        assert f'<section class="extra" id="{section}">' in page
    names = {p.name for p in figures.iterdir()}
    for stem in ("equating_delta_forest", "equating_item_difficulty", "reference_curve"):
        assert {f"{stem}.png", f"{stem}.svg"} <= names
    code, rich, err = cli(monkeypatch, capsys, *base)
    assert code == 0, err
    assert EQUATING in rich and REFERENCE in rich and "Form shifts" in rich
