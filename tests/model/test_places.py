"""Place-based levers: staff by town and village, trust rooms and offices by name, plan files.

Counts come from ``towns.csv`` (the results a planner reads); names are matched
in English, in Chinese and by NBS code; every mistake gets one line and exit 2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.model.geography import load_geography
from sim.model.mapcheck import plan_of
from sim.model.parameters import ParameterError, resolve
from sim.model.places import Places
from sim.model.planfile import plan_csv, read_plan
from sim.runs.replicates import run_replicates
from sim.runs.scenario import load_scenario

# short runs after a short warm-up: staff and cost by place do not depend on the warm-up
QUICK = ["--days", "30", "--set", "population.scale=0.05", "--set", "run.warmup_days=10", "--quiet"]


def towns(folder) -> pd.DataFrame:
    return pd.read_csv(folder / "towns.csv").set_index("town")


def test_grid_workers_add_gives_huicheng_exactly_200_more_and_no_other_town_a_change(tmp_path):
    assert main(["run", "baseline", *QUICK, "--out", str(tmp_path / "a")]) == 0
    more = ["--set", "grid_workers.add={Huicheng = 200}"]
    assert main(["run", "baseline", *QUICK, *more, "--out", str(tmp_path / "b")]) == 0
    before, after = towns(tmp_path / "a"), towns(tmp_path / "b")
    change = after["grid_workers"] - before["grid_workers"]
    assert change["Huicheng"] == 200
    assert (change.drop("Huicheng") == 0).all()
    cost = after["annual_cost_wan_yuan"] - before["annual_cost_wan_yuan"]
    assert cost["Huicheng"] == pytest.approx(200 * 6.0)


def test_by_town_sets_a_towns_number_and_add_moves_staff_between_towns():
    base = plan_of(resolve({}), 1)[0]
    geo = load_geography()
    town_of = geo.village_town
    huicheng, muzhou = geo.town_names.index("Huicheng"), geo.town_names.index("Muzhou")

    def per_town(plan, column):
        return np.bincount(town_of, getattr(plan, column), geo.n_towns)

    moved = plan_of(resolve({"grid_workers.add": {"Huicheng": -100, "睦洲": 100}}), 1)[0]
    change = per_town(moved, "grid_workers") - per_town(base, "grid_workers")
    assert change[huicheng] == -100 and change[muzhou] == 100 and change.sum() == 0
    swap = {"volunteer_police.add": {"Muzhou": -300, "Sanjiang": 300}}
    yi = per_town(plan_of(resolve(swap), 1)[0], "volunteer_police")
    assert yi[muzhou] == 500 and yi[geo.town_names.index("Sanjiang")] == 300
    set_ = plan_of(resolve({"volunteer_police.by_town": {"Daze": 64}}), 1)[0]
    assert per_town(set_, "volunteer_police")[geo.town_names.index("Daze")] == 64


def test_a_huicheng_only_change_moves_huicheng_beyond_noise_and_leaves_other_towns_within_it():
    """Paired runs (same seeds, 30% scale, a year, 4 runs): 400 more grid workers in Huicheng
    only. Huicheng's escalations fall by more than twice the standard error of the paired
    difference; every other town's change stays within three of its own standard errors
    (at least one case: a town with no change on every seed has a standard error of 0)."""
    small = {"population.scale": 0.3, "run.warmup_days": 180}
    base = load_scenario("baseline").with_overrides(small)
    more = base.with_overrides(small | {"grid_workers.add": {"Huicheng": 400}})
    kwargs = {"days": 365, "replicates": 4, "seed": 3, "workers": 2}
    a, b = run_replicates(base, **kwargs).towns, run_replicates(more, **kwargs).towns
    diff = a.set_index(["run", "town"])["escalations"] - b.set_index(["run", "town"])["escalations"]
    by_town = diff.groupby("town").agg(["mean", "std"])
    se = np.maximum(by_town["std"] / np.sqrt(kwargs["replicates"]), 1.0)
    assert by_town.loc["Huicheng", "mean"] > 2 * se["Huicheng"], by_town.loc["Huicheng"]
    others = by_town.drop("Huicheng")
    assert (others["mean"].abs() <= 3 * se.drop("Huicheng")).all(), others


def test_trust_rooms_named_in_chinese_or_by_code_or_in_english_are_the_same_run():
    geo = load_geography()
    muzhou = [v for v in range(geo.n_villages) if geo.town_names[geo.village_town[v]] == "Muzhou"]
    chosen = muzhou[:3]
    ways = {
        "zh": [geo.village_names_zh[v] for v in chosen],
        "code": [geo.village_codes[v] for v in chosen],
        "en": [f"Muzhou/{geo.village_names[v]}" for v in chosen],
    }
    runs = {}
    for way, names in ways.items():
        params = {"mediation.trust_room_villages": names, "mediation.trust_room_rule": "listed",
                  "population.scale": 0.02, "run.warmup_days": 10}  # fmt: skip
        plan = plan_of(resolve(params), 1)[0]
        assert np.flatnonzero(plan.trust_room).tolist() == sorted(chosen)
        scenario = load_scenario("baseline").with_overrides(params)
        runs[way] = run_replicates(scenario, days=20, seed=1, workers=1).summary
    assert runs["zh"].drop(columns="scenario").equals(runs["code"].drop(columns="scenario"))
    assert runs["zh"].drop(columns="scenario").equals(runs["en"].drop(columns="scenario"))


def test_the_rules_choose_trust_rooms_listed_first_then_largest_or_most_disputes():
    geo = load_geography()
    listed = geo.village_codes[5]
    for rule in ("largest", "most_disputes", "published"):
        plan = plan_of(resolve({"mediation.trust_rooms": 20, "mediation.trust_room_rule": rule,
                                "mediation.trust_room_villages": [listed]}), 1)[0]  # fmt: skip
        assert plan.trust_room.sum() == 20 and plan.trust_room[5]
    residents = np.bincount(geo.grid_village, geo.grid_population, geo.n_villages)
    largest = plan_of(
        resolve({"mediation.trust_rooms": 10, "mediation.trust_room_rule": "largest"}), 1
    )[0]
    assert set(np.flatnonzero(largest.trust_room)) == set(np.argsort(-residents)[:10])


def test_village_offices_by_town_and_by_village():
    geo = load_geography()
    code = geo.village_codes[0]
    plan = plan_of(resolve({"police.village_offices": ["Muzhou", code]}), 1)[0]
    in_muzhou = geo.village_town == geo.town_names.index("Muzhou")
    assert plan.village_office[in_muzhou].all() and plan.village_office[0]
    assert plan.village_office.sum() == in_muzhou.sum() + 1


def test_the_plan_round_trip_is_byte_identical(tmp_path):
    """A scenario's exported plan, run as a plan, gives byte-identical result tables."""
    plan = tmp_path / "plan.csv"
    setting = ["--set", "grid_workers.add={Huicheng = 50, Daze = -5}"]
    assert main(["plan", "one_village_one_police", *setting, "--out", str(plan)]) == 0
    assert plan.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel shows Chinese
    scenario = tmp_path / "from_plan.toml"
    scenario.write_text('extends = "one_village_one_police"\n[staffing]\nplan = "plan.csv"\n')
    args = ["--days", "40", "--set", "population.scale=0.05", "--set", "run.warmup_days=10"]
    args += ["--quiet", "--replicates", "2"]
    assert (
        main(["run", "one_village_one_police", *args, *setting, "--out", str(tmp_path / "a")]) == 0
    )
    assert main(["run", str(scenario), *args, "--out", str(tmp_path / "b")]) == 0
    for name in ("summary", "timeseries", "grids", "towns", "villages", "petitions"):
        a = (tmp_path / "a" / f"{name}.csv").read_text().splitlines()
        b = (tmp_path / "b" / f"{name}.csv").read_text().splitlines()
        strip = [line.split(",", 1)[1] for line in a[1:]], [line.split(",", 1)[1] for line in b[1:]]
        assert strip[0] == strip[1], name  # all but the scenario's name


def test_an_edited_plan_is_what_runs(tmp_path):
    geo = load_geography()
    plan, _ = plan_of(resolve({}), 1)
    edited = _plan_file(
        tmp_path, lambda ls: _set(_set(ls, 2, "grid_workers", "30"), 2, "trust_room", "yes")
    )
    read = read_plan(edited, geo)
    assert read.grid_workers[0] == 30 and read.trust_room[0]
    assert read.grid_workers.sum() == plan.grid_workers.sum() - plan.grid_workers[0] + 30
    model_plan = load_scenario("baseline").with_overrides({"staffing.plan": edited})
    assert model_plan.params["staffing.plan"] == edited


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (
            "grid_workers.add={Huichen = 200}",
            "grid_workers.add: unknown town 'Huichen' (did you mean 'Huicheng'?)",
        ),
        (
            "grid_workers.add={Muzhou = -5000}",
            "grid_workers.add.Muzhou: -5000 would leave Muzhou with -4963 grid workers (it has 37)",
        ),
        (
            "volunteer_police.add={Muzhou = -801}",
            "volunteer_police.add.Muzhou: -801 would leave Muzhou with -1 Yi Police (it has 800)",
        ),
        (
            "grid_workers.by_town={Huicheng = 2.5}",
            "grid_workers.by_town.Huicheng: expected a whole number",
        ),
        ("grid_workers.add=200", "grid_workers.add: expected a table of town = number"),
        ('mediation.trust_room_villages=["Shagang Village"]', "names 2 units"),
        (
            'mediation.trust_room_villages=["Nowhere Village"]',
            "unknown village or community 'Nowhere Village'",
        ),
        ('mediation.trust_room_villages=["440705001001", "440705001001"]', "is listed twice"),
        ('police.village_offices=["Muzhouu"]', "did you mean 'Muzhou'?"),
        (
            "mediation.town_centre_hours_by_town={Mars = 3}",
            "mediation.town_centre_hours_by_town: unknown town 'Mars'",
        ),
    ],
)
def test_bad_place_settings_get_one_line_and_exit_2(capsys, tmp_path, setting, expected):
    assert main(["validate", "baseline", "--set", setting]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def _plan_file(tmp_path, edit) -> str:
    geo = load_geography()
    lines = plan_csv(plan_of(resolve({}), 1)[0], geo).splitlines()
    lines = edit(lines)
    path = tmp_path / "plan.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return str(path)


def _set(lines, row, column, value):
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    return lines


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda ls: _set(ls, 5, "grid_workers", "-3"),
            "row 5: grid_workers: expected a whole number from 0 to 50,000, got '-3'",
        ),
        (
            lambda ls: _set(ls, 7, "trust_room", "maybe"),
            "row 7: trust_room: expected 1 or 0, got 'maybe'",
        ),
        (
            lambda ls: _set(ls, 3, "code", "440705999999"),
            "row 3: code: unknown village or community '440705999999'",
        ),
        (
            lambda ls: [*ls[:4], ls[2], *ls[5:]],
            "row 5: 440705001002 (Huicheng/Lingdong Community) is also on row 3",
        ),
        (lambda ls: ls[:-1], "no row for Da'ao/"),
        (
            lambda ls: [ls[0].replace("volunteer_police", "yi_police"), *ls[1:]],
            "no 'volunteer_police' column",
        ),
    ],
)
def test_a_bad_plan_row_is_refused_with_its_row_and_reason(capsys, tmp_path, edit, expected):
    path = _plan_file(tmp_path, edit)
    assert main(["validate", "baseline", "--set", f"staffing.plan={path!r}"]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_govsim_plan_never_replaces_a_file(tmp_path, capsys):
    out = tmp_path / "mine.csv"
    out.write_text("my own numbers\n")
    assert main(["plan", "baseline", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text() == "my own numbers\n"


def test_places_match_english_chinese_and_codes_case_blind():
    places = Places(load_geography())
    assert places.town("muzhou", key="k") == places.town("睦洲", key="k")
    v = places.unit("440705001001", key="k")
    assert (
        places.unit("北门社区", key="k") == v == places.unit("huicheng/beimen community", key="k")
    )
    with pytest.raises(ParameterError, match="did you mean 'Beimen Community'"):
        places.unit("Beimen Comunity", key="k")


def test_the_towns_costs_and_staff_add_up_to_the_districts():
    import sim
    from sim.runs.places import place_tables

    params = {"population.scale": 0.05, "run.warmup_days": 10, "police.village_offices": "all",
              "grid_workers.add": {"Muzhou": 7}}  # fmt: skip
    model = sim.simulate(params, days=10, seed=1)
    towns, villages = place_tables(model)
    assert towns["annual_cost_wan_yuan"].sum() == pytest.approx(model.annual_cost)
    assert towns["grid_workers"].sum() == villages["grid_workers"].sum() == len(model.grid_workers)
    assert towns["officers"].sum() == len(model.police)
    assert villages["volunteer_police"].sum() == len(model.volunteer_police)
