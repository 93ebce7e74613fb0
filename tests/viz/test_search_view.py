"""A finished policy search in the app: its trials as points; a click runs the plan as B."""

import ipyvue
import ipyvuetify as v
import pytest
import solara

from sim.runs.optimise.command import optimise
from sim.runs.optimise.spec import load_optimisation
from sim.viz.page import Page
from sim.viz.search import StudyPicker, chart_points
from sim.viz.session import Policy
from sim.viz.studies import find_studies, load_study
from tests.runs.test_optimisation import TINY
from tests.viz.test_app_components import _until


@pytest.fixture(scope="module")
def study_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("studies")
    path = root / "tiny.toml"
    path.write_text(TINY.format(trials=3, budget=1000), encoding="utf-8")
    out = root / "optimise" / "tiny"
    optimise(load_optimisation(path), out, workers=1, verify_plans=False)
    return out


def test_a_study_folder_gives_its_trials_and_their_plans(study_folder, tmp_path):
    assert find_studies(study_folder.parent) == [study_folder]
    assert find_studies(tmp_path) == []
    study = load_study(study_folder)
    assert study.scenario == "muzhou" and len(study.trials) == 3
    points = study.points()
    assert {p["trial"] for p in points} <= {0, 1, 2}
    assert all(p["y"] >= 0 and p["x"] > 0 for p in points)  # NaN-free: only trials with cases
    a, b = study.policies(1, like=Policy(overrides={"population.scale": 0.05}, seed=4))
    assert a.scenario == b.scenario == "muzhou" and a.seed == b.seed == 4
    # the search's [settings] as every trial ran them, the app's scale, then the trial's plan
    assert study.fixed == {"population.scale": 0.05, "run.warmup_days": 20}
    assert a.overrides == study.fixed | {"population.scale": 0.05}
    assert b.overrides == a.overrides | study.settings(1)
    with pytest.raises(ValueError, match="not a folder of govsim optimise"):
        load_study(tmp_path)


def test_clicking_a_trial_runs_its_plan_as_b_beside_the_base(study_folder, monkeypatch):
    monkeypatch.chdir(study_folder.parent.parent)  # results/optimise/ is found from here
    monkeypatch.setattr("sim.viz.search.find_studies", lambda: [study_folder])
    chosen = []
    _box, rc = solara.render(
        StudyPicker(like=Policy(), on_policies=lambda a, b: chosen.append((a, b)))
    )
    view = rc.find(
        ipyvue.VueTemplate, title="Trials: escalation rate (click one to run its plan as B)"
    ).widget
    points, _ = chart_points(load_study(study_folder))
    assert view.points == points
    view.vue_select(2)
    [(a, b)] = chosen
    assert "grid_workers.by_town" in b.overrides and "grid_workers.by_town" not in a.overrides


def test_the_page_switches_to_compare_with_the_clicked_plan(study_folder, monkeypatch):
    monkeypatch.setattr("sim.viz.search.find_studies", lambda: [study_folder])
    _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    view = rc.find(
        ipyvue.VueTemplate, title="Trials: escalation rate (click one to run its plan as B)"
    ).widget
    view.vue_select(1)
    shown = "Trial 1 runs as policy B beside the base scenario muzhou as A."
    _until(lambda: bool(rc.find(children=[shown]).widgets))
    assert rc.find(v.Switch, label="compare two policies (A and B)").widget.v_model is True
    assert rc.find(v.CardTitle, children=["Policy B"]).widgets  # B's controls are shown


@pytest.mark.parametrize(
    "trials",
    [
        "",
        "a,b\n1,2\n",
        "trial,state,settings,annual_cost_wan_yuan,escalation_rate,feasible\n0,complete,{bad,1,0.1,True\n",
        "trial,state,settings,annual_cost_wan_yuan,escalation_rate,feasible\n0,complete,{},x,y,True\n",
        "trial,state,settings,annual_cost_wan_yuan,escalation_rate,feasible\n0,complete,{},1,0.1,maybe\n",
    ],
)
def test_a_trials_table_govsim_did_not_write_is_one_line(tmp_path, trials):
    """A search folder edited by hand, or left by another version: the picker says why in one
    line (ValueError, shown under the folder field), never an error in the page."""
    (tmp_path / "manifest.json").write_text('{"kind": "optimise"}')
    (tmp_path / "trials.csv").write_text(trials)
    with pytest.raises(ValueError) as caught:
        load_study(tmp_path)
    assert "\n" not in str(caught.value) and "trials.csv" in str(caught.value)
