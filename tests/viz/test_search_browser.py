"""A finished policy search in a real browser: its folder typed in, a trial clicked, and the
plan that runs as B is the trial's plan under the search's own ``[settings]`` (A: today's plan
under them), as its plan file says; no error, and the run goes on.

The set-up (server, Chromium, the console and offline-asset checks) is
``tests/viz/conftest.py``'s (one server and one browser for the session).
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from sim.runs.optimise.command import optimise
from sim.runs.optimise.spec import load_optimisation
from sim.runs.scenario import load_scenario
from tests.viz import test_app_browser as app_browser

ARTIFACTS, _wait_day = app_browser.ARTIFACTS, app_browser._wait_day
pytestmark = app_browser.pytestmark

SEARCH = """
scenario = "muzhou"
[settings]
population.scale = 0.2
run.warmup_days = 20
grid_workers.add = { Muzhou = 5 }
mediation.three_tuning = "joint"
[search]
trials = 3
replicates = 2
days = 40
seed = 3
[[variables]]
key = "mediation.trust_rooms"
low = 0
high = 15
[[objectives]]
metric = "escalation_rate"
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("search")
    path = folder / "search.toml"
    path.write_text(SEARCH, encoding="utf-8")
    out = folder / "out"
    optimise(load_optimisation(path), out, workers=1, verify_plans=False)
    return out


def _slider_value(page, policy: str) -> str:
    control = page.locator(f".govsim-policy-{policy} .govsim-control-mediation-trust_rooms")
    return control.get_by_role("slider").get_attribute("aria-valuenow")


def test_a_clicked_trial_runs_its_plan_with_the_searchs_settings(page, study):
    field = page.locator(".govsim-search input").first
    field.fill(str(study))
    field.press("Enter")
    trials = pd.read_csv(study / "trials.csv").set_index("trial")
    points = page.locator(".govsim-search circle.govsim-trial")
    points.first.wait_for(timeout=60_000)
    shown = [int(p.get_attribute("data-trial")) for p in points.all()]
    trial = next(t for t in shown if not trials.at[t, "today"])
    page.locator(f".govsim-search circle.govsim-trial[data-trial='{trial}']").click()
    page.get_by_text(f"Trial {trial} runs as policy B").wait_for(timeout=30_000)
    page.locator(".govsim-policy-B").wait_for(timeout=30_000)
    rooms = json.loads(trials.at[trial, "settings"])["mediation.trust_rooms"]
    today = load_scenario("muzhou").params["mediation.trust_rooms"]
    assert _slider_value(page, "B") == str(rooms)
    assert _slider_value(page, "A") == str(today)
    for policy in ("A", "B"):  # the search's [settings], in both
        add = page.locator(f".govsim-policy-{policy} .govsim-control-grid_workers-add input")
        assert re.sub(r"\s", "", add.input_value()) == '{"Muzhou"=5}'
    _wait_day(page, 0)
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and 'File "' not in text
    page.get_by_role("button", name="Step", exact=True).click()
    _wait_day(page, 1)
    page.screenshot(path=ARTIFACTS / "app-search-trial-clicked.png", full_page=True)
