"""Cost per case averted and town-by-town differences, on results whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model.parameters import resolve
from sim.runs.comparisons import cost_effectiveness, town_differences
from sim.runs.replicates import RunResult
from sim.runs.scenario import Scenario


def result(name: str, *, cost: float, escalations: list[float], incidents: list[float],
           scale: float = 0.5, days: int = 365) -> RunResult:  # fmt: skip
    """A scenario's runs over seeds 1..n: two towns sharing the cases equally."""
    seeds = list(range(1, len(escalations) + 1))
    summary = pd.DataFrame({"seed": seeds, "annual_cost_wan_yuan": cost})
    towns = pd.DataFrame([
        {"seed": s, "town": town, "escalations": e / 2, "incidents": i / 2, "petitions": 10.0,
         "escalation_rate": e / 1000, "incidents_per_100k": i, "petitions_per_10k": 1.0,
         "grid_workers": 100 + (cost > 8000) * 50 * (town == "Huicheng")}
        for s, e, i in zip(seeds, escalations, incidents, strict=True) for town in ("Huicheng", "Daze")
    ])  # fmt: skip
    params = resolve({"population.scale": scale})
    return RunResult(Scenario(name, None, params), days, seeds, summary, pd.DataFrame(),
                     pd.DataFrame(), towns=towns)  # fmt: skip


def test_the_cost_per_case_averted_is_the_cost_change_over_the_district_cases_averted():
    base = result(
        "base", cost=8000, escalations=[100, 110, 90, 105, 95], incidents=[20, 21, 19, 20, 20]
    )
    more = result(
        "more", cost=8600, escalations=[70, 82, 58, 77, 63], incidents=[20, 22, 18, 21, 19]
    )
    table = cost_effectiveness([base, more]).set_index("case")
    # 30 escalations fewer in the simulated half of the district a year: 60 at full scale.
    assert table.loc["escalations", "averted_per_year"] == pytest.approx(60.0)
    assert table.loc["escalations", "cost_change_wan_yuan"] == pytest.approx(600.0)
    assert table.loc["escalations", "cost_per_case_wan_yuan"] == pytest.approx(10.0)
    low, high = table.loc["escalations", ["cost_per_case_low", "cost_per_case_high"]]
    assert low <= 10.0 <= high and high - low < 5
    assert table.loc["escalations", "estimable"]
    # Incidents: the same on average, so the cost per incident averted is not estimable.
    assert not table.loc["incidents", "estimable"]
    assert np.isnan(table.loc["incidents", "cost_per_case_wan_yuan"])
    assert table.loc["incidents", "averted_low"] < 0 < table.loc["incidents", "averted_high"]
    assert not table.loc["petitions", "estimable"]  # none averted in any run


def test_a_longer_run_counts_cases_a_year():
    base = result("base", cost=8000, escalations=[200] * 3, incidents=[40] * 3, days=730)
    more = result("more", cost=8600, escalations=[140] * 3, incidents=[40] * 3, days=730)
    table = cost_effectiveness([base, more]).set_index("case")
    assert table.loc["escalations", "averted_per_year"] == pytest.approx(60.0)  # 120 / 0.5 / 2


def test_town_differences_are_paired_by_seed_and_flag_what_excludes_zero():
    base = result("base", cost=8000, escalations=[100, 110, 90, 105], incidents=[20, 21, 19, 20])
    more = result("more", cost=8600, escalations=[100, 110, 90, 105], incidents=[20, 21, 19, 20])
    table = town_differences([base, more]).set_index(["town", "metric"])
    assert table.loc[("Huicheng", "grid_workers"), "difference"] == 50
    assert table.loc[("Huicheng", "grid_workers"), "significant"]
    assert table.loc[("Daze", "grid_workers"), "difference"] == 0
    assert not table.loc[("Daze", "grid_workers"), "significant"]
    assert not table.loc[("Huicheng", "escalation_rate"), "significant"]
