"""The browser tests' set-up, shared by every module of ``tests/viz`` that drives the app: a
``govsim app`` server for each module (runs a module leaves going in the server, such as the
plausible sets' forty, end with it, so they cannot slow the next module's pages) and one
Chromium for the whole test session (each test still opens a fresh page in a fresh browser
context, so no test sees another's cookies, page or run), and
``page``, the app loaded, which fails its test on a console error or on an unanswered
``/_solara/cdn`` request (the app must work offline).

Whether the browser tests can run here, and the skip or failure when they cannot, are
``tests/viz/test_app_browser.py``'s (``REASON``, ``pytestmark``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sim.viz.serve import launch_chromium, served_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@contextmanager
def serving(app: Path | None = None, log_name: str = "solara-server.log") -> Iterator[str]:
    """``app`` (the govsim app by default) served on 127.0.0.1 and a free port, its log in
    ``artifacts/``; a server that does not come up fails the test, naming the log."""
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / log_name).open("w") as log:
        try:
            with served_app(log=log, app=app) as url:
                yield url
        except RuntimeError as exc:
            pytest.fail(f"{exc}; see {log.name}")


@pytest.fixture(scope="module")
def server():
    """The app served on 127.0.0.1 and a free port; its log in ``artifacts/solara-server.log``."""
    with serving() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


@contextmanager
def watched_page(
    browser, url: str, *, timeout: int = 60_000, every_request: bool = False, **context: Any
) -> Iterator[Any]:
    """A fresh page of ``url`` in a fresh browser context, loaded (its map drawn within
    ``timeout`` ms), that fails the test on console errors or unanswered ``/_solara/cdn``
    requests (the app must work offline), or with ``every_request`` any request that failed."""
    browser_context = browser.new_context(viewport={"width": 1400, "height": 1000}, **context)
    page = browser_context.new_page()
    errors: list[str] = []
    cdn_failures: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def check(response) -> None:
        if "/_solara/cdn/" in response.url and not response.ok:
            cdn_failures.append(f"{response.status} {response.url}")

    page.on("response", check)
    page.on(
        "requestfailed",
        lambda r: (
            cdn_failures.append(f"failed {r.url}")
            if every_request or "/_solara/cdn/" in r.url
            else None
        ),
    )
    page.goto(url)
    page.locator("path.grid-shape").first.wait_for(state="attached", timeout=timeout)
    yield page
    browser_context.close()
    assert cdn_failures == [], "asset requests not answered (offline cache incomplete)"
    assert errors == [], "console errors"


@pytest.fixture
def page(server, browser):
    """A fresh page of the app, loaded, that fails the test on console errors or CDN misses."""
    with watched_page(browser, server, accept_downloads=True) as page:
        yield page
