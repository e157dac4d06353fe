"""The prompt-variant section in every output format with a hostile model name, and the
four new sections through the real CLI: `report --db ... --prompt boxed` as rich, md and
json, with `--html` and `--figures`."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from test_render_elicitation import HOSTILE, render_everywhere

from papertiger.analysis.results import Interval, Skipped
from papertiger.analysis.sections.elicitation import Contrast
from papertiger.analysis.sections.prompts import (
    ALL_FORMS,
    PairedDifference,
    PromptAccuracy,
    PromptSection,
)
from papertiger.cli import main
from papertiger.render.sections import renderer_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runner"))
from runner_helpers import make_data_dir  # noqa: E402


def prompt_section(name: str = HOSTILE) -> PromptSection:
    accuracies, differences = [], []
    for model, group, base, other in ((name, "Chinese", 60.0, 45.0), ("east-2", "Chinese", 50.0, 40.0),
                                      ("west-1", "Western", 80.0, 78.0)):
        for form in ("aime2024", ALL_FORMS):
            accuracies += [PromptAccuracy(model, group, "boxed", form, base, 30, 120),
                           PromptAccuracy(model, group, "basic", form, other, 30, 120)]
            differences.append(PairedDifference(
                model, group, "basic", "boxed", form, 30,
                Interval(other - base, other - base - 8, other - base + 8, method="bootstrap")))
    return PromptSection(
        baseline="boxed", prompts=("boxed", "basic"), forms=("aime2024",),
        accuracies=tuple(accuracies), differences=tuple(differences),
        contrasts=(Contrast("basic − boxed on all forms", "pp",
                            Skipped("basic − boxed on all forms", "need at least 2 models per group")),),
        group_by="group", groups=("Chinese", "Western"), level=0.95, n_boot=200,
        notes=(f"a note naming {name}",))


def test_every_format_with_a_hostile_model_name() -> None:
    out = render_everywhere(prompt_section())
    assert set(out["figures"]) == {"prompts_paired_differences"}
    assert "60.0 → 45.0" in out["md"] and "−15.0 [95% CI −23.0, −7.0]" in out["md"]
    assert out["json"]["differences"][0]["difference"]["estimate"] == -15.0
    assert "not computed: need at least 2 models per group" in out["html"]


def test_no_figure_without_paired_differences_over_all_forms() -> None:
    result = dataclasses.replace(prompt_section("m"), differences=())
    renderer = renderer_for(result)
    assert renderer.figures(result) == {}
    assert "No figure: no model has attempts under two prompts" in str(renderer.html(result))


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


MODEL = """[[model]]
name = {name}
provider = "scripted"
group = "{group}"
price_in = {price}
price_out = {price}
provider_options = {{ accuracy = {accuracy}, latency_s = 0.002 }}
"""


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # multiverse t tests
def test_the_cli_renders_the_four_sections_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = [(json.dumps(HOSTILE), "Chinese", 0.5, [0.8, 0.5, 0.4]),
              ('"east-2"', "Chinese", 0.4, [0.7, 0.45, 0.35]),
              ('"west-1"', "Western", 5.0, [0.85, 0.8, 0.8]),
              ('"west-2"', "Western", 3.0, [0.75, 0.7, 0.72])]
    models = tmp_path / "m.toml"
    models.write_text("\n".join(MODEL.format(name=n, group=g, price=p, accuracy=a)
                                for n, g, p, a in roster))
    db = tmp_path / "r.db"
    code, _, err = cli(monkeypatch, capsys, "run", "--provider", "scripted", "--models", str(models),
                       "--data", str(make_data_dir(tmp_path)), "--db", str(db), "--prompt",
                       "basic", "--prompt", "boxed", "--samples", "2")
    assert code == 0, err
    html, figures = tmp_path / "r.html", tmp_path / "figs"
    base = ["report", "--db", str(db), "--prompt", "boxed", "--n-boot", "200"]
    code, md, err = cli(monkeypatch, capsys, *base, "--format", "md", "--html", str(html),
                        "--figures", str(figures))
    assert code == 0, err
    titles = ("## Elicitation gap", "## Prompt variants", "## Tokenomics", "## Speed")
    assert all(t in md for t in titles) and "<script>" not in md
    page = html.read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    for section in ("elicitation", "prompts", "tokenomics", "speed"):
        assert f'<section class="extra" id="{section}">' in page
    names = {p.name for p in figures.iterdir()}
    for stem in ("elicitation_pass_at_k", "prompts_paired_differences",
                 "tokenomics_cost_vs_accuracy", "speed_distributions"):
        assert {f"{stem}.png", f"{stem}.svg"} <= names
    code, rich, err = cli(monkeypatch, capsys, *base)
    assert code == 0, err
    assert "Elicitation gap" in rich and "Prompt variants" in rich and "Speed" in rich
    code, out, err = cli(monkeypatch, capsys, *base, "--format", "json")
    assert code == 0, err
    extras = {x["section"].split(":")[0] for x in json.loads(out)["extras"]}
    assert {"Elicitation gap", "Prompt variants", "Tokenomics", "Speed"} <= extras
