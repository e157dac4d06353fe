"""The HTML report: content, escaping, offline-ness; and, in a real Chromium, how it renders."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from papertiger.analysis.results import MetricsTable, Report, Skipped
from papertiger.render.html import p_value, render_html, signed, write_html


def names(report: Report) -> list[str]:
    return [m.model for m in report.section.models]


def with_section(report: Report, **changes: Any) -> Report:
    return dataclasses.replace(report, sections=(dataclasses.replace(report.section, **changes),))

MINUS = "\u2212"
EXTERNAL = re.compile(
    r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:[a-z]+:)?//|url\(\s*["']?(?:https?:)?//|@import""",
    re.I,
)


class TagCollector(HTMLParser):
    """Every start tag and every text node, as a browser-like tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(html)
    return collector


@pytest.fixture(scope="module")
def html(make_report: Any, essay: Any) -> str:
    """The essay's report, rendered once for the module."""
    return str(render_html(make_report(essay)))


def test_formatters_use_a_real_minus_sign() -> None:
    assert signed(-12.345) == f"{MINUS}12.3"
    assert signed(0.3) == "+0.3"
    assert signed(float("nan")) == "\u2014"
    assert p_value(0.0912) == "0.091"
    assert p_value(0.00001) == "< 0.001"


def test_document_is_self_contained(html: str) -> None:
    assert html.lstrip().lower().startswith("<!doctype html>")
    tags = parse(html).tags
    assert "script" not in tags and "link" in tags  # the only link is the data: favicon
    assert tags.count("svg") == 2
    assert not EXTERNAL.search(html)
    assert "default-src 'none'" in html


def test_every_model_and_the_group_rows_are_in_the_table(html: str, report: Report) -> None:
    text = " ".join(parse(html).text)
    for name in names(report):
        assert name in text
    for row in ("Chinese mean (n = 7)", "Western mean (n = 12)", "Overall mean (n = 19)"):
        assert row in text
    # the essay's headline numbers, with real minus signs
    for number in ("21.0", "10.4", "14.3", "13.7", "4.5", "7.9"):
        assert f"{MINUS}{number}" in text
    assert f"{MINUS}12.3" in text and "+0.3" in text  # Kimi K2 pp fall; Nova Premier rose


def test_table_has_ci_columns_only_when_present(
    html: str, make_report: Any, essay: Any
) -> None:
    # intervals sit under each fall in its own cell, labelled by what they answer
    assert html.count('<span class="ci">') == 2 * 19 and "other items" in html
    assert '<span class="ci">' not in render_html(make_report(essay, ci=False))


def test_table_says_whether_the_later_form_is_fresh(html: str) -> None:
    assert "AIME 2025 fresh?" in html


def test_comparison_labels_every_test(html: str, report: Report) -> None:
    for label in (
        "Welch t",
        "Mann–Whitney U",
        "Permutation",
        "ANCOVA",
        "Hedges&#39; g",
        "one-sided: mean Chinese &lt; mean Western",
        "two-sided: mean Chinese \u2260 mean Western",
        "Bootstrap interval",
        "95% CI",
        "Models per group for 80% power",
    ):
        assert label in html, label
    comparison = report.section.comparison
    assert not isinstance(comparison, Skipped)
    verse = report.section.multiverse
    assert not isinstance(verse, Skipped)
    grid_cells = len(verse.rows) * len(verse.tests)  # one cell per test: "2-sided / 1-sided"
    cells = html.count('class="num p"') + html.count('class="num p sig"')
    assert cells == len(comparison.tests) + 1 + grid_cells
    # emphasis only where it means something: p below alpha
    sig_tests = sum(t.p_value < 0.05 for t in comparison.tests)
    sig_ancova = int(comparison.ancova is not None and comparison.ancova.p_value < 0.05)
    sig_grid = sum(
        any(r.p.get((t, side), 1.0) < 0.05 for side in ("two-sided", "less"))
        for r in verse.rows for t in verse.tests
    )
    assert html.count('class="num p sig"') == sig_tests + sig_ancova + sig_grid


def test_multiverse_and_notes(html: str, report: Report) -> None:
    # one grid row per metric for this subset
    assert html.count("frontier 5 per group") == 3
    assert "Humans did about 4% better" in html
    empty = with_section(
        report,
        multiverse=Skipped("multiverse", "only one group"),
        comparison=Skipped("group comparison", "only Western in this selection"),
        notes=(),
    )
    html = render_html(empty)
    assert "No multiverse: only one group" in html and 'id="notes"' not in html
    assert "No group comparison: only Western in this selection" in html and "Hedges" not in html


def test_item_level_metrics_table(report: Report, evil_name: str) -> None:
    from papertiger.analysis.results import FormMetrics, Interval

    rows = tuple(
        FormMetrics(model=name, form="aime2025", items=30, attempts=120, errors=errors,
                    samples=4, avg=Interval(88.33, 80.0, 95.0), pass_at={1: 88.33, 4: 96.7},
                    maj_k=4, maj=90.0, truncated=0, flagged={"grader_timeout": 0},
                    mean_completion_tokens=tokens)
        for name, errors, tokens in (("o3", 0, 123456.0), (evil_name, 2, 500.0))
    )
    html = render_html(dataclasses.replace(report, metrics=MetricsTable(rows)))
    assert 'id="metrics"' in html and "88.3" in html and "123,456" in html
    assert "&lt;script&gt;" in html
    assert "Not shown: published scores are aggregates" in render_html(report)


def test_hostile_strings_are_escaped(evil_report: Report, evil_name: str) -> None:
    html = render_html(evil_report)
    parsed = parse(html)
    assert "script" not in parsed.tags
    assert evil_name not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;x&#34;" in html  # table, notes
    assert '&lt;script&gt;alert(1)&lt;/script&gt; &amp; "x"' in html  # SVG text
    assert sum(evil_name in t for t in parsed.text) >= 4  # 2 table/notes + 2 figures


def test_write_html_creates_the_file(report: Report, tmp_path: Path) -> None:
    path = write_html(report, tmp_path / "out" / "report.html")
    assert path.exists() and path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# --- real browser -----------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the whole module."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium not found (looked for `chromium` on PATH and /usr/bin/chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@dataclasses.dataclass
class Visit:
    page: Any
    errors: list[str]
    requests: list[str]
    dialogs: list[str]


def visit(browser: Any, path: Path) -> Visit:
    """Open `path` and record console errors, page errors, non-file requests and dialogs."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    seen = Visit(page, [], [], [])
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on(
        "request",
        lambda r: None if r.url.startswith(("file:", "data:")) else seen.requests.append(r.url),
    )

    def dismiss(dialog: Any) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.goto(path.resolve().as_uri(), wait_until="load")
    return seen


def assert_not_blank(png: Path) -> None:
    try:
        from PIL import Image

        pixels = np.asarray(Image.open(png).convert("RGB"), dtype=float) / 255
    except ImportError:
        from matplotlib.image import imread

        pixels = imread(png)[..., :3]
    assert pixels.shape[0] > 1000 and pixels.shape[1] >= 1000
    assert pixels.var() > 0.001
    assert (pixels < 0.9).any(axis=-1).mean() > 0.01  # not all white


def assert_figures_visible(page: Any) -> None:
    figures = page.locator("figure svg")
    assert figures.count() == 2
    for i in range(2):
        assert figures.nth(i).is_visible()
        box = figures.nth(i).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 300


@pytest.mark.slow
def test_report_renders_offline_in_chromium(
    browser: Any, report: Report, tmp_path: Path
) -> None:
    seen = visit(browser, write_html(report, tmp_path / "report.html"))
    page = seen.page
    cells = page.locator("table.models td.model").all_inner_texts()
    assert cells == names(report)
    svg_text = " ".join(page.locator("figure svg text").all_text_contents())
    for name in names(report):
        assert page.get_by_text(name, exact=True).first.is_visible()
        assert name in svg_text
    assert_figures_visible(page)
    assert page.locator("tr.mean").count() == 2 and page.locator("tr.overall").count() == 1
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copyfile(shot, "/tmp/papertiger-report.png")
    assert_not_blank(shot)
    assert page.pdf(format="A4")[:4] == b"%PDF"  # printable
    assert (seen.errors, seen.requests, seen.dialogs) == ([], [], [])
    page.close()


@pytest.mark.slow
def test_hostile_model_name_is_inert_in_chromium(
    browser: Any, evil_report: Report, evil_name: str, tmp_path: Path
) -> None:
    seen = visit(browser, write_html(evil_report, tmp_path / "evil.html"))
    page = seen.page
    assert page.evaluate("document.scripts.length") == 0
    assert evil_name in page.locator("table.models td.model").all_inner_texts()
    assert page.get_by_text(evil_name, exact=True).first.is_visible()
    assert evil_name in page.locator("figure svg text").all_text_contents()
    assert any(evil_name in note for note in page.locator("#notes li").all_inner_texts())
    assert page.locator("table.models tbody tr.model").count() == len(evil_report.section.models)
    assert_figures_visible(page)
    shot = tmp_path / "evil.png"
    page.screenshot(path=str(shot), full_page=True)
    assert_not_blank(shot)
    assert (seen.errors, seen.requests, seen.dialogs) == ([], [], [])
    page.close()
