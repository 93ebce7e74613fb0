"""Take the README's screenshot of the web app (docs/img/app.png) in Debian's chromium.

    python tools/app_screenshot.py [--out docs/img/app.png] [--days 90]

Starts ``govsim app`` on a free port, runs the baseline for ``--days`` days,
and saves a PNG of the window (kept small: a palette PNG via Pillow).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="docs/img/app.png")
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "sim", "app", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1050})
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator("path.grid-shape").first.wait_for(state="attached", timeout=60_000)
            for day in range(30, args.days + 1, 30):
                page.get_by_role("button", name="Run 30 days").click()
                page.locator(".govsim-day", has_text=f"Day {day}").wait_for()
            raw = Path(args.out).with_suffix(".raw.png")
            page.screenshot(path=raw)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=15)
    image = Image.open(raw).convert("RGB").quantize(colors=128)
    image.save(args.out, optimize=True)
    raw.unlink()
    print(f"wrote {args.out} ({Path(args.out).stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
