"""The policy search: it finds a known optimum, keeps to its constraints, resumes without
losing or repeating trials, reproduces itself, and refuses bad files in one line."""

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.model.metrics import METRICS
from sim.runs.ensemble import POSTERIOR_FILE, load_ensemble
from sim.runs.optimise.command import optimise
from sim.runs.optimise.search import search
from sim.runs.optimise.spec import load_optimisation
from sim.runs.optimise.trials import frontier, trials_table
from sim.runs.optimise.verification import good_fits
from sim.runs.scenario import ScenarioError

TINY = """
description = "A tiny search"
scenario = "muzhou"

[settings]
population.scale = 0.05
run.warmup_days = 20

[search]
trials = {trials}
replicates = 2
days = 20
seed = 3

[[variables]]
key = "grid_workers.by_town"
towns = ["Muzhou"]
low = 10
high = 120

[[variables]]
key = "mediation.trust_rooms"
low = 0
high = 15

[[constraints]]
metric = "annual_cost_wan_yuan"
at_most = {budget}

[[objectives]]
metric = "escalation_rate"

[verify]
replicates = 2
population.scale = 0.05
fits = 0
"""


def tiny(tmp_path: Path, *, trials: int = 4, budget: float = 1000.0, name: str = "tiny"):
    path = tmp_path / f"{name}.toml"
    path.write_text(TINY.format(trials=trials, budget=budget), encoding="utf-8")
    return load_optimisation(path)


SYNTHETIC = {"x": "mediation.trust_rooms", "y": "grid_workers.by_town"}


def synthetic(settings: dict) -> dict[str, float]:
    """A known optimum: (x - 37)^2 + (y - 12)^2 with x + y <= 40, i.e. (32.5, 7.5) on the line;
    the best whole-number points are (32, 8) and (33, 7), both 41."""
    x, y = settings[SYNTHETIC["x"]], settings[SYNTHETIC["y"]]["Muzhou"]
    values = dict.fromkeys(METRICS, 0.0)
    values["escalation_rate"] = (x - 37) ** 2 + (y - 12) ** 2
    values["annual_cost_wan_yuan"] = float(x + y)
    return values


def synthetic_file(tmp_path: Path, trials: int):
    text = (TINY.format(trials=trials, budget=40)
            .replace("high = 120", "high = 40").replace("high = 15", "high = 100")
            .replace('scenario = "muzhou"', 'scenario = "baseline"'))  # fmt: skip
    path = tmp_path / "synthetic.toml"
    path.write_text(text, encoding="utf-8")
    return load_optimisation(path)


def test_the_search_finds_a_known_optimum_within_its_constraint(tmp_path):
    optimisation = synthetic_file(tmp_path, trials=120)
    study = search(optimisation, tmp_path / "out", evaluate=synthetic)
    table = trials_table(study, optimisation)
    assert len(table) == 120 and (table["state"] == "complete").all()
    best = frontier(table, ["escalation_rate"], [1.0]).iloc[0]
    settings = json.loads(best["settings"])
    x, y = settings["mediation.trust_rooms"], settings["grid_workers.by_town"]["Muzhou"]
    # tolerance: within 25 of the optimum's 41 (about 5 steps from it), and among the best 3% of
    # the 861 feasible whole-number plans
    feasible = [(a - 37) ** 2 + (b - 12) ** 2 for a in range(101) for b in range(41) if a + b <= 40]
    assert best["escalation_rate"] <= 41 + 25, (x, y)
    assert sum(f < best["escalation_rate"] for f in feasible) <= 0.03 * len(feasible)
    assert x + y <= 40  # the best feasible trial keeps to the constraint
    infeasible = table[table["annual_cost_wan_yuan"] > 40]
    assert not infeasible["feasible"].any() and len(infeasible) > 0


def test_the_same_seed_and_one_worker_give_the_same_trials(tmp_path):
    one = trials_table(search(synthetic_file(tmp_path, 15), tmp_path / "a", evaluate=synthetic),
                       synthetic_file(tmp_path, 15))  # fmt: skip
    two = trials_table(search(synthetic_file(tmp_path, 15), tmp_path / "b", evaluate=synthetic),
                       synthetic_file(tmp_path, 15))  # fmt: skip
    columns = [c for c in one.columns if c != "seconds"]
    pd.testing.assert_frame_equal(one[columns], two[columns])


def test_a_tiny_optimisation_of_the_model_writes_its_folder(tmp_path):
    optimisation = tiny(tmp_path, trials=4)
    result = optimise(optimisation, tmp_path / "out", workers=1)
    out = tmp_path / "out"
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 4 and set(trials["state"]) == {"complete"}
    assert (trials["seeds"] == json.dumps(optimisation.seeds())).all()  # the same seeds
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "optimise" and manifest["status"] == "complete"
    assert (out / "frontier.csv").exists() and (out / "study.db").exists()
    assert result.chosen and result.verification is not None
    for trial in result.chosen:  # no recommended plan breaks a constraint
        row = trials.set_index("trial").loc[trial]
        assert row["feasible"] and row["annual_cost_wan_yuan"] <= 1000


def test_resume_after_an_interruption_loses_and_repeats_no_trial(tmp_path, monkeypatch):
    optimisation = tiny(tmp_path, trials=5)
    out = tmp_path / "out"
    calls: list[str] = []

    def interrupted(settings):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(json.dumps(settings, sort_keys=True))
        return synthetic_like(settings)

    with pytest.raises(KeyboardInterrupt):
        search(optimisation, out, evaluate=interrupted)
    first = trials_table(
        search(optimisation, out, trials=3, resume=True, evaluate=fail), optimisation
    )
    assert (first["state"] == "complete").sum() == 3  # nothing more was needed for 3
    calls_before = list(calls)
    study = search(optimisation, out, resume=True, evaluate=interrupted_never(calls))
    table = trials_table(study, optimisation)
    complete = table[table["state"] == "complete"]
    assert len(complete) == 5
    assert calls[:3] == calls_before and len(calls) == 5  # the 3 finished ones were not re-run
    assert complete["trial"].tolist()[:3] == [0, 1, 2]


def synthetic_like(settings: dict) -> dict[str, float]:
    values = dict.fromkeys(METRICS, 0.0)
    values["escalation_rate"] = settings["mediation.trust_rooms"] / 10
    values["annual_cost_wan_yuan"] = 1.0
    return values


def fail(settings):
    raise AssertionError("no trial should run")


def interrupted_never(calls):
    def evaluate(settings):
        calls.append(json.dumps(settings, sort_keys=True))
        return synthetic_like(settings)

    return evaluate


BAD = [
    ('[[variables]]\nkey = "grid_workers.totl"\nlow = 1\nhigh = 2\n', "grid_workers.totl"),
    ('[[variables]]\nkey = "grid_workers.by_town"\ntowns = ["Muzhuo"]\nhigh = 9\n', "Muzhuo"),
    ('[[variables]]\nkey = "mediation.trust_rooms"\nlow = 9\nhigh = 2\n', "below high"),
    (
        '[[variables]]\nkey = "mediation.trust_rooms"\nlow = 1\nhigh = 9\n'
        '[[objectives]]\nmetric = "escalation"\n',
        "unknown metric",
    ),
    (
        '[[variables]]\nkey = "mediation.trust_rooms"\nlow = 1\nhigh = 9\n'
        '[[objectives]]\nmetric = "escalation_rate"\ndirection = "down"\n',
        "direction",
    ),
    (
        '[[variables]]\nkey = "mediation.trust_rooms"\nlow = 1\nhigh = 9\n'
        '[[objectives]]\nmetric = "escalation_rate"\n[[constraints]]\nmetric = "escalation_rate"\n',
        "at_most, at_least or no_worse_than",
    ),
    ('[[objectives]]\nmetric = "escalation_rate"\n', "variables"),
    (
        '[search]\ntrials = 0\n[[variables]]\nkey = "mediation.trust_rooms"\nlow = 1\nhigh = 9\n'
        '[[objectives]]\nmetric = "escalation_rate"\n',
        "search.trials",
    ),
    ("speed = 3\n", "speed"),
]


@pytest.mark.parametrize(("text", "named"), BAD)
def test_a_bad_optimisation_file_is_one_line_naming_the_mistake(tmp_path, text, named):
    path = tmp_path / "bad.toml"
    path.write_text('scenario = "muzhou"\n' + text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_optimisation(path)
    message = str(caught.value)
    assert named in message and "\n" not in message and str(path) in message


def test_resuming_a_different_optimisation_is_refused(tmp_path):
    optimise(tiny(tmp_path, trials=2), tmp_path / "out", workers=1, verify_plans=False)
    with pytest.raises(ScenarioError, match="different optimisation"):
        optimise(tiny(tmp_path, trials=2, budget=999, name="other"), tmp_path / "out",
                 workers=1, resume=True)  # fmt: skip
    with pytest.raises(ScenarioError, match="--resume"):
        optimise(tiny(tmp_path, trials=2), tmp_path / "out", workers=1)
    assert len(pd.read_csv(tmp_path / "out" / "trials.csv")) == 2  # the first study is intact


def test_every_shipped_optimisation_file_loads_and_the_readme_shows_one_as_it_is():
    from sim.runs.optimise.spec import OPTIMISE_DIR

    shipped = sorted(OPTIMISE_DIR.glob("*.toml"))
    assert shipped
    for path in shipped:
        assert load_optimisation(path).variables
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    [block] = [b for b in readme.split("```toml\n")[1:] if b.startswith("# scenarios/optimise/")]
    name, body = block.split("```")[0].split("\n", 1)
    text = (OPTIMISE_DIR.parent.parent / name.removeprefix("# ")).read_text(encoding="utf-8")
    for line in body.splitlines():
        assert line in text.splitlines(), line  # the README's excerpt is the file's own lines


def test_verification_draws_distinct_sets_by_weight_from_a_posterior_ensemble(tmp_path):
    """verify.ensemble may name the posterior ensemble: the sets verified are the distinct ones
    among ``fits`` drawn by weight (the heaviest set of the shipped ensemble always among 8),
    with the ensemble's values; a table of good fits is read row by row as before."""
    text = TINY.format(trials=2, budget=1000.0).replace(
        "fits = 0", f'fits = 8\nensemble = "{POSTERIOR_FILE}"'
    )
    path = tmp_path / "posterior.toml"
    path.write_text(text, encoding="utf-8")
    optimisation = load_optimisation(path)
    fits = good_fits(optimisation)
    ensemble = load_ensemble()
    drawn = {w.set: w.values for w in ensemble.draw(8, seed=optimisation.verify["seed"])}
    assert fits == list(drawn.values()) and 2 <= len(fits) <= 8
    heaviest = ensemble.table.sort_values("ensemble_weight").iloc[-1]
    assert {k: float(heaviest[k]) for k in ensemble.keys} in fits
