"""Results year by year: years.csv beside summary.csv, the report's table, interventions marked."""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd
import pytest

from sim.model.metrics import METRICS
from sim.model.timeline import Intervention, Timeline
from sim.output.figures import (
    COLOURS,
    SHARED_MARK,
    intervention_label,
    intervention_marks,
    timeseries_figure,
)
from sim.output.report import write_report
from sim.output.results import write_results
from sim.runs.replicates import RunResult, run_replicates
from sim.runs.scenario import load_scenario

TWO_YEARS = "scenarios/examples/trust_rooms_in_year_two.toml"  # an intervention on day 365
SMALL = {"population.scale": 0.02, "run.warmup_days": 30}


@pytest.fixture(scope="module")
def two_years() -> RunResult:
    """The whole district at 2% scale for 730 measured days, 2 runs (about 10 s)."""
    scenario = load_scenario(TWO_YEARS).with_overrides(SMALL)
    return run_replicates(scenario, days=730, replicates=2, seed=1, workers=2)


@pytest.fixture(scope="module")
def folder(two_years, tmp_path_factory):
    out = tmp_path_factory.mktemp("years") / "out"
    write_results([two_years], out)
    return out


def test_result_years_has_a_row_per_run_and_year(two_years):
    years = two_years.years
    assert list(years.columns) == ["scenario", "run", "seed", "year", "days", *METRICS]
    assert years[["run", "seed", "year", "days"]].values.tolist() == [
        [0, 1, 1, 365], [0, 1, 2, 365], [1, 2, 1, 365], [1, 2, 2, 365]
    ]  # fmt: skip
    assert len(two_years.summary) == 2 and "year" not in two_years.summary  # as before


def test_summary_csv_has_the_whole_period_and_years_csv_each_year(folder, two_years):
    summary, years = pd.read_csv(folder / "summary.csv"), pd.read_csv(folder / "years.csv")
    assert list(summary.columns[:5]) == ["scenario", "run", "seed", "period", "days"]
    assert summary["period"].tolist() == ["all", "all"] and summary["days"].tolist() == [730, 730]
    assert list(years.columns[:6]) == ["scenario", "run", "seed", "period", "year", "days"]
    assert years["period"].tolist() == ["year 1", "year 2", "year 1", "year 2"]
    assert years["year"].tolist() == [1, 2, 1, 2] and years["days"].tolist() == [365] * 4
    assert summary["disputes_per_1k"].to_numpy() == pytest.approx(
        two_years.summary["disputes_per_1k"].to_numpy()
    )
    for run, rows in years.groupby("run"):
        every = summary.loc[summary["run"] == run, "disputes_per_1k"].item()
        assert rows["disputes_per_1k"].mean() == pytest.approx(every, rel=0.15), run


def test_report_has_a_table_by_year(folder):
    page = (folder / "report.html").read_text(encoding="utf-8")
    table = re.search(r"<table class='years'>.*?</table>", page, re.S).group(0)
    assert page.index("<table class='summary'>") < page.index("<table class='years'>")
    assert "<th>year 1</th><th>year 2</th>" in table
    assert "<code>escalation_rate</code>" in table and "n = 2/2" in table
    assert "Dashed vertical lines mark the interventions" in page


def test_every_time_series_chart_marks_the_intervention(two_years):
    fig = timeseries_figure([two_years])
    for ax in (ax for ax in fig.axes if ax.get_visible()):
        lines = [line for line in ax.get_lines() if line.get_gid() == "intervention"]
        assert [line.get_xdata()[0] for line in lines] == [365]
        assert lines[0].get_linestyle() == "--"
        labels = [t.get_text() for t in ax.texts if t.get_gid() == "intervention"]
        assert labels == ["trust rooms in all 234 villages…"]


def test_a_partial_last_year(tmp_path):
    scenario = load_scenario("muzhou").with_overrides({"population.scale": 0.2,
                                                       "run.warmup_days": 0})  # fmt: skip
    result = run_replicates(scenario, days=380, replicates=1, seed=3, workers=1)
    assert result.years["days"].tolist() == [365, 15]
    out = tmp_path / "report.html"
    write_report([result], out, lang="zh")
    page = out.read_text(encoding="utf-8")
    assert "<h2>逐年结果</h2>" in page and "<th>第 1 年</th>" in page
    assert "第 2 年<br><span class='meaning'>15 天</span>" in page


def test_intervention_marks_and_labels(two_years):
    assert intervention_label(Intervention(90, {}, "")) == "day 90"
    assert intervention_label(Intervention(90, {}, "hire")) == "hire"
    chinese = Intervention(90, {}, "从第二年起在全部二百三十四个村和社区开设村民信任室和说事室" * 2)
    assert intervention_label(chinese) == chinese.note[:31] + "…"  # no spaces: cut anyway
    other = replace(
        two_years,
        scenario=replace(
            two_years.scenario,
            name="other",
            timeline=Timeline((*two_years.scenario.timeline.interventions,
                               Intervention(100, {}, "hire"))),
        ),
    )  # fmt: skip
    marks = intervention_marks([two_years, other])
    assert marks == [(100, "hire", COLOURS[1]), (365, "trust rooms in all 234 villages…",
                                                 SHARED_MARK)]  # fmt: skip
    assert intervention_marks([other])[0][2] == COLOURS[0]


def test_a_ten_year_run_reads_year_by_year(tmp_path):
    """Ten measured years (Muzhou at 5%): ten rows of years in the results, the report's year
    table a row per year (it would be eleven columns wide), the charts' time axis in years."""
    scenario = load_scenario("muzhou").with_overrides({"population.scale": 0.05,
                                                       "run.warmup_days": 0})  # fmt: skip
    result = run_replicates(scenario, days=3650, replicates=1, seed=2, workers=1)
    assert result.years["year"].tolist() == list(range(1, 11))
    assert result.years["days"].tolist() == [365] * 10
    out = tmp_path / "report.html"
    write_report([result], out)
    table = re.search(r"<table class='years'>.*?</table>", out.read_text(encoding="utf-8"), re.S)
    rows = re.findall(r"<tr><td rowspan='1'>year (\d+)</td><td>muzhou</td>", table.group(0))
    assert rows == [str(y) for y in range(1, 11)]
    assert "<th><code>escalation_rate</code>" in table.group(0)
    fig = timeseries_figure([result])
    bottom = [ax for ax in fig.axes if ax.get_visible()][-1]
    assert bottom.get_xlabel().startswith("years after the warm-up")
    assert [tick.get_text() for tick in bottom.get_xticklabels()] == [str(y) for y in range(11)]
    assert list(bottom.get_xticks()) == [365 * y for y in range(11)]
    two = timeseries_figure([replace(result, timeseries=result.timeseries[lambda t: t.day <= 700])])
    assert [ax for ax in two.axes if ax.get_visible()][-1].get_xlabel() == "day"
