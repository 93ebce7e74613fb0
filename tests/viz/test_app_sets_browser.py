"""Compare mode's "how sure over plausible parameter sets" in a real browser: at a small
population scale and a short warm-up (both set in the page, as a user sets them), the button
runs A and B in the posterior ensemble's sets (on the server's process pool, in a thread: the
page stays usable) and the card shows in how many of them B is better, in English and, after
the switch, in Chinese.

The set-up (server, Chromium, the console and offline-asset checks) is
``tests/viz/conftest.py``'s (one server and one browser for the session).
"""

from __future__ import annotations

import re

from sim.runs.ensemble import DEFAULT_SETS
from sim.viz.plausible import DEFAULT_DAYS
from tests.viz import test_app_browser as app_browser

ARTIFACTS, _wait_day = app_browser.ARTIFACTS, app_browser._wait_day
pytestmark = app_browser.pytestmark

SCALE = "0.02"  # a small district and a short warm-up, so that 40 runs take seconds
WARMUP = "30"


def _enter(field, value: str) -> None:
    field.fill(value)
    field.press("Enter")


def test_compare_mode_shows_in_how_many_plausible_sets_b_is_better_in_both_languages(page):
    _enter(page.locator(".govsim-policy-A .govsim-control-population-scale input"), SCALE)
    _enter(page.locator(".govsim-policy-A .govsim-control-run-warmup_days input"), WARMUP)
    page.get_by_text("compare two policies (A and B)").click()
    page.locator(".govsim-policy-B").wait_for(timeout=30_000)  # B starts as a copy of A
    warmup = page.locator(".govsim-policy-B .govsim-control-run-warmup_days input")
    assert warmup.input_value() == WARMUP  # so B warms up as A does, in the sets' runs too
    workers = page.locator(".govsim-policy-B").get_by_label(
        re.compile("^grid workers in the whole district")
    )
    _enter(workers, "3000")
    card = page.locator(".govsim-sets")
    card.get_by_text(f"each measuring {DEFAULT_DAYS} d").wait_for(timeout=30_000)  # none run yet
    button = card.get_by_role(
        "button", name=f"Run A and B in {DEFAULT_SETS} plausible parameter sets"
    )
    button.click()
    card.locator(".govsim-sets-running").wait_for(timeout=30_000)
    assert button.is_disabled()
    page.get_by_role("button", name="Step", exact=True).click()  # the page answers meanwhile
    _wait_day(page, 1)
    outcomes = card.locator(".govsim-sets-outcomes")
    outcomes.wait_for(timeout=300_000)
    text = outcomes.inner_text()
    assert text.count(f"of {DEFAULT_SETS} plausible parameter sets") >= 3, text
    assert "B better in" in text and "escalation rate" in text
    assert button.is_enabled() and "Traceback" not in page.locator("body").inner_text()
    card.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "app-plausible-sets.png", full_page=True)

    page.locator(".govsim-language").get_by_role("button", name="中文").click()
    card.locator(".govsim-sets-outcomes", has_text=f"{DEFAULT_SETS} 组可信参数中 B 在").wait_for(
        timeout=30_000
    )
    assert card.get_by_role(
        "button", name=f"在 {DEFAULT_SETS} 组可信参数下运行 A 与 B"
    ).is_visible()
    assert "在多组可信参数下有多大把握" in card.inner_text()
    assert "plausible parameter sets" not in card.inner_text()
    page.screenshot(path=ARTIFACTS / "app-plausible-sets-zh.png", full_page=True)
