"""The item-level HTML report as a reader sees it, in headless Chromium: nothing clipped at
1,280 or 800 px, model output inert, and the attempt browser opening a cell without scripts."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_html import assert_not_blank, browser, visit  # noqa: E402,F401,F811  (fixture reused)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runner"))
from runner_helpers import make_data_dir  # noqa: E402

pytestmark = pytest.mark.slow

HOSTILE = '<script>alert(1)</script><img src="x" onerror="alert(2)"> The answer is \\boxed{12}.'
OVERFLOW_JS = """() => {
  const out = [];
  for (const t of document.querySelectorAll('table')) {
    if (!t.offsetParent) continue;
    const box = t.closest('section, header') || document.body;
    const over = t.getBoundingClientRect().right - box.getBoundingClientRect().right;
    if (over > 1 || t.scrollWidth > t.clientWidth + 1) out.push((t.className || 'table') + ' +' + Math.round(over));
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push('page');
  return out;
}"""


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A three-form store from the scripted models, one model's answers made hostile, and
    its report as the CLI writes it (subprocesses: the browser owns this thread's loop)."""
    folder = tmp_path_factory.mktemp("browser")
    data = make_data_dir(folder)
    db, html = folder / "r.db", folder / "report.html"
    command = [sys.executable, "-m", "papertiger"]
    made = subprocess.run([*command, "run", "--provider", "scripted", "--data", str(data),
                           "--samples", "2", "--db", str(db)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    con = sqlite3.connect(db)
    con.execute("UPDATE attempts SET text = ?, reasoning = ? WHERE model = 'scripted-east-1'",
                (HOSTILE, "thinking <b>hard</b> " * 80))
    con.commit()
    con.close()
    shown = subprocess.run([*command, "report", "--db", str(db), "--html", str(html)],
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    return html


@pytest.mark.parametrize("width", [1280, 800])
def test_nothing_is_clipped_at_common_widths(browser: Any, report_html: Path, width: int) -> None:  # noqa: F811
    seen = visit(browser, report_html)
    page = seen.page
    page.set_viewport_size({"width": width, "height": 900})
    assert page.evaluate(OVERFLOW_JS) == []
    shot = report_html.with_name(f"report-{width}.png")
    page.screenshot(path=str(shot), full_page=True)
    if width >= 1000:
        assert_not_blank(shot)
    page.close()


def test_model_output_is_inert_and_a_cell_opens(browser: Any, report_html: Path) -> None:  # noqa: F811
    seen = visit(browser, report_html)
    page = seen.page
    assert page.evaluate("document.scripts.length") == 0
    assert page.locator("img").count() == 0  # the <img onerror> is text, not an element
    cell = page.locator("table.attempt-grid details").first
    samples = cell.locator(".samples")
    assert not samples.is_visible()
    cell.locator("summary").first.click()  # the cell's own summary; nested ones follow
    assert samples.is_visible()
    hostile = page.get_by_text('<script>alert(1)</script><img src="x" onerror="alert(2)">', exact=False)
    assert hostile.first.is_visible()
    assert "cut at 800 of" in samples.inner_text()  # long reasoning cut, with its length
    page.set_viewport_size({"width": 800, "height": 900})
    assert page.evaluate(OVERFLOW_JS) == []  # an open cell does not widen the page
    assert (seen.errors, seen.requests, seen.dialogs) == ([], [], [])
    page.close()
