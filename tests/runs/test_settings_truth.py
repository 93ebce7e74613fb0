"""What runs is what was asked: a setting that cannot take effect is refused before anything
runs, relative paths are read from the folder of the file that names them, and the plan files
of a search run as the trial that produced them ran."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from sim.model.mapcheck import plan_of
from sim.model.parameters import SCHEMA, resolve
from sim.model.planfile import write_plan
from sim.model.staffing import PLAN_REPLACES
from sim.output.optimisation_report import write_optimisation
from sim.runs.optimise.command import optimise
from sim.runs.optimise.spec import load_optimisation
from sim.runs.runner import run
from sim.runs.scenario import ScenarioError, load_scenario, toml_value
from sim.runs.statistics import nan_mean
from sim.runs.sweep.spec import load_sweep

# A value other than the default for every setting a plan replaces.
OTHER = {
    "grid_workers.total": 3000,
    "grid_workers.by_town": {"Muzhou": 50},
    "grid_workers.add": {"Muzhou": 5},
    "volunteer_police.total": 100,
    "volunteer_police.towns": "all",
    "volunteer_police.by_town": {"Muzhou": 50},
    "volunteer_police.add": {"Muzhou": 5},
    "mediation.trust_rooms": 3,
    "mediation.trust_room_villages": ["Muzhou"],
    "mediation.trust_room_rule": "largest",
    "police.village_offices": "all",
}


@pytest.fixture(scope="module")
def plan_csv(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("plan")
    plan, geo = plan_of(resolve({}), 1)
    write_plan(plan, geo, folder / "plan.csv")
    return folder / "plan.csv"


def _one_line(caught, *names: str) -> str:
    message = str(caught.value)
    assert "\n" not in message
    for name in names:
        assert name in message, (name, message)
    return message


def test_every_replaced_setting_has_another_value_here():
    assert set(OTHER) == set(PLAN_REPLACES)
    assert all(OTHER[k] != SCHEMA[k].default for k in OTHER)


@pytest.mark.parametrize("key", PLAN_REPLACES)
def test_a_plan_and_a_setting_it_replaces_together_are_refused(key, plan_csv):
    with pytest.raises(ScenarioError) as caught:
        load_scenario("baseline").with_overrides({"staffing.plan": str(plan_csv), key: OTHER[key]})
    _one_line(caught, key, "staffing.plan", str(plan_csv))


@pytest.mark.parametrize("key", PLAN_REPLACES)
def test_a_setting_after_a_plan_is_refused(key, plan_csv, tmp_path):
    path = tmp_path / "with_plan.toml"
    path.write_text(f'extends = "baseline"\n[staffing]\nplan = "{plan_csv}"\n')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path).with_overrides({key: OTHER[key]})
    _one_line(caught, key, "staffing.plan")
    child = tmp_path / "child.toml"
    section, name = key.split(".")
    child.write_text(f'extends = "with_plan"\n[{section}]\n{name} = {toml_value(OTHER[key])}\n')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    _one_line(caught, str(child), key, "staffing.plan")


def test_a_plan_replaces_the_staffing_of_the_scenario_it_extends(plan_csv, tmp_path):
    """The precedence: a plan given later than a staffing setting replaces it, and the setting
    is no longer among the settings in force (nor in the report's table of changes)."""
    scenario = load_scenario("double_grid_workers").with_overrides({"staffing.plan": str(plan_csv)})
    assert "grid_workers.total" not in scenario.overrides
    assert scenario.params["grid_workers.total"] == SCHEMA["grid_workers.total"].default
    assert scenario.params["grid_workers.allocation"] == "population"  # still in force


def test_allocation_still_acts_under_a_plan(plan_csv):
    scenario = load_scenario("baseline").with_overrides(
        {"staffing.plan": str(plan_csv), "grid_workers.allocation": "risk"}
    )
    assert scenario.params["grid_workers.allocation"] == "risk"


def test_the_model_refuses_a_plan_beside_a_staffing_setting(plan_csv):
    from sim.model.governance import GovernanceModel
    from sim.model.parameters import ParameterError

    with pytest.raises(ParameterError, match=r"grid_workers.total.*staffing.plan"):
        GovernanceModel({"staffing.plan": str(plan_csv), "grid_workers.total": 3000}, rng=1)


def _intervening(tmp_path: Path, base: str, intervention: str) -> Path:
    path = tmp_path / "intervening.toml"
    path.write_text(
        f'extends = "baseline"\n{base}\n[[interventions]]\nday = 10\n{intervention}\n',
        encoding="utf-8",
    )
    return path


def test_an_intervention_setting_staff_under_a_plan_is_refused(plan_csv, tmp_path):
    path = _intervening(tmp_path, f'[staffing]\nplan = "{plan_csv}"', "grid_workers.total = 2000")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    _one_line(caught, str(path), "interventions[0].grid_workers.total", "staffing.plan")
    both = _intervening(tmp_path, "", f'staffing.plan = "{plan_csv}"\ngrid_workers.total = 2000')
    with pytest.raises(ScenarioError, match=r"interventions\[0\]\.grid_workers.total"):
        load_scenario(both)


def test_an_intervention_bringing_in_a_plan_replaces_the_staffing_before_it(plan_csv, tmp_path):
    path = _intervening(tmp_path, "[grid_workers]\ntotal = 2000", f'staffing.plan = "{plan_csv}"')
    scenario = load_scenario(path)
    params = scenario.params | {"population.scale": 0.02, "map.towns": ["Muzhou"]}
    params |= {"run.warmup_days": 2}
    assert run(params, days=12, seed=1, timeline=scenario.timeline)  # runs past day 10


def test_a_plan_named_in_an_intervention_is_read_from_the_scenario_files_folder(
    plan_csv, tmp_path, monkeypatch
):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "plan.csv").write_bytes(plan_csv.read_bytes())
    path = folder / "later_plan.toml"
    path.write_text(
        'extends = "baseline"\n[[interventions]]\nday = 10\nstaffing.plan = "plan.csv"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    scenario = load_scenario(path)
    assert scenario.timeline.interventions[0].settings["staffing.plan"] == str(folder / "plan.csv")
    before = scenario.sha256
    (folder / "plan.csv").write_bytes(plan_csv.read_bytes().replace(b",1,0,", b",2,0,", 1))
    assert load_scenario(path).sha256 != before  # the hash holds the intervention's plan


@pytest.mark.parametrize(
    "key", ["grid_workers.add", "grid_workers.by_town", "volunteer_police.add"]
)
def test_a_town_table_entry_for_a_town_not_simulated_is_refused(key, tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario("muzhou").with_overrides({key: {"Huicheng": 5}})
    _one_line(caught, f"{key}.Huicheng", "not simulated")
    load_scenario("muzhou").with_overrides({key: {"Muzhou": 5}})  # its own town is fine
    path = tmp_path / "later.toml"
    path.write_text(f'extends = "muzhou"\n[[interventions]]\nday = 5\n{key} = {{ Daze = 5 }}\n')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    _one_line(caught, str(path), f"interventions[0].{key}.Daze")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


SWEEP = 'scenario = "muzhou"\ndays = 5\n'


def test_a_sweep_lever_that_a_plan_replaces_is_refused(plan_csv, tmp_path):
    path = _write(
        tmp_path / "s.toml",
        SWEEP + f'[settings]\nstaffing.plan = "{plan_csv}"\n'
        "[levers]\ngrid_workers.total = [500, 1000, 2000]\n",
    )
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    _one_line(caught, str(path), "levers.grid_workers.total", "staffing.plan")
    swept = _write(
        tmp_path / "s2.toml",
        SWEEP + f'[levers]\nstaffing.plan = ["", "{plan_csv}"]\nmediation.trust_rooms = [1, 2]\n',
    )
    with pytest.raises(ScenarioError, match=r"levers.mediation.trust_rooms.*staffing.plan"):
        load_sweep(swept)


def test_relative_paths_in_sweep_and_optimisation_files_are_read_from_their_folder(
    plan_csv, tmp_path, monkeypatch
):
    folder = tmp_path / "studies"
    folder.mkdir()
    (folder / "plan.csv").write_bytes(plan_csv.read_bytes())
    sweep = _write(
        folder / "s.toml",
        SWEEP + '[settings]\nstaffing.plan = "plan.csv"\n'
        '[levers]\nmediation.three_tuning = ["joint", "sequential"]\n',
    )
    levers = _write(folder / "l.toml", SWEEP + '[levers]\nstaffing.plan = ["", "plan.csv"]\n')
    monkeypatch.chdir(tmp_path)
    assert load_sweep(sweep).scenario.params["staffing.plan"] == str(folder / "plan.csv")
    assert load_sweep(levers).factors[0].values == ("", str(folder / "plan.csv"))
    optimisation = _write(
        folder / "o.toml",
        'scenario = "muzhou"\n[settings]\nstaffing.plan = "plan.csv"\n'
        '[[variables]]\nkey = "mediation.three_tuning"\nchoices = ["joint", "sequential"]\n'
        '[[objectives]]\nmetric = "escalation_rate"\n',
    )
    assert load_optimisation(optimisation).scenario.params["staffing.plan"] == str(
        folder / "plan.csv"
    )


OPTIMISE_HEAD = 'scenario = "muzhou"\n[[objectives]]\nmetric = "escalation_rate"\n'

BAD_VARIABLES = [
    # an option the variable's kind does not read
    ('key = "grid_workers.by_town"\ntowns = ["Muzhou"]\nhigh = 9\nchoices = [1, 2]', ".choices"),
    ('key = "mediation.trust_rooms"\nlow = 0\nhigh = 9\ntowns = ["Muzhou"]', ".towns"),
    ('key = "mediation.trust_rooms"\nlow = 0\nhigh = 9\namong = ["Muzhou"]', ".among"),
    ('key = "mediation.three_tuning"\nchoices = ["joint", "sequential"]\nlow = 1', ".low"),
    ('key = "police.village_offices"\namong = ["Muzhou", "Daze"]\nlow = 1', ".low"),
    (
        'key = "grid_workers.by_town"\ntowns = ["Muzhou"]\nhigh = 9\nrelative = [0.5, 2]',
        ".relative",
    ),
    # a town or place outside the simulated map
    ('key = "grid_workers.by_town"\ntowns = ["Huicheng"]\nhigh = 9', "Huicheng"),
    ('key = "police.village_offices"\namong = ["Muzhou", "Daze"]', "among[1]"),
]


@pytest.mark.parametrize(("variable", "named"), BAD_VARIABLES)
def test_an_optimisation_variable_that_cannot_take_effect_is_refused(tmp_path, variable, named):
    path = _write(tmp_path / "o.toml", OPTIMISE_HEAD + f"[[variables]]\n{variable}\n")
    with pytest.raises(ScenarioError) as caught:
        load_optimisation(path)
    _one_line(caught, str(path), "variables[0]", named)


def test_an_optimisation_variable_that_a_plan_replaces_is_refused(plan_csv, tmp_path):
    path = _write(
        tmp_path / "o.toml",
        OPTIMISE_HEAD + f'[settings]\nstaffing.plan = "{plan_csv}"\n'
        '[[variables]]\nkey = "grid_workers.by_town"\ntowns = ["Muzhou"]\nhigh = 90\n',
    )
    with pytest.raises(ScenarioError) as caught:
        load_optimisation(path)
    _one_line(caught, "variables[0].key", "grid_workers.by_town", "staffing.plan")
    chosen = _write(
        tmp_path / "o2.toml",
        OPTIMISE_HEAD + f'[[variables]]\nkey = "staffing.plan"\nchoices = ["", "{plan_csv}"]\n'
        '[[variables]]\nkey = "mediation.trust_rooms"\nlow = 0\nhigh = 9\n',
    )
    with pytest.raises(ScenarioError, match=r"variables\[1\]\.key: mediation.trust_rooms"):
        load_optimisation(chosen)


def test_an_add_beside_a_searched_town_table_is_refused(tmp_path):
    """Today's numbers already hold the add: applied again on a trial's table it would run
    numbers the trial does not record (and trial 0 would not be today)."""
    path = _write(
        tmp_path / "o.toml",
        OPTIMISE_HEAD + "[settings]\ngrid_workers.add = { Muzhou = 5 }\n"
        '[[variables]]\nkey = "grid_workers.by_town"\ntowns = ["Muzhou"]\nhigh = 90\n',
    )
    with pytest.raises(ScenarioError) as caught:
        load_optimisation(path)
    _one_line(caught, "variables[0].key", "grid_workers.add")


SEARCH = """
description = "A search with fixed settings"
scenario = "muzhou"

[settings]
population.scale = 0.05
run.warmup_days = 10
grid_workers.add = { Muzhou = 5 }
mediation.three_tuning = "joint"

[search]
trials = 3
replicates = 2
days = 10
seed = 3

[[variables]]
key = "mediation.trust_rooms"
low = 0
high = 15

[[objectives]]
metric = "escalation_rate"

[verify]
replicates = 2
population.scale = 0.05
fits = 0
plans = 2
"""


def _ran(params, o, seed) -> str:
    """One run's metrics as text (NaN included), to compare byte for byte."""
    return json.dumps(run(params, days=o.days, seed=seed), sort_keys=True)


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    folder = tmp_path_factory.mktemp("search")
    o = load_optimisation(_write(folder / "fixed.toml", SEARCH))
    result = optimise(o, folder / "out", workers=1, verify_plans=False)
    write_optimisation(result, folder / "out")  # the plan files, as govsim optimise writes them
    return o, result, folder / "out"


def test_a_plan_file_carries_the_searchs_settings_and_runs_as_its_trial_ran(searched):
    o, result, out = searched
    trials = pd.read_csv(out / "trials.csv").set_index("trial")
    assert result.chosen
    for trial in result.chosen:
        settings = json.loads(trials.at[trial, "settings"])
        asked = o.scenario.params | settings  # what the search ran
        toml = load_scenario(out / "plans" / f"plan_trial_{trial}.toml")
        assert toml.overrides["grid_workers.add"] == {"Muzhou": 5}
        assert toml.params == asked
        for seed in o.seeds():
            assert _ran(toml.params, o, seed) == _ran(asked, o, seed)
        # the .csv: the same staffing, run as a plan in place of the staffing settings
        csv = out / "plans" / f"plan_trial_{trial}.csv"
        staffing = load_scenario("muzhou").with_overrides(
            {k: v for k, v in o.fixed().items() if k not in PLAN_REPLACES}
            | {k: v for k, v in settings.items() if k not in PLAN_REPLACES}
            | {"staffing.plan": str(csv)}
        )
        seed = o.seeds()[0]
        assert _ran(staffing.params, o, seed) == _ran(asked, o, seed)
        # the trial's value is the NaN-ignoring mean over its seeds (a short run may have no case)
        values = [run(toml.params, days=o.days, seed=s)["escalation_rate"] for s in o.seeds()]
        assert trials.at[trial, "escalation_rate"] == pytest.approx(nan_mean(values), nan_ok=True)


def test_trial_0_is_todays_plan_with_the_searchs_settings(searched):
    o, _, out = searched
    trials = pd.read_csv(out / "trials.csv").set_index("trial")
    settings = json.loads(trials.at[0, "settings"])
    assert resolve(o.scenario.params | settings) == o.scenario.params


def test_the_apps_click_runs_the_plan_file(searched):
    from sim.viz.session import Policy
    from sim.viz.studies import load_study

    o, result, out = searched
    study = load_study(out)
    trial = result.chosen[0]
    like = Policy(overrides={"population.scale": 0.05})
    a, b = study.policies(trial, like=like)
    toml = load_scenario(out / "plans" / f"plan_trial_{trial}.toml")
    assert b.params() == toml.params
    assert a.params() == o.scenario.params


def test_paths_in_a_plan_file_do_not_depend_on_the_current_folder(searched, tmp_path):
    _, result, out = searched
    path = out / "plans" / f"plan_trial_{result.chosen[0]}.toml"
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert load_scenario(path).params == load_scenario(here / path).params
    finally:
        os.chdir(here)


def test_an_event_in_a_town_not_simulated_is_refused(tmp_path):
    path = tmp_path / "storm.toml"
    path.write_text(
        'extends = "muzhou"\n[[events]]\nkind = "rainstorm"\nday = 3\ntowns = ["Muzhou", "Daze"]\n'
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    _one_line(caught, str(path), "events[0].towns", "Daze", "not simulated")


@pytest.mark.parametrize(
    ("design", "option"),
    [
        ("method = 'grid'\nsamples = 20", "design.samples"),
        ("method = 'lhs'\nlevels = 5", "design.levels"),
        ("method = 'morris'\nsecond_order = true", "design.second_order"),
    ],
)
def test_a_design_option_the_method_does_not_read_is_refused(tmp_path, design, option):
    path = _write(
        tmp_path / "d.toml",
        SWEEP + f"[design]\n{design}\n[levers]\ngrid_workers.total = {{ low = 500, high = 900 }}\n"
        "mediation.trust_rooms = [1, 2]\n",
    )
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    _one_line(caught, str(path), option, "does not apply")


def test_a_calibration_free_parameter_that_a_plan_replaces_is_refused(plan_csv, tmp_path):
    from sim.runs.calibrate.spec import load_calibration

    path = _write(
        tmp_path / "c.toml",
        f'scenario = "muzhou"\n[settings]\nstaffing.plan = "{plan_csv}"\n'
        "[free]\ngrid_workers.total = { low = 500, high = 2000 }\n"
        '[[targets]]\nmetric = "disputes_per_1k"\nvalue = 12.0\ninterval = [11.0, 13.0]\n',
    )
    with pytest.raises(ScenarioError) as caught:
        load_calibration(path)
    _one_line(caught, str(path), "free.grid_workers.total", "staffing.plan")


def test_a_swept_plan_beside_the_base_scenarios_staffing_is_refused(plan_csv, tmp_path):
    """A lever's plan cannot replace what the base scenario sets in every run: say so."""
    path = _write(
        tmp_path / "s.toml",
        f'scenario = "double_grid_workers"\ndays = 2\n[levers]\nstaffing.plan = ["", "{plan_csv}"]\n',
    )
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    _one_line(caught, "levers.staffing.plan", "grid_workers.total", "2000")


@pytest.mark.parametrize(
    "setting",
    [
        {"police.village_offices": ["Muzhou", "Daze"]},
        {
            "mediation.trust_room_rule": "listed",
            "mediation.trust_room_villages": ["Tonghe Village"],
        },
        {"police.village_offices": ["Daze/Tonghe Village"]},
    ],
)
def test_a_place_not_simulated_in_a_place_list_is_refused(setting):
    with pytest.raises(ScenarioError) as caught:
        load_scenario("muzhou").with_overrides(setting)
    _one_line(caught, "not in the simulated towns")


def test_the_default_village_offices_stay_the_district_policy_on_other_towns():
    load_scenario("baseline").with_overrides({"map.towns": ["Daze"]})
