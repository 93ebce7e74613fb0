"""The HTML report and its figures: self-contained, complete, escaped, on shared scales."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.model.metrics import METRICS
from sim.model.timeline import Timeline
from sim.output.figures import (
    daily_mean_ci,
    map_figure,
    relative_differences,
    shared_limits,
    timeseries_figure,
)
from sim.output.report import scenario_geography, write_report
from sim.output.tables import fmt, grid_values
from sim.runs.replicates import RunResult, run_replicates
from sim.runs.scenario import load_scenario
from sim.runs.statistics import estimate, mean_ci

PNG = "data:image/png;base64,"
DAYS = 25


@pytest.fixture(scope="module")
def results() -> tuple[RunResult, RunResult]:
    """Muzhou at 20% scale and the same with more grid workers, 3 runs of 25 days each."""
    muzhou = load_scenario("muzhou").with_overrides({"population.scale": 0.2, "run.warmup_days": 0})
    more = replace(muzhou.with_overrides({"grid_workers.total": 3000}), name="more_workers")
    return (
        run_replicates(muzhou, days=DAYS, replicates=3, seed=1, workers=1),
        run_replicates(more, days=DAYS, replicates=3, seed=1, workers=1),
    )


def hand_differences(a: RunResult, b: RunResult, *, significant: str) -> pd.DataFrame:
    """``b - a`` per metric (paired by run); only the metric ``significant`` is marked."""
    rows = []
    for name in METRICS:
        diff, half = mean_ci(b.summary[name].to_numpy() - a.summary[name].to_numpy())
        rows.append(
            {
                "metric": name,
                "scenario": b.scenario.name,
                "reference": a.scenario.name,
                "reference_mean": a.summary[name].mean(),
                "mean": b.summary[name].mean(),
                "difference": diff,
                "ci_low": diff - half,
                "ci_high": diff + half,
                "significant": name == significant,
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def comparison(results, tmp_path_factory) -> str:
    a, b = results
    out = tmp_path_factory.mktemp("report") / "report.html"
    differences = hand_differences(a, b, significant="annual_cost_wan_yuan")
    write_report([a, b], out, differences=differences)
    return out.read_text(encoding="utf-8")


def section(page: str, css_class: str) -> str:
    match = re.search(rf"<table class='{css_class}'>.*?</table>", page, re.S)
    assert match, f"no table of class {css_class}"
    return match.group(0)


def test_report_is_self_contained(comparison):
    assert comparison.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*['"]?\s*(https?:)?//""", comparison, re.I)
    assert "url(" not in comparison
    assert "<script" not in comparison.lower()
    assert "<link" not in comparison.lower()


def test_one_png_per_figure(comparison, results, tmp_path):
    # the flow of the cases + time series + differences + a map per scenario
    assert comparison.count(PNG) == 1 + 1 + 1 + 2
    a, _ = results
    out = tmp_path / "single.html"
    write_report([a], out)
    assert out.read_text(encoding="utf-8").count(PNG) == 1 + 1 + 1
    many = [replace(a, scenario=replace(a.scenario, name=f"copy {i}")) for i in range(5)]
    write_report(many, out)
    page = out.read_text(encoding="utf-8")
    assert page.count(PNG) == 1 + 1 + 4  # one flow picture, at most 4 maps
    assert "first 4 of 5 scenarios" in page


def test_embedded_png_decodes(comparison):
    data = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", comparison).group(1)
    assert base64.b64decode(data, validate=True).startswith(b"\x89PNG\r\n\x1a\n")


def test_summary_has_every_metric_with_its_mean(comparison, results):
    table = section(comparison, "summary")
    a, _ = results
    for name, meaning in METRICS.items():
        assert f"<code>{name}</code>" in table
        assert html.escape(meaning.split(" (")[0]) in table  # as the page escapes it
    found = estimate(a.summary["disputes_per_1k"].to_numpy())
    assert f"{fmt(found.mean)} [{fmt(found.low)}, {fmt(found.high)}]" in table
    assert f"n = {found.n}/{found.runs}" in table
    assert "<th>muzhou</th><th>more_workers</th>" in table


def test_provenance_names_seeds_hash_and_changed_settings(comparison, results):
    a, b = results
    assert a.scenario.sha256[:12] in comparison
    assert b.scenario.sha256[:12] in comparison
    assert a.scenario.sha256[:12] != b.scenario.sha256[:12]
    assert "<code>grid_workers.total</code> = 3000 persons" in comparison
    assert "<code>population.scale</code> = 0.2" in comparison
    assert "<td>1–3</td>" in comparison
    # baseline's explicit levers equal the defaults: not listed as changed
    assert "<code>grid_workers.allocation</code>" not in comparison


def test_strings_from_data_are_escaped(results, tmp_path):
    a, _ = results
    hostile = replace(
        a.scenario, name="<b>x</b>", description='say "hi" & <script>alert(1)</script>'
    )
    out = tmp_path / "report.html"
    write_report([replace(a, scenario=hostile)], out)
    page = out.read_text(encoding="utf-8")
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page
    assert "<script>" not in page
    assert "&amp; &lt;script&gt;" in page


def test_timeline_is_listed(results, tmp_path):
    a, _ = results
    timeline = Timeline.parse([{"day": 10, "grid_workers": {"total": 2000}, "note": "hire"}])
    out = tmp_path / "report.html"
    write_report([replace(a, scenario=replace(a.scenario, timeline=timeline))], out)
    assert "grid_workers.total = 2000" in out.read_text(encoding="utf-8")


def test_differences_table_marks_significant_rows(comparison):
    table = section(comparison, "differences")
    rows = re.findall(r"<tr[^>]*>.*?</tr>", table, re.S)
    marked = [r for r in rows if "class='significant'" in r]
    assert len(marked) == 1
    assert "annual_cost_wan_yuan" in marked[0]
    assert "significant" in re.sub(r"<tr[^>]*>", "", marked[0])  # the mark, not only the style
    unmarked = next(r for r in rows if "<code>escalation_rate</code>" in r)
    assert "class='significant'" not in unmarked


def test_maps_share_one_colour_scale(results):
    a, _ = results
    geo = scenario_geography(a.scenario.params)
    assert geo.town_names == ["Muzhou"]
    values = [np.linspace(0, 1, geo.n_grids), np.linspace(2, 5, geo.n_grids)]
    vmin, vmax = shared_limits(values)
    assert (vmin, vmax) == (0.0, 5.0)
    limits = [
        map_figure(geo, v, vmin=vmin, vmax=vmax).axes[0].collections[0].get_clim() for v in values
    ]
    assert limits[0] == limits[1] == (0.0, 5.0)


def test_escalation_map_values_are_per_1k_mean_over_runs(results):
    a, _ = results
    geo = scenario_geography(a.scenario.params)
    values = grid_values(a.grids, "escalations", geo.grid_ids)
    first = a.grids[a.grids["grid_id"] == geo.grid_ids[0]]
    expected = (first["escalations"] / first["residents"] * 1000).mean()
    assert values.shape == (geo.n_grids,)
    assert values[0] == pytest.approx(expected)


def test_confidence_band_only_with_replicates(results):
    a, _ = results
    daily = daily_mean_ci(a, "disputes_per_1k")
    assert list(daily["day"]) == list(range(1, DAYS + 1))
    last = a.timeseries.query("metric == 'disputes_per_1k' and day == @DAYS")["value"]
    mean, half = mean_ci(last.to_numpy())
    assert daily["mean"].iloc[-1] == pytest.approx(mean)
    assert daily["high"].iloc[-1] - daily["low"].iloc[-1] == pytest.approx(2 * half)

    one = replace(a, seeds=a.seeds[:1], timeseries=a.timeseries[a.timeseries["run"] == 0])
    assert daily_mean_ci(one, "disputes_per_1k")["low"].isna().all()
    bands = [len(ax.collections) for ax in timeseries_figure([one]).axes if ax.get_visible()]
    assert bands == [0] * 6
    bands = [len(ax.collections) for ax in timeseries_figure([a]).axes if ax.get_visible()]
    assert sum(bands) > 0


def test_relative_differences_in_percent_of_the_reference():
    table = pd.DataFrame(
        {
            "reference_mean": [-4.0, 0.0],
            "difference": [1.0, 1.0],
            "ci_low": [0.5, 0.5],
            "ci_high": [2.0, 2.0],
        }
    )
    relative = relative_differences(table)
    assert relative["relative"].iloc[0] == pytest.approx(25.0)  # of |mean|: sign kept
    assert relative["relative_low"].iloc[0] == pytest.approx(12.5)
    assert relative["relative_high"].iloc[0] == pytest.approx(50.0)
    assert np.isnan(relative["relative"].iloc[1])


def test_number_format():
    assert fmt(0.123456) == "0.1235"
    assert fmt(864.50444) == "864.5"
    assert fmt(8130.2) == "8,130"  # thousands separated as soon as there are thousands
    assert fmt(11520.0) == "11,520"
    assert fmt(123456.7) == "123,457"
    assert fmt(float("nan")) == "–"


def test_draw_map_writes_a_png(tmp_path):
    from sim.output.figures import draw_map

    geo = scenario_geography(load_scenario("muzhou").params)
    out = tmp_path / "sub" / "map.png"
    draw_map(geo, out, values=np.arange(geo.n_grids), label="grid number")
    assert Path(out).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_failing_report_page_keeps_the_tables(results, tmp_path, monkeypatch, capsys):
    import sim.output.results
    from sim.output.results import write_results

    def broken(*args, **kwargs):
        raise RuntimeError("no figures today")

    monkeypatch.setattr(sim.output.results, "write_report", broken)
    written = write_results(list(results), tmp_path / "out")
    assert "report.html" not in written and "summary.csv" in written
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert summary["period"].tolist() == ["all"] * 6
    assert pd.read_csv(tmp_path / "out" / "years.csv")["period"].tolist() == ["year 1"] * 6
    assert "report.html not written" in capsys.readouterr().err
