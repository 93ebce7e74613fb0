"""The agents' rules of sim/model/agents.py: a party's response to a failed mediation, patrols.

The response is a chain of draws against thresholds; each test scripts the draws
(:class:`Draws`) so that a draw exactly at a threshold shows which side it falls on.
"""

from types import SimpleNamespace

import mesa
import networkx as nx
import numpy as np
import pytest
from mesa.discrete_space import Network
from scipy import sparse

from sim.model.agents import (
    PATROL_SHIFT_HOURS,
    GridWorker,
    PoliceOfficer,
    Population,
    Resident,
    Response,
    Roster,
    VolunteerPolice,
    beta_draws,
    build_population,
    patrol,
    patrol_weights,
)
from sim.model.disputes import DisputeBook, Level, State
from sim.model.parameters import resolve
from sim.model.space import PatrolRoutes

P = {
    "behaviour.act_out_threshold": 0.5,
    # Nearly the sharp rule: past T by 0.02 or more, a chance of 1 - R * P; short of it, ~0.
    "behaviour.act_out_spread": 0.001,
    "behaviour.drop_prob": 0.25,
    "behaviour.litigation_share": 0.5,
    "behaviour.skip_trust": 0.4,
}


class Draws:
    """A stream whose ``random()`` returns the scripted values, in order, and no more."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)

    def random(self) -> float:
        if not self.values:
            raise AssertionError("one draw more than scripted")
        return self.values.pop(0)


def respond(*, level, intensity=0.2, trust=0.6, risk=0.5, arrest=0.0, acting=(0.99,),
            behaviour=(), params=None) -> Response:  # fmt: skip
    """The response of a resident with this trust and risk aversion, on these draws."""
    model = mesa.Model(rng=1)
    model.p = resolve(P | (params or {}))
    acting, behaviour = Draws(*acting), Draws(*behaviour)
    model.streams = SimpleNamespace(acting=acting, behaviour=behaviour)
    model.population = Population(
        grid=np.array([0]), household=np.array([0]), trust=np.array([trust]),
        trust_base=np.array([trust]), risk_aversion=np.array([risk]),
        grievances=np.zeros(1, dtype=np.int16), grid_start=np.array([0, 1]),
    )  # fmt: skip
    resident = Resident(model, 0)
    response = resident.respond_to_failure(intensity=intensity, level=level, arrest_prob=arrest)
    assert not acting.values and not behaviour.values, "fewer draws than scripted"
    return response


def test_a_resident_reads_its_own_state_from_the_population():
    model = mesa.Model(rng=1)
    model.population = Population(
        grid=np.array([3, 5]), household=np.array([0, 1]), trust=np.array([0.2, 0.7]),
        trust_base=np.array([0.2, 0.7]), risk_aversion=np.array([0.9, 0.1]),
        grievances=np.zeros(2, dtype=np.int16), grid_start=np.array([0, 1, 2]),
    )  # fmt: skip
    r = Resident(model, 1)
    assert (r.grid, r.trust, r.risk_aversion) == (5, 0.7, 0.1)
    model.population.trust[1] = 0.3
    assert r.trust == 0.3


def test_act_out_when_the_draw_is_below_the_deterred_chance():
    # Grievance 0.9 x (1 - 0.2) = 0.72 > T = 0.5; deterrence 1 - 0.5 x 0.2 = 0.9.
    kw = dict(level=Level.GRID, intensity=0.9, trust=0.2, risk=0.5, arrest=0.2)
    assert respond(**kw, acting=(0.89,)) is Response.ACT_OUT
    assert respond(**kw, acting=(0.9,), behaviour=(0.99,)) is Response.SKIP  # trust 0.2 < 0.4
    # Short of the threshold (0.6 x 0.8 = 0.48): a chance of logistic(-20), about 2e-9.
    low = dict(level=Level.GRID, intensity=0.6, trust=0.2)
    assert respond(**low, acting=(1e-6,), behaviour=(0.99,)) is Response.SKIP  # not ACT_OUT
    # The threshold is the parameter: lower it and the same party acts.
    assert respond(**low, acting=(0.5,), params={"behaviour.act_out_threshold": 0.4}) is (
        Response.ACT_OUT
    )


def test_the_sharp_rule_spread_0_decides_a_response():
    kw = dict(level=Level.GRID, intensity=0.9, trust=0.2, params={"behaviour.act_out_spread": 0.0})
    assert respond(**kw, acting=(0.5,)) is Response.ACT_OUT


def test_act_out_chance_is_smoothed_by_the_spread_parameter():
    # Grievance 1.0 x (1 - 0.5) = T: the smoothed chance is one half.
    kw = dict(
        level=Level.VILLAGE, intensity=1.0, trust=0.5, params={"behaviour.act_out_spread": 0.1}
    )
    assert respond(**kw, acting=(0.49,)) is Response.ACT_OUT
    assert respond(**kw, acting=(0.51,), behaviour=(0.99,)) is Response.ESCALATE


def test_drop_with_the_drop_chance_scaled_down_by_intensity():
    # drop_prob x (1 - intensity) = 0.25 x 0.8 = 0.2
    assert respond(level=Level.GRID, intensity=0.2, behaviour=(0.19,)) is Response.DROP
    assert respond(level=Level.GRID, intensity=0.2, behaviour=(0.2,)) is Response.ESCALATE
    assert respond(level=Level.GRID, intensity=0.6, behaviour=(0.11,)) is (
        Response.ESCALATE  # 0.25 x 0.4 = 0.1
    )
    assert respond(level=Level.DISTRICT, intensity=0.6, behaviour=(0.09,)) is Response.DROP


def test_litigate_only_after_a_failure_at_town_level():
    assert respond(level=Level.TOWN, behaviour=(0.99, 0.49)) is Response.LITIGATE
    assert respond(level=Level.TOWN, behaviour=(0.99, 0.5)) is Response.ESCALATE
    # No litigation draw at other levels (the next draw is not taken).
    for level in (Level.GRID, Level.VILLAGE, Level.DISTRICT):
        assert respond(level=level, behaviour=(0.99,)) is Response.ESCALATE


def test_low_trust_skips_to_a_petition_from_the_grid_and_the_village_only():
    for level in (Level.GRID, Level.VILLAGE):
        assert respond(level=level, trust=0.39, behaviour=(0.99,)) is Response.SKIP
        assert respond(level=level, trust=0.4, behaviour=(0.99,)) is Response.ESCALATE
    assert respond(level=Level.TOWN, trust=0.1, behaviour=(0.99, 0.99)) is Response.ESCALATE
    assert respond(level=Level.DISTRICT, trust=0.1, behaviour=(0.99,)) is Response.ESCALATE
    assert respond(level=Level.VILLAGE, trust=0.45, behaviour=(0.99,),
                   params={"behaviour.skip_trust": 0.5}) is Response.SKIP  # fmt: skip


def test_the_checks_come_in_order_act_out_drop_litigate_skip():
    # A low-trust, aggrieved party at town level who would do everything: acts out first.
    kw = dict(level=Level.TOWN, intensity=0.9, trust=0.1)
    assert respond(**kw, acting=(0.0,)) is Response.ACT_OUT
    kw = dict(level=Level.TOWN, intensity=0.2, trust=0.1)
    assert respond(**kw, behaviour=(0.0,)) is Response.DROP
    assert respond(**kw, behaviour=(0.99, 0.0)) is Response.LITIGATE
    kw = dict(level=Level.VILLAGE, intensity=0.2, trust=0.1)
    assert respond(**kw, behaviour=(0.0,)) is Response.DROP


# ----------------------------------------------------------------- population
def test_beta_draws_with_no_spread_are_the_mean_clipped_to_0_1():
    rng = np.random.default_rng(1)
    assert beta_draws(rng, 0.3, 0.0, 3).tolist() == [0.3, 0.3, 0.3]
    assert beta_draws(rng, 1.5, 0.0, 2).tolist() == [1.0, 1.0]
    assert beta_draws(rng, -0.5, -1.0, 2).tolist() == [0.0, 0.0]
    draws = beta_draws(rng, 0.6, 0.15, 20_000)
    assert abs(draws.mean() - 0.6) < 0.005 and abs(draws.std() - 0.15) < 0.005


def test_build_population_groups_residents_of_each_grid_into_households():
    pop = build_population(
        residents_per_grid=np.array([5, 0, 3]), household_size=2.0, trust_mean=0.6,
        trust_sd=0.0, risk_aversion_mean=0.5, rng=np.random.default_rng(1),
    )  # fmt: skip
    assert len(pop) == 8
    assert pop.grid.tolist() == [0, 0, 0, 0, 0, 2, 2, 2]
    assert pop.grid_start.tolist() == [0, 5, 5, 8]
    assert pop.household.tolist() == [0, 0, 1, 1, 2, 3, 3, 4]  # never shared across grids
    assert pop.trust.tolist() == [0.6] * 8 and pop.trust_base is not pop.trust
    assert pop.trust_base.tolist() == [0.6] * 8
    assert pop.grievances.tolist() == [0] * 8 and pop.grievances.dtype == np.int16
    assert pop.grid.dtype == np.int32 and pop.household.dtype == np.int64  # 909,277 residents
    assert ((pop.risk_aversion > 0) & (pop.risk_aversion < 1)).all()
    big = build_population(
        residents_per_grid=np.array([20_000]), household_size=2.8, trust_mean=0.45,
        trust_sd=0.1, risk_aversion_mean=0.3, rng=np.random.default_rng(2),
    )  # fmt: skip
    assert abs(big.trust.mean() - 0.45) < 0.005 and abs(big.trust.std() - 0.1) < 0.005
    assert abs(big.risk_aversion.mean() - 0.3) < 0.01 and abs(big.risk_aversion.std() - 0.2) < 0.01
    assert big.household.max() + 1 == int(np.ceil(20_000 / 2.8))


# ----------------------------------------------------------------- patrols
PATH = sparse.csr_array(
    (np.ones(6), ([0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2])), shape=(4, 4)
)  # 0 - 1 - 2 - 3, one patrol area


def patrol_model(*, hours_per_week, homes, diverted_until, time=10.0, strategy="random",
                 grid_area=(0, 0, 0, 0)):  # fmt: skip
    model = mesa.Model(rng=1)
    model.p = {"volunteer_police.patrol_hours_per_week": hours_per_week,
               "volunteer_police.strategy": strategy}  # fmt: skip
    model.streams = SimpleNamespace(staff=np.random.default_rng(3))
    model.time = time
    model.patrol_hours = np.zeros(4)
    model.space = Network(nx.path_graph(4), random=model.random)
    roster = Roster(model.space, np.array(homes), random=model.random)
    roster.diverted_until[:] = diverted_until
    for i in range(len(homes)):
        VolunteerPolice(model, roster=roster, index=i, team=0, area=np.arange(4))
    model.staff = SimpleNamespace(
        yi_police=roster, patrol_routes=PatrolRoutes.within(PATH, np.array(grid_area))
    )
    return model


def test_patrol_sends_every_volunteer_off_duty_when_shifts_fill_the_week():
    # 28 hours a week = one 4-hour shift a day: everyone not diverted goes out.
    m = patrol_model(hours_per_week=7 * PATROL_SHIFT_HOURS, homes=[0, 0, 3, 3, 1],
                     diverted_until=[-1.0, 10.0, 9.9, 11.0, -1.0])  # fmt: skip
    roster = m.staff.yi_police
    before = roster.grid.copy()
    patrol(m)
    out = np.array([True, False, True, False, True])  # diverted up to now: still away
    assert m.patrol_hours.sum() == 3 * PATROL_SHIFT_HOURS
    assert (roster.grid[~out] == before[~out]).all()
    assert np.abs(roster.grid[out] - before[out]).max() <= 1  # stays or one grid along
    expected = np.bincount(roster.grid[out], minlength=4) * PATROL_SHIFT_HOURS
    assert m.patrol_hours.tolist() == expected.tolist()
    # The agents moved with the array: each in its grid's cell, and each cell lists its own.
    assert [v.cell for v in roster.agents] == [m.space[g] for g in roster.grid]
    for g in range(4):
        assert set(m.space[g].agents) == {
            roster.agents[i] for i in np.flatnonzero(roster.grid == g)
        }


def test_patrol_adds_its_hours_to_those_already_counted_today():
    # Hours counted before the patrols (another team's, an event's) are kept, not replaced.
    m = patrol_model(hours_per_week=7 * PATROL_SHIFT_HOURS, homes=[0, 3],
                     diverted_until=[-1.0, -1.0])  # fmt: skip
    m.patrol_hours = np.array([1.0, 2.0, 3.0, 4.0])
    patrol(m)
    added = np.bincount(m.staff.yi_police.grid, minlength=4) * PATROL_SHIFT_HOURS
    assert m.patrol_hours.tolist() == (np.array([1.0, 2.0, 3.0, 4.0]) + added).tolist()


def test_patrol_shift_chance_is_hours_per_week_over_a_week_of_shifts():
    m = patrol_model(hours_per_week=14.0, homes=[1] * 4000, diverted_until=[-1.0] * 4000)
    patrol(m)
    out = m.patrol_hours.sum() / PATROL_SHIFT_HOURS
    assert abs(out / 4000 - 0.5) < 4 * np.sqrt(0.25 / 4000)
    assert set(np.flatnonzero(m.patrol_hours)) == {0, 1, 2}
    idle = patrol_model(hours_per_week=0.0, homes=[1, 2], diverted_until=[-1.0, -1.0])
    patrol(idle)
    assert not idle.patrol_hours.any() and idle.staff.yi_police.grid.tolist() == [1, 2]


def test_a_volunteer_moved_by_mesa_patrols_from_its_new_cell():
    # Grid 3 is in no patrol area: a patrol there stays there. Everyone goes out.
    def day(move=None):
        m = patrol_model(hours_per_week=28.0, homes=[0, 1, 1], diverted_until=[-1.0] * 3,
                         grid_area=(0, 0, 0, -1))  # fmt: skip
        if move is not None:
            move(m)
        patrol(m)
        return m

    still = day()
    assert still.patrol_hours[3] == 0.0  # from 0 and 1 no route leads to 3
    moved = day(lambda m: setattr(m.staff.yi_police.agents[1], "cell", m.space[3]))
    assert moved.patrol_hours[3] == PATROL_SHIFT_HOURS and moved.staff.yi_police.grid[1] == 3
    # The same draws: only the moved volunteer's shift changed place.
    change = moved.patrol_hours - still.patrol_hours
    assert change[3] == PATROL_SHIFT_HOURS and change.sum() == 0.0
    assert sorted(change.tolist()).count(0.0) == 2  # one grid lost the hours grid 3 gained
    by_move_to = day(lambda m: m.staff.yi_police.agents[1].move_to(m.space[3]))  # Mesa's API
    assert by_move_to.patrol_hours.tolist() == moved.patrol_hours.tolist()
    there_and_back = day(lambda m: [setattr(m.staff.yi_police.agents[1], "cell", m.space[g])
                                    for g in (3, 1)])  # fmt: skip
    assert there_and_back.patrol_hours.tolist() == still.patrol_hours.tolist()
    assert there_and_back.staff.yi_police.grid.tolist() == still.staff.yi_police.grid.tolist()


def test_a_volunteer_off_the_map_does_not_patrol():
    m = patrol_model(hours_per_week=28.0, homes=[0, 1, 2], diverted_until=[-1.0] * 3)
    roster = m.staff.yi_police
    gone = roster.agents[1]
    gone.remove()
    assert gone.cell is None and roster.grid[1] == -1 and gone not in m.space[1].agents
    assert gone not in roster.members and len(roster.members) == 2
    assert roster.available(m.time).tolist() == [True, False, True]
    assert roster.per_grid().sum() == 2
    patrol(m)
    assert m.patrol_hours.sum() == 2 * PATROL_SHIFT_HOURS and roster.grid[1] == -1


def _weights_model(strategy):
    model = SimpleNamespace(p={"volunteer_police.strategy": strategy})
    book = DisputeBook()
    book.add(
        6,
        grid=np.array([0, 0, 1, 2, 2, 3]),
        state=np.array([State.LATENT, State.QUEUED, State.QUEUED, State.RESOLVED, State.DORMANT,
                        State.LATENT], dtype=np.int8),
        level=np.full(6, Level.GRID, dtype=np.int8),
    )  # fmt: skip
    model.book = book
    model.geography = SimpleNamespace(n_grids=5)
    model.tally = SimpleNamespace(incidents_by_grid=np.array([0, 0, 2, 0, 1]))
    return model


def test_patrol_weights_by_strategy():
    assert patrol_weights(_weights_model("random")) is None
    # Hotspots: open cases (latent or queued) plus three per incident, plus one.
    assert patrol_weights(_weights_model("hotspot")).tolist() == [3.0, 2.0, 7.0, 2.0, 4.0]
    # Follow-up: cases queued for mediation, plus one.
    assert patrol_weights(_weights_model("follow_up")).tolist() == [2.0, 2.0, 1.0, 1.0, 1.0]


def test_patrols_follow_the_weights():
    m = patrol_model(hours_per_week=28.0, homes=[1] * 3000, diverted_until=[-1.0] * 3000,
                     strategy="follow_up")  # fmt: skip
    m.book = DisputeBook()
    m.book.add(8, grid=np.full(8, 2), state=np.full(8, State.QUEUED, dtype=np.int8))
    m.geography = SimpleNamespace(n_grids=4)
    patrol(m)
    share = np.bincount(m.staff.yi_police.grid, minlength=4) / 3000
    # From grid 1: grids 0, 1, 2 weighted 1, 1, 9.
    assert share[2] == pytest.approx(9 / 11, abs=0.03) and share[3] == 0


# ----------------------------------------------------------------- staff agents
def test_staff_agents_sit_on_their_cell_and_keep_their_state_in_their_roster():
    model = mesa.Model(rng=1)
    space = Network(nx.path_graph(3), random=model.random)
    workers = Roster(space, np.array([0, 1]), random=model.random)
    workers.diverted_until[1] = 5.0
    GridWorker(model, roster=workers, index=0)
    worker = GridWorker(model, roster=workers, index=1)
    assert (worker.cell, worker.grid, worker.diverted_until) == (space[1], 1, 5.0)
    assert space[1].agents == [worker] and workers.agents[1] is worker
    worker.diverted_until = 9.0
    assert workers.diverted_until.tolist() == [-1.0, 9.0]
    yi_police = Roster(space, np.array([2]), random=model.random)
    volunteer = VolunteerPolice(model, roster=yi_police, index=0, team=4, area=np.array([1, 2]))
    assert (volunteer.cell, volunteer.team, volunteer.area.tolist()) == (space[2], 4, [1, 2])
    assert volunteer.diverted_until == -1.0
    with pytest.raises(ValueError, match="takes index 1 next"):
        VolunteerPolice(model, roster=yi_police, index=1, team=4, area=np.array([1, 2]))
    station = PoliceOfficer(model, cell=space[0], town=1)
    office = PoliceOfficer(model, cell=space[2], town=1, village=0)
    assert (station.town, station.village, station.in_village_office) == (1, -1, False)
    assert (office.village, office.in_village_office) == (0, True)
    with pytest.raises(ValueError, match="Cannot move"):  # police stay at their station or office
        station.cell = space[2]


def test_moving_a_grid_worker_reposts_it_in_its_roster_and_the_cells():
    model = mesa.Model(rng=1)
    space = Network(nx.path_graph(3), random=model.random)
    workers = Roster(space, np.array([0, 0, 1]), random=model.random)
    agents = [GridWorker(model, roster=workers, index=i) for i in range(3)]
    assert workers.per_grid().tolist() == [2, 1, 0]
    agents[0].cell = space[2]
    assert (agents[0].grid, workers.grid.tolist()) == (2, [2, 0, 1])
    assert workers.per_grid().tolist() == [1, 1, 1]
    assert space[0].agents == [agents[1]] and space[2].agents == [agents[0]]
    agents[0].cell = space[2]  # where it is: nothing changes
    assert space[2].agents == [agents[0]]
    other = Network(nx.path_graph(3), random=model.random)
    with pytest.raises(ValueError, match="not a cell of this model's map"):
        agents[1].cell = other[1]
    assert agents[1].grid == 0 and space[0].agents == [agents[1]] and other[1].agents == []
    larger = Network(nx.path_graph(4), random=model.random)  # a cell past this map's last grid
    grid_map = mesa.discrete_space.OrthogonalMooreGrid((2, 2), random=model.random)
    for foreign in (larger[3], grid_map[(0, 1)]):  # ... and one named by a pair, not an index
        with pytest.raises(ValueError, match="not a cell of this model's map"):
            agents[1].cell = foreign
    workers.diverted_until[2] = 20.0
    assert workers.per_grid(workers.available(10.0)).tolist() == [1, 0, 1]


@pytest.mark.parametrize("capacity", [None, 10], ids=["cells without a capacity", "with one"])
def test_a_batch_of_moves_leaves_every_cell_holding_its_agents_and_empty_only_when_so(capacity):
    """Roster.move (the batched move of the daily patrols): agents 0 and 1 leave grid 0, which
    is left empty, agent 2 joins grid 0's neighbour; every cell holds exactly its agents and
    says it is empty exactly when it holds none (both of Mesa's paths: with and without a
    capacity)."""
    model = mesa.Model(rng=1)
    space = Network(nx.path_graph(4), capacity=capacity, random=model.random)
    workers = Roster(space, np.array([0, 0, 1, 3]), random=model.random)
    agents = [GridWorker(model, roster=workers, index=i) for i in range(4)]
    workers.move(np.array([0, 1, 2, 3]), np.array([2, 1, 2, 3]))
    assert workers.grid.tolist() == [2, 1, 2, 3]
    for grid in range(4):
        held = [a for a in agents if a.grid == grid]
        assert sorted(space[grid].agents, key=id) == sorted(held, key=id), grid
        assert space[grid].empty is space[grid].is_empty is (not held), grid  # the flag Mesa keeps


def test_a_batch_of_moves_into_a_full_cell_is_refused_as_mesa_refuses_it():
    # Cells of one agent each: moving a second agent into an occupied cell is Mesa's "Cell is
    # full", not an overfull cell (the batched move takes Mesa's own path where cells have a
    # capacity).
    model = mesa.Model(rng=1)
    space = Network(nx.path_graph(3), capacity=1, random=model.random)
    workers = Roster(space, np.array([0, 1]), random=model.random)
    for i in range(2):
        GridWorker(model, roster=workers, index=i)
    with pytest.raises(Exception, match="Cell is full"):
        workers.move(np.array([0]), np.array([1]))
    assert len(space[1].agents) == 1


def test_a_rosters_agent_set_shuffles_by_the_models_seed():
    # A Mesa user's model.grid_workers.shuffle() is reproducible: the roster's AgentSet draws
    # from the model's random generator.
    def order(seed: int) -> list[int]:
        model = mesa.Model(rng=seed)
        space = Network(nx.path_graph(3), random=model.random)
        workers = Roster(space, np.arange(3).repeat(10), random=model.random)
        for i in range(30):
            GridWorker(model, roster=workers, index=i)
        return [a.index for a in workers.members.shuffle()]

    assert order(5) == order(5) and order(5) != order(6)
