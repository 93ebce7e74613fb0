"""The mediation institutions of sim/model/institutions.py: capacity, who is served, the rungs."""

import numpy as np
import pytest

from sim.model.disputes import Level
from sim.model.institutions import (
    CapacityPool,
    Rung,
    grid_rung,
    petition_rung,
    town_rung,
    triage,
    village_first,
    village_rung,
)


# ----------------------------------------------------------------- capacity
def test_capacity_pool_gains_its_rate_daily_and_banks_at_most_rate_plus_one_session():
    pool = CapacityPool(np.array([0.4, 2.0, 0.0]))
    assert pool.credit.tolist() == [0.0, 0.0, 0.0]  # nothing before the first day
    pool.refill()
    assert pool.credit.tolist() == pytest.approx([0.4, 2.0, 0.0])
    pool.refill()
    pool.refill()
    assert pool.credit.tolist() == pytest.approx([1.2, 3.0, 0.0])  # unit 1 capped at 2 + 1
    pool.refill()
    assert pool.credit.tolist() == pytest.approx([1.4, 3.0, 0.0])  # unit 0 capped at 0.4 + 1


def test_capacity_pool_spends_credit_only_when_there_is_enough():
    pool = CapacityPool(np.array([1.0, 0.5]), max_cost=3.0)
    pool.refill()
    assert pool.try_use(0) is True  # a session costs one by default
    assert pool.credit[0] == 0.0
    assert pool.try_use(0) is False
    assert pool.try_use(1, 0.5) is True  # exactly enough is enough
    assert pool.try_use(1, 0.1) is False and pool.credit[1] == 0.0
    for _ in range(10):
        pool.refill()
    assert pool.credit.tolist() == pytest.approx([4.0, 3.5])  # rate + max_cost
    assert pool.try_use(0, 3.5) is True and pool.credit[0] == pytest.approx(0.5)
    assert pool.try_use(0, 0.6) is False and pool.credit[0] == pytest.approx(0.5)


def test_capacity_is_in_fractions_of_a_session_even_from_whole_numbers():
    pool = CapacityPool([1, 2])
    assert pool.rate.dtype == float and pool.credit.dtype == float
    pool.rate[0] = 0.5  # a later share of a session
    pool.refill()
    assert pool.credit.tolist() == [0.5, 2.0]


def test_a_unit_below_one_session_a_day_still_holds_one_every_few_days():
    pool = CapacityPool(np.array([0.25]))
    held = []
    for _ in range(12):
        pool.refill()
        held.append(pool.try_use(0))
    assert held == [False, False, False, True] * 3


# ----------------------------------------------------------------- serving
def _rung(rate, *, unit_of_grid, cost_of_grid=None, claim_cost=1.0, max_cost=1.0):
    pool = CapacityPool(np.asarray(rate, dtype=float), max_cost=max_cost)
    n = len(unit_of_grid)
    return Rung(Level.VILLAGE, np.asarray(unit_of_grid), pool, 0.5, 1.0, np.zeros(n),
                cost_of_grid, claim_cost)  # fmt: skip


def test_serve_takes_cases_in_the_order_given_within_each_units_capacity():
    rung = _rung([2.0, 1.0], unit_of_grid=[0, 0, 1])
    ids = np.array([10, 11, 12, 13, 14, 15])
    grids = np.array([0, 2, 1, 0, 2, 1])  # units 0, 1, 0, 0, 1, 0
    no_claims = np.zeros(6, dtype=bool)
    served = rung.serve(ids, grids, claim=no_claims)
    assert served.tolist() == [10, 11, 12]  # unit 0: 10 and 12; unit 1: 11
    assert served.dtype == np.int64
    # The next day, each unit gets its rate again (unused credit is banked up to a day).
    assert rung.serve(ids[3:], grids[3:], claim=no_claims[3:]).tolist() == [13, 14, 15]
    none = rung.serve(np.array([], dtype=np.int64), np.array([], dtype=np.int64),
                      claim=np.array([], dtype=bool))  # fmt: skip
    assert none.tolist() == [] and none.dtype == np.int64  # ids, even when there are none


def test_serve_charges_each_grids_session_cost_and_claims_their_own():
    # Unit 0 has 5 hours a day; sessions cost 2 hours in grid 0 and 4 in grid 1; claims 1.
    rung = _rung([5.0], unit_of_grid=[0, 0], cost_of_grid=np.array([2.0, 4.0]), claim_cost=1.0,
                 max_cost=4.0)  # fmt: skip
    ids, grids = np.array([1, 2, 3, 4]), np.array([1, 0, 1, 0])
    assert rung.serve(ids, grids, claim=np.zeros(4, dtype=bool)).tolist() == [1]  # 4 + 2 > 5
    rung = _rung([5.0], unit_of_grid=[0, 0], cost_of_grid=np.array([2.0, 4.0]), claim_cost=1.0,
                 max_cost=4.0)  # fmt: skip
    claim = np.array([False, True, False, True])
    assert rung.serve(ids, grids, claim=claim).tolist() == [1, 2]  # 4 + 1, then nothing left
    rung = _rung([5.0], unit_of_grid=[0, 0], claim_cost=2.0)  # no costs: one session each
    assert rung.serve(ids, grids, claim=np.array([True, False, False, True])).tolist() == [1, 2, 3]


# ----------------------------------------------------------------- the rungs
def test_grid_rung_is_one_unit_per_grid_with_no_capacity_until_workers_are_counted():
    bonus = np.array([0.1, 0.2, 0.3])
    rung = grid_rung(n_grids=3, skill=0.5, base=4.0, bonus=bonus)
    assert rung.level == Level.GRID and rung.skill == 0.5 and rung.base == 4.0
    assert rung.unit_of_grid.tolist() == [0, 1, 2]
    assert rung.bonus_of_grid is bonus
    assert rung.serve(np.array([0, 1]), np.array([0, 2]), claim=np.zeros(2, bool)).tolist() == []
    rung.pool.rate = np.array([1.0, 0.0, 1.0])
    assert rung.serve(
        np.array([5, 6, 7]), np.array([0, 1, 2]), claim=np.zeros(3, bool)
    ).tolist() == [5, 7]


def test_village_rung_capacity_per_village_and_trust_room_and_joint_bonuses():
    rung = village_rung(
        grid_village=np.array([0, 0, 1, 2]), n_villages=3, sessions_per_day=4.0, scale=0.5,
        skill=0.6, base=4.2, trust_room=np.array([True, False, True]), trust_room_bonus=0.8,
        joint_bonus=0.6, village_office=np.zeros(3, bool), police_sessions_per_day=2.0,
        police_bonus=0.5,
    )  # fmt: skip
    assert rung.level == Level.VILLAGE and rung.skill == 0.6 and rung.base == 4.2
    assert rung.unit_of_grid.tolist() == [0, 0, 1, 2]
    assert rung.bonus_of_grid.tolist() == pytest.approx([1.4, 1.4, 0.6, 1.4])
    assert rung.pool.rate.tolist() == [2.0, 2.0, 2.0]  # 4 sessions a day at half scale
    served = rung.serve(np.arange(5), np.array([0, 1, 0, 2, 3]), claim=np.zeros(5, bool))
    assert served.tolist() == [0, 1, 3, 4]  # village 0's two sessions go to the first two
    assert rung.cost_of_grid is None and rung.claim_cost == 1.0


def test_a_village_officer_adds_police_mediation_sessions_and_a_bonus_in_its_village_only():
    rung = village_rung(
        grid_village=np.array([0, 0, 1, 2]), n_villages=3, sessions_per_day=4.0, scale=0.5,
        skill=0.6, base=4.2, trust_room=np.array([True, False, True]), trust_room_bonus=0.8,
        joint_bonus=0.6, village_office=np.array([False, True, True]),
        police_sessions_per_day=2.0, police_bonus=0.5,
    )  # fmt: skip
    assert rung.pool.rate.tolist() == [2.0, 3.0, 3.0]  # (4 + 2 police) sessions at half scale
    assert rung.bonus_of_grid.tolist() == pytest.approx([1.4, 1.4, 1.1, 1.9])


def test_town_rung_police_travel_costs_hours_unless_a_village_office_is_there():
    rung = town_rung(
        grid_town=np.array([0, 0, 1]), hours_per_day=np.array([20.0, 8.0]), scale=0.5,
        skill=0.7, base=1.3, session_hours=3.0, travel_hours=np.array([0.5, 1.5, 1.0]),
        village_office=np.array([False, True, False]), response_hours=0.0, joint_bonus=0.6,
    )  # fmt: skip
    assert rung.level == Level.TOWN and rung.skill == 0.7 and rung.base == 1.3
    assert rung.unit_of_grid.tolist() == [0, 0, 1]
    assert rung.cost_of_grid.tolist() == [4.0, 3.0, 5.0]  # 3 + 2 x travel, no travel with an office
    assert rung.claim_cost == 3.0  # claimants come to the centre
    assert rung.pool.rate.tolist() == [10.0, 4.0]
    assert rung.pool.max_cost == 5.0
    assert rung.bonus_of_grid.tolist() == [0.6, 0.6, 0.6]
    for _ in range(3):
        rung.pool.refill()
    assert rung.pool.credit.tolist() == [15.0, 9.0]  # banked up to rate + the dearest session
    empty = town_rung(
        grid_town=np.array([], dtype=int), hours_per_day=np.array([1.0]), scale=1.0, skill=0.7,
        base=1.3, session_hours=3.0, travel_hours=np.array([]), village_office=np.array([], bool),
        response_hours=0.1, joint_bonus=0.0,
    )  # fmt: skip
    assert empty.pool.max_cost == 3.0
    near = town_rung(
        grid_town=np.array([0, 0]), hours_per_day=np.array([8.0]), scale=1.0, skill=0.7,
        base=1.3, session_hours=3.0, travel_hours=np.array([1.5, 1.5]),
        village_office=np.array([True, False]), response_hours=0.25, joint_bonus=0.0,
    )  # fmt: skip
    assert near.cost_of_grid.tolist() == [3.5, 6.0]  # the village officer's minutes, not the ferry


def test_town_rung_serves_by_hours_left():
    rung = town_rung(
        grid_town=np.array([0, 0]), hours_per_day=np.array([8.0]), scale=1.0, skill=0.7,
        base=1.3, session_hours=3.0, travel_hours=np.array([0.0, 1.0]),
        village_office=np.array([False, False]), response_hours=0.1, joint_bonus=0.0,
    )  # fmt: skip
    ids, grids = np.array([1, 2, 3]), np.array([1, 0, 0])
    assert rung.serve(ids, grids, claim=np.zeros(3, bool)).tolist() == [1, 2]  # 5 + 3 = 8


def test_petition_rung_is_one_district_office_with_the_supermarket_bonus():
    rung = petition_rung(n_grids=4, sessions_per_day=20.0, scale=0.1, skill=0.7, base=1.6,
                         supermarket=True, supermarket_bonus=2.5)  # fmt: skip
    assert rung.level == Level.DISTRICT and rung.skill == 0.7 and rung.base == 1.6
    assert rung.unit_of_grid.tolist() == [0, 0, 0, 0]
    assert rung.pool.rate.tolist() == [2.0]
    assert rung.bonus_of_grid.tolist() == [2.5] * 4
    assert rung.serve(np.arange(4), np.arange(4), claim=np.zeros(4, bool)).tolist() == [0, 1]
    office = petition_rung(n_grids=4, sessions_per_day=20.0, scale=0.1, skill=0.7, base=1.6,
                           supermarket=False, supermarket_bonus=2.5)  # fmt: skip
    assert office.bonus_of_grid.tolist() == [0.0] * 4


def test_triage_sends_red_to_the_town_and_the_rest_to_the_grid():
    level = triage(np.array([0.1, 0.74, 0.75, 0.9]), red=0.75)
    assert level.tolist() == [Level.GRID, Level.GRID, Level.TOWN, Level.TOWN]
    assert level.dtype == np.int8


def test_village_first_takes_reported_heard_and_an_officers_red_disputes_to_the_committee():
    g, v, t = Level.GRID, Level.VILLAGE, Level.TOWN
    # Yellow disputes: reported by a party, found by a grid worker, heard by the village
    # officer; red ones with and without an officer; a claim sent to the town. The draw
    # decides the reported one and the red one with an officer.
    level = np.array([g, g, g, t, t, t], dtype=np.int8)
    args = {
        "claim": np.array([False, False, False, False, False, True]),
        "reported": np.array([True, False, False, False, False, True]),
        "heard": np.array([False, False, True, False, False, False]),
        "officer_here": np.array([True, True, True, True, False, True]),
        "draw": np.array([0.3, 0.0, 0.9, 0.3, 0.0, 0.0]),
    }
    routed = village_first(level, red_share=0.5, report_share=0.5, **args)
    assert routed.tolist() == [v, g, v, v, t, t]
    assert level.tolist() == [g, g, g, t, t, t]  # the triage's levels are not changed in place
    same = village_first(level, red_share=0.3, report_share=0.3, **args)
    assert same.tolist() == [g, g, v, t, t, t]  # a draw equal to the share stays
    assert village_first(level, red_share=0.0, report_share=1.0, **args).tolist() == [
        v, g, v, t, t, t,
    ]  # fmt: skip
