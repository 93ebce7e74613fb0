"""Comparisons over plausible parameter sets (``sim.runs.ensemble``): the sets drawn, their
values in the runs, the intervals of seed noise alone and over the sets."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.model.metrics import METRICS
from sim.model.parameters import ParameterError
from sim.runs.comparisons import paired_differences
from sim.runs.ensemble import (
    POSTERIOR_FILE,
    World,
    in_world,
    load_ensemble,
    worlds_of_runs,
)
from sim.runs.replicates import run_scenarios
from sim.runs.scenario import load_scenario
from sim.runs.statistics import over_sets

TINY = {"population.scale": 0.02, "run.warmup_days": 0}


def test_the_shipped_ensemble_loads_and_draws_by_weight():
    ensemble = load_ensemble()
    assert ensemble.path == POSTERIOR_FILE and len(ensemble.keys) == 11
    weights = ensemble.table.set_index("set")["ensemble_weight"]
    drawn = [w.set for w in ensemble.draw(1000, seed=3)]
    counts = pd.Series(drawn).value_counts()
    # systematic resampling: each set floor(1000 w) or ceil(1000 w) times
    for name, weight in weights.items():
        assert abs(counts.get(name, 0) - 1000 * weight / weights.sum()) < 1, name
    assert [w.set for w in ensemble.draw(10, seed=3)] == [w.set for w in ensemble.draw(10, 3)]
    assert ensemble.draw(10, seed=3) != ensemble.draw(10, seed=4)


def test_a_sets_values_apply_except_where_the_scenario_sets_the_key():
    world = World(set=7, values={"disputes.rate_per_1k": 20.0, "mediation.base_grid": 3.0})
    params = {"disputes.rate_per_1k": 11.0, "mediation.base_grid": 4.0, "x": 1}
    got = in_world(params, {"mediation.base_grid": 4.0}, world)
    assert got == {"disputes.rate_per_1k": 20.0, "mediation.base_grid": 4.0, "x": 1}
    assert worlds_of_runs([world, World(1, {})], 2) == [world, world, World(1, {}), World(1, {})]


def test_runs_in_a_set_get_its_values_and_its_number():
    """Disputes arise at the set's rate: a set at four times the rate gives about four times
    the disputes (about 47 against 187 expected: the ratio's sd is about 0.65, the margin over
    2 of them); the tables carry the set's number."""
    scenario = load_scenario("muzhou").with_overrides({"population.scale": 0.5})
    worlds = [World(1, {"disputes.rate_per_1k": 5.0}), World(2, {"disputes.rate_per_1k": 20.0})]
    [result] = run_scenarios([scenario], days=90, replicates=2, seed=5, workers=1, worlds=worlds)
    summary = result.summary.set_index("set")
    assert list(result.summary["seed"]) == [5, 6]
    ratio = summary.loc[2, "disputes_per_1k"] / summary.loc[1, "disputes_per_1k"]
    assert 2.6 < ratio < 5.4, ratio
    assert set(result.towns["set"]) == {1, 2} and set(result.timeseries["set"]) == {1, 2}
    with pytest.raises(ValueError, match="one world per replicate"):
        run_scenarios([scenario.with_overrides(TINY)], days=5, replicates=3, worlds=worlds)


def test_over_sets_splits_seed_noise_from_the_spread_between_sets():
    diffs = np.array([1.0, 3.0, 10.0, 12.0, 5.0, 7.0])
    sets = np.array([4, 4, 9, 9, 2, 2])
    found = over_sets(diffs, sets)
    assert found.mean == pytest.approx(38 / 6)
    # within sets every pair is 1 from its set's mean: pooled variance 6 / (6 - 3) = 2
    seed_half = stats.t.ppf(0.975, 3) * np.sqrt(2 / 6)
    assert found.seed_high - found.mean == pytest.approx(seed_half)
    assert sorted(found.set_means) == [2.0, 6.0, 11.0]
    half = stats.t.ppf(0.975, 2) * np.std([2.0, 6.0, 11.0], ddof=1) * np.sqrt(1 + 1 / 3)
    assert found.high - found.mean == pytest.approx(half)
    assert found.low == pytest.approx(found.mean - half)


def test_a_set_drawn_twice_counts_twice_and_missing_values_do_not_count():
    found = over_sets(np.array([1.0, 1.0, 1.0, 1.0, -1.0, np.nan]), np.array([0, 0, 0, 0, 5, 5]))
    assert sorted(found.set_means) == [-1.0, 1.0, 1.0]  # set 0 drawn twice (4 runs)
    one_run_each = over_sets(np.array([1.0, 2.0, 4.0]), np.array([0, 1, 2]))
    assert np.isnan(one_run_each.seed_low) and np.isfinite(one_run_each.low)


def test_paired_differences_count_the_sets_in_which_the_scenario_is_lower():
    def result(name: str, escalation: list[float]) -> SimpleNamespace:
        summary = pd.DataFrame(
            {m: 1.0 for m in METRICS} | {"set": [1, 1, 2, 2, 3, 3]}, index=range(6)
        )
        summary["escalation_rate"] = escalation
        return SimpleNamespace(scenario=SimpleNamespace(name=name), summary=summary)

    a = result("a", [0.10, 0.10, 0.10, 0.10, 0.10, 0.10])
    b = result("b", [0.08, 0.09, 0.12, 0.11, 0.07, 0.05])
    row = paired_differences([a, b]).set_index("metric").loc["escalation_rate"]
    assert (row["sets"], row["sets_lower"], row["sets_higher"]) == (3, 2, 1)
    assert row["plausible_low"] < row["ci_low"] < row["difference"] < row["ci_high"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a,b\n1,2\n", "no column set, ensemble_weight"),
        ("set,ensemble_weight\n0,1\n", "no column names a parameter"),
        ("set,ensemble_weight,disputes.rate_per_1k\n0,-1,10\n", "ensemble_weight must be"),
        ("set,ensemble_weight,disputes.rate_per_1k\n0,0,10\n", "ensemble_weight must be"),
        ("set,ensemble_weight,disputes.rate_per_1k\n0,1,-10\n", "row 2: disputes.rate_per_1k"),
        ("set,ensemble_weight,disputes.rate_per_1k\n0,1,10\n0,1,11\n", "distinct whole"),
        ("", "cannot read"),
    ],
)
def test_a_bad_ensemble_file_is_one_line(tmp_path, text, words):
    path = tmp_path / "posterior.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError) as caught:
        load_ensemble(path)
    message = str(caught.value)
    assert words in message and str(path) in message and "\n" not in message
