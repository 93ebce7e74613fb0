"""The app in a real browser refuses a value that cannot run, where it is typed, never with a
traceback: the trust-room slider dragged to its end (it ends at the map's 234 units), and
``{Huicheng = -600}`` (grid workers) and ``{Muzhou = -900}`` (Yi Police) typed in. The message
shows under the control, and the page stays usable (Step still runs).

The set-up (server, Chromium, the console and offline-asset checks) is
``tests/viz/conftest.py``'s (one server and one browser for the session).
"""

from __future__ import annotations

import re

import pytest

from sim.model.geography import load_geography
from tests.viz import test_app_browser as app_browser

ARTIFACTS, _wait_day = app_browser.ARTIFACTS, app_browser._wait_day
pytestmark = app_browser.pytestmark

UNITS = load_geography().n_villages


def _no_traceback(page) -> None:
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and 'File "' not in text
    assert page.locator("path.grid-shape").count() > 0  # the page is still the app


def _still_runs(page) -> None:
    page.get_by_role("button", name="Step", exact=True).click()
    _wait_day(page, 1)


def test_the_trust_room_slider_ends_at_the_maps_units_and_its_end_runs(page):
    control = page.locator(".govsim-policy-A .govsim-control-mediation-trust_rooms")
    slider = control.get_by_role("slider")
    assert slider.get_attribute("aria-valuemax") == str(UNITS)
    box = control.locator(".v-slider").bounding_box()
    thumb = control.locator(".v-slider__thumb").bounding_box()
    page.mouse.move(thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] + 200, box["y"] + box["height"] / 2, steps=10)
    page.mouse.up()
    control.get_by_text(re.compile(rf": {UNITS}$")).wait_for(timeout=30_000)
    assert slider.get_attribute("aria-valuenow") == str(UNITS)
    _wait_day(page, 0)
    _no_traceback(page)
    _still_runs(page)
    page.screenshot(path=ARTIFACTS / "app-trust-rooms-at-the-end.png", full_page=True)


@pytest.mark.parametrize(
    ("key", "typed", "expected"),
    [
        ("grid_workers-add", "{Huicheng = -600}", "grid_workers.add.Huicheng: -600 would leave"),
        (
            "volunteer_police-add",
            "{Muzhou = -900}",
            "volunteer_police.add.Muzhou: -900 would leave",
        ),
    ],
)
def test_a_typed_change_below_no_staff_is_refused_under_its_control(page, key, typed, expected):
    control = page.locator(f".govsim-policy-A .govsim-control-{key}")
    field = control.locator("input")
    field.fill(typed)
    field.press("Enter")
    error = control.locator(".govsim-control-error")
    error.wait_for(timeout=30_000)
    assert error.inner_text().startswith(expected)
    _no_traceback(page)
    _still_runs(page)
    assert control.locator(".govsim-control-error").is_visible()
    page.screenshot(path=ARTIFACTS / f"app-refused-{key}.png", full_page=True)


def test_the_message_is_in_chinese_when_the_page_is(page):
    page.locator(".govsim-language").get_by_role("button", name="中文").click()
    page.get_by_role("button", name="运行 30 天").wait_for(timeout=10_000)
    control = page.locator(".govsim-policy-A .govsim-control-volunteer_police-add")
    field = control.locator("input")
    field.fill("{Muzhou = -900}")
    field.press("Enter")
    error = control.locator(".govsim-control-error")
    error.wait_for(timeout=30_000)
    said = error.inner_text()  # the whole sentence in Chinese, its words in Chinese order
    assert "volunteer_police.add.Muzhou: -900 将使 Muzhou 的义警变为 -100（现有 800）" in said, said
    assert "with" not in said and "it has" not in said
    _no_traceback(page)
