"""The web app's components rendered without a browser (``solara.render``), and its session logic."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import ipyvue
import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest
import solara

from sim.labels import LANGUAGES
from sim.labels import label as table_label
from sim.model.geography import load_district_table, load_geography
from sim.model.metrics import METRICS
from sim.model.parameters import SCHEMA
from sim.model.timeline import Intervention
from sim.viz.controls import CONTROL_KEYS, ParameterControl, PolicyControls, label, widget_kind
from sim.viz.map import GridMap
from sim.viz.page import Page
from sim.viz.plots import MetricPlots, YearTable, curve_marks, curve_series
from sim.viz.session import APP_OVERRIDES, MAP_METRICS, Policy, Session
from sim.viz.shapes import MISSING, build_shapes, colours, shapes_for

SMALL = {"population.scale": 0.02, "run.warmup_days": 0}  # fast sessions for the logic tests


def _text(box) -> str:
    return repr(box)


def _until(shown: Callable[[], bool], seconds: float = 20) -> None:
    """Wait until the page shows what a click asked for. The flow picture is drawn in a thread of
    its own; when that thread holds the render as the click comes, it draws the click a moment
    after ``click()`` returns."""
    deadline = time.monotonic() + seconds
    while not shown() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert shown()


def _markdown(rc) -> str:
    """The HTML of every Markdown element rendered."""
    return "".join(str(w.template) for w in rc.find(ipyvue.VueTemplate).widgets)


# --- controls -----------------------------------------------------------------------------------


def test_control_labels_and_bounds_come_from_the_schema():
    p = SCHEMA["mediation.trust_rooms"]
    box, rc = solara.render(ParameterControl(key=p.key, value=7, on_value=lambda k, x: None))
    slider = rc.find(v.Slider).widget
    assert (slider.min, slider.max, slider.v_model) == (p.low, p.high, 7)
    assert p.doc in _text(box)


def test_number_control_checks_the_value_against_the_schema():
    calls = []
    box, rc = solara.render(
        ParameterControl(
            key="grid_workers.total", value=1000, on_value=lambda k, x: calls.append(x)
        )
    )
    field = rc.find(v.TextField).widget
    assert SCHEMA["grid_workers.total"].doc in field.label
    field.v_model = "2500"
    field.fire_event("keyup.enter")
    assert calls == [2500]
    field.v_model = str(int(SCHEMA["grid_workers.total"].high) + 1)
    field.fire_event("keyup.enter")
    assert calls == [2500]  # out of range: not applied
    assert "out of range" in _text(box)


def test_policy_controls_show_every_lever_at_the_scenario_value():
    changed = []
    policy = Policy(scenario="double_grid_workers")
    box, rc = solara.render(PolicyControls(name="A", policy=policy, on_policy=changed.append))
    text = _text(box)
    for key in CONTROL_KEYS:
        assert label(SCHEMA[key]).split(" (")[0] in text, key
    workers = policy.params()["grid_workers.total"]
    assert workers != SCHEMA["grid_workers.total"].default
    assert rc.find(v.TextField, label=label(SCHEMA["grid_workers.total"])).widget.v_model == str(
        workers
    )
    switch = rc.find(v.Switch).widget
    switch.v_model = not switch.v_model
    assert changed[-1].overrides["petition.supermarket"] is switch.v_model


def test_scenario_picker_loads_the_scenario_and_keeps_the_scale_for_the_whole_district():
    changed = []
    _box, rc = solara.render(PolicyControls(name="A", policy=Policy(), on_policy=changed.append))
    picker = rc.find(v.Select, label="scenario").widget
    picker.v_model = "double_grid_workers"
    assert changed[-1].params()["population.scale"] == APP_OVERRIDES["population.scale"]
    assert changed[-1].params()["grid_workers.total"] == 2 * SCHEMA["grid_workers.total"].default
    picker.v_model = "muzhou"  # a town alone: its own (full) scale
    assert changed[-1].overrides == {} and changed[-1].params()["map.towns"] == ["Muzhou"]


def test_town_list_choices_are_valid_schema_values():
    chosen = []
    _box, rc = solara.render(
        ParameterControl(
            key="police.village_offices", value=["Muzhou"], on_value=lambda k, x: chosen.append(x)
        )
    )
    select = rc.find(v.Select).widget
    assert select.v_model == "Muzhou only"
    for choice in select.items:
        select.v_model = choice
    towns = [t.name for t in load_district_table()]  # each town alone, from the district table
    assert select.items == ["all", *[f"{t} only" for t in towns], "none"]
    assert chosen == ["all", *[[t] for t in towns], "none"]
    for value in chosen:
        SCHEMA["police.village_offices"].check(value)


def test_chinese_choices_are_shown_by_label_and_sent_as_codes():
    chosen = []
    _box, rc = solara.render(
        ParameterControl(key="grid_workers.allocation", value="risk", lang="zh",
                         on_value=lambda k, x: chosen.append(x))
    )  # fmt: skip
    select = rc.find(v.Select).widget
    assert select.label.startswith("网格员分配方式")
    assert select.items == ["各网格平均", "按人口", "按纠纷风险"] and select.v_model == "按纠纷风险"
    select.v_model = "按人口"
    assert chosen == ["population"]
    towns = []
    _box, rc = solara.render(
        ParameterControl(key="police.village_offices", value=["Muzhou"], lang="zh",
                         on_value=lambda k, x: towns.append(x))
    )  # fmt: skip
    select = rc.find(v.Select).widget
    assert select.v_model == "仅睦洲" and select.items[:3] == ["全部", "仅会城", "仅大泽"]
    assert select.items[-1] == "无" and len(select.items) == 13
    select.v_model = "全部"
    assert towns == ["all"]


def test_widget_kinds_follow_the_schema_types():
    assert widget_kind(SCHEMA["petition.supermarket"]) == "switch"
    assert widget_kind(SCHEMA["grid_workers.allocation"]) == "select"
    assert widget_kind(SCHEMA["map.towns"]) == "towns"
    assert widget_kind(SCHEMA["mediation.trust_rooms"]) == "slider"
    assert widget_kind(SCHEMA["population.scale"]) == "number"


# --- map ----------------------------------------------------------------------------------------


def test_map_draws_every_grid_and_reports_clicks():
    shapes = shapes_for(load_geography())
    clicked = []
    values = np.arange(640.0)
    element = GridMap(
        shapes=shapes, values=values, metric="trust", limits=(0.0, 639.0), title="t", day=3,
        on_select=clicked.append,
    )  # fmt: skip
    _box, rc = solara.render(element)
    view = rc.find(ipyvue.VueTemplate).widget
    assert len(view.paths) == len(view.colors) == 640
    assert view.colors[0] != view.colors[-1]  # lowest and highest values differ in colour
    assert view.town_labels[0][0] == "Huicheng" and len(view.town_paths) == 11
    view.vue_select(5)
    assert clicked == [5]


def test_map_names_towns_in_chinese_on_the_same_outlines():
    shapes = shapes_for(load_geography())
    english, chinese = (
        solara.render(
            GridMap(shapes=shapes, values=np.zeros(640), metric="escalations", limits=(0.0, 1.0),
                    title="t", day=0, lang=lang)
        )[1].find(ipyvue.VueTemplate).widget
        for lang in LANGUAGES
    )  # fmt: skip
    assert "睦洲" in [t[0] for t in chinese.town_labels]
    assert "Muzhou" in [t[0] for t in english.town_labels]
    assert [t[1:] for t in chinese.town_labels] == [t[1:] for t in english.town_labels]
    assert chinese.paths == english.paths and chinese.label == "升级纠纷"
    assert shapes_for(load_geography()) is shapes  # the outlines are built once


def test_map_colours_and_missing_values():
    ramp = colours(np.array([0.0, 0.5, 1.0, np.nan]), vmin=0.0, vmax=1.0)
    assert len(set(ramp[:3])) == 3 and ramp[3] == MISSING


def test_map_of_a_town_alone():
    shapes = build_shapes(load_geography(towns=["Muzhou"]))
    assert len(shapes.grid_paths) == 35 and [t[0] for t in shapes.town_labels] == ["Muzhou"]
    assert all(p.startswith("M") and p.endswith("Z") for p in shapes.grid_paths)


# --- session logic ------------------------------------------------------------------------------


def test_same_policy_and_seed_give_the_same_run_and_more_workers_change_it():
    same = Session([Policy(overrides=SMALL), Policy(overrides=SMALL)])
    same.step(40)
    a, b = (r.current() for r in same.runs)
    assert a["escalation_rate"] == b["escalation_rate"] and a["day"] == 40
    more = Session([Policy(overrides=SMALL), Policy(overrides=SMALL | {"grid_workers.total": 0})])
    more.step(120)  # detected_share counts disputes found or faded: 40 days at 2% settle ~10
    diff = more.differences().set_index("metric")["B - A"]
    assert diff["detected_share"] < 0  # no grid workers: fewer disputes found
    assert diff["resolved_in_village_share"] < 0
    assert diff["annual_cost_wan_yuan"] < 0


def test_exports_hold_the_metric_columns():
    session = Session([Policy(overrides=SMALL)])
    session.step(3)
    series = session.timeseries()
    assert list(series["day"]) == [1, 2, 3]
    assert set(METRICS) <= set(series.columns)
    summary = session.summary()
    assert summary.loc[0, "day"] == 3 and set(METRICS) <= set(summary.columns)
    assert "population.scale=0.02" in summary.loc[0, "settings"]
    assert session.map_png("escalations").startswith(b"\x89PNG")


def test_app_opens_on_baseline_at_the_interactive_scale():
    policy = Policy()
    assert policy.scenario == "baseline" and policy.params()["population.scale"] == 0.1
    assert APP_OVERRIDES == {"population.scale": 0.1}
    assert set(MAP_METRICS) == {
        "open_disputes",
        "escalations",
        "incidents",
        "staff_per_1k",
        "trust",
    }


def test_curves_are_thinned_and_skip_missing_values():
    frame = pd.DataFrame({"day": range(1, 1001), "escalation_rate": [np.nan] + [0.1] * 999})
    [curve] = curve_series({"A": frame}, "escalation_rate")
    assert len(curve["x"]) <= 400 and curve["y"][0] is None and curve["x"][-1] == 1000


def test_a_run_starts_after_its_warm_up():
    run = Session([Policy(overrides=SMALL | {"run.warmup_days": 20})]).runs[0]
    assert run.day == 0 and run.model.time == 20 and run.years().empty
    run.step(5)
    assert run.day == 5 and run.series()["day"].tolist() == [1, 2, 3, 4, 5]


def test_the_warm_up_control_sets_the_days_a_new_run_warms_up():
    changed = []
    policy = Policy(overrides=SMALL | {"run.warmup_days": 20})
    _box, rc = solara.render(PolicyControls(name="A", policy=policy, on_policy=changed.append))
    field = rc.find(v.TextField, label=label(SCHEMA["run.warmup_days"])).widget
    assert field.v_model == "20"  # the policy's value, not the schema's 365
    field.v_model = "7"
    field.fire_event("keyup.enter")
    assert changed[-1].params()["run.warmup_days"] == 7
    run = Session([changed[-1]]).runs[0]
    assert run.day == 0 and run.model.time == 7  # the run warmed up 7 days, as asked
    field.v_model = str(int(SCHEMA["run.warmup_days"].high) + 1)
    field.fire_event("keyup.enter")
    assert len(changed) == 1 and "out of range" in _text(_box)  # refused, not applied


def test_years_so_far_of_each_run():
    session = Session([Policy(overrides=SMALL), Policy(overrides=SMALL)])
    session.step(370)
    years = session.years()
    assert years[["policy", "year", "days"]].values.tolist() == [
        ["A", 1, 365], ["A", 2, 5], ["B", 1, 365], ["B", 2, 5]
    ]  # fmt: skip
    assert set(METRICS) <= set(years.columns)
    _box, rc = solara.render(YearTable(years={r.name: r.years() for r in session.runs}))
    html = _markdown(rc)
    assert "Year by year" in html and "<td>A</td>\n<td>Year 1</td>" in html
    assert "<td>B</td>\n<td>Year 2 (so far, 5 days)</td>" in html
    _box, rc = solara.render(YearTable(years={"A": session.runs[0].years()}, lang="zh"))
    assert "<td>第 1 年</td>" in _markdown(rc) and "<td>A</td>" not in _markdown(rc)


def test_the_flow_of_each_policy_adds_up_and_follows_the_same_seed():
    from sim.model.metrics import FLOW_ENDS
    from sim.output.flow import FLOW_STAGES

    session = Session([Policy(overrides=SMALL), Policy(overrides=SMALL)])
    assert session.flows()["mean"].isna().all()  # day 0: nothing has arisen
    session.step(40)
    flows = session.flows()
    assert flows.groupby("scenario").size().to_dict() == {"A": 10, "B": 10}
    for name in ("A", "B"):
        rows = flows[flows["scenario"] == name].set_index("stage")["mean"]
        assert list(rows.index) == list(FLOW_STAGES) and rows["arisen"] > 0
        assert rows[list(FLOW_ENDS)].sum() == pytest.approx(rows["arisen"])
        assert rows["detected"] <= rows["arisen"]
    same = flows.pivot(index="stage", columns="scenario", values="mean")
    assert (same["A"] == same["B"]).all()  # the same policy on the same seed


def test_curves_mark_the_interventions():
    hire, rooms = (
        Intervention(90, {}, "hire"),
        Intervention(365, {}, "trust rooms in every village"),
    )
    [mark] = curve_marks({"A": [hire]})
    assert mark == {"x": 90, "label": "hire", "title": "hire", "color": "#1f77b4"}
    both = curve_marks({"A": [hire, rooms], "B": [rooms]}, lang="zh")
    assert [(m["x"], m["label"]) for m in both] == [(90, "A: hire"), (365, "trust rooms in every…")]
    assert both[1]["title"] == rooms.note  # the whole note on hover
    assert both[1]["color"] != both[0]["color"]  # shared by A and B: one grey marker
    assert (
        curve_marks({"A": [Intervention(7, {}, "")]}, lang="zh")[0]["label"] == "第 7 天的政策干预"
    )
    frame = pd.DataFrame({"day": [1, 2], **{m: [0.1, 0.2] for m in METRICS}})
    _box, rc = solara.render(MetricPlots(series={"A": frame}, interventions={"A": [hire]}))
    charts = rc.find(ipyvue.VueTemplate).widgets
    assert len(charts) == 6 and all(c.marks == [mark] for c in charts)


# --- the page -----------------------------------------------------------------------------------


@pytest.fixture
def page():
    box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    return box, rc


def _day(box) -> int:
    return int(re.search(r"Day (\d+)", _text(box)).group(1))


def _counter(rc) -> str:
    return rc.find(v.Html, class_="govsim-day").widget.children[0]


def test_step_advances_the_day_and_the_curves(page):
    box, rc = page
    chart = rc.find(ipyvue.VueTemplate, title="escalation rate").widget
    assert _day(box) == 0 and all(len(s["x"]) == 0 for s in chart.series)
    rc.find(v.Btn, children=["Step"]).widget.click()
    _until(lambda: _day(box) == 1)
    rc.find(v.Btn, children=["Run 30 days"]).widget.click()
    _until(lambda: _day(box) == 31 and len(chart.series[0]["x"]) == 31)


def test_compare_mode_shows_two_maps_and_differences(page):
    box, rc = page
    rc.find(v.Switch, label="compare two policies (A and B)").widget.v_model = True
    maps = rc.find(ipyvue.VueTemplate, label=MAP_METRICS["open_disputes"][0])
    assert len(maps.widgets) == 2
    assert "Policy B" in _text(box) and "Differences, B - A" in _text(box)


def test_chinese_switch_relabels_the_page_and_keeps_the_run(page):
    box, rc = page
    rc.find(v.Btn, children=["Run 30 days"]).widget.click()
    _until(lambda: _day(box) == 30)
    kpi = rc.find(v.Html, class_="govsim-kpi-escalation_rate").widget.children[0]
    assert "出村升级率" not in _text(box)
    rc.find(v.BtnToggle, class_="govsim-language").widget.v_model = list(LANGUAGES).index("zh")
    _until(lambda: "出村升级率" in _text(box))
    assert "Run 30 days" not in _text(box)
    assert _counter(rc) == "第 30 天"  # the same run, not restarted
    assert rc.find(v.Html, class_="govsim-kpi-escalation_rate").widget.children[0] == kpi
    workers = rc.find(v.TextField, label=label(SCHEMA["grid_workers.total"], "zh")).widget
    assert workers.label.startswith("网格员总数")
    [view] = rc.find(ipyvue.VueTemplate, label="未结纠纷").widgets  # the map of open disputes
    assert "睦洲" in [t[0] for t in view.town_labels]
    rc.find(v.Btn, children=["运行 30 天"]).widget.click()
    _until(lambda: _counter(rc) == "第 60 天")
    rc.find(v.BtnToggle, class_="govsim-language").widget.v_model = list(LANGUAGES).index("en")
    _until(lambda: "出村升级率" not in _text(box))
    assert _day(box) == 60


def test_compare_mode_in_chinese_names_the_differences_by_metric_label(page):
    box, rc = page
    rc.find(v.BtnToggle, class_="govsim-language").widget.v_model = list(LANGUAGES).index("zh")
    _until(lambda: "比较两种政策" in _text(box))
    rc.find(v.Switch, label="比较两种政策（A 与 B）").widget.v_model = True
    _until(lambda: "前进一天" in _text(box) and "政策 B" in _text(box))
    rc.find(v.Btn, children=["前进一天"]).widget.click()
    _until(lambda: "差异：B - A" in _text(box) and "第 1 天" in _text(box))
    differences = rc.find(v.Html, class_="govsim-differences")
    table = repr(differences.widget)
    assert table_label("metric", "detected_share", "zh") in table and "detected_share" not in table


def test_govsim_app_rejects_a_bad_port(capsys):
    from sim.cli import main

    assert main(["app", "--port", "70000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["govsim: error: --port: expected 1-65535, got 70000"]


def test_map_colour_choice_and_grid_click_show_a_grids_figures(page):
    box, rc = page
    select = rc.find(v.Select, label="map colour (per grid)").widget
    select.v_model = MAP_METRICS["trust"][0]
    view = rc.find(ipyvue.VueTemplate, label=MAP_METRICS["trust"][0]).widget
    assert view.unit == MAP_METRICS["trust"][1]
    assert all(0.0 <= x <= 1.0 for x in view.values if x is not None)
    view.vue_select(0)
    assert f"Grid {view.names[0]} (policy A)" in _text(box)


def test_model_code_never_imports_the_ui():
    import subprocess
    import sys

    code = (
        "import sys, sim, sim.cli, sim.runs.replicates, sim.output.figures, sim.output.results\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('solara', 'ipyvue')], 'ui'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_differences_table_formats_as_the_cards():
    """Shares in percent and percentage points, not `0.0 0.0 -0.0`; other values as reports do."""
    from sim.viz.plots import table_value

    assert table_value(0.025, "escalation_rate") == "2.5%"
    assert table_value(-0.011, "escalation_rate", difference=True) == "-1.1 pp"
    assert table_value(8130.0, "annual_cost_wan_yuan") == "8,130"
    assert table_value(6000.0, "annual_cost_wan_yuan", difference=True) == "+6,000"


def test_the_map_has_a_scale_bar_of_real_kilometres():
    import sim
    from sim.model.geography import KM_PER_DEG_LON_EQUATOR
    from sim.viz.shapes import build_shapes

    geo = sim.load_geography()
    shapes = build_shapes(geo)
    length, text = shapes.scale_bar
    km = float(text.removesuffix(" km"))
    lon = geo.centroids[:, 0]
    width_km = (lon.max() - lon.min()) * KM_PER_DEG_LON_EQUATOR * np.cos(np.radians(22.35))
    # the bar is km long on a map whose grid centroids span width_km (about 45 km)
    assert 0.1 < km / width_km < 0.4 and 0.1 < length / shapes.width < 0.4


def test_the_grid_card_shows_its_village_beside_its_town_and_the_district():
    session = Session([Policy(overrides=SMALL | {"grid_workers.add": {"Muzhou": 20}})])
    session.step(60)
    run, geo = session.runs[0], session.geography
    grid = int(np.flatnonzero(geo.grid_town == geo.town_names.index("Muzhou"))[0])
    figures = run.places(grid)
    village = geo.grid_village[grid]
    assert (
        figures["village"]["residents"]
        == run.model.residents_per_grid[geo.grid_village == village].sum()
    )
    assert (
        figures["town"]["grid_workers"]
        == run.model.workers_per_grid[geo.grid_town == geo.grid_town[grid]].sum()
    )
    assert figures["district"]["grid_workers"] == run.model.workers_per_grid.sum() == 1020
    assert (
        figures["district"]["disputes"]
        >= figures["town"]["disputes"]
        >= figures["village"]["disputes"]
    )
    assert (
        figures["district"]["volunteer_police"] == 800
        and figures["town"]["volunteer_police"] == 800
    )
    from sim.viz.map import PlaceDetails

    for lang, words in (
        ("en", ("village", "district", "Yi Police")),
        ("zh", ("村（社区）", "全区", "义警")),
    ):
        _box, rc = solara.render(PlaceDetails(name="x", figures=figures, lang=lang))
        html = _markdown(rc)
        assert all(w in html for w in words), html
        assert f"{figures['town']['grid_workers']:,.0f}" in html


def test_place_controls_take_toml_and_check_names_against_the_map():
    calls = []
    box, rc = solara.render(ParameterControl(key="grid_workers.add", value={},
                                             on_value=lambda k, v: calls.append(v)))  # fmt: skip
    field = rc.find(v.TextField).widget
    field.v_model = '{Huicheng = 200, "睦洲" = -5}'
    field.fire_event("keyup.enter")
    assert calls == [{"Huicheng": 200, "睦洲": -5}]
    field.v_model = "{Huichen = 200}"
    field.fire_event("keyup.enter")
    assert calls == [{"Huicheng": 200, "睦洲": -5}]  # unknown town: not applied
    assert "did you mean 'Huicheng'?" in _text(box)
    assert widget_kind(SCHEMA["mediation.trust_room_villages"]) == "places"
    box, rc = solara.render(ParameterControl(key="mediation.trust_room_villages", value=["沙堆社区"],
                                             on_value=lambda k, v: calls.append(v)))  # fmt: skip
    assert rc.find(v.TextField).widget.v_model == '["沙堆社区"]'


def test_compare_mode_gives_the_cost_per_case_averted_of_one_pair_of_runs():
    session = Session(
        [Policy(overrides=SMALL), Policy(overrides=SMALL | {"grid_workers.total": 3000})]
    )
    session.step(120)
    costs = session.costs().set_index("case")
    assert (costs["cost_change_wan_yuan"] == 2000 * 6.0).all()
    towns = [session.runs[0].places(0), session.runs[1].places(0)]
    years, scale = 120 / 365, SMALL["population.scale"]
    assert costs.loc["escalations", "A"] == pytest.approx(
        towns[0]["district"]["escalations"] / scale / years
    )
    for _case, row in costs.iterrows():
        if row["averted"] > 0:
            assert row["cost_per_case_wan_yuan"] == pytest.approx(12000 / row["averted"])
        else:
            assert np.isnan(row["cost_per_case_wan_yuan"])
    from sim.viz.plots import CostTable

    _box, rc = solara.render(CostTable(costs=session.costs(), lang="zh"))
    assert "每避免一件的成本" in _markdown(rc)


def test_grid_names_are_all_chinese_in_chinese_and_all_english_in_english():
    shapes = shapes_for(load_geography())
    geo = load_geography()
    muzhou = int(np.flatnonzero(geo.grid_town == geo.town_names.index("Muzhou"))[0])
    zh, en = shapes.names("zh")[muzhou], shapes.names("en")[muzhou]
    village = geo.grid_village[muzhou]
    assert zh.endswith("，睦洲") and geo.village_names_zh[village] in zh
    assert en.endswith(", Muzhou") and geo.village_names[village] in en
    assert not re.search("[\u4e00-\u9fff]", en)


class _CountingSession:
    """Stands in for a session in the play loop: counts the days stepped and cancels the play
    once ``until`` days have been stepped."""

    def __init__(self, cancel, until: int) -> None:
        self.day, self.cancel, self.until = 0, cancel, until

    def step(self, days: int = 1) -> None:
        self.day += days
        if self.day >= self.until:
            self.cancel.set()


def test_play_loop_redraws_only_after_the_page_showed_the_last_redraw(monkeypatch):
    import threading

    from sim.viz import page

    monkeypatch.setattr(page, "REDRAW_SECONDS", 0.0)
    cancel, drawn = threading.Event(), threading.Event()
    session = _CountingSession(cancel, until=20)
    redraws: list[int] = []
    drawn.set()
    # the page never shows a redraw: ``drawn`` stays cleared after the first
    page.play_loop(
        session=session,
        speed=1000,
        cancel=cancel,
        redraw=lambda: redraws.append(session.day),
        drawn=drawn,
    )  # type: ignore[arg-type]
    assert redraws == [1, 20]  # the first day, then only the last, on cancel
    assert not drawn.is_set()

    def shown() -> None:  # the page shows each redraw at once
        redraws.append(session.day)
        drawn.set()

    cancel.clear()
    session.until, redraws[:] = 40, []
    drawn.set()
    page.play_loop(session=session, speed=1000, cancel=cancel, redraw=shown, drawn=drawn)  # type: ignore[arg-type]
    assert redraws == [*range(21, 41), 40]  # one redraw a day while the page keeps up


def test_play_loop_stops_at_once_when_paused_and_redraws_the_day_it_stopped_at():
    import threading

    from sim.viz import page

    cancel, paused, drawn = threading.Event(), threading.Event(), threading.Event()
    session = _CountingSession(paused, until=5)  # Pause is clicked on day 5; cancel never comes
    redraws: list[int] = []
    drawn.set()
    page.play_loop(
        session=session,  # type: ignore[arg-type]
        speed=1000,
        cancel=cancel,
        redraw=lambda: redraws.append(session.day),
        drawn=drawn,
        paused=paused,
    )
    assert session.day == 5 and redraws[-1] == 5 and not cancel.is_set()
