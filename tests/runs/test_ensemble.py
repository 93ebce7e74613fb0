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
from sim.runs.discovery import (
    WORTH_METRIC,
    discover,
    discovery_tables,
    draw_cost_per_escalation,
)
from sim.runs.ensemble import (
    POSTERIOR_FILE,
    WhatIf,
    World,
    check_worlds,
    in_world,
    load_ensemble,
    parse_what_if,
    worlds_of_runs,
)
from sim.runs.replicates import run_scenarios
from sim.runs.scenario import load_scenario
from sim.runs.statistics import over_sets, regret

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


def test_missing_values_do_not_count_and_one_run_per_draw_gives_no_seed_interval():
    found = over_sets(np.array([1.0, 1.0, 1.0, 1.0, -1.0, np.nan]), np.array([0, 0, 1, 1, 5, 5]))
    assert sorted(found.set_means) == [-1.0, 1.0, 1.0]
    one_run_each = over_sets(np.array([1.0, 2.0, 4.0]), np.array([0, 1, 2]))
    assert np.isnan(one_run_each.seed_low) and np.isfinite(one_run_each.low)


def test_paired_differences_count_the_sets_in_which_the_scenario_is_lower():
    def result(name: str, escalation: list[float]) -> SimpleNamespace:
        summary = pd.DataFrame(
            {m: 1.0 for m in METRICS} | {"draw": [1, 1, 2, 2, 3, 3]}, index=range(6)
        )
        summary["escalation_rate"] = escalation
        return SimpleNamespace(scenario=SimpleNamespace(name=name), summary=summary)

    a = result("a", [0.10, 0.10, 0.10, 0.10, 0.10, 0.10])
    b = result("b", [0.08, 0.09, 0.12, 0.11, 0.07, 0.05])
    row = paired_differences([a, b]).set_index("metric").loc["escalation_rate"]
    assert (row["sets"], row["sets_lower"], row["sets_higher"]) == (3, 2, 1)
    assert row["plausible_low"] < row["ci_low"] < row["difference"] < row["ci_high"]
    # Set means -0.015, +0.015, -0.04: less escalation is better, so the worst set is the
    # second; b falls short of a by 0.015 at most, a of b by 0.04 at most.
    assert row["worst_set"] == pytest.approx(0.015)
    assert row["regret"] == pytest.approx(0.015)
    assert row["reference_regret"] == pytest.approx(0.04)
    # A metric with no better side (disputes that arise) has none of these.
    arise = paired_differences([a, b]).set_index("metric").loc["disputes_per_1k"]
    assert np.isnan([arise["worst_set"], arise["regret"], arise["reference_regret"]]).all()


def test_regret_reads_the_metrics_better_side():
    means = np.array([0.2, -0.1, np.nan, 0.05])
    less = regret(means, -1)  # less is better: +0.2 is the worst set for the scenario
    assert (less.worst, less.scenario, less.reference) == (0.2, 0.2, 0.1)
    more = regret(means, +1)  # more is better: -0.1 is the worst
    assert (more.worst, more.scenario, more.reference) == (-0.1, 0.1, 0.2)
    never_worse = regret(np.array([-0.1, -0.3]), -1)  # lower in every set: no regret
    assert (never_worse.worst, never_worse.scenario, never_worse.reference) == (-0.1, 0.0, 0.3)
    assert np.isnan(regret(means, 0).worst) and np.isnan(regret(np.array([]), -1).scenario)


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


# ------------------------------------------------------------------ what-if ranges, discovery
def test_a_what_if_range_parses_or_is_refused_in_one_line():
    assert parse_what_if("disputes.rate_per_1k=1:1.33") == WhatIf("disputes.rate_per_1k", 1, 1.33)
    assert parse_what_if("volunteer_police.total=0.5") == WhatIf("volunteer_police.total", 0.5, 0.5)
    for text, words in [
        ("disputes.rate=1:2", "unknown parameter"),
        ("petition.supermarket=1:2", "not a number"),
        ("disputes.rate_per_1k=a:b", "expected KEY=LOW:HIGH"),
        ("disputes.rate_per_1k=2:1", "0 < LOW <= HIGH <= 10"),
        ("disputes.rate_per_1k=0:1", "0 < LOW <= HIGH <= 10"),
        ("disputes.rate_per_1k=1:11", "0 < LOW <= HIGH <= 10"),
    ]:
        with pytest.raises(ParameterError, match=words) as caught:
            parse_what_if(text)
        assert "\n" not in str(caught.value) and text in str(caught.value)


def test_what_if_factors_span_their_ranges_and_scale_every_scenarios_value():
    ranges = [WhatIf("disputes.rate_per_1k", 1.0, 4 / 3), WhatIf("volunteer_police.total", 0.5, 1)]
    worlds = load_ensemble().draw(20, seed=2, what_if=ranges)
    rates = sorted(w.factors["disputes.rate_per_1k"] for w in worlds)
    # a Latin hypercube: one factor in each twentieth of the range
    assert [int((f - 1.0) / (1 / 3) * 20) for f in rates] == list(range(20))
    assert [w.draw for w in worlds] == list(range(20))
    world = World(0, {"disputes.rate_per_1k": 12.0}, {"disputes.rate_per_1k": 1.25,
                                                       "volunteer_police.total": 0.5})  # fmt: skip
    params = {"disputes.rate_per_1k": 11.0, "volunteer_police.total": 801}
    got = in_world(params, {"volunteer_police.total": 801}, world)
    assert got == {"disputes.rate_per_1k": 15.0, "volunteer_police.total": 400}  # whole: rounded


def test_a_factor_that_pushes_a_value_out_of_range_is_refused_before_any_run():
    scenario = load_scenario("muzhou")
    world = World(3, {}, {"behaviour.act_out_threshold": 10.0})
    with pytest.raises(ParameterError, match="muzhou in parameter set 3") as caught:
        check_worlds([scenario], [world])
    assert "behaviour.act_out_threshold" in str(caught.value)
    check_worlds([scenario], [World(3, {}, {"behaviour.act_out_threshold": 1.1})])


def test_prim_finds_the_box_where_a_plan_stops_paying_and_the_ranking_the_unknown():
    """40 draws in which the plan fails exactly where a > 0.7 and the factor on c > 1.15: the
    box bounds a and c near there and holds every failing draw; a ranks first."""
    rng = np.random.default_rng(1)
    sets = pd.DataFrame({"draw": range(40), "set": rng.integers(0, 50, 40), "a": rng.random(40),
                         "b": rng.random(40), "factor:c": 1 + rng.random(40) / 3})  # fmt: skip
    fails = (sets["a"] > 0.7) & (sets["factor:c"] > 1.15)
    diffs = pd.Series(np.where(fails, 0.01, -0.01) + rng.normal(0, 0.001, 40), index=sets["draw"])
    found = discover(diffs, sets, scenario="x", metric="escalation_rate", better=-1)
    assert found.failing == fails.sum() == 10 and found.coverage == 1.0 and found.density >= 0.8
    box = found.box.set_index("parameter")
    assert 0.6 <= box.at["a", "box_low"] <= 0.75 and box.at["a", "box_high"] == sets["a"].max()
    assert 1.05 <= box.at["factor:c", "box_low"] <= 1.16
    assert found.ranking["parameter"].iloc[0] == "a"
    tables = discovery_tables([found])
    assert set(tables["prim_box"]["parameter"]) == set(box.index)
    assert list(tables["unknowns"]["rank"]) == [1, 2, 3]


def test_no_box_when_the_plan_does_better_in_every_draw_or_in_none():
    sets = pd.DataFrame({"draw": range(10), "set": range(10), "a": np.linspace(0, 1, 10)})
    for sign, failing in ((-1, 0), (1, 10)):
        diffs = pd.Series(sign * (1 + np.arange(10.0)), index=range(10))
        found = discover(diffs, sets, scenario="x", metric="escalation_rate", better=-1)
        assert found.failing == failing and found.box.empty
        assert found.ranking.iloc[0]["difference_rank_correlation"] == pytest.approx(sign * 1.0)


def test_the_cost_per_escalation_averted_of_each_draw_and_where_it_stops_paying():
    """Draw 0: 100 wan yuan more for 10 escalations averted (10 each); draw 1: 5 averted (20
    each); draw 2: none averted (infinite). At 15 wan yuan each only draw 0 pays."""
    base = pd.DataFrame({"annual_cost_wan_yuan": 1000.0, "escalations": [50.0] * 6,
                         "draw": [0, 0, 1, 1, 2, 2]}, index=range(6))  # fmt: skip
    plan = base.assign(annual_cost_wan_yuan=1100.0, escalations=[40.0, 40, 44, 46, 50, 52])
    per_case = draw_cost_per_escalation(base, plan)
    assert per_case.loc[0] == 10 and per_case.loc[1] == 20 and np.isinf(per_case.loc[2])
    sets = pd.DataFrame({"draw": [0, 1, 2], "set": [4, 5, 6], "a": [1.0, 2.0, 3.0]})
    found = discover(per_case - 15, sets, scenario="x", metric=WORTH_METRIC, better=-1)
    assert found.failing == 2 and found.draws == 3
