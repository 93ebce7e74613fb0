"""``report.html`` in a real browser: its first screen (1280 x 900 pixels) shows the answer's
sentences and the flow picture, in English and in Chinese, for a comparison and for one scenario.

The browser (Debian's chromium through Playwright) is ``tests/viz/conftest.py``'s, the skip or
fail when it is missing ``tests/viz/test_app_browser.py``'s; the report is opened as a file, as a
planner opens it. Screenshots go to ``artifacts/``.
"""

from __future__ import annotations

import pytest

from sim.cli import main
from tests.viz import test_app_browser as app_browser

ARTIFACTS = app_browser.ARTIFACTS
pytestmark = app_browser.pytestmark
SCREEN = {"width": 1280, "height": 900}
SMALL = ["--set", "population.scale=0.1", "--set", "run.warmup_days=20", "--days", "30"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Muzhou against Muzhou without its policies (3 runs of 30 days at 10% scale) and Muzhou
    alone, each report in English and in Chinese."""
    root = tmp_path_factory.mktemp("reports")
    found = {}
    for lang in ("en", "zh"):
        out = root / f"compare-{lang}"
        argv = ["compare", "muzhou_without_its_policies", "muzhou", *SMALL, "--sets", "3"]
        assert main([*argv, "--lang", lang, "--quiet", "--out", str(out)]) == 0
        found["compare", lang] = out / "report.html"
        out = root / f"run-{lang}"
        argv = ["run", "muzhou", *SMALL, "--replicates", "3", "--lang", lang, "--quiet"]
        assert main([*argv, "--out", str(out)]) == 0
        found["run", lang] = out / "report.html"
    return found


def _first_screen(browser, path, shot: str):
    """The page opened at the first screen's size: the page, and its console errors."""
    page = browser.new_page(viewport=SCREEN)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.resolve().as_uri())
    page.screenshot(path=ARTIFACTS / shot)
    return page, errors


def _in_first_screen(page, selector: str) -> None:
    """The element is visible, loaded (an image) and wholly inside the first screen."""
    element = page.locator(selector).first
    assert element.is_visible(), selector
    box = element.bounding_box()
    assert box is not None and box["height"] > 20, selector
    assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"], (selector, box)
    assert box["x"] + box["width"] <= SCREEN["width"], (selector, box)


@pytest.mark.parametrize(
    ("lang", "heading", "words"),
    [
        ("en", "The answer", ["muzhou against muzhou_without_its_policies", "How sure, over seeds",
                              "What would change the answer"]),
        ("zh", "结论", ["muzhou对比muzhou_without_its_policies", "把握有多大", "什么会改变这个结论"]),
    ],
)  # fmt: skip
def test_the_comparison_report_opens_with_the_answer_and_the_flow(
    browser, reports, lang, heading, words
):
    page, errors = _first_screen(browser, reports["compare", lang], f"report-answer-{lang}.png")
    first = page.locator("h2").first
    assert first.inner_text() == heading  # before the provenance and the tables
    for selector in (".answer-headline", ".answer-sure", ".answer-change", "img.flow-picture"):
        _in_first_screen(page, selector)
    text = page.locator("section.answer").inner_text()
    for word in words:
        assert word in text
    loaded = page.eval_on_selector("img.flow-picture", "i => i.complete && i.naturalWidth")
    assert loaded > 300  # the picture decoded, not a broken image
    assert page.locator("h2").nth(1).inner_text() != heading
    assert errors == []
    page.close()


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", ["muzhou over 3 runs of 30 days", "published (range)"]),
     ("zh", ["muzhou（3 次运行，每次 30 天）", "公布数值（范围）"])],
)  # fmt: skip
def test_the_single_report_opens_with_its_key_figures_beside_the_published_ones(
    browser, reports, lang, words
):
    page, errors = _first_screen(browser, reports["run", lang], f"report-single-{lang}.png")
    _in_first_screen(page, ".answer-headline")
    _in_first_screen(page, "img.flow-picture")
    assert page.locator("table.targets tr").count() > 5
    text = page.locator("section.answer").inner_text()
    for word in words:
        assert word in text
    assert errors == []
    page.close()
