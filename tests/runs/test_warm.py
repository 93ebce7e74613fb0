"""Warm starts: a model built on an earlier model's residents is the model a cold start builds."""

import math

import mesa
import pandas as pd

import sim
from sim.model.agents import Resident
from sim.model.construction import make_residents
from sim.runs import warm
from sim.runs.replicates import run_scenarios
from sim.runs.runner import warm_model
from sim.runs.scenario import load_scenario

MUZHOU = {"map.towns": ["Muzhou"], "population.scale": 0.2, "run.warmup_days": 30}


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(
        x == y or (math.isnan(x) and math.isnan(y))
        for x, y in zip(a.values(), b.values(), strict=True)
    )


def test_batch_registration_is_mesas_own():
    batch, usual = mesa.Model(rng=1), mesa.Model(rng=1)
    residents = make_residents(batch, 50)
    one_by_one = [Resident(usual, i) for i in range(50)]
    for model, agents in ((batch, residents), (usual, one_by_one)):
        assert [a.unique_id for a in model.agents] == list(range(1, 51))
        assert [a.index for a in agents] == list(range(50))
        assert list(model.agents_by_type) == [Resident]
        assert len(model.agents_by_type[Resident]) == 50
        later = mesa.Agent(model)  # the next agent's id follows
        assert later.unique_id == 51
        agents[7].remove()
        assert len(model.agents) == 50 and agents[7] not in model.agents_by_type[Resident]


def test_residents_made_one_by_one_move_to_the_next_model_all_together():
    earlier, later = mesa.Model(rng=1), mesa.Model(rng=1)
    made = [Resident(earlier, i) for i in range(50)]  # each with a home of its own
    taken = make_residents(later, 50, take_over=made)
    assert taken == made and all(resident.model is later for resident in made)
    assert [a.unique_id for a in later.agents_by_type[Resident]] == list(range(1, 51))


def test_a_takeover_that_cannot_use_the_earlier_registries_leaves_them_whole():
    earlier, later = mesa.Model(rng=1), mesa.Model(rng=1)
    residents = make_residents(earlier, 50)
    staff = [mesa.Agent(earlier) for _ in range(3)]
    residents[0].remove()  # entered again after the staff: the registries' order is not the batch's
    earlier.register_agent(residents[0])
    before = list(earlier.agents)
    taken = make_residents(later, 50, take_over=residents)
    assert list(earlier.agents) == before and set(staff) <= set(earlier.agents)  # copied, not taken
    assert all(resident.model is later for resident in taken)
    assert list(later.agents_by_type[Resident]) == residents


def test_a_warm_run_equals_a_cold_one():
    warm.forget()
    cold = sim.run(MUZHOU | {"grid_workers.total": 900}, days=40, seed=5)
    sim.run(MUZHOU | {"mediation.trust_rooms": 3}, days=20, seed=9)  # leaves its residents
    with warm_model(MUZHOU, seed=1, days=1) as first:
        residents = first.residents
    with warm_model(MUZHOU | {"grid_workers.total": 900}, seed=5, days=40) as again:
        assert again.residents[0] is residents[0]  # the district was not built again
        assert same({k: again.current[k] for k in sim.METRICS}, cold)


def test_warm_replicates_give_the_same_tables_as_cold_ones():
    scenario = load_scenario("muzhou").with_overrides({"population.scale": 0.2})
    warm.forget()
    first = run_scenarios([scenario], days=20, replicates=2, seed=3, workers=1)[0]
    second = run_scenarios([scenario], days=20, replicates=2, seed=3, workers=1)[0]
    for table in ("summary", "timeseries", "grids", "towns", "years"):
        pd.testing.assert_frame_equal(getattr(first, table), getattr(second, table))


def test_a_model_without_its_daily_series_measures_the_same():
    with_series = sim.simulate(MUZHOU, days=40, seed=2)
    without = sim.simulate(MUZHOU, days=40, seed=2, series=False)
    assert same(with_series.current, without.current)
    assert len(with_series.datacollector.get_model_vars_dataframe()) == 40
    assert without.datacollector.get_model_vars_dataframe().empty
