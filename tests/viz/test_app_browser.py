"""The web app in a real browser: Debian's chromium driven by Playwright's Python package.

A Solara server runs ``app.py`` on 127.0.0.1 and a free port, one for the test session
(``tests/viz/conftest.py``: ``server``, ``browser`` and ``page``, shared by the other browser
modules). Every test fails on a console error or on a ``/_solara/cdn`` request that is
not answered (the app must work offline). Screenshots go to ``artifacts/``.

Without chromium (or Playwright, or the Solara asset cache) these tests are
skipped with the reason; with ``GOVSIM_REQUIRE_BROWSER=1`` (set by CI) they fail.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from sim.model.metrics import METRICS
from sim.runs.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
GRIDS = 640


def _missing_requirement() -> str:
    """Why the browser tests cannot run here, or "" if they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    if shutil.which("chromium") is None:
        return "chromium is not installed (apt-get install chromium)"
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from solara_assets import cache_dir, missing_files, references
    finally:
        sys.path.pop(0)
    missing = missing_files(references(), cache_dir())
    if missing:
        return f"Solara's browser assets are missing (python tools/solara_assets.py): {missing[0]}"
    return ""


REASON = _missing_requirement()
if REASON and os.environ.get("GOVSIM_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"GOVSIM_REQUIRE_BROWSER=1 but {REASON}")
pytestmark = pytest.mark.skipif(bool(REASON), reason=f"browser tests skipped: {REASON}")


def _day(page) -> int:
    return int(re.search(r"Day (\d+)", page.locator(".govsim-day").inner_text()).group(1))


def _settled_day(page, timeout: float = 15.0) -> int:
    """The day shown once it has stopped changing (two reads 0.6 s apart agree); a run that
    is still playing at 5 days a second never settles, and fails here."""
    last, waited = _day(page), 0.0
    while waited < timeout:
        page.wait_for_timeout(600)
        waited += 0.6
        now = _day(page)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the day shown kept changing for {timeout} s after Pause")


def _wait_day(page, day: int) -> None:
    page.locator(".govsim-day", has_text=re.compile(rf"^Day {day}$")).wait_for(timeout=30_000)


def _kpis(page) -> list[str]:
    return page.locator(".govsim-kpi").all_inner_texts()


def _settled_kpis(page) -> list[str]:
    """The KPI cards once two reads 300 ms apart agree: the day's label can reach the page
    before the cards of the same day (seen on a loaded machine)."""
    last = _kpis(page)
    for _ in range(50):
        page.wait_for_timeout(300)
        now = _kpis(page)
        if now == last:
            return now
        last = now
    return last


def _points(page) -> int:
    return int(page.locator(".govsim-chart").first.get_attribute("data-points"))


def test_page_loads_with_every_grid_and_no_errors(page):
    assert page.locator("path.grid-shape").count() == GRIDS
    assert page.get_by_text("Xinhui grassroots governance simulator").first.is_visible()
    assert page.locator(".govsim-legend").count() == 1
    assert page.locator(".govsim-map g.towns text").count() == 11  # town names
    assert page.locator(".govsim-map g.scale-bar text").text_content().strip() == "10 km"
    page.screenshot(path=ARTIFACTS / "app-loaded.png")
    page.locator("path.grid-shape").nth(100).click()
    details = page.locator(".govsim-grid-details")
    details.wait_for(timeout=10_000)
    assert "open disputes" in details.inner_text()
    place = page.locator(".govsim-place-details")
    place.wait_for(timeout=10_000)
    text = place.inner_text()
    assert "its town and the district" in text and "Yi Police" in text and "district" in text


def test_step_advances_the_day_and_the_plots(page):
    assert _day(page) == 0 and _points(page) == 0
    page.get_by_role("button", name="Step", exact=True).click()
    _wait_day(page, 1)
    page.wait_for_function(
        "() => document.querySelector('.govsim-chart').dataset.points === '1'", timeout=10_000
    )
    page.get_by_role("button", name="Run 30 days").click()
    _wait_day(page, 31)
    page.wait_for_function(
        "() => document.querySelector('.govsim-chart').dataset.points === '31'", timeout=10_000
    )
    assert page.locator(".govsim-map").get_attribute("data-day") == "31"
    page.screenshot(path=ARTIFACTS / "app-after-31-days.png", full_page=True)


def test_grid_workers_control_changes_the_metrics(page):
    page.get_by_role("button", name="Run 30 days").click()
    _wait_day(page, 30)
    before = _settled_kpis(page)  # not the cards of day 0, which would differ whatever happens
    field = page.locator(".govsim-policy-A").get_by_label(
        re.compile("^grid workers in the whole district")
    )
    workers = load_scenario("baseline").params["grid_workers.total"]
    assert field.input_value() == str(workers)
    field.fill(str(3 * workers))
    field.press("Enter")
    _wait_day(page, 0)  # a new policy restarts the run
    page.get_by_role("button", name="Run 30 days").click()
    _wait_day(page, 30)
    after = _settled_kpis(page)
    assert after != before
    page.screenshot(path=ARTIFACTS / "app-more-grid-workers.png", full_page=True)


def test_compare_mode_shows_both_policies(page):
    page.get_by_text("compare two policies (A and B)").click()
    page.locator(".govsim-policy-B").wait_for(timeout=30_000)
    page.locator(".govsim-map").nth(1).wait_for(timeout=30_000)
    assert page.locator("path.grid-shape").count() == 2 * GRIDS
    page.get_by_role("button", name="Run 30 days").click()
    _wait_day(page, 30)
    assert page.locator(".govsim-differences").is_visible()
    assert page.locator(".govsim-chart").first.locator("polyline.govsim-line").count() == 2
    assert "A:" in _kpis(page)[0] and "B:" in _kpis(page)[0]
    page.screenshot(path=ARTIFACTS / "app-compare.png", full_page=True)


def _flow_picture_width(page) -> int:
    """The natural width of the flow picture once it has loaded (0 while it has none)."""
    picture = page.locator(".govsim-flow img")
    if picture.count() == 0:
        return 0
    picture.first.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => { const i = document.querySelector('.govsim-flow img'); "
        "return i && i.complete && i.naturalWidth > 0; }",
        timeout=30_000,
    )
    return page.eval_on_selector(".govsim-flow img", "i => i.naturalWidth")


def test_the_flow_picture_appears_after_a_day_and_shows_a_beside_b_in_both_languages(page):
    assert _flow_picture_width(page) == 0  # day 0: no case has arisen yet, no picture
    page.get_by_text("compare two policies (A and B)").click()
    page.locator(".govsim-policy-B").wait_for(timeout=30_000)
    page.get_by_role("button", name="Run 30 days").click()
    _wait_day(page, 30)
    page.locator(".govsim-flow img").wait_for(timeout=30_000)
    assert _flow_picture_width(page) > 300
    flow = page.locator(".govsim-flow")
    assert "Where the cases that arose since day 0 stand now" in flow.inner_text()
    flow.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "app-flow.png", full_page=True)
    page.locator(".govsim-language").get_by_role("button", name="中文").click()
    page.locator(".govsim-flow", has_text="第 0 天以来新发生的案件").wait_for(timeout=30_000)
    assert _flow_picture_width(page) > 300
    page.screenshot(path=ARTIFACTS / "app-flow-zh.png", full_page=True)


def test_export_downloads_the_time_series_as_csv(page):
    page.get_by_role("button", name="Run 30 days").click()
    _wait_day(page, 30)
    with page.expect_download(timeout=30_000) as download:
        page.get_by_text("Time series (CSV)").click()
    path = download.value.path()
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    assert len(rows) == 30 and set(METRICS) <= set(rows[0])
    assert [int(r["day"]) for r in rows] == list(range(1, 31))
    with page.expect_download(timeout=30_000) as download:
        page.get_by_text("Map A (PNG)").click()
    assert Path(download.value.path()).read_bytes().startswith(b"\x89PNG")


def test_play_runs_days_until_pause(page):
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "() => Number(document.querySelector('.govsim-map').dataset.day) >= 3", timeout=20_000
    )
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for(timeout=10_000)
    paused_at = _settled_day(page)  # after the loop's last redraw
    page.wait_for_timeout(1500)  # playing, it would be 7 days further by now
    assert _day(page) == paused_at >= 3
    assert page.get_by_role("button", name="Step", exact=True).is_enabled()


def test_language_switch_shows_chinese_without_restarting_the_run(page):
    page.get_by_role("button", name="Run 30 days").click()
    _wait_day(page, 30)
    kpis = [k.split("\n")[1] for k in _settled_kpis(page)]  # the values, without titles, units
    page.locator(".govsim-language").get_by_role("button", name="中文").click()
    page.get_by_text("出村升级率").first.wait_for(timeout=10_000)
    page.locator(".govsim-map text", has_text="睦洲").wait_for(timeout=10_000)
    assert "睦洲" in page.locator(".govsim-map text").all_text_contents()
    assert page.locator(".govsim-day").inner_text() == "第 30 天"  # the same run, not restarted
    assert page.locator(".govsim-map").get_attribute("data-day") == "30"
    assert [k.split("\n")[1] for k in _kpis(page)] == kpis
    assert "比例" in _kpis(page)[0] and "share" not in _kpis(page)[0]  # units in Chinese too
    assert page.get_by_role("button", name="运行 30 天").is_visible()
    page.screenshot(path=ARTIFACTS / "app-chinese.png", full_page=True)
    page.locator(".govsim-language").get_by_role("button", name="English").click()
    _wait_day(page, 30)
    page.locator(".govsim-map text", has_text="Muzhou").wait_for(timeout=10_000)
    assert "Muzhou" in page.locator(".govsim-map text").all_text_contents()


def test_language_switch_keeps_a_playing_run_playing(page):
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "() => Number(document.querySelector('.govsim-map').dataset.day) >= 2", timeout=20_000
    )
    before = int(page.locator(".govsim-map").get_attribute("data-day"))
    page.locator(".govsim-language").get_by_role("button", name="中文").click()
    page.get_by_role("button", name="暂停").wait_for(timeout=10_000)
    switched_at = int(page.locator(".govsim-map").get_attribute("data-day"))
    assert switched_at >= before >= 2  # not restarted at day 0
    page.wait_for_function(
        f"() => Number(document.querySelector('.govsim-map').dataset.day) >= {switched_at + 3}",
        timeout=20_000,
    )
    page.get_by_role("button", name="暂停").click()
    page.get_by_role("button", name="连续运行").wait_for(timeout=10_000)
