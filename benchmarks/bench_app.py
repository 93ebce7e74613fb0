"""Benchmark: one simulated day plus the redraw in the web app, at the app's default scale.

    python benchmarks/bench_app.py [--days 40] [--year 10] [--browser]

At the default interactive scale (the whole district, ``population.scale``
0.1) it prints the median and 90th percentile of:

- ``step``: one simulated day (``Session.step(1)``);
- ``step+redraw``: pressing Step in the app rendered in-process with
  ``solara.render`` (the day, the new map colours, curves and KPI cards, down
  to the widget updates that would go to the browser);
- ``step in year N`` (``--year``, 10 by default): one simulated day after the session has run
  N - 1 years, as Play reaches it (target: as in year 1, so that Play at 50 days a second
  keeps its pace);
- with ``--browser``: pressing Step in Chromium until the page shows the new
  day and the map's colours for that day (server, websocket and Vue redraw).

Target on a 2-core machine: step+redraw <= 250 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time


def _summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
    return f"{name:>14}: median {statistics.median(ms):6.1f} ms, p90 {p90:6.1f} ms ({len(ms)} days)"


def _time_steps(session, days: int) -> list[float]:
    steps = []
    for _ in range(days):
        started = time.perf_counter()
        session.step(1)
        steps.append(time.perf_counter() - started)
    return steps


def bench_in_process(days: int, year: int) -> list[str]:
    import ipyvuetify as v
    import solara

    from sim.viz.page import Page
    from sim.viz.session import Policy, Session

    session = Session([Policy()])
    session.step(1)
    steps = _time_steps(session, days)
    _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    button = rc.find(v.Btn, children=["Step"]).widget
    button.click()  # the first redraw also sends the outlines
    redraws = []
    for _ in range(days):
        started = time.perf_counter()
        button.click()
        redraws.append(time.perf_counter() - started)
    session.step(365 * (year - 1) - session.day)  # on to the first day of that year
    later = _time_steps(session, days)
    return [
        _summary("step", steps),
        _summary("step+redraw", redraws),
        _summary(f"step in year {year}", later),
    ]


def bench_browser(days: int) -> str:
    from playwright.sync_api import sync_playwright

    from sim.viz.serve import launch_chromium, served_app

    with served_app() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.locator("path.grid-shape").first.wait_for(state="attached", timeout=60_000)
        step = page.get_by_role("button", name="Step", exact=True)
        times = []
        for day in range(1, days + 1):
            started = time.perf_counter()
            step.click()
            page.wait_for_function(
                f"() => document.querySelector('.govsim-map').dataset.day === '{day}'"
            )
            times.append(time.perf_counter() - started)
        browser.close()
    return _summary("browser", times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=40, help="days to time (default 40)")
    parser.add_argument("--year", type=int, default=10, help="also time a day of this year")
    parser.add_argument("--browser", action="store_true", help="also time Step in Chromium")
    args = parser.parse_args()
    print("whole district, population.scale 0.1 (the app's default)")
    for line in bench_in_process(args.days, args.year):
        print(line)
    if args.browser:
        print(bench_browser(args.days))


if __name__ == "__main__":
    main()
