"""Results by place in report.html: the town table and the villages where cases concentrate."""

from __future__ import annotations

import re

import pytest

from sim.labels import label
from sim.output.report import write_report
from sim.output.report_places import MIN_PLACE_CASES, hot_villages
from sim.runs.comparisons import cost_effectiveness
from sim.runs.replicates import run_scenarios
from sim.runs.scenario import load_scenario

SMALL = {"population.scale": 0.3, "run.warmup_days": 120}


@pytest.fixture(scope="module")
def results():
    """Baseline and Huicheng + 200 grid workers, 3 paired runs of 180 days at 30% scale (enough
    escalations and incidents that some villages pass the listing threshold)."""
    names = ("baseline", "huicheng_plus_200_grid_workers")
    scenarios = [load_scenario(n).with_overrides(SMALL) for n in names]
    return run_scenarios(scenarios, days=180, replicates=3, seed=2, workers=2)


def test_the_town_table_has_every_town_and_the_staff_each_scenario_gives_it(results, tmp_path):
    out = tmp_path / "report.html"
    write_report(results, out, costs=cost_effectiveness(results), lang="zh")
    page = out.read_text(encoding="utf-8")
    table = page[page.index("class='towns'") :].split("</table>")[0]
    for town in results[0].towns["town"].unique():
        assert label("town", town, "zh") in table
    huicheng = next(row for row in table.split("<tr>") if label("town", "Huicheng", "zh") in row)
    workers = results[0].towns.query("town == 'Huicheng'")["grid_workers"].iloc[0]
    assert f">{workers:,}<" in huicheng and f">{workers + 200:,}<" in table
    assert label("term", "cost_per_case", "zh") in page


def test_only_villages_with_enough_cases_are_listed_highest_rate_first(results):
    table = hot_villages(results[0])
    assert len(table) > 0
    assert (table["cases"] >= MIN_PLACE_CASES).all()
    assert table["per_1k"].is_monotonic_decreasing
    v = results[0].villages
    sums = v.groupby("code")[["escalations", "incidents"]].sum().sum(axis=1)
    few = set(sums[sums < MIN_PLACE_CASES].index)
    assert few and not few & set(table["code"])
    first = table.iloc[0]
    rows = v[v["code"] == first["code"]]
    assert first["escalations"] == pytest.approx(rows["escalations"].mean())


def test_the_english_report_names_towns_in_english(results, tmp_path):
    out = tmp_path / "report.html"
    write_report(results, out)
    table = out.read_text(encoding="utf-8").split("class='towns'")[1].split("</table>")[0]
    assert "Huicheng" in table and not re.search("[\u4e00-\u9fff]", table)
