"""The staffing rules of sim/model/staffing.py on a hand-built map of six grids.

Two towns (Muzhou and Sanjiang, named as in the district table); Muzhou has
villages 0 (grids 0, 1) and 1 (grid 2), Sanjiang villages 2 (grid 3) and 3
(grids 4, 5), which is a community. The order of the trust rooms is also checked on the
district's map, whose many villages include some of equal size.
"""

import dataclasses

import numpy as np
import pytest

from sim.model.district import load_district_table
from sim.model.geography import Geography, load_geography
from sim.model.parameters import ParameterError, resolve
from sim.model.places import Places
from sim.model.staffing import (
    allocate_grid_workers,
    annual_cost,
    expected_disputes,
    grid_weights,
    grid_workers_by_grid,
    office_villages,
    plan_from_settings,
    town_changes,
    trust_room_order,
    trust_room_villages,
    volunteers_by_unit,
    workers_in_grids,
    yi_police_teams,
)

POPULATION = np.array([100, 300, 200, 400, 100, 100])
RISK = np.array([1.0, 1.0, 2.0, 0.5, 1.0, 3.0])


def small_map() -> Geography:
    return Geography(
        grid_ids=[f"G{g}" for g in range(6)],
        town_names=["Muzhou", "Sanjiang"],
        grid_town=np.array([0, 0, 0, 1, 1, 1]),
        village_names=["Alpha", "Beta", "Gamma", "Delta"],
        village_town=np.array([0, 0, 1, 1]),
        village_is_community=np.array([False, False, False, True]),
        grid_village=np.array([0, 0, 1, 2, 3, 3]),
        grid_population=POPULATION.copy(),
        grid_area_km2=np.ones(6),
        centroids=np.array(
            [[0.0, 1.0], [1.0, 0.0], [0.0, -1.0], [10.0, 1.0], [11.0, 0.0], [10.0, -1.0]]
        ),
        travel_hours=np.zeros(6),
        station=np.array([1, 3]),
        edges=[(0, 1), (1, 2), (3, 4), (4, 5)],
        polygons=[[] for _ in range(6)],
        village_names_zh=["", "", "", ""],
        village_codes=["C0", "C1", "C2", "C3"],
    )


# ----------------------------------------------------------------- grid workers
def test_grid_weights_by_rule():
    geo = small_map()
    assert grid_weights(geo, "equal", RISK).tolist() == [1.0] * 6
    assert grid_weights(geo, "population", RISK).tolist() == POPULATION.tolist()
    assert grid_weights(geo, "risk", RISK).tolist() == (POPULATION * RISK).tolist()


def test_allocate_grid_workers_one_per_grid_then_the_rest_by_the_rule():
    geo = small_map()
    # 12 = 6 minimums + 6 more. By population (1200): quotas 1, 3, 2, 4, 1, 1.
    assert allocate_grid_workers(geo, total=12, rule="population", risk=RISK).tolist() == [
        1, 3, 2, 4, 1, 1
    ]  # fmt: skip
    assert allocate_grid_workers(geo, total=12, rule="equal", risk=RISK).tolist() == [2] * 6
    # By risk: weights 100, 300, 400, 200, 100, 300 (of 1400).
    assert allocate_grid_workers(geo, total=14, rule="risk", risk=RISK).tolist() == [
        1, 3, 4, 2, 1, 3
    ]  # fmt: skip
    # Fewer workers than grids: no minimum, the largest grids first.
    assert allocate_grid_workers(geo, total=3, rule="population", risk=RISK).tolist() == [
        0, 1, 1, 1, 0, 0
    ]  # fmt: skip
    assert allocate_grid_workers(geo, total=6, rule="population", risk=RISK).tolist() == [1] * 6


def test_workers_in_grids_shares_each_units_number_over_its_grids():
    geo = small_map()
    per_unit = np.array([4, 0, 1, 3])
    workers = workers_in_grids(geo, per_unit, rule="population", risk=RISK)
    assert workers.tolist() == [1, 3, 0, 1, 2, 1]  # unit 3: 1 each, the extra to grid 4 (tie)
    assert workers.dtype == np.int64
    assert workers_in_grids(geo, np.array([1, 0, 0, 0]), rule="equal", risk=RISK).tolist() == [
        1, 0, 0, 0, 0, 0
    ]  # fmt: skip


def test_workers_in_grids_answers_a_repeated_plan_afresh_and_a_changed_one_anew():
    # A process shares out a plan once (a warm evaluation repeats it): the answer of a repeat is
    # a copy (changing it changes no later answer), and a new number or rule is shared out anew.
    geo = small_map()
    first = workers_in_grids(geo, np.array([4, 0, 1, 3]), rule="population", risk=RISK)
    first[:] = 99
    again = workers_in_grids(geo, np.array([4, 0, 1, 3]), rule="population", risk=RISK)
    assert again.tolist() == [1, 3, 0, 1, 2, 1]
    assert workers_in_grids(geo, np.array([4, 0, 1, 2]), rule="population", risk=RISK).tolist() == [
        1, 3, 0, 1, 1, 1
    ]  # fmt: skip
    assert workers_in_grids(geo, np.array([4, 0, 1, 3]), rule="equal", risk=RISK).tolist() == [
        2, 2, 0, 1, 2, 1
    ]  # fmt: skip


def test_town_changes_set_then_add_and_refuse_fewer_than_none():
    places = Places(small_map())
    base = np.array([10, 20])
    assert town_changes(base, by_town={1: 5}, add={0: -3, 1: 2}, places=places, key="k",
                        what="staff").tolist() == [7, 7]  # fmt: skip
    assert base.tolist() == [10, 20]  # not changed in place
    assert town_changes(base, by_town={}, add={0: -10}, places=places, key="k",
                        what="staff").tolist() == [0, 20]  # fmt: skip
    with pytest.raises(ParameterError, match=r"k\.add\.Muzhou: -11 would leave Muzhou with -1 "
                                             r"grid workers \(it has 10\)"):  # fmt: skip
        town_changes(base, by_town={}, add={0: -11}, places=places, key="k", what="grid workers")


def test_grid_workers_by_grid_from_the_settings_with_a_towns_new_number():
    geo = small_map()
    p = resolve({"grid_workers.total": 12, "grid_workers.allocation": "population"})
    assert grid_workers_by_grid(geo, p, RISK, Places(geo)).tolist() == [1, 3, 2, 4, 1, 1]
    p = resolve({"grid_workers.total": 12, "grid_workers.allocation": "population",
                 "grid_workers.add": {"Sanjiang": 2}})  # fmt: skip
    # Sanjiang 6 + 2 = 8 over its grids by population (400, 100, 100): 1 each, then 4, 1, 0.
    assert grid_workers_by_grid(geo, p, RISK, Places(geo)).tolist() == [1, 3, 2, 5, 2, 1]
    p = resolve({"grid_workers.total": 12, "grid_workers.allocation": "equal",
                 "grid_workers.by_town": {"Muzhou": 2}})  # fmt: skip
    assert grid_workers_by_grid(geo, p, RISK, Places(geo)).tolist() == [
        1,
        1,
        0,
        2,
        2,
        2,
    ]  # ties: first


# ----------------------------------------------------------------- Yi Police
def test_volunteers_by_unit_over_the_towns_by_population_then_units_by_residents():
    geo = small_map()
    p = resolve({"volunteer_police.total": 60, "volunteer_police.towns": ["Muzhou", "Sanjiang"]})
    # Towns 600 and 600 residents: 30 each; Muzhou's units 400, 200; Sanjiang's 400, 200.
    assert volunteers_by_unit(geo, p, Places(geo)).tolist() == [20, 10, 20, 10]
    p = resolve({"volunteer_police.total": 60, "volunteer_police.towns": ["Muzhou"],
                 "volunteer_police.add": {"Sanjiang": 3}})  # fmt: skip
    assert volunteers_by_unit(geo, p, Places(geo)).tolist() == [40, 20, 2, 1]
    assert volunteers_by_unit(geo, p, Places(geo)).dtype == np.int64  # whole volunteers
    p = resolve({"volunteer_police.total": 60, "volunteer_police.towns": "none",
                 "volunteer_police.by_town": {"Muzhou": 6}})  # fmt: skip
    assert volunteers_by_unit(geo, p, Places(geo)).tolist() == [4, 2, 0, 0]


def test_yi_police_teams_live_in_their_unit_and_split_into_teams_of_about_the_size():
    geo = small_map()
    teams = yi_police_teams(geo, np.array([20, 10, 0, 0]), team_size=8, areas_per_town=2,
                            rng=np.random.default_rng(1))  # fmt: skip
    assert {t.town for t in teams} == {0}
    assert sum(t.members for t in teams) == 30
    for team in teams:
        assert set(team.area.tolist()) <= {0, 1, 2} and len(team.area) >= 1
        assert np.isin(team.homes, team.area).all()  # members live in their team's area
        assert 4 <= team.members <= 12
    areas = {tuple(t.area.tolist()) for t in teams}
    assert len(areas) == 2 and sorted(g for a in areas for g in a) == [0, 1, 2]
    homes = np.concatenate([t.homes for t in teams])
    assert np.bincount(geo.grid_village[homes], minlength=4).tolist() == [20, 10, 0, 0]
    one = yi_police_teams(geo, np.array([0, 0, 0, 5]), team_size=16, areas_per_town=5,
                          rng=np.random.default_rng(2))  # fmt: skip
    assert all(t.town == 1 for t in one) and sum(t.members for t in one) == 5
    assert all(len(t.area) == 1 for t in one)  # three grids: at most three areas
    lone = yi_police_teams(geo, np.array([1, 0, 0, 0]), team_size=16, areas_per_town=1,
                           rng=np.random.default_rng(4))  # fmt: skip
    assert [(t.town, t.members) for t in lone] == [(0, 1)]  # a single volunteer is a team
    assert yi_police_teams(geo, np.zeros(4, int), team_size=16, areas_per_town=3,
                           rng=np.random.default_rng(3)) == []  # fmt: skip


def three_grid_town() -> Geography:
    """One town of three grids, a village each, around a population-weighted centre."""
    return Geography(
        grid_ids=["A", "B", "C"],
        town_names=["Muzhou"],
        grid_town=np.zeros(3, dtype=int),
        village_names=["Alpha", "Beta", "Gamma"],
        village_town=np.zeros(3, dtype=int),
        village_is_community=np.zeros(3, dtype=bool),
        grid_village=np.arange(3),
        grid_population=np.array([0, 0, 3]),
        grid_area_km2=np.ones(3),
        centroids=np.array([[-1.0, 0.0], [1.0, 0.3], [1.0, -0.1]]),
        travel_hours=np.zeros(3),
        station=np.array([0]),
        edges=[(0, 1), (1, 2)],
        polygons=[[] for _ in range(3)],
        village_names_zh=["", "", ""],
        village_codes=["C0", "C1", "C2"],
    )


def test_yi_police_areas_are_sectors_around_the_population_weighted_centre():
    # Weights population + 1 (1, 1, 4): the centre (0.67, -0.017) lies below grid A, so A is
    # the last by angle (just under +180 degrees): areas [C, B] and [A]. Weights of population
    # + 2 put the centre above A (A first: areas [A, C] and [B]); of population - 1 they sum
    # to zero (no centre).
    teams = yi_police_teams(three_grid_town(), np.array([1, 1, 1]), team_size=1,
                            areas_per_town=2, rng=np.random.default_rng(1))  # fmt: skip
    assert sorted(t.area.tolist() for t in teams) == [[0], [2, 1], [2, 1]]


def test_yi_police_teams_of_each_area_after_an_area_with_none():
    # An area per grid, by angle: C (no volunteer), B (40), A (3). Teams of about 8: B's 40
    # make five teams of 8, A's 3 one team of 3 (fewer than half a team still make one).
    teams = yi_police_teams(three_grid_town(), np.array([3, 40, 0]), team_size=8,
                            areas_per_town=3, rng=np.random.default_rng(1))  # fmt: skip
    assert sorted((t.area.tolist(), t.members) for t in teams) == [([0], 3)] + [([1], 8)] * 5


def test_yi_police_homes_are_drawn_town_by_town_for_each_towns_own_units_only():
    # The draws the seed decides: town by town, for each of the town's units with volunteers,
    # in order, a grid of the unit for each volunteer. With one area a town, its teams hold
    # its homes in the order drawn.
    geo, per_unit = small_map(), np.array([20, 10, 30, 40])
    rng = np.random.default_rng(5)
    expected = {0: [], 1: []}
    for town, units in ((0, (0, 1)), (1, (2, 3))):
        for v in units:
            grids = np.flatnonzero(geo.grid_village == v)
            expected[town] += grids[rng.integers(len(grids), size=per_unit[v])].tolist()
    teams = yi_police_teams(geo, per_unit, team_size=10, areas_per_town=1,
                            rng=np.random.default_rng(5))  # fmt: skip
    for town, homes in expected.items():
        assert [h for t in teams if t.town == town for h in t.homes.tolist()] == homes


# ----------------------------------------------------------------- trust rooms, offices
def test_expected_disputes_are_residents_times_risk_per_unit():
    assert expected_disputes(small_map(), RISK).tolist() == [400.0, 400.0, 200.0, 400.0]
    no_grid_in_the_last = dataclasses.replace(
        small_map(), grid_village=np.array([0, 0, 1, 2, 2, 2])
    )
    assert expected_disputes(no_grid_in_the_last, RISK).tolist() == [400.0, 400.0, 600.0, 0.0]


def test_trust_room_order_by_rule():
    geo = small_map()
    assert trust_room_order(geo, "largest", RISK).tolist() == [0, 2, 1, 3]  # 400, 400, 200, 200
    assert trust_room_order(geo, "most_disputes", RISK).tolist() == [0, 1, 3, 2]
    # Published: Muzhou's largest villages first (the table gives it 15 rooms), communities
    # never first; then the others by residents.
    assert trust_room_order(geo, "published", RISK).tolist() == [0, 1, 2, 3]


def test_trust_room_villages_listed_first_then_by_the_rule():
    geo = small_map()
    assert trust_room_villages(geo, 2, rule="largest").tolist() == [True, False, True, False]
    rooms = trust_room_villages(geo, 2, rule="most_disputes", listed=np.array([3]), risk=RISK)
    assert rooms.tolist() == [True, False, False, True]
    assert trust_room_villages(geo, 9, rule="largest").tolist() == [True] * 4
    only = trust_room_villages(geo, 0, rule="listed", listed=np.array([1, 2]))
    assert only.tolist() == [False, True, True, False]
    with pytest.raises(
        ParameterError,
        match=r"mediation\.trust_rooms: 1 is fewer than the 2 villages listed in mediation\."
        r'trust_room_villages \(raise it, or set mediation\.trust_room_rule = "listed"\)$',
    ):
        trust_room_villages(geo, 1, rule="largest", listed=np.array([1, 2]))


def test_trust_room_villages_take_an_empty_or_a_full_list_and_a_uniform_risk_by_default():
    geo = small_map()
    by_size = trust_room_villages(geo, 2, rule="largest")
    assert trust_room_villages(geo, 2, rule="largest", listed=[]).tolist() == by_size.tolist()
    # as many villages listed as rooms: exactly those
    exactly = trust_room_villages(geo, 2, rule="largest", listed=[1, 3])
    assert exactly.tolist() == [False, True, False, True]
    # without a risk every grid's is 1: the most disputes are where the most residents are
    assert trust_room_villages(geo, 2, rule="most_disputes").tolist() == by_size.tolist()


def _district_order() -> tuple[Geography, np.ndarray, np.ndarray]:
    geo = load_geography()
    population = np.bincount(geo.grid_village, geo.grid_population, geo.n_villages)
    by_size = np.lexsort((np.arange(geo.n_villages), -population))  # ties in map order
    return geo, population, by_size


def test_trust_room_order_breaks_ties_in_map_order_on_the_district_map():
    # Ten sizes are shared by two villages or more, and numpy's default sort would order
    # those ties otherwise: the order must not depend on the sort's algorithm.
    geo, _, by_size = _district_order()
    risk = np.ones(geo.n_grids)
    assert trust_room_order(geo, "largest", risk).tolist() == by_size.tolist()
    assert trust_room_order(geo, "most_disputes", risk).tolist() == by_size.tolist()


def test_published_trust_rooms_go_first_to_each_towns_largest_villages():
    geo, population, by_size = _district_order()
    published = {t.name: t.trust_room_villages for t in load_district_table()}
    order = trust_room_order(geo, "published", np.ones(geo.n_grids))
    first: list[int] = []
    for t, town in enumerate(geo.town_names):
        villages = by_size[(geo.village_town[by_size] == t) & ~geo.village_is_community[by_size]]
        first += villages[: published[town]].tolist()
    assert len(first) == 15  # Muzhou's, as in the article
    assert order[: len(first)].tolist() == sorted(first, key=lambda v: (-population[v], v))
    assert order[len(first) :].tolist() == [v for v in by_size if v not in first]


def test_a_town_the_district_table_does_not_list_has_no_published_trust_rooms():
    geo, _, by_size = _district_order()
    unlisted = dataclasses.replace(geo, town_names=[f"Town {t}" for t in range(geo.n_towns)])
    order = trust_room_order(unlisted, "published", np.ones(geo.n_grids))
    assert order.tolist() == by_size.tolist()  # by residents alone


def test_office_villages_by_all_none_town_or_unit():
    geo, places = small_map(), Places(small_map())
    assert office_villages(geo, "all", places).tolist() == [True] * 4
    assert office_villages(geo, "none", places).tolist() == [False] * 4
    assert office_villages(geo, ["Sanjiang"], places).tolist() == [False, False, True, True]
    assert office_villages(geo, ["C1", "Muzhou/Alpha"], places).tolist() == [True, True, False,
                                                                             False]  # fmt: skip
    with pytest.raises(ParameterError, match=r"police\.village_offices\[1\]: 'Nowhere' is neither"):
        office_villages(geo, ["Muzhou", "Nowhere"], places)


def test_plan_from_settings_gathers_every_unit_number():
    geo = small_map()
    p = resolve({
        "grid_workers.total": 12, "grid_workers.allocation": "population",
        "volunteer_police.total": 60, "volunteer_police.towns": ["Muzhou", "Sanjiang"],
        "mediation.trust_rooms": 1, "mediation.trust_room_rule": "largest",
        "police.village_offices": ["Sanjiang"],
    })  # fmt: skip
    plan = plan_from_settings(geo, p, RISK)
    assert plan.grid_workers.tolist() == [4, 2, 4, 2]
    assert plan.volunteer_police.tolist() == [20, 10, 20, 10]
    assert plan.trust_room.tolist() == [True, False, False, False]
    assert plan.village_office.tolist() == [False, False, True, True]
    assert plan.grid_workers.dtype == np.int64  # whole grid workers, written as such
    # The rooms by the villages' expected disputes read the risk given: order 0, 1, 3, 2.
    busiest = plan_from_settings(geo, p | {"mediation.trust_rooms": 2,
                                           "mediation.trust_room_rule": "most_disputes"}, RISK)  # fmt: skip
    assert busiest.trust_room.tolist() == [True, True, False, False]


# ----------------------------------------------------------------- cost
def test_annual_cost_sums_each_lever_at_its_price_and_the_supermarkets_share():
    costs = {"grid_worker": 6.0, "volunteer_police": 0.3, "police_officer": 15.0,
             "trust_room": 2.0, "petition_supermarket": 300.0}  # fmt: skip
    kw = dict(grid_workers=10, volunteers=100, officers=4, trust_rooms=3, population_share=0.25,
              costs=costs)  # fmt: skip
    assert annual_cost(**kw, supermarket=True) == pytest.approx(60 + 30 + 60 + 6 + 75)
    assert annual_cost(**kw, supermarket=False) == pytest.approx(60 + 30 + 60 + 6)


def test_published_trust_rooms_go_to_the_largest_villages_of_a_town_with_more_than_its_rooms():
    # On the district's map Muzhou has as many villages as rooms (15); here one town named
    # Muzhou holds every village of the district, so only its 15 largest villages come first.
    geo, _, by_size = _district_order()
    one_town = dataclasses.replace(
        geo,
        town_names=["Muzhou"],
        grid_town=np.zeros(geo.n_grids, dtype=np.int64),
        village_town=np.zeros(geo.n_villages, dtype=np.int64),
    )
    order = trust_room_order(one_town, "published", np.ones(geo.n_grids))
    first = [v for v in by_size if not geo.village_is_community[v]][:15]
    assert order[:15].tolist() == first
    assert order[15:].tolist() == [v for v in by_size if v not in first]
