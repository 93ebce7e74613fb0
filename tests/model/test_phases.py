"""Each daily phase on its own: a small model, hand-made disputes in its book, one phase called.

Where a rule is deterministic (or made so through the parameters) the tests assert exact
values; where it draws, they either replay the phase's own random stream or state a margin.
"""

import copy
import math
import typing

import numpy as np
import pytest

from sim.model import metrics, phases
from sim.model.agents import GridWorker, VolunteerPolice
from sim.model.disputes import TYPE_DRIFT, TYPE_INDEX, DisputeBook, Level, Origin, State
from sim.model.governance import GovernanceModel
from sim.model.phases import (
    MAX_PETITION_SESSIONS,
    PHASES,
    act_out,
    arrive_disputes,
    detect,
    drift,
    escalate,
    mediate,
    patrol_and_visit,
    record,
    update_trust,
)
from sim.model.state import Day, ModelState

BASE = {
    "map.towns": ["Muzhou"],
    "population.scale": 0.05,
    "run.warmup_days": 0,
    "volunteer_police.towns": "none",  # no patrols unless a test asks for them
    "police.village_detect_per_day": 0.0,  # village officers find nothing, and
    "police.village_red_share": 0.0,  # send red disputes to the town, unless a test asks
}
NEIGHBOUR, LAND, DAMAGES = TYPE_INDEX["neighbour"], TYPE_INDEX["land"], TYPE_INDEX["damages"]
# A failed party goes one level up: no acting out, dropping, suing or skipping.
ONE_UP = {
    "behaviour.act_out_threshold": 5.0,
    "behaviour.act_out_spread": 0.0,
    "behaviour.drop_prob": 0.0,
    "behaviour.litigation_share": 0.0,
    "behaviour.skip_trust": 0.0,
}


def build(params: dict | None = None, *, seed: int = 1, today: int = 40) -> GovernanceModel:
    """A small model (Muzhou, 5% of residents), no disputes yet, as on day ``today``."""
    model = GovernanceModel(BASE | (params or {}), rng=seed, series=False)
    model.today = today
    return model


def add(model: GovernanceModel, n: int = 1, *, grid: int = 0, **columns) -> np.ndarray:
    """``n`` hand-made disputes in ``grid`` between its first two residents (``columns`` override)."""
    start = model.population.grid_start[grid]
    values = {
        "kind": NEIGHBOUR,
        "grid": grid,
        "party_a": start,
        "party_b": start + 1,
        "intensity": 0.3,
        "arrived": model.today - 10.0,
    } | columns
    return model.book.add(n, **{k: np.broadcast_to(v, (n,)) for k, v in values.items()})


def queued(model: GovernanceModel, n: int = 1, *, level: Level, **columns) -> np.ndarray:
    """``n`` disputes detected yesterday and waiting at ``level``, ready today."""
    fields = {"state": State.QUEUED, "level": level, "max_level": level}
    fields |= {"detected": model.today - 1.0, "ready": float(model.today)}
    return add(model, n, **(fields | columns))


def residents_of(model: GovernanceModel, grid: int, n: int) -> np.ndarray:
    start = int(model.population.grid_start[grid])
    assert model.residents_per_grid[grid] >= n
    return np.arange(start, start + n)


# ----------------------------------------------------------------- the model's state
def test_phases_run_in_the_documented_order():
    names = [phase.__name__ for phase in PHASES]
    assert names == [
        "arrive_disputes",
        "patrol_and_visit",
        "drift",
        "detect",
        "mediate",
        "escalate",
        "act_out",
        "update_trust",
        "record",
    ]


def test_the_model_declares_what_the_phases_see_with_the_same_types():
    declared = typing.get_type_hints(GovernanceModel)
    seen = {k: v for k, v in typing.get_type_hints(ModelState).items()}
    for name, kind in seen.items():
        assert declared.get(name) == kind, name
    model = build()
    for name in declared:
        assert hasattr(model, name), f"{name} is declared but not set by __init__"
    assert model.guardians.shape == (model.geography.n_grids,)  # before the first step too


def test_a_step_starts_a_fresh_day_record():
    model = build({"disputes.rate_per_1k": 0.0, "claims.rate_per_10k": 0.0})
    stale = model.day
    stale.failed.append(123)
    model.step()
    assert model.day is not stale and model.day.failed == []


def test_dispute_book_columns_are_declared_with_their_fill_values():
    book = DisputeBook(capacity=2)
    assert list(DisputeBook.columns())[:3] == ["kind", "grid", "party_a"]
    ids = book.add(3, grid=np.array([4, 5, 6]))  # grows past its capacity
    assert book.grid[ids].tolist() == [4, 5, 6] and book.view("grid").tolist() == [4, 5, 6]
    assert (book.party_b[ids] == -1).all() and np.isnan(book.detected[ids]).all()
    assert (book.state[ids] == State.LATENT).all() and (book.n_parties[ids] == 2).all()
    assert book.level.dtype == np.int8 and book.intensity.dtype == np.float64
    with pytest.raises(AttributeError):
        book.grid = np.zeros(3)


# ----------------------------------------------------------------- arrive_disputes
def test_arrivals_come_at_the_grid_rate_times_one_plus_tension():
    model = build({"disputes.initial_intensity": 0.8})
    rate = np.zeros(model.geography.n_grids)
    rate[0] = 200.0
    model.institutions.arrival_rate = rate
    model.institutions.claim_rate = np.zeros_like(rate)
    arrive_disputes(model)
    calm = len(model.book)
    assert abs(calm - 200) < 4 * math.sqrt(200)
    ids = np.arange(calm)
    assert (model.book.grid[ids] == 0).all()
    assert (model.book.state[ids] == State.LATENT).all()
    assert ((model.book.arrived[ids] >= 40) & (model.book.arrived[ids] < 41)).all()
    assert model.book.intensity[ids].mean() == pytest.approx(0.8, abs=0.05)
    in_grid = residents_of(model, 0, int(model.residents_per_grid[0]))
    a, b = model.book.party_a[ids], model.book.party_b[ids]
    assert np.isin(a, in_grid).all() and np.isin(b[b >= 0], in_grid).all()
    assert 0 in b  # the grid's first resident is the other party of some dispute
    n = len(model.population)
    expected = np.bincount(a, minlength=n) + np.bincount(b[b >= 0], minlength=n)
    assert model.population.grievances.tolist() == expected.tolist()
    model.tension[0] = 1.0
    arrive_disputes(model)
    assert abs(len(model.book) - calm - 400) < 4 * math.sqrt(400)


def test_claims_arrive_at_the_claim_rate_with_their_own_settings():
    params = {"claims.group_share": 1.0, "claims.initial_intensity": 0.9}
    model = build(params | {"disputes.group_size_mean": 3})
    rate = np.zeros(model.geography.n_grids)
    model.institutions.arrival_rate = rate.copy()
    rate[5] = 100.0
    model.institutions.claim_rate = rate
    model.tension[5] = 1.0
    arrive_disputes(model)
    book, n = model.book, len(model.book)
    assert abs(n - 200) < 4 * math.sqrt(200)
    assert (book.view("origin") == Origin.CLAIM).all() and (book.view("grid") == 5).all()
    assert (book.view("party_b") == -1).all() and book.view("is_group").all()
    assert (book.view("n_parties") == 3).all()
    assert book.view("intensity").mean() == pytest.approx(0.9, abs=0.05)
    assert ((book.view("arrived") >= 40) & (book.view("arrived") < 41)).all()
    assert model.population.grievances.sum() == 0  # claims are not disputes between residents


def test_a_damage_surge_brings_damage_disputes_in_its_grids():
    model = build()
    model.institutions.arrival_rate = np.zeros(model.geography.n_grids)
    model.institutions.claim_rate = np.zeros(model.geography.n_grids)
    model.damage_surge[2] = 50.0
    arrive_disputes(model)
    assert abs(len(model.book) - 50) < 4 * math.sqrt(50)
    assert (model.book.view("kind") == DAMAGES).all() and (model.book.view("grid") == 2).all()


@pytest.mark.parametrize(
    ("flare", "lapse", "state"),
    [(1.0, 0.0, State.LATENT), (0.0, 1.0, State.LAPSED), (1.0, 1.0, State.LATENT)],
)
def test_dormant_disputes_flare_up_or_lapse(flare, lapse, state):
    quiet = {"disputes.rate_per_1k": 0.0, "claims.rate_per_10k": 0.0}
    model = build(quiet | {"disputes.flare_per_day": flare, "disputes.lapse_per_day": lapse})
    ids = add(model, 2, state=State.DORMANT, level=Level.VILLAGE, intensity=[0.5, 0.95])
    arrive_disputes(model)
    assert len(model.book) == 2
    assert (model.book.state[ids] == state).all()
    if state == State.LATENT:
        assert model.book.level[ids].tolist() == [Level.LATENT] * 2
        assert model.book.intensity[ids] == pytest.approx([0.6, 1.0], abs=1e-12)
    else:
        assert model.book.intensity[ids].tolist() == [0.5, 0.95]


def test_dormant_disputes_stay_dormant_without_flaring_or_lapsing():
    quiet = {"disputes.rate_per_1k": 0.0, "claims.rate_per_10k": 0.0}
    model = build(quiet | {"disputes.flare_per_day": 0.0, "disputes.lapse_per_day": 0.0})
    ids = add(model, 50, state=State.DORMANT)
    arrive_disputes(model)
    assert (model.book.state[ids] == State.DORMANT).all()


# ----------------------------------------------------------------- patrol_and_visit
def test_workers_on_duty_visit_up_to_the_demand_after_paying_mediation_debt():
    params = {"space.mutual_aid_share": 0.0, "grid_workers.visits_per_day": 20.0}
    model = build(
        params | {"grid_workers.visit_cycle_days": 10.0, "grid_workers.session_visits": 4.0}
    )
    staff = model.staff
    assert (model.workers_per_grid == 1).sum() >= 3
    one = np.flatnonzero(model.workers_per_grid == 1)[:3]
    staff.worker_diverted_until[np.isin(staff.worker_grid, one[2])] = model.time  # away today
    model.mediation_debt[one[0]] = 7.0
    model.mediation_debt[one[1]] = 30.0
    model.patrol_hours[:] = 9.0  # yesterday's
    patrol_and_visit(model)
    expected = np.bincount(staff.worker_grid, minlength=model.geography.n_grids).astype(float)
    expected[one[2]] = 0.0
    assert model.workers_available.tolist() == expected.tolist()
    demand = model.households / 10.0
    assert model.visits[one[0]] == pytest.approx(min(13.0, demand[one[0]]))
    assert model.visits[one[1]] == 0.0 and model.mediation_debt[one[1]] == 10.0
    assert model.mediation_debt[one[0]] == 0.0 and model.visits[one[2]] == 0.0
    capacity = expected * 20.0
    others = expected > 0
    others[one[:2]] = False
    assert model.visits[others] == pytest.approx(np.minimum(capacity, demand)[others])
    assert model.tally.worker_capacity_visits == pytest.approx(capacity.sum())
    assert model.tally.worker_busy_visits == pytest.approx(model.visits.sum() + 7.0 + 20.0)
    grid_pool = model.institutions.ladder[0].pool
    assert grid_pool.rate == pytest.approx(capacity / 4.0 * 0.05)
    assert (model.patrol_hours == 0).all()
    assert model.guardians == pytest.approx(staff.officer_presence)


@pytest.mark.parametrize("session_visits", [0.5, 4.0])
def test_grid_mediation_capacity_is_the_visit_capacity_in_sessions(session_visits):
    model = build({"space.mutual_aid_share": 0.0, "grid_workers.session_visits": session_visits})
    patrol_and_visit(model)
    capacity = model.workers_available * model.p["grid_workers.visits_per_day"]
    rate = model.institutions.ladder[0].pool.rate
    assert rate == pytest.approx(capacity / session_visits * 0.05)


def test_the_visit_cycle_sets_the_demand():
    model = build({"space.mutual_aid_share": 0.0, "grid_workers.visit_cycle_days": 365.0})
    patrol_and_visit(model)
    staffed = model.workers_available > 0
    assert model.visits[staffed] == pytest.approx(model.households[staffed] / 365.0)


def test_workers_of_adjacent_grids_visit_a_grid_whose_workers_are_away():
    model = build({"space.mutual_aid_share": 0.2, "grid_workers.visit_cycle_days": 1.0})
    staff, adjacency = model.staff, model.adjacency.toarray()
    n = model.geography.n_grids
    # a grid with one worker whose neighbours have one worker each and no other uncovered neighbour
    g = next(
        g
        for g in range(n)
        if model.workers_per_grid[g] == 1 and (model.workers_per_grid[adjacency[g] > 0] == 1).all()
    )
    assert (model.workers_per_grid >= 1).all()
    staff.worker_diverted_until[staff.worker_grid == g] = 10.0
    patrol_and_visit(model)
    neighbours = np.flatnonzero(adjacency[g])
    assert model.workers_available[g] == 0.0
    assert model.visits[g] == pytest.approx(0.2 * 20.0 * len(neighbours))
    assert model.visits[neighbours] == pytest.approx(np.full(len(neighbours), 16.0))
    assert model.tally.worker_capacity_visits == pytest.approx(20.0 * (len(staff.worker_grid) - 1))


def test_yi_police_patrols_add_hours_and_guardians():
    params = {"volunteer_police.towns": "all", "volunteer_police.patrol_hours_per_week": 28.0}
    model = build(params)
    volunteers = len(model.staff.volunteers)
    assert volunteers > 0
    patrol_and_visit(model)
    assert model.patrol_hours.sum() == pytest.approx(4.0 * volunteers)  # one 4-hour shift each
    expected = model.patrol_hours / phases.ACTIVE_HOURS + model.staff.officer_presence
    assert model.guardians == pytest.approx(expected)
    assert phases.ACTIVE_HOURS == 12.0
    model.staff.volunteer_diverted_until[:] = 5.0
    patrol_and_visit(model)
    assert (model.patrol_hours == 0).all()


def routes_from(model: GovernanceModel, grid: int) -> set[int]:
    """The grids a patrol at ``grid`` may walk to today (itself and adjacent grids of its area)."""
    routes = model.staff.patrol_routes
    return set(routes.indices[routes.indptr[grid] : routes.indptr[grid + 1]].tolist())


def test_moving_the_yi_police_agents_moves_their_patrol_hours_detection_and_deterrence():
    params = {"volunteer_police.towns": ["Muzhou"], "volunteer_police.patrol_hours_per_week": 28.0}
    params |= {"detection.visit_detect_prob": 0.0, "detection.self_report_per_day": 0.0}
    params |= {"detection.patrol_detect_prob": 1.0, "detection.households_per_patrol_hour": 1e3}
    params |= {"behaviour.act_out_threshold": 0.2, "behaviour.act_out_spread": 0.0}
    params |= {"police.deterrence_k": 1.0, "police.max_arrest_prob": 1.0}
    params |= {"police.deterrence_form": "exponential"}  # 800 patrols: arrest near certain
    probe = build(params)
    n = probe.geography.n_grids
    here, far = next((x, y) for x in range(n) for y in range(n)
                     if not routes_from(probe, x) & routes_from(probe, y))  # fmt: skip

    def day_with_every_volunteer_in(grid: int) -> GovernanceModel:
        model = build(params)
        model.staff.officer_presence[:] = 0.0  # guardians are the patrols alone
        for volunteer in model.volunteer_police:  # as a Mesa user moves an agent
            volunteer.cell = model.space[grid]
        pop = model.population
        a = int(pop.grid_start[here])
        pop.trust[a], pop.risk_aversion[a] = 0.0, 1.0  # 0.5 * (1 - 0) > 0.2 unless deterred
        add(model, 50, grid=here, intensity=0.5)
        patrol_and_visit(model)
        detect(model)
        act_out(model)
        return model

    patrolled, elsewhere = day_with_every_volunteer_in(here), day_with_every_volunteer_in(far)
    volunteers = len(patrolled.volunteer_police)
    assert volunteers == 800
    hours = patrolled.patrol_hours
    assert hours.sum() == 4.0 * volunteers  # one shift each, all counted around `here`
    assert set(np.flatnonzero(hours)) <= routes_from(patrolled, here) and hours[here] > 0
    assert set(np.flatnonzero(elsewhere.patrol_hours)) <= routes_from(elsewhere, far)
    assert elsewhere.patrol_hours[here] == 0.0
    assert patrolled.guardians[here] == pytest.approx(hours[here] / phases.ACTIVE_HOURS)
    assert elsewhere.guardians[here] == 0.0
    # Detection: patrols in the grid find every latent case; without them nothing does.
    assert (patrolled.book.found_by_staff[:50]).all() and np.isnan(elsewhere.book.detected).all()
    # Deterrence: near certain arrest holds the party back; unguarded, it acts out.
    assert patrolled.tally.incidents_by_grid.sum() == 0
    assert elsewhere.tally.incidents_by_grid[here] == 50


def test_moving_a_grid_worker_moves_its_visits_and_grid_mediation_capacity():
    params = {"space.mutual_aid_share": 0.0, "grid_workers.visit_cycle_days": 1.0}
    model, twin = build(params), build(params)
    a = int(np.flatnonzero(model.workers_per_grid >= 2)[0])
    b = int(np.flatnonzero(model.workers_per_grid >= 1)[-1])
    worker = next(w for w in model.grid_workers if w.grid == a)
    worker.move_to(model.space[b])  # Mesa's API
    assert worker.grid == b and worker in model.space[b].agents
    assert worker not in model.space[a].agents
    change = np.zeros(model.geography.n_grids)
    change[[a, b]] = -1, 1
    assert (model.workers_per_grid - twin.workers_per_grid).tolist() == change.tolist()
    patrol_and_visit(model)
    patrol_and_visit(twin)
    assert (model.workers_available - twin.workers_available).tolist() == change.tolist()
    visits = model.p["grid_workers.visits_per_day"]
    assert model.visits[b] == pytest.approx(
        min(twin.visits[b] + visits, model.households[b]), rel=1e-12
    )
    assert model.visits[a] == pytest.approx(max(twin.visits[a] - visits, 0.0), abs=1e-9)
    rate = model.institutions.ladder[0].pool.rate - twin.institutions.ladder[0].pool.rate
    per_worker = visits / model.p["grid_workers.session_visits"] * model.p["population.scale"]
    assert rate[[a, b]] == pytest.approx([-per_worker, per_worker])


def test_staff_removed_by_mesa_do_no_work_until_an_intervention_rebuilds_the_plans_staff():
    params = {"volunteer_police.towns": ["Muzhou"], "volunteer_police.patrol_hours_per_week": 28.0}
    model = build(params | {"space.mutual_aid_share": 0.0})
    volunteer, worker = model.volunteer_police.to_list()[0], model.grid_workers.to_list()[0]
    grid, posted = worker.grid, int(model.workers_per_grid[worker.grid])
    volunteer.remove()
    worker.remove()
    assert volunteer not in model.agents and volunteer not in model.volunteer_police
    assert worker.cell is None and worker not in model.space[grid].agents
    assert model.workers_per_grid[grid] == posted - 1
    patrol_and_visit(model)
    assert model.patrol_hours.sum() == 4.0 * 799  # everyone else's shift
    assert model.workers_available[grid] == posted - 1
    assert metrics.grid_outcomes(model)["volunteer_police"].sum() == 799
    model.intervene({"volunteer_police.patrol_hours_per_week": 14.0})
    assert len(model.volunteer_police) == len(model.agents_by_type[VolunteerPolice]) == 800
    assert model.workers_per_grid[grid] == posted
    assert all(w.cell is model.space[w.grid] for w in model.agents_by_type[GridWorker])


def test_staff_moved_there_and_back_run_as_staff_never_moved():
    params = {"volunteer_police.towns": ["Muzhou"], "run.warmup_days": 5}
    still = GovernanceModel(BASE | params, rng=3, series=False)
    moved = GovernanceModel(BASE | params, rng=3, series=False)
    for agent in [*moved.grid_workers, *moved.volunteer_police]:
        home = agent.cell
        agent.cell = moved.space[0]
        agent.cell = home
    for model in (still, moved):
        model.run_for(30)
    assert moved.current == pytest.approx(still.current, nan_ok=True, rel=0, abs=0)
    assert moved.staff.volunteer_grid.tolist() == still.staff.volunteer_grid.tolist()
    assert len(moved.book) == len(still.book) > 0
    for column in DisputeBook.columns():
        assert np.array_equal(moved.book.view(column), still.book.view(column), equal_nan=True)
    assert (moved.population.trust == still.population.trust).all()


# ----------------------------------------------------------------- drift
def test_latent_disputes_drift_by_type_and_waiting_ones_heat_up():
    params = {"disputes.drift_per_day": 0.01, "disputes.shock_sd": 0.0}
    model = build(params | {"disputes.fade_per_day": 0.0, "mediation.wait_drift_per_day": 0.05})
    neighbour = add(model, intensity=0.5)
    land = add(model, kind=LAND, intensity=0.5)
    full = add(model, intensity=0.999)
    waiting = queued(model, 2, level=Level.GRID, intensity=[0.3, 0.98])
    done = add(model, state=State.RESOLVED, intensity=0.5)
    drift(model)
    intensity = model.book.intensity
    assert intensity[neighbour][0] == pytest.approx(0.5 + 0.01 * TYPE_DRIFT[NEIGHBOUR])
    assert intensity[land][0] == pytest.approx(0.5 + 0.01 * TYPE_DRIFT[LAND])
    assert TYPE_DRIFT[LAND] != TYPE_DRIFT[NEIGHBOUR]
    assert intensity[full][0] == 1.0
    assert intensity[waiting] == pytest.approx([0.35, 1.0])
    assert intensity[done][0] == 0.5
    assert model.book.state[neighbour][0] == State.LATENT


def test_shocks_are_the_lifecycle_streams_normal_draws_and_fading_its_uniform_draws():
    params = {"disputes.drift_per_day": 0.01, "disputes.shock_sd": 0.02}
    model = build(params | {"disputes.fade_per_day": 0.5})
    ids = add(model, 100, intensity=0.5)
    stream = copy.deepcopy(model.streams.lifecycle)
    drift(model)
    shocks = stream.normal(0.0, 0.02, 100)
    expected = 0.5 + 0.01 * TYPE_DRIFT[NEIGHBOUR] + shocks
    assert model.book.intensity[ids] == pytest.approx(expected, abs=1e-12)
    faded = stream.random(100) < 0.5
    assert (model.book.state[ids] == State.DORMANT).tolist() == faded.tolist()


def test_without_shocks_the_lifecycle_stream_draws_only_the_fading():
    model = build({"disputes.shock_sd": 0.0, "disputes.fade_per_day": 0.5})
    ids = add(model, 100, intensity=0.5)
    stream = copy.deepcopy(model.streams.lifecycle)
    drift(model)
    faded = stream.random(100) < 0.5
    assert (model.book.state[ids] == State.DORMANT).tolist() == faded.tolist()


def test_shocks_spread_intensity_around_the_drift_within_zero_and_one():
    params = {"disputes.drift_per_day": 0.0, "disputes.shock_sd": 0.02}
    model = build(params | {"disputes.fade_per_day": 0.0})
    ids = add(model, 2000, intensity=0.5)
    low = add(model, 200, intensity=0.0)
    drift(model)
    change = model.book.intensity[ids] - 0.5
    assert abs(change.mean()) < 4 * 0.02 / math.sqrt(2000)
    assert change.std() == pytest.approx(0.02, rel=0.1)
    assert (model.book.intensity[low] >= 0.0).all() and (model.book.intensity[low] == 0.0).any()


@pytest.mark.parametrize("fade", [0.0, 1.0])
def test_latent_disputes_fade_to_dormant(fade):
    model = build({"disputes.fade_per_day": fade, "disputes.shock_sd": 0.0})
    ids = add(model, 20)
    drift(model)
    expected = State.DORMANT if fade else State.LATENT
    assert (model.book.state[ids] == expected).all()


def test_tension_heats_open_disputes_of_its_grid_and_fades():
    params = {"disputes.drift_per_day": 0.0, "disputes.shock_sd": 0.0}
    params |= {"mediation.wait_drift_per_day": 0.0, "space.tension_heat_per_day": 0.1}
    model = build(params | {"space.tension_days": 14.0, "disputes.fade_per_day": 0.0})
    model.tension[4] = 0.5
    hot = add(model, grid=4, intensity=0.3)
    hot_waiting = queued(model, grid=4, level=Level.VILLAGE, intensity=0.3)
    cool = add(model, grid=5, intensity=0.3)
    full = queued(model, grid=4, level=Level.VILLAGE, intensity=0.98)
    drift(model)
    assert model.book.intensity[full][0] == 1.0
    assert model.book.intensity[hot][0] == pytest.approx(0.35)
    assert model.book.intensity[hot_waiting][0] == pytest.approx(0.35)
    assert model.book.intensity[cool][0] == 0.3
    assert model.tension[4] == pytest.approx(0.5 * math.exp(-1 / 14))
    assert model.tension[5] == 0.0


def test_faded_disputes_are_not_heated():
    params = {"disputes.drift_per_day": 0.0, "disputes.shock_sd": 0.0}
    model = build(params | {"space.tension_heat_per_day": 0.1, "disputes.fade_per_day": 1.0})
    model.tension[4] = 0.5
    ids = add(model, grid=4, intensity=0.3)
    drift(model)
    assert model.book.state[ids][0] == State.DORMANT and model.book.intensity[ids][0] == 0.3


def test_disputes_queued_longer_than_patience_are_marked_impatient():
    model = build({"mediation.patience_days": 30.0}, today=40)
    over = queued(model, level=Level.GRID, ready=9.0)  # 31 days
    just = queued(model, level=Level.GRID, ready=10.0)  # 30 days
    add(model, ready=0.0)  # latent: not waiting
    drift(model)
    assert model.day.impatient.tolist() == over.tolist()
    assert just[0] not in model.day.impatient


# ----------------------------------------------------------------- detect
def seen_share(model: GovernanceModel, ids: np.ndarray) -> float:
    return float(np.mean(~np.isnan(model.book.detected[ids])))


def margin(p: float, n: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / n) + 1e-9


@pytest.mark.parametrize(
    ("n_parties", "is_group", "share"),
    [(2, False, 0.15), (4, True, 1 - 0.85**4), (30, True, 1 - 0.85**10)],
)
def test_grid_worker_visits_find_a_dispute_once_per_represented_household(
    n_parties, is_group, share
):
    params = {"detection.visit_detect_prob": 0.6, "detection.patrol_detect_prob": 0.0}
    model = build(params | {"detection.self_report_per_day": 0.0})
    model.visits = model.households * 0.25
    ids = add(model, 4000, n_parties=n_parties, is_group=is_group)
    detect(model)
    assert seen_share(model, ids) == pytest.approx(share, abs=margin(share, 4000))
    found = ids[~np.isnan(model.book.detected[ids])]
    assert model.book.found_by_staff[found].all()


def test_visits_beyond_every_household_find_no_more():
    params = {"detection.visit_detect_prob": 0.6, "detection.patrol_detect_prob": 0.0}
    model = build(params | {"detection.self_report_per_day": 0.0})
    model.visits = model.households * 2.0
    ids = add(model, 4000)
    detect(model)
    assert seen_share(model, ids) == pytest.approx(0.6, abs=margin(0.6, 4000))


@pytest.mark.parametrize(
    ("hours_per_household", "n_parties", "share"),
    [(0.125, 2, 0.4), (1.0, 2, 0.8), (0.125, 4, 1 - 0.6**4)],
)
def test_patrols_find_disputes_by_households_passed(hours_per_household, n_parties, share):
    params = {"detection.visit_detect_prob": 0.0, "detection.patrol_detect_prob": 0.8}
    model = build(
        params | {"detection.self_report_per_day": 0.0, "detection.households_per_patrol_hour": 4.0}
    )
    model.patrol_hours = model.households * hours_per_household
    ids = add(model, 4000, n_parties=n_parties, is_group=n_parties > 2)
    detect(model)
    assert seen_share(model, ids) == pytest.approx(share, abs=margin(share, 4000))


def test_visits_and_patrols_combine():
    params = {"detection.visit_detect_prob": 0.6, "detection.patrol_detect_prob": 0.8}
    model = build(params | {"detection.self_report_per_day": 0.0})
    model.visits = model.households * 0.5
    model.patrol_hours = model.households * 0.125
    ids = add(model, 4000)
    detect(model)
    share = 1 - 0.7 * 0.6
    assert seen_share(model, ids) == pytest.approx(share, abs=margin(share, 4000))


def test_parties_report_more_with_trust_intensity_and_a_trust_room():
    params = {"detection.visit_detect_prob": 0.0, "detection.patrol_detect_prob": 0.0}
    params |= {"detection.self_report_per_day": 0.5, "mediation.trust_room_report_factor": 2.0}
    model = build(params)
    geo, room = model.geography, model.staff.trust_room
    with_room = int(np.flatnonzero(room[geo.grid_village])[0])
    without = int(np.flatnonzero(~room[geo.grid_village])[0])
    for g in (with_room, without):
        model.population.trust[model.population.grid_start[g]] = 0.6
    a = add(model, 4000, grid=with_room, intensity=0.3)
    b = add(model, 4000, grid=without, intensity=0.3)
    c = add(model, 4000, grid=without, intensity=0.9)
    detect(model)
    for ids, share in ((a, 0.5 * 0.6 * 0.8 * 2), (b, 0.5 * 0.6 * 0.8), (c, 0.5 * 0.6 * 1.4)):
        assert seen_share(model, ids) == pytest.approx(share, abs=margin(share, 4000))
        assert not model.book.found_by_staff[ids].any()


def test_a_village_officer_finds_latent_cases_in_its_village_only():
    params = {"detection.visit_detect_prob": 0.0, "detection.patrol_detect_prob": 0.0}
    params |= {"detection.self_report_per_day": 0.0, "claims.filing_per_day": 0.0}
    params |= {"police.village_detect_per_day": 0.3}
    model = build(params)
    geo, office = model.geography, model.staff.village_office
    in_office = int(np.flatnonzero(office[geo.grid_village])[0])
    a = add(model, 4000, grid=in_office)
    b = add(model, 4000, grid=in_office, origin=Origin.CLAIM, party_b=-1, n_parties=1)
    detect(model)
    for ids in (a, b):  # disputes and claims alike, found by staff
        assert seen_share(model, ids) == pytest.approx(0.3, abs=margin(0.3, 4000))
        assert model.book.found_by_staff[ids][~np.isnan(model.book.detected[ids])].all()
    bare = build(params | {"police.village_offices": "none"})
    c = add(bare, 4000, grid=in_office)
    detect(bare)
    assert seen_share(bare, c) == 0.0


def test_claims_are_filed_at_their_own_rate_whatever_the_trust():
    params = {"detection.visit_detect_prob": 0.0, "detection.patrol_detect_prob": 0.0}
    model = build(params | {"detection.self_report_per_day": 0.0, "claims.filing_per_day": 0.3})
    ids = add(model, 4000, origin=Origin.CLAIM, party_b=-1, n_parties=1)
    detect(model)
    assert seen_share(model, ids) == pytest.approx(0.3, abs=margin(0.3, 4000))


def test_visits_and_reports_combine():
    params = {"detection.visit_detect_prob": 0.6, "detection.patrol_detect_prob": 0.0}
    model = build(params | {"detection.self_report_per_day": 0.0, "claims.filing_per_day": 0.2})
    model.visits = model.households * 0.5
    ids = add(model, 4000, origin=Origin.CLAIM, party_b=-1, n_parties=1)
    detect(model)
    share = 1 - 0.7 * 0.8
    assert seen_share(model, ids) == pytest.approx(share, abs=margin(share, 4000))
    by_staff = model.book.found_by_staff[ids][~np.isnan(model.book.detected[ids])].mean()
    assert by_staff == pytest.approx(0.3 / share, abs=0.04)


def test_detection_time_falls_in_the_day_after_arrival():
    model = build({"detection.visit_detect_prob": 1.0}, today=40)
    model.visits = model.households.copy()
    early = add(model, 500, arrived=30.0)
    late = add(model, 500, arrived=40.7)
    detect(model)
    t_early, t_late = model.book.detected[early], model.book.detected[late]
    assert ((t_early >= 40) & (t_early < 41)).all() and t_early.min() < 40.05
    assert ((t_late >= 40.7) & (t_late < 41)).all() and t_late.min() < 40.72


def test_triage_sends_red_disputes_to_the_town_and_the_rest_to_the_grid_without_hand_off():
    params = {"detection.visit_detect_prob": 1.0, "detection.red_intensity": 0.75}
    model = build(params | {"mediation.three_tuning": "sequential", "mediation.handoff_days": 3.0})
    model.visits = model.households.copy()
    ids = add(model, 3, intensity=[0.5, 0.75, 0.9])
    detect(model)
    book = model.book
    assert book.level[ids].tolist() == [Level.GRID, Level.TOWN, Level.TOWN]
    assert book.max_level[ids].tolist() == [Level.GRID, Level.TOWN, Level.TOWN]
    assert (book.state[ids] == State.QUEUED).all() and (book.ready[ids] == 40.0).all()
    assert np.isnan(book.reached_town[ids[0]]) and (book.reached_town[ids[1:]] == 40.0).all()
    assert np.isnan(book.reached_district[ids]).all()
    assert book.found_by_staff[ids].all()


def test_a_village_officer_takes_red_disputes_to_the_village_committee():
    params = {"detection.visit_detect_prob": 1.0, "detection.red_intensity": 0.75}
    params |= {"police.village_red_share": 1.0}
    for offices, red in (("all", Level.VILLAGE), ("none", Level.TOWN)):
        model = build(params | {"police.village_offices": offices})
        model.visits = model.households.copy()
        ids = add(model, 2, intensity=[0.5, 0.9])
        claim = add(model, 1, intensity=0.9, origin=Origin.CLAIM, party_b=-1, n_parties=1)
        detect(model)
        assert model.book.level[ids].tolist() == [Level.GRID, red], offices
        assert model.book.level[claim][0] == Level.TOWN  # a claim found by staff: the centre


@pytest.mark.parametrize("share", [1.0, 0.0])
def test_a_dispute_its_party_reports_goes_to_the_village_committee(share):
    """Nobody visits or patrols: every dispute found is reported by a party, and goes to the
    village committee (L2) with ``detection.report_to_village_share``; a red one still to
    the town; one found on a visit starts with the grid worker."""
    params = {"detection.visit_detect_prob": 0.0, "detection.self_report_per_day": 1.0}
    model = build(params | {"detection.report_to_village_share": share})
    model.population.trust[int(model.population.grid_start[0])] = 1.0  # reports surely
    ids = add(model, 2, intensity=[0.5, 0.9])
    detect(model)
    book = model.book
    assert not book.found_by_staff[ids].any()
    assert book.level[ids].tolist() == [Level.VILLAGE if share else Level.GRID, Level.TOWN]
    assert (book.ready[ids] == 40.0).all()  # no hand-off delay after detection
    visited = build(
        {"detection.visit_detect_prob": 1.0, "detection.self_report_per_day": 0.0}
        | {"detection.report_to_village_share": share}
    )
    visited.visits = visited.households.copy()
    found = add(visited, 1, intensity=0.3)
    detect(visited)
    assert visited.book.found_by_staff[found][0]
    assert visited.book.level[found][0] == Level.GRID


@pytest.mark.parametrize(("to_district", "filed_level"), [(1.0, Level.DISTRICT), (0.0, Level.TOWN)])
def test_claims_go_to_the_town_centre_or_the_district(to_district, filed_level):
    params = {"detection.visit_detect_prob": 1.0, "detection.patrol_detect_prob": 0.0}
    params |= {"claims.filing_per_day": 1.0, "claims.to_district_share": to_district}
    model = build(params | {"detection.self_report_per_day": 0.0})
    claim = {"origin": Origin.CLAIM, "party_b": -1, "n_parties": 1, "intensity": 0.1}
    found = add(model, 1, grid=0, **claim)
    model.visits = np.zeros(model.geography.n_grids)
    model.visits[0] = model.households[0]
    filed = add(model, 1, grid=1, **claim)
    detect(model)
    book = model.book
    assert book.level[found][0] == Level.TOWN and book.found_by_staff[found][0]
    assert book.level[filed][0] == filed_level and not book.found_by_staff[filed][0]
    assert book.ready[filed][0] == (41.0 if filed_level == Level.DISTRICT else 40.0)
    assert book.reached_town[filed][0] == 40.0
    reached = book.reached_district[filed][0]
    assert reached == 40.0 if filed_level == Level.DISTRICT else np.isnan(reached)


def test_a_flared_up_dispute_keeps_its_first_detection_and_highest_level():
    model = build({"detection.visit_detect_prob": 1.0})
    model.visits = model.households.copy()
    ids = add(model, detected=3.5, max_level=Level.TOWN, reached_town=5.0, found_by_staff=False)
    detect(model)
    book = model.book
    assert book.detected[ids][0] == 3.5 and not book.found_by_staff[ids][0]
    assert book.level[ids][0] == Level.GRID and book.max_level[ids][0] == Level.TOWN
    assert book.reached_town[ids][0] == 5.0


def test_nothing_latent_nothing_detected():
    model = build({"detection.visit_detect_prob": 1.0})
    model.visits = model.households.copy()
    ids = queued(model, level=Level.GRID, detected=12.0)
    detect(model)
    assert model.book.detected[ids][0] == 12.0 and model.book.ready[ids][0] == 40.0


# ----------------------------------------------------------------- mediate
def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def open_capacity(model: GovernanceModel) -> None:
    for rung in model.institutions.ladder:
        rung.pool.rate = np.full_like(rung.pool.rate, 1e6)


@pytest.mark.parametrize("level", [Level.GRID, Level.VILLAGE, Level.TOWN, Level.DISTRICT])
def test_mediation_agrees_by_the_logistic_rule_of_each_rung(level):
    bases = {f"mediation.base_{r}": 2.0 for r in ("grid", "village", "town", "petition")}
    params = bases | {"mediation.wait_effect": 10.0, "disputes.group_difficulty": 1.5}
    params |= {"volunteer_police.assist_bonus": 0.7, "mediation.three_tuning": "joint"}
    model = build(params)
    open_capacity(model)
    p, pop, n = model.p, model.population, 400
    rng = np.random.default_rng(5)
    grids = np.repeat([0, 1, 2, 3], n // 4)
    b = model.population.grid_start[grids]  # resident 0 is a party in grid 0
    a = b + 1
    pop.trust[a], pop.trust[b] = 0.9, 0.3
    group = rng.random(n) < 0.3
    ids = queued(
        model,
        n,
        level=level,
        grid=grids,
        party_a=a,
        party_b=np.where(group, -1, b),
        is_group=group,
        kind=np.where(rng.random(n) < 0.5, LAND, NEIGHBOUR),
        intensity=rng.random(n),
        detected=40 - rng.random(n) * 3,
    )
    model.patrol_hours[[0, 2]] = 0.5
    stream = copy.deepcopy(model.streams.mediation)
    mediate(model)
    book, rung = model.book, model.institutions.ladder[level - 1]
    trust = np.where(group, 0.9, (0.9 + 0.3) / 2)
    waited = 40 - np.floor(book.detected[ids])
    difficulty = np.where(book.kind[ids] == LAND, p["disputes.land_difficulty"], 0.0)
    assist = (level <= Level.VILLAGE) * 0.7 * np.isin(grids, [0, 2])
    logit = (
        rung.base
        + p["mediation.skill_effect"] * rung.skill
        + p["mediation.trust_effect"] * trust
        - p["mediation.intensity_effect"] * book.intensity[ids]
        - 10.0 * waited / 30.0
        - difficulty
        - 1.5 * group
        + rung.bonus_of_grid[grids]
        + assist
    )
    agreed = stream.random(n) < logistic(logit)
    assert 0.1 < agreed.mean() < 0.9  # the draws decide some cases both ways
    resolved = book.state[ids] == State.RESOLVED
    assert resolved.tolist() == agreed.tolist()
    assert model.day.failed == ids[~agreed].tolist()
    assert (book.state[ids[~agreed]] == State.QUEUED).all()


def test_mediate_records_sessions_and_grid_mediation_debt():
    model = build({"mediation.base_grid": 10.0, "grid_workers.session_visits": 4.0})
    open_capacity(model)
    ids = queued(model, 2, level=Level.GRID, grid=3, intensity=0.0, mediated=[np.nan, 12.0])
    labour = TYPE_INDEX["labour"]
    claim = queued(
        model, level=Level.GRID, grid=3, origin=Origin.CLAIM, kind=labour, party_b=-1, intensity=0.0
    )
    later = queued(model, level=Level.GRID, grid=3, ready=41.0)
    mediate(model)
    book, tally = model.book, model.tally
    assert book.sessions[ids].tolist() == [1, 1] and book.sessions[claim].tolist() == [1]
    assert book.mediated[ids].tolist() == [40.0, 12.0]
    assert (book.petition_sessions[ids] == 0).all()
    assert (book.state[np.concatenate([ids, claim])] == State.RESOLVED).all()
    assert book.sessions[later][0] == 0 and book.state[later][0] == State.QUEUED
    assert model.mediation_debt[3] == pytest.approx(3 * 4.0 / 0.05)
    assert model.mediation_debt.sum() == pytest.approx(3 * 4.0 / 0.05)
    assert (tally.sessions, tally.agreements) == (2, 2)  # people's mediation: claims apart
    assert tally.sessions_by_type[NEIGHBOUR] == 2 and tally.sessions_by_type[labour] == 1
    assert tally.agreements_by_type[labour] == 1
    assert tally.petition_first_sessions == 0 and model.day.failed == []


@pytest.mark.parametrize(("base", "agreements"), [(-10.0, 0), (10.0, 1)])
def test_mediate_counts_petition_sessions_and_first_petitions(base, agreements):
    model = build({"mediation.base_petition": base})
    open_capacity(model)
    ids = queued(model, 3, level=Level.DISTRICT, intensity=0.0, petition_sessions=[0, 0, 1])
    mediate(model)
    book, tally = model.book, model.tally
    assert book.petition_sessions[ids].tolist() == [1, 1, 2]
    assert book.sessions[ids].tolist() == [1, 1, 1]
    assert tally.petition_first_sessions == 2
    assert tally.petition_first_agreements == 2 * agreements
    assert (tally.sessions, tally.agreements) == (3, 3 * agreements)
    assert model.mediation_debt.sum() == 0.0
    assert model.day.failed == ([] if agreements else ids.tolist())


def test_mediate_serves_within_capacity_oldest_first():
    model = build()
    open_capacity(model)
    village = model.institutions.ladder[1]
    v = model.geography.grid_village[0]
    village.pool.rate[v] = 1.0
    young = queued(model, level=Level.VILLAGE, ready=39.0)
    old = queued(model, level=Level.VILLAGE, ready=35.0)
    mediate(model)
    assert model.book.sessions[old][0] == 1 and model.book.sessions[young][0] == 0


def test_a_claimant_comes_to_the_town_centre_so_its_session_costs_no_travel():
    model = build({"police.village_offices": "none", "mediation.base_town": -10.0})
    open_capacity(model)
    geo, town = model.geography, model.institutions.ladder[2]
    g = int(np.argmax(geo.travel_hours))
    assert geo.travel_hours[g] > 0
    town.pool.rate[geo.grid_town[g]] = model.p["police.session_hours"]
    dispute = queued(model, level=Level.TOWN, grid=g, ready=39.0)
    claim = queued(model, level=Level.TOWN, grid=g, origin=Origin.CLAIM, party_b=-1)
    mediate(model)
    assert model.book.sessions[dispute][0] == 0 and model.book.sessions[claim][0] == 1


def test_a_resolution_closes_the_case_and_draws_satisfaction():
    params = {"mediation.base_grid": 10.0, "behaviour.satisfaction_base": 0.0}
    model = build(params | {"behaviour.trust_gain": 0.1})
    open_capacity(model)
    pop, n = model.population, 200
    grids = np.repeat([0, 1], n // 2)
    b = pop.grid_start[grids]  # resident 0 is a party in grid 0
    a = b + 1
    pop.trust[a] = np.where(grids == 0, 0.9, 0.2)
    pop.trust[b] = 0.5
    detected = np.where(np.arange(n) % 2, 39.5, 40.5)
    ids = queued(
        model,
        n,
        level=Level.GRID,
        grid=grids,
        party_a=a,
        party_b=b,
        intensity=0.2,
        arrived=30.0,
        detected=detected,
    )
    stream = copy.deepcopy(model.streams.mediation)
    mediate(model)
    book = model.book
    assert (stream.random(n) < 0.999).all()  # every session agreed
    assert (book.state[ids] == State.RESOLVED).all()
    closed = np.maximum(40 + stream.random(n), detected)
    assert book.closed[ids] == pytest.approx(closed, abs=1e-12)
    chance = logistic(2.0 * (pop.trust[a] - 0.5) - 2.0 * 0.2 - (closed - 30.0) / 60.0)
    satisfied = stream.random(n) < chance
    assert book.satisfied[ids].tolist() == satisfied.tolist()
    assert 0 < satisfied.sum() < n
    ((residents, deltas),) = model.day.trust_changes
    assert residents.tolist() == [*a, *b]
    expected = np.where(satisfied, 0.1, -0.05)
    assert deltas == pytest.approx(np.concatenate([expected, expected]))


# ----------------------------------------------------------------- escalate
def failed(model: GovernanceModel, level: Level, n: int = 1, **columns) -> np.ndarray:
    ids = queued(model, n, level=level, **columns)
    model.day = Day(failed=ids.tolist())
    return ids


def trust_after(model: GovernanceModel, residents) -> np.ndarray:
    update_trust(model)
    return model.population.trust[residents]


@pytest.mark.parametrize(
    ("level", "up"),
    [(Level.GRID, Level.VILLAGE), (Level.VILLAGE, Level.TOWN), (Level.TOWN, Level.DISTRICT)],
)
def test_a_failed_party_goes_one_level_up_after_the_hand_off(level, up):
    params = ONE_UP | {"behaviour.fail_intensity": 0.1, "behaviour.trust_loss": 0.08}
    model = build(params | {"mediation.handoff_days": 3.0})
    pop = model.population
    a = int(pop.grid_start[0])
    pop.trust[[a, a + 1]] = [0.5, 0.05]
    ids = failed(model, level, 2, intensity=[0.3, 0.95])
    escalate(model)
    book = model.book
    assert book.level[ids].tolist() == [up, up] and book.max_level[ids].tolist() == [up, up]
    assert (book.state[ids] == State.QUEUED).all()
    assert book.ready[ids].tolist() == [40.0 + (3.0 if up <= Level.TOWN else 1.0)] * 2
    assert book.intensity[ids] == pytest.approx([0.4, 1.0])
    reached_town = book.reached_town[ids]
    assert (reached_town == 40.0).all() if up >= Level.TOWN else np.isnan(reached_town).all()
    reached_district = book.reached_district[ids]
    assert (
        (reached_district == 40.0).all()
        if up == Level.DISTRICT
        else np.isnan(reached_district).all()
    )
    assert trust_after(model, [a, a + 1]) == pytest.approx([0.5 - 2 * 0.08, 0.0])


def test_with_joint_three_tuning_there_is_no_hand_off_delay():
    model = build(ONE_UP | {"mediation.three_tuning": "joint", "mediation.handoff_days": 3.0})
    ids = failed(model, Level.GRID)
    escalate(model)
    assert model.book.ready[ids][0] == 40.0 and model.book.level[ids][0] == Level.VILLAGE


def test_a_failed_party_acts_out_when_nothing_deters_it():
    params = ONE_UP | {"behaviour.act_out_threshold": 0.0, "police.deterrence_k": 0.0}
    params |= {"space.tension_per_incident": 0.3, "space.tension_spread": 0.5}
    model = build(params | {"space.max_tension": 1.0})
    ids = failed(model, Level.VILLAGE, grid=6)
    escalate(model)
    book = model.book
    assert book.state[ids][0] == State.INCIDENT and book.closed[ids][0] == 40.5
    assert book.level[ids][0] == Level.VILLAGE
    incidents = np.zeros(model.geography.n_grids, dtype=np.int64)
    incidents[6] = 1
    assert model.tally.incidents_by_grid.tolist() == incidents.tolist()
    neighbours = model.adjacency.toarray()[6] > 0
    expected = np.where(neighbours, 0.15, 0.0)
    expected[6] = 0.3
    assert model.tension == pytest.approx(expected)


def test_tension_from_incidents_is_capped():
    params = ONE_UP | {"behaviour.act_out_threshold": 0.0, "police.deterrence_k": 0.0}
    model = build(params | {"space.tension_per_incident": 0.3, "space.max_tension": 0.2})
    failed(model, Level.VILLAGE, grid=6)
    escalate(model)
    assert model.tension[6] == pytest.approx(0.2)


def test_guardians_near_deter_a_risk_averse_party():
    params = ONE_UP | {"behaviour.act_out_threshold": 0.0, "police.deterrence_k": 20.0}
    model = build(params | {"police.max_arrest_prob": 1.0})
    a = int(model.population.grid_start[6])
    model.population.risk_aversion[a] = 1.0
    model.guardians[6] = 100.0
    ids = failed(model, Level.VILLAGE, grid=6)
    escalate(model)
    assert model.book.state[ids][0] == State.QUEUED and model.book.level[ids][0] == Level.TOWN


def test_failed_parties_are_deterred_by_the_configured_form_of_deterrence():
    """200 failed parties, each alone with one guardian near at k = 3 (x = 3), certain to act
    out unless deterred (chance ``1 - P``): the saturating form deters with P = 0.75, the
    exponential with P = 1 - exp(-3) = 0.95. On the same draws the exponential form's
    incidents are a strict subset of the saturating form's; each count within 4 binomial
    standard deviations of 200 * 0.25 = 50 and 200 * 0.0498 = 10."""

    def incidents(form: str) -> set[int]:
        params = ONE_UP | {"behaviour.act_out_threshold": 0.0, "police.deterrence_k": 3.0}
        model = build(params | {"police.max_arrest_prob": 1.0, "police.deterrence_form": form})
        a = int(model.population.grid_start[6])
        model.population.risk_aversion[a], model.population.trust[a] = 1.0, 0.0
        model.guardians[6] = 1.0
        ids = failed(model, Level.VILLAGE, 200, grid=6, n_parties=1, intensity=0.5)
        escalate(model)
        return set(ids[model.book.state[ids] == State.INCIDENT].tolist())

    saturating, exponential = incidents("saturating"), incidents("exponential")
    assert exponential < saturating
    assert abs(len(saturating) - 50) <= 4 * np.sqrt(200 * 0.25 * 0.75)
    assert abs(len(exponential) - 200 * np.exp(-3)) <= 4 * np.sqrt(200 * 0.0498 * 0.9502)


def test_a_failed_party_may_drop_the_dispute():
    params = ONE_UP | {"behaviour.drop_prob": 1.0, "behaviour.fail_intensity": 0.0}
    model = build(params)
    ids = failed(model, Level.GRID, intensity=0.0)
    escalate(model)
    assert model.book.state[ids][0] == State.DORMANT and model.book.level[ids][0] == Level.GRID


def test_a_party_failed_at_the_town_may_go_to_court():
    model = build(ONE_UP | {"behaviour.litigation_share": 1.0})
    ids = failed(model, Level.TOWN, reached_town=30.0)
    escalate(model)
    book = model.book
    assert book.level[ids][0] == Level.BEYOND and book.max_level[ids][0] == Level.BEYOND
    assert book.state[ids][0] == State.PASSED_UP and book.closed[ids][0] == 41.0
    assert book.reached_town[ids][0] == 30.0 and book.reached_district[ids][0] == 40.0


@pytest.mark.parametrize("level", [Level.GRID, Level.VILLAGE])
def test_a_distrustful_party_skips_to_a_petition(level):
    model = build(ONE_UP | {"behaviour.skip_trust": 0.4, "behaviour.litigation_share": 1.0})
    a = int(model.population.grid_start[0])
    model.population.trust[a] = 0.39
    ids = failed(model, level)
    escalate(model)
    book = model.book
    assert book.level[ids][0] == Level.DISTRICT and book.state[ids][0] == State.QUEUED
    assert book.ready[ids][0] == 41.0 and book.reached_district[ids][0] == 40.0


def test_a_trusting_party_does_not_skip_and_the_town_does_not_skip():
    model = build(ONE_UP | {"behaviour.skip_trust": 0.4})
    a = int(model.population.grid_start[0])
    model.population.trust[a] = 0.4
    grid = failed(model, Level.GRID)
    model.population.trust[int(model.population.grid_start[1])] = 0.1
    town = queued(model, level=Level.TOWN, grid=1)
    model.day.failed.append(int(town[0]))
    escalate(model)
    assert model.book.level[grid][0] == Level.VILLAGE
    assert model.book.level[town][0] == Level.DISTRICT


def test_a_failed_petitioner_with_persistence_goes_beyond():
    model = build(ONE_UP | {"petition.persistence": 1.0})
    ids = failed(model, Level.DISTRICT, petition_sessions=1)
    escalate(model)
    assert model.book.state[ids][0] == State.PASSED_UP
    assert model.book.level[ids][0] == Level.BEYOND and model.book.closed[ids][0] == 41.0


def test_a_failed_petitioner_tries_again_up_to_the_last_session_then_goes_dormant():
    assert MAX_PETITION_SESSIONS == 3
    model = build(ONE_UP | {"petition.persistence": 0.0})
    ids = failed(model, Level.DISTRICT, 4, petition_sessions=[1, 2, 3, 4])
    escalate(model)
    book = model.book
    assert book.state[ids].tolist() == [State.QUEUED] * 2 + [State.DORMANT] * 2
    assert book.level[ids].tolist() == [Level.DISTRICT] * 4
    assert book.ready[ids[:2]].tolist() == [41.0, 41.0]


@pytest.mark.parametrize("patience", [30.0, 365.0])
def test_petitions_are_late_when_the_district_is_short_of_capacity(patience):
    """Twenty petitions accepted on day 40 at a district that holds one session every ten days
    (1 counter x 2 sessions x 5% scale), every session an agreement: they are answered first
    come, first served, about nine of them within the 60 + 30 days. With patience 365 the
    others wait and are answered late; with patience 30 they leave unanswered after a month
    of waiting (passed up), which is not on time either. With ample capacity all are on time."""
    fixed = {
        "disputes.rate_per_1k": 0.0,
        "claims.rate_per_10k": 0.0,
        "mediation.base_petition": 10.0,
        "petition.counters": 1,
        "mediation.patience_days": patience,
    }
    rate = {}
    for per_counter in (50.0, 2.0):  # ample, then short (the book checked below)
        model = build(ONE_UP | fixed | {"petition.sessions_per_counter": per_counter})
        ids = queued(
            model, 20, level=Level.DISTRICT, max_level=Level.DISTRICT, reached_district=40.0
        )
        for day in range(40, 240):
            model.today, model.day = day, Day()
            for phase in (drift, mediate, escalate):
                phase(model)
        rate[per_counter] = metrics.compute(model, start=0.0)["petition_on_time_rate"]
        book = model.book
        waited = book.petition_concluded[ids] - 40.0
        on_time = (waited <= 90) & ~book.petition_unanswered[ids]
        assert rate[per_counter] == on_time.mean()  # the metric is the rule, case by case
    assert rate[50.0] == 1.0
    if patience == 365.0:  # answered late: waited past the limit, no case left unanswered
        assert 0.3 < rate[2.0] < 0.6
        assert not book.petition_unanswered[ids].any()
    else:  # unheard: about three answered before the others' patience ran out
        assert 0.0 < rate[2.0] < 0.3


def test_impatient_parties_move_one_level_up_and_lose_some_trust():
    model = build(ONE_UP | {"behaviour.trust_loss": 0.08, "mediation.handoff_days": 3.0})
    pop = model.population
    a = int(pop.grid_start[0])
    pop.trust[[a, a + 1]] = 0.5
    grid = queued(model, level=Level.GRID, intensity=0.3)
    district = queued(model, level=Level.DISTRICT, grid=1)
    settled = add(model, state=State.RESOLVED, level=Level.GRID, grid=2)
    model.day = Day(impatient=np.concatenate([grid, district, settled]))
    escalate(model)
    book = model.book
    assert book.level[grid][0] == Level.VILLAGE and book.ready[grid][0] == 43.0
    assert book.intensity[grid][0] == 0.3  # no session, no failure
    assert book.level[district][0] == Level.BEYOND
    assert book.state[district][0] == State.PASSED_UP
    assert book.state[settled][0] == State.RESOLVED and book.level[settled][0] == Level.GRID
    assert trust_after(model, [a, a + 1]) == pytest.approx([0.46, 0.46])
    b = int(pop.grid_start[2])
    assert pop.trust[b] == pytest.approx(pop.trust_base[b])


# ----------------------------------------------------------------- act_out
def test_open_cases_act_out_by_the_sharp_rule_without_guardians():
    params = {"behaviour.act_out_threshold": 0.2, "behaviour.act_out_spread": 0.0}
    model = build(params | {"police.deterrence_k": 0.0})
    pop = model.population
    a, b = int(pop.grid_start[0]), int(pop.grid_start[1])
    pop.trust[a], pop.trust[b] = 0.5, 0.7
    angry = add(model, grid=0, intensity=0.5)  # 0.5 * 0.5 = 0.25 > 0.2
    calm = add(model, grid=1, intensity=0.5)  # 0.5 * 0.3 = 0.15
    waiting = queued(model, level=Level.TOWN, grid=0, intensity=0.5)
    dormant = add(model, grid=0, intensity=0.5, state=State.DORMANT)
    act_out(model)
    state = model.book.state
    assert state[angry][0] == State.INCIDENT and state[waiting][0] == State.INCIDENT
    assert state[calm][0] == State.LATENT and state[dormant][0] == State.DORMANT
    assert model.tally.incidents_by_grid[0] == 2 and model.tally.incidents_by_grid.sum() == 2
    assert model.book.closed[angry][0] == 40.5


def test_guardians_deter_acting_out_in_proportion_to_risk_aversion():
    params = {"behaviour.act_out_threshold": 0.0, "behaviour.act_out_spread": 0.0}
    model = build(params | {"police.deterrence_k": 20.0, "police.max_arrest_prob": 1.0})
    pop = model.population
    a, b = int(pop.grid_start[0]), int(pop.grid_start[1])
    pop.risk_aversion[a], pop.risk_aversion[b] = 1.0, 0.5
    model.guardians[[0, 1]] = 100.0
    deterred = add(model, 100, grid=0, intensity=0.5)
    halved = add(model, 2000, grid=1, intensity=0.5)
    crowd = add(model, 100, grid=0, intensity=0.5, n_parties=1_000_000)
    act_out(model)
    state = model.book.state
    assert (state[deterred] == State.LATENT).all()
    assert np.mean(state[halved] == State.INCIDENT) == pytest.approx(0.5, abs=margin(0.5, 2000))
    share = 1 - (1 - math.exp(-20 * 100 / 1_000_000))
    assert np.mean(state[crowd] == State.INCIDENT) == pytest.approx(share, abs=0.02)


# ----------------------------------------------------------------- update_trust
def test_update_trust_applies_the_queued_changes_within_zero_and_one():
    model = build(today=10)
    pop = model.population
    r = residents_of(model, 0, 4)
    pop.trust[r] = [0.5, 0.95, 0.05, 0.3]
    untouched = int(r[-1]) + 1
    before = pop.trust[untouched]
    model.day.trust_changes += [
        (r[:3], np.array([0.1, 0.1, -0.1])),
        (r[[0]], np.array([0.05])),
    ]
    update_trust(model)
    assert pop.trust[r] == pytest.approx([0.65, 1.0, 0.0, 0.3])
    assert pop.trust[untouched] == before


@pytest.mark.parametrize(("today", "fades"), [(28, False), (29, True), (30, False), (59, True)])
def test_trust_fades_towards_each_residents_own_every_thirty_days(today, fades):
    model = build({"population.trust_memory_days": 365.0}, today=today)
    pop = model.population
    pop.trust[:] = np.clip(pop.trust_base + 0.2, 0.0, 1.0)
    moved = pop.trust - pop.trust_base
    update_trust(model)
    keep = math.exp(-30 / 365) if fades else 1.0
    assert pop.trust == pytest.approx(pop.trust_base + moved * keep, abs=1e-12)


# ----------------------------------------------------------------- record
def test_record_adds_the_days_cost():
    model = build()
    assert model.annual_cost > 0
    record(model)
    record(model)
    assert model.tally.cost_days == pytest.approx(2 * model.staff.annual_cost)
    assert model.years == []
    model.today = 364  # the end of the first measured year
    record(model)
    assert len(model.years) == 1 and model.years[0]["day"] == 365
