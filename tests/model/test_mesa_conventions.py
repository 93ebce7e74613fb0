"""GovernanceModel as a Mesa user drives it: ``run_model()`` returns at the run's horizon (the
warm-up and the measured ``days`` it was built for), and the DataCollector holds the measured days
only (the warm-up is not observed)."""

from __future__ import annotations

import math

import pytest

import sim
from sim.model.parameters import ParameterError
from sim.model.timeline import Timeline

TINY = {"map.towns": ["Muzhou"], "population.scale": 0.05, "run.warmup_days": 7}


@pytest.mark.parametrize(("warmup", "days"), [(7, 12), (0, 3), (30, 1)])
def test_run_model_stops_at_the_warm_up_plus_the_days_the_model_was_built_for(warmup, days):
    model = sim.GovernanceModel(TINY | {"run.warmup_days": warmup}, rng=1, days=days)
    assert model.running and model.horizon == warmup + days
    model.run_model()
    assert not model.running
    assert model.steps == warmup + days and model.time == warmup + days


def test_the_default_horizon_is_sim_runs_a_year_after_the_warm_up():
    model = sim.GovernanceModel(TINY, rng=1)
    assert model.days == 365 and model.horizon == 7 + 365
    model.run_for(model.horizon - 1)
    assert model.running
    model.step()
    assert not model.running
    model.step()  # a Mesa user may go on stepping past the horizon
    assert model.steps == model.horizon + 1


def test_run_model_gives_the_metrics_sim_simulate_gives():
    built = sim.GovernanceModel(TINY, rng=5, days=20)
    built.run_model()
    simulated = sim.simulate(TINY, days=20, seed=5)
    assert built.current.keys() == simulated.current.keys()
    for name, value in built.current.items():
        other = simulated.current[name]
        assert value == other or (math.isnan(value) and math.isnan(other)), name


def test_the_data_collector_holds_the_measured_days_and_not_the_warm_up():
    model = sim.GovernanceModel(TINY, rng=2, days=10)
    model.run_for(model.warmup)
    assert model.datacollector.get_model_vars_dataframe().empty and model.current == {}
    model.run_model()
    table = model.datacollector.get_model_vars_dataframe()
    assert len(table) == 10
    assert table["day"].tolist() == list(range(1, 11))  # measured days, after the warm-up


def test_a_timeline_past_the_horizon_is_refused_before_anything_runs():
    late = Timeline.parse(events=[{"kind": "rainstorm", "day": 20, "days": 2, "towns": ["Muzhou"]}])
    with pytest.raises(
        ParameterError, match=r"events\[0\]\.day: day 20 is past the end of the run"
    ):
        sim.GovernanceModel(TINY, rng=1, days=20, timeline=late)
    sim.GovernanceModel(TINY, rng=1, days=21, timeline=late)  # within the horizon


@pytest.mark.parametrize("days", [0, 36_501, 2.5, True, "30"])
def test_days_outside_one_to_a_century_are_refused_in_one_line(days):
    with pytest.raises(ParameterError, match=r"^days: expected a whole number from 1 to 36,500"):
        sim.GovernanceModel(TINY, rng=1, days=days)
