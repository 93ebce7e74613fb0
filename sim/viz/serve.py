"""The app served for a browser session: used by the browser tests, the app benchmark and
the screenshot tool (``govsim app`` on 127.0.0.1 and a free port, and Debian's chromium)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent.parent
# Debian's chromium, headless, as root, on a machine with no network but the loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_app(
    *, log: IO[str] | None = None, timeout: float = 90.0, app: Path | None = None
) -> Iterator[str]:
    """``govsim app`` on 127.0.0.1 and a free port while the block runs; yields the page's URL.
    ``app``: serve that Solara file instead (``solara run APP``, e.g. ``examples/solaraviz.py``).

    Raises :class:`RuntimeError` if the server exits or does not answer within ``timeout``.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = os.environ | {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    serve = ["sim", "app"] if app is None else ["solara", "run", str(app), "--production"]
    command = [sys.executable, "-m", *serve, "--host", "127.0.0.1", "--port", str(port)]
    output = log if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the app's server did not start on {url}") from None
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def launch_chromium(playwright: Any) -> Any:
    """Debian's chromium (never a downloaded browser), headless, driven by Playwright, with the
    project's CJK font added to the machine's (:func:`sim.output.fonts.fontconfig_file`)."""
    from sim.output.fonts import fontconfig_file

    return playwright.chromium.launch(
        executable_path=shutil.which("chromium"),
        headless=True,
        args=CHROMIUM_ARGS,
        env={**os.environ, "FONTCONFIG_FILE": str(fontconfig_file())},
    )


def save_small_png(raw: Path, out: str | Path) -> str:
    """Save the screenshot ``raw`` as a small palette PNG at ``out`` (for the docs), remove
    ``raw``, and return a line saying what was written."""
    from PIL import Image

    image = Image.open(raw).convert("RGB").quantize(colors=128)
    image.save(out, optimize=True)
    Path(raw).unlink()
    return f"wrote {out} ({Path(out).stat().st_size // 1024} KB)"
