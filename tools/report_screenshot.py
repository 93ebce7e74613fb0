"""Take a screenshot of a ``report.html`` in Debian's chromium (with the project's CJK font).

    python tools/report_screenshot.py RESULTS_DIR [--out docs/img/report_page_zh.png] [--height 1400]

For the README's pictures of the report, e.g. after
``govsim compare baseline huicheng_plus_200_grid_workers --lang zh --out results/zh``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="a results folder of govsim run or compare")
    parser.add_argument("--out", default="docs/img/report_page_zh.png")
    parser.add_argument("--height", type=int, default=1400, help="pixels of the page to keep")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from sim.viz.serve import launch_chromium, save_small_png

    page_file = (Path(args.results) / "report.html").resolve()
    raw = Path(args.out).with_suffix(".raw.png")
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": args.height})
        page.goto(page_file.as_uri())
        page.screenshot(path=raw)
        browser.close()
    print(save_small_png(raw, args.out))


if __name__ == "__main__":
    main()
