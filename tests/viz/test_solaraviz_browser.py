"""``examples/solaraviz.py`` (GovernanceModel in Mesa's own SolaraViz) in a real browser: Debian's
chromium driven by Playwright, as ``tests/viz/test_app_browser.py`` drives the app. The example is
served with ``solara run`` on 127.0.0.1 and a free port; the page must load with no console error
and no unanswered asset request, and Mesa's Step and Reset must change it.

Skipped with the reason when chromium, Playwright or Solara's asset cache is missing; with
``GOVSIM_REQUIRE_BROWSER=1`` (set by CI) that is a failure.
"""

from __future__ import annotations

import re

import pytest

from tests.viz.conftest import serving, watched_page
from tests.viz.test_app_browser import ARTIFACTS, GRIDS, REASON

EXAMPLE = ARTIFACTS.parent / "examples" / "solaraviz.py"
WARMUP = 30  # examples/solaraviz.py: run.warmup_days

pytestmark = pytest.mark.skipif(bool(REASON), reason=f"browser tests skipped: {REASON}")


@pytest.fixture(scope="module")
def server():
    with serving(EXAMPLE, "solaraviz-server.log") as url:
        yield url


@pytest.fixture
def page(server, browser):
    """The example's page, loaded, failing the test on console errors or asset misses."""
    with watched_page(browser, server, timeout=120_000, every_request=True) as page:
        yield page


def _map_day(page) -> str:
    return page.locator(".govsim-map").get_attribute("data-day")


def test_the_example_shows_the_map_mesas_controls_and_the_chart(page):
    assert page.locator("path.grid-shape").count() == GRIDS
    for name in ("Step", "Reset"):
        assert page.get_by_role("button", name=name, exact=True).is_visible()
    assert page.get_by_text("Time: 0.0").is_visible()
    assert page.get_by_text(f"Warm-up, day 0 of {WARMUP}").first.is_visible()
    assert page.locator("img").count() >= 1  # Mesa's matplotlib chart
    page.screenshot(path=ARTIFACTS / "solaraviz-loaded.png", full_page=True)


def test_step_advances_the_model_and_redraws_the_map_and_reset_starts_again(page):
    assert _map_day(page) == str(-WARMUP)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("Time: 1.0").wait_for(timeout=30_000)
    page.wait_for_function(
        f"() => document.querySelector('.govsim-map').dataset.day === '{1 - WARMUP}'",
        timeout=30_000,
    )
    assert page.get_by_text(f"Warm-up, day 1 of {WARMUP}").first.is_visible()
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("Time: 2.0").wait_for(timeout=30_000)
    page.screenshot(path=ARTIFACTS / "solaraviz-stepped.png", full_page=True)
    page.get_by_role("button", name="Reset", exact=True).click()  # a new GovernanceModel
    page.get_by_text(re.compile(r"^Time: 0\.0$")).wait_for(timeout=60_000)
    page.wait_for_function(
        f"() => document.querySelector('.govsim-map').dataset.day === '{-WARMUP}'",
        timeout=60_000,
    )
