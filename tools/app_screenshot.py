"""Take the README's screenshot of the web app (docs/img/app.png) in Debian's chromium.

    python tools/app_screenshot.py [--out docs/img/app.png] [--days 90]

Starts ``govsim app`` on a free port, runs the baseline for ``--days`` days,
and saves a PNG of the window (kept small: a palette PNG via Pillow).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="docs/img/app.png")
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from sim.viz.serve import launch_chromium, served_app

    raw = Path(args.out).with_suffix(".raw.png")
    with served_app() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1050})
        page.goto(url)
        page.locator("path.grid-shape").first.wait_for(state="attached", timeout=60_000)
        for day in range(30, args.days + 1, 30):
            page.get_by_role("button", name="Run 30 days").click()
            page.locator(".govsim-day", has_text=f"Day {day}").wait_for()
        page.screenshot(path=raw)
        browser.close()
    image = Image.open(raw).convert("RGB").quantize(colors=128)
    image.save(args.out, optimize=True)
    raw.unlink()
    print(f"wrote {args.out} ({Path(args.out).stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
