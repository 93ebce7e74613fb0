"""A staffing change that falls wholly on towns not simulated is refused, in every way of giving it.

On a map of some towns (``map.towns``), district-wide settings (``grid_workers.total``,
``mediation.trust_rooms``, ...) and a plan file's rows are shared out over the whole district: a
change of them can move staff only in towns that are not simulated, and the run would be the
one without it. ``--set``, an intervention, a sweep's lever and a search's variable are refused
alike (one line, exit 2); a change that reaches a simulated unit, or one under a rule that
depends on the seed, runs.
"""

from __future__ import annotations

import pytest

from sim.cli import main
from sim.model.mapcheck import check_values_reach_simulated, only_elsewhere, whole_numbers
from sim.model.parameters import ParameterError
from sim.model.planfile import read_plan, write_plan
from sim.model.staffing import StaffingPlan
from sim.runs.scenario import load_scenario
from tests.cli.test_messages import govsim_fails

ELSEWHERE = "the change falls on towns not simulated"


def muzhou() -> dict:
    return dict(load_scenario("muzhou").params)


@pytest.mark.parametrize(
    "setting",
    ["mediation.trust_rooms=16", "grid_workers.total=1100", "grid_workers.total=1001"],
)
def test_a_set_whose_change_falls_outside_the_simulated_towns_is_refused(setting):
    key = setting.split("=")[0]
    govsim_fails("validate", "muzhou", "--set", setting, expected=(f"--set {key}: ", ELSEWHERE))


@pytest.mark.parametrize(
    "setting",
    [
        "mediation.trust_rooms=14",  # Muzhou loses a room
        "grid_workers.total=1500",  # Muzhou's share grows
        "mediation.trust_rooms=15",  # as the scenario has it: no change at all
        "grid_workers.allocation=risk",  # not a count of staff: where they work in Muzhou
        "volunteer_police.total=1000",  # the baseline's Yi Police are all Muzhou's
    ],
)
def test_a_set_that_reaches_a_simulated_unit_or_changes_nothing_runs(setting, capsys):
    assert main(["validate", "muzhou", "--set", setting]) == 0
    assert "ok for" in capsys.readouterr().out


def test_a_change_under_a_rule_that_depends_on_the_seed_is_not_judged_before_the_run():
    base = muzhou() | {"grid_workers.allocation": "risk"}
    assert not only_elsewhere([base, base | {"grid_workers.total": 1100}])  # known only in a run
    assert only_elsewhere([muzhou(), muzhou() | {"grid_workers.total": 1100}])
    assert not only_elsewhere([muzhou()])  # one setting: nothing to compare


def test_an_intervention_whose_change_falls_outside_is_refused_naming_it(tmp_path):
    path = tmp_path / "later.toml"
    path.write_text(
        'extends = "muzhou"\n[[interventions]]\nday = 30\nmediation.trust_rooms = 12\n'
        "[[interventions]]\nday = 60\nmediation.trust_rooms = 16\n"
    )
    # the second, from 12 rooms to 16: Muzhou gets its 3 back, so it runs
    assert main(["validate", str(path), "--days", "90"]) == 0
    path.write_text(
        'extends = "muzhou"\n[[interventions]]\nday = 60\nmediation.trust_rooms = 16\n'
        "[[interventions]]\nday = 30\nmediation.trust_rooms = 12\n"
    )  # in day order: 15 -> 12 (day 30) -> 16 (day 60) too, whatever the order in the file
    assert main(["validate", str(path), "--days", "90"]) == 0
    path.write_text('extends = "muzhou"\n[[interventions]]\nday = 30\nmediation.trust_rooms = 20\n')
    govsim_fails("validate", str(path), "--days", "90",
                 expected=("interventions[0].mediation.trust_rooms: 20", ELSEWHERE))  # fmt: skip


def test_a_plan_file_edited_only_outside_the_simulated_towns_is_refused(tmp_path):
    assert main(["plan", "muzhou", "--out", str(tmp_path / "plan.csv")]) == 0
    from sim.model.geography import load_geography

    geo = load_geography()
    plan = read_plan(tmp_path / "plan.csv", geo)
    huicheng = geo.village_town == geo.town_names.index("Huicheng")
    edited = StaffingPlan(
        grid_workers=plan.grid_workers + 300 * huicheng,
        volunteer_police=plan.volunteer_police,
        trust_room=plan.trust_room | huicheng,
        village_office=plan.village_office,
    )
    write_plan(edited, geo, tmp_path / "edited.csv")
    govsim_fails("validate", "muzhou", "--set", f"staffing.plan={tmp_path / 'edited.csv'}",
                 expected=("--set staffing.plan: ", ELSEWHERE))  # fmt: skip
    # the plan as written, the scenario's own staff: nothing changes, and it runs
    assert main(["validate", "muzhou", "--set", f"staffing.plan={tmp_path / 'plan.csv'}"]) == 0


@pytest.mark.parametrize(
    ("values", "refused"),
    [([16, 20, 30], True), ([10, 16], False), (whole_numbers(20, 30), True)],
)
def test_a_sweeps_or_searchs_values_that_differ_only_outside_are_refused(values, refused):
    def check() -> None:
        check_values_reach_simulated(muzhou(), "mediation.trust_rooms", values, where="levers.")

    if refused:
        with pytest.raises(ParameterError, match="every value gives the simulated towns the same"):
            check()
    else:
        check()


def test_a_search_variable_over_rooms_muzhou_cannot_have_is_refused_before_it_runs(tmp_path):
    from tests.runs.test_optimisation import TINY

    text = TINY.format(trials=3, budget=1000).replace("low = 0\nhigh = 15", "low = 20\nhigh = 30")
    path = tmp_path / "rooms.toml"
    path.write_text(text, encoding="utf-8")
    govsim_fails("optimise", str(path), "--out", str(tmp_path / "o"),
                 expected=("mediation.trust_rooms: every value gives the simulated towns",))  # fmt: skip
    assert not (tmp_path / "o").exists()


def test_whole_numbers_spread_over_a_range_keep_its_ends():
    assert whole_numbers(3, 7) == [3, 4, 5, 6, 7]
    wide = whole_numbers(0, 10_000)
    assert wide[0] == 0 and wide[-1] == 10_000 and 150 <= len(wide) <= 200


def test_a_sweep_lever_over_rooms_muzhou_cannot_have_is_refused_before_it_runs(tmp_path):
    path = tmp_path / "rooms.toml"
    path.write_text('scenario = "muzhou"\ndays = 10\n[levers]\nmediation.trust_rooms = [16, 20]\n')
    govsim_fails("sweep", str(path), "--out", str(tmp_path / "o"),
                 expected=("levers.mediation.trust_rooms: every value gives",))  # fmt: skip
    path.write_text(
        'scenario = "muzhou"\ndays = 10\n[levers]\ngrid_workers.total = { low = 1000, high = 1010 }\n'
    )
    govsim_fails("sweep", str(path), "--out", str(tmp_path / "o"),
                 expected=("levers.grid_workers.total: every value gives",))  # fmt: skip
    assert not (tmp_path / "o").exists()
