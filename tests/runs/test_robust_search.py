"""A robust search: every trial in the same plausible parameter sets, a constraint that reads
them set by set against the base scenario, and every setting that cannot take effect refused
in one line."""

import json
import math
from pathlib import Path

import pytest

from sim.model.metrics import BETTER, METRICS
from sim.runs.ensemble import POSTERIOR_FILE, load_ensemble
from sim.runs.optimise.decisions import Robust
from sim.runs.optimise.search import search
from sim.runs.optimise.sets import set_means, set_runs, set_seeds
from sim.runs.optimise.spec import load_optimisation
from sim.runs.optimise.trials import trials_table
from sim.runs.runner import execute
from sim.runs.scenario import ScenarioError

ROBUST = """
scenario = "baseline"

[settings]
population.scale = 0.02
run.warmup_days = 30
{settings}

[search]
trials = {trials}
replicates = 1
days = 60
seed = 5
sets = {sets}

[[variables]]
key = "{key}"
low = 0
high = {high}

[[constraints]]
metric = "{metric}"
no_worse_than = "base"
in_share = {in_share}

[[objectives]]
metric = "annual_cost_wan_yuan"

[verify]
fits = 0
"""


def robust_file(tmp_path: Path, *, trials=3, sets=4, in_share=0.5, settings="",
                key="mediation.trust_rooms", high=30, metric="escalation_rate"):  # fmt: skip
    path = tmp_path / "robust.toml"
    path.write_text(ROBUST.format(trials=trials, sets=sets, in_share=in_share, settings=settings,
                                  key=key, high=high, metric=metric), encoding="utf-8")  # fmt: skip
    return load_optimisation(path)


def test_the_share_of_sets_no_worse_is_counted_as_defined():
    lower = Robust("escalation_rate", 0.9, BETTER["escalation_rate"])
    # set by set: equal (no worse), lower (no worse), higher (worse), no cases (not counted)
    assert lower.share([0.1, 0.2, 0.3, math.nan], [0.1, 0.25, 0.2, 0.1]) == 0.5
    assert lower.share([0.1, 0.2], [0.1, 0.2]) == 1.0  # the base itself: no worse anywhere
    higher = Robust("satisfaction_rate", 0.9, BETTER["satisfaction_rate"])
    assert higher.share([0.1, 0.2, 0.3], [0.1, 0.25, 0.2]) == pytest.approx(2 / 3)
    assert lower.excess(0.5) == pytest.approx(0.4) and lower.excess(1.0) < 0


def in_set_metric(settings: dict, pivot: float = 10.0) -> dict[str, float]:
    """A known robustness: escalation = (rooms - 15) * (rate - pivot), with ``rate`` the set's
    disputes.rate_per_1k; a plan with more than 15 rooms is worse exactly in the sets whose
    rate is above the pivot, one with fewer exactly in those below it."""
    rooms = settings.get("mediation.trust_rooms", 15)  # the base: baseline's 15
    values = dict.fromkeys(METRICS, 0.0)
    values["escalation_rate"] = (rooms - 15) * (settings["disputes.rate_per_1k"] - pivot)
    values["annual_cost_wan_yuan"] = float(rooms)
    return values


def test_each_trial_is_judged_set_by_set_against_the_base_in_the_same_sets(tmp_path):
    optimisation = robust_file(tmp_path, trials=8, sets=6, in_share=0.5)
    rates = [w.values["disputes.rate_per_1k"] for w in optimisation.worlds()]
    pivot = sorted(set(rates))[len(set(rates)) // 2]  # some sets above it, some not
    seen: list[float] = []

    def evaluate(settings):
        seen.append(settings["disputes.rate_per_1k"])
        return in_set_metric(settings, pivot)

    study = search(optimisation, tmp_path / "out", evaluate=evaluate)
    table = trials_table(study, optimisation)
    # the same sets, in the same order, for the base and every trial (common random numbers)
    assert seen == rates * (1 + len(table))
    assert study.user_attrs["sets"] == [w.set for w in load_ensemble().draw(6, seed=5)]
    above, below = sum(r > pivot for r in rates), sum(r < pivot for r in rates)
    assert 0 < above < 6 and below > 0
    shares = table["sets_no_worse:escalation_rate"]
    for i, settings in enumerate(table["settings"]):
        rooms = json.loads(settings)["mediation.trust_rooms"]
        expected = 1.0 if rooms == 15 else (6 - (above if rooms > 15 else below)) / 6
        assert shares[i] == pytest.approx(expected), rooms
        assert table["feasible"][i] == (expected >= 0.5)
    assert table["today"][0] and shares[0] == 1.0
    assert len(set(shares)) > 1  # the trials did not all fare alike


def test_the_files_settings_and_the_trials_variables_stand_in_every_set(tmp_path):
    optimisation = robust_file(tmp_path, settings="disputes.rate_per_1k = 7.5")
    runs = set_runs(optimisation, {"mediation.trust_rooms": 3}, 1)
    worlds = optimisation.worlds()
    assert len(runs) == len(worlds) == 4  # one seed in each set
    seeds = [r.seed for r in runs]  # a seed per set, the first set's the search seed
    assert seeds[:1] == optimisation.seeds() and len(set(seeds)) == 4
    assert seeds == [s for chunk in set_seeds(optimisation) for s in chunk]
    assert [r.seed for r in set_runs(optimisation, {}, 0)] == seeds  # the same for the base
    for run, world in zip(runs, worlds, strict=True):
        assert run.params["disputes.rate_per_1k"] == 7.5  # the file's value wins over the set's
        assert run.params["mediation.trust_rooms"] == 3  # the trial's own
        assert run.params["mediation.base_grid"] == world.values["mediation.base_grid"]


def test_a_plan_identical_to_the_base_is_no_worse_in_every_set_and_no_grid_workers_is_worse(
    tmp_path,
):
    """The model at a tiny scale: today's plan (trial 0) gives the base's own means set by set,
    so it is no worse in every set; a plan without grid workers resolves no dispute at the grid
    level, so it is worse in every set where the base resolves some there (margin: all but at
    most one of the 3 sets)."""
    optimisation = robust_file(tmp_path, trials=1, sets=3, key="grid_workers.total", high=1000,
                               metric="resolved_in_grid_share")  # fmt: skip
    study = search(optimisation, tmp_path / "out", workers=2)
    table = trials_table(study, optimisation)
    assert table["today"][0] and json.loads(table["settings"][0]) == {"grid_workers.total": 1000}
    assert table["sets_no_worse:resolved_in_grid_share"][0] == 1.0
    base = study.user_attrs["base_by_set"]["resolved_in_grid_share"]
    assert study.trials[0].user_attrs["by_set"]["resolved_in_grid_share"] == base
    runs = set_runs(optimisation, {"grid_workers.total": 0}, 1)
    none = set_means(optimisation, [execute(s).metrics for s in runs])
    rule = optimisation.robust[0]
    assert rule.share([m["resolved_in_grid_share"] for m in none], base) <= 1 / 3


def test_a_variable_the_posterior_varies_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match="posterior varies") as caught:
        robust_file(tmp_path, key="disputes.rate_per_1k", high=20)
    assert "\n" not in str(caught.value)


BAD = [
    ({"sets = 4": "sets = -1"}, "search.sets"),
    ({"sets = 4": "sets = 1001"}, "search.sets"),
    ({"sets = 4": "sets = 0"}, "needs plausible parameter sets"),
    ({"in_share = 0.5": "in_share = 0"}, "in_share"),
    ({"in_share = 0.5": "in_share = 1.5"}, "in_share"),
    ({'no_worse_than = "base"': 'no_worse_than = "today"'}, "no_worse_than"),
    ({'metric = "escalation_rate"': 'metric = "mediated_per_1k"'}, "no direction"),
    ({'no_worse_than = "base"': "at_most = 0.1"}, "in_share: only with no_worse_than"),
    ({'no_worse_than = "base"': 'no_worse_than = "base"\nat_most = 0.1'}, "give one of"),
    ({"sets = 4": 'sets = 4\nposterior = "missing.csv"'}, "search.posterior"),
    ({"sets = 4": 'sets = 4\nposterior = "fits.csv"'}, "not a posterior ensemble"),
    ({"sets = 4": 'sets = 4\nposterior = "bad_weights.csv"'}, "ensemble_weight"),
]


@pytest.mark.parametrize(("change", "named"), BAD)
def test_a_bad_robust_search_is_one_line_naming_the_mistake(tmp_path, change, named):
    (tmp_path / "fits.csv").write_text("disputes.rate_per_1k\n10\n", encoding="utf-8")
    (tmp_path / "bad_weights.csv").write_text(
        "set,ensemble_weight,disputes.rate_per_1k\n0,-1,10\n", encoding="utf-8"
    )
    text = ROBUST.format(trials=2, sets=4, in_share=0.5, settings="",
                         key="mediation.trust_rooms", high=30, metric="escalation_rate")  # fmt: skip
    for old, new in change.items():
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_optimisation(path)
    message = str(caught.value)
    assert named in message and "\n" not in message and str(path) in message


def test_a_posterior_without_sets_is_refused_and_the_default_is_the_shipped_one(tmp_path):
    text = ROBUST.format(trials=2, sets=0, in_share=0.5, settings="",
                         key="mediation.trust_rooms", high=30, metric="escalation_rate")  # fmt: skip
    text = text.replace('no_worse_than = "base"\nin_share = 0.5', "at_most = 0.5")
    path = tmp_path / "plain.toml"
    path.write_text(text.replace("sets = 0", f'posterior = "{POSTERIOR_FILE}"'), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"no effect without search\.sets"):
        load_optimisation(path)
    path.write_text(text, encoding="utf-8")
    plain = load_optimisation(path)
    assert plain.sets == 0 and plain.worlds() == [] and not plain.robust
    assert robust_file(tmp_path).posterior == POSTERIOR_FILE


def test_with_two_runs_per_set_each_set_is_judged_on_its_own_runs(tmp_path):
    path = tmp_path / "two.toml"
    text = ROBUST.format(trials=2, sets=3, in_share=0.5, settings="", key="mediation.trust_rooms",
                         high=30, metric="escalation_rate")  # fmt: skip
    path.write_text(text.replace("replicates = 1", "replicates = 2"), encoding="utf-8")
    optimisation = load_optimisation(path)
    calls = []
    study = search(optimisation, tmp_path / "out",
                   evaluate=lambda s: calls.append(s) or in_set_metric(s))  # fmt: skip
    assert len(calls) == 3 * 2 * (1 + 2)  # the base and 2 trials: 2 runs in each of 3 sets
    rates = [w.values["disputes.rate_per_1k"] for w in optimisation.worlds()]
    for trial in study.trials:
        rooms = trial.user_attrs["settings"]["mediation.trust_rooms"]
        expected = [(rooms - 15) * (r - 10) for r in rates]  # each set's mean of its 2 runs
        assert trial.user_attrs["by_set"]["escalation_rate"] == pytest.approx(expected)
        assert [len(s) for s in trial.user_attrs["seeds"]] == [2, 2, 2]
