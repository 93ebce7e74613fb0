"""Take the README's screenshot of the web app (docs/img/app.png) in Debian's chromium.

    python tools/app_screenshot.py [--out docs/img/app.png] [--days 90] [--lang zh]

Starts ``govsim app`` on a free port, runs the baseline for ``--days`` days (in
Chinese with ``--lang zh``: the language switch is clicked first), and saves a
PNG of the window (kept small: a palette PNG via Pillow).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="docs/img/app.png")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--lang", choices=("en", "zh"), default="en")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from sim.viz.serve import launch_chromium, save_small_png, served_app

    raw = Path(args.out).with_suffix(".raw.png")
    with served_app() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1050})
        page.goto(url)
        page.locator("path.grid-shape").first.wait_for(state="attached", timeout=60_000)
        run_30, day_text = "Run 30 days", "Day {day}"
        if args.lang == "zh":
            page.get_by_role("button", name="中文").click()
            run_30, day_text = "运行 30 天", "第 {day} 天"
            page.get_by_role("button", name=run_30).wait_for()
        for day in range(30, args.days + 1, 30):
            page.get_by_role("button", name=run_30).click()
            page.locator(".govsim-day", has_text=day_text.format(day=day)).wait_for()
        if args.lang == "zh":  # a grid's card too: its village beside its town and the district
            page.locator("path.grid-shape").nth(620).click()
            page.locator(".govsim-place-details").wait_for()
        page.screenshot(path=raw)
        browser.close()
    print(save_small_png(raw, args.out))


if __name__ == "__main__":
    main()
