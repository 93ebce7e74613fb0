"""The spatial rules of sim/model/space.py and the claim rules of sim/model/claims.py,
on small known graphs and scripted draws."""

import mesa
import networkx as nx
import numpy as np
import pytest
from mesa.discrete_space import Network
from scipy import sparse

from sim.model.claims import claim_route, draw_claims
from sim.model.disputes import CLAIM_SHARES, IS_CLAIM_TYPE, Level, Origin
from sim.model.space import PatrolRoutes, adjacency_matrix, mutual_aid, spread_tension


class FixedDraws:
    """A generator whose ``random(n)`` returns the scripted values."""

    def __init__(self, values) -> None:
        self.values = np.asarray(values, dtype=float)

    def random(self, n: int) -> np.ndarray:
        assert n == len(self.values)
        return self.values


def path_graph(n: int) -> sparse.csr_array:
    edges = [(i, i + 1) for i in range(n - 1)]
    rows = [a for a, b in edges] + [b for a, b in edges]
    cols = [b for a, b in edges] + [a for a, b in edges]
    return sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))


# ----------------------------------------------------------------- adjacency
def test_adjacency_matrix_is_the_networks_symmetric_0_1_adjacency():
    graph = nx.MultiGraph()
    graph.add_nodes_from(range(4))
    graph.add_edges_from([(0, 1), (1, 2), (1, 2), (2, 0)])  # 1 - 2 listed twice; 3 alone
    space = Network(graph, random=mesa.Model(rng=1).random)
    a = adjacency_matrix(space).toarray()
    assert a.tolist() == [[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]]


# ----------------------------------------------------------------- mutual aid
def test_mutual_aid_changes_nothing_when_every_grid_has_capacity_or_share_is_zero():
    a = path_graph(3)
    assert mutual_aid(a, np.array([5.0, 1.0, 2.0]), share=0.5).tolist() == [0.0, 0.0, 0.0]
    assert mutual_aid(a, np.array([5.0, 0.0, 2.0]), share=0.0).tolist() == [0.0, 0.0, 0.0]
    assert mutual_aid(a, np.array([5.0, 0.0, 2.0]), share=-0.1).tolist() == [0.0, 0.0, 0.0]


def test_mutual_aid_lends_a_share_split_between_uncovered_neighbours():
    # Star: 0 at the centre with 10 visits; 1 and 2 uncovered; 3 has 4 visits.
    a = sparse.csr_array((np.ones(6), ([0, 1, 0, 2, 0, 3], [1, 0, 2, 0, 3, 0])), shape=(4, 4))
    change = mutual_aid(a, np.array([10.0, 0.0, 0.0, 4.0]), share=0.3)
    assert change.tolist() == pytest.approx([-3.0, 1.5, 1.5, 0.0])  # grid 3 has no needy neighbour
    # An uncovered grid between two lenders gets from both.
    change = mutual_aid(path_graph(3), np.array([10.0, -1.0, 6.0]), share=0.5)
    assert change.tolist() == pytest.approx([-5.0, 8.0, -3.0])


# ----------------------------------------------------------------- tension
def test_tension_adds_per_incident_here_and_spread_next_door_up_to_the_ceiling():
    a = path_graph(4)
    tension = spread_tension(a, np.array([0.1, 0.0, 0.0, 0.5]), np.array([0.0, 2.0, 0.0, 0.0]),
                             per_incident=0.3, spread=0.25, ceiling=0.55)  # fmt: skip
    assert tension.tolist() == pytest.approx([0.1 + 0.15, 0.55, 0.15, 0.5])
    unchanged = spread_tension(a, np.array([0.2, 0.9, 0.0, 0.0]), np.zeros(4), per_incident=0.3,
                               spread=0.25, ceiling=0.5)  # fmt: skip
    assert unchanged.tolist() == pytest.approx(
        [0.2, 0.5, 0.0, 0.0]
    )  # capped even without incidents


# ----------------------------------------------------------------- patrol routes
def test_patrol_routes_are_each_grid_and_its_neighbours_in_the_same_area():
    routes = PatrolRoutes.within(path_graph(5), np.array([0, 0, 1, 1, -1]))
    assert routes.indptr.tolist() == [0, 2, 4, 6, 8, 9]
    assert routes.indices.tolist() == [0, 1, 0, 1, 2, 3, 2, 3, 4]  # grid 4: no area, stays
    assert routes.indptr.dtype == np.int64 and routes.indices.dtype == np.int64


def test_a_patrol_steps_to_the_candidate_its_draw_picks_evenly_or_by_weight():
    routes = PatrolRoutes.within(path_graph(4), np.zeros(4, dtype=int))
    # Candidates of grid 1: 0, 1, 2; of grid 3: 2, 3.
    here = np.array([1, 1, 1, 3, 3])
    u = FixedDraws([0.0, 0.34, 0.99, 0.49, 0.5])
    assert routes.step(here, weights=None, rng=u).tolist() == [0, 1, 2, 2, 3]
    weights = np.array([1.0, 1.0, 2.0, 4.0])  # from grid 1: 0 [0, .25), 1 [.25, .5), 2 [.5, 1)
    u = FixedDraws([0.24, 0.25, 0.5, 0.99, 0.33])  # from grid 3: 2 [0, 1/3), 3 [1/3, 1)
    assert routes.step(here, weights=weights, rng=u).tolist() == [0, 1, 2, 3, 2]
    u = FixedDraws([0.34])
    assert routes.step(np.array([3]), weights=weights, rng=u).tolist() == [3]
    u = FixedDraws([0.49, 0.5])  # from grid 0: 0 [0, .5), 1 [.5, 1)
    assert routes.step(np.array([0, 0]), weights=weights, rng=u).tolist() == [0, 1]


def test_a_patrol_whose_candidates_all_weigh_nothing_stays_among_them():
    star = sparse.csr_array((np.ones(6), ([0, 1, 0, 2, 0, 3], [1, 0, 2, 0, 3, 0])), shape=(4, 4))
    routes = PatrolRoutes.within(star, np.zeros(4, dtype=int))
    weights = np.array([0.0, 0.0, 0.0, 7.0])  # only grid 3, not next to grid 1, draws patrols
    for u in (0.0, 0.5, 0.99):
        assert routes.step(np.array([1]), weights=weights, rng=FixedDraws([u])).tolist()[0] in {
            0, 1
        }  # fmt: skip


def test_a_weighted_step_never_leaves_the_candidates():
    routes = PatrolRoutes.within(path_graph(4), np.zeros(4, dtype=int))
    weights = np.array([5.0, 0.0, 0.0, 5.0])
    u = FixedDraws([0.0, 0.5, 0.999999])
    assert set(routes.step(np.array([1, 1, 1]), weights=weights, rng=u).tolist()) <= {0, 1, 2}
    assert routes.step(np.array([2]), weights=np.zeros(4), rng=FixedDraws([0.7])).tolist()[0] in {
        1,
        2,
        3,
    }


# ----------------------------------------------------------------- claims
def test_claim_route_staff_finds_go_to_town_filed_ones_by_their_draw():
    by_staff = np.array([True, True, False, False, False])
    level = claim_route(by_staff, to_district_share=0.3, rng=FixedDraws([0.0, 0.1, 0.29, 0.3, 0.9]))
    assert level.tolist() == [Level.TOWN, Level.TOWN, Level.DISTRICT, Level.TOWN, Level.TOWN]
    assert level.dtype == np.int8


def test_draw_claims_in_their_grids_by_the_published_subjects():
    rng = np.random.default_rng(7)
    n = 12_000
    residents = np.array([50, 30])
    claims = draw_claims(
        np.array([n - 2000, 2000]), rng=rng, grid_start=np.array([0, 50, 80]),
        residents_per_grid=residents, group_share=0.3, group_size_mean=20,
        initial_intensity=0.35, today=4,
    )  # fmt: skip
    g, a = claims["grid"], claims["party_a"]
    assert g.tolist() == [0] * (n - 2000) + [1] * 2000
    assert ((a >= np.array([0, 50])[g]) & (a < np.array([50, 80])[g])).all()
    assert (claims["party_b"] == -1).all()
    assert (claims["origin"] == Origin.CLAIM).all() and claims["origin"].dtype == np.int8
    assert IS_CLAIM_TYPE[claims["kind"]].all()
    shares = np.bincount(claims["kind"], minlength=len(CLAIM_SHARES)) / n
    margin = 4 * np.sqrt(CLAIM_SHARES * (1 - CLAIM_SHARES) / n) + 1e-9
    assert (np.abs(shares - CLAIM_SHARES) <= margin).all()
    group = claims["is_group"]
    assert abs(group.mean() - 0.3) < 4 * np.sqrt(0.21 / n)
    assert (claims["n_parties"][~group] == 1).all()
    assert (claims["n_parties"][group] >= 3).all()
    assert abs(claims["n_parties"][group].mean() - 20) < 0.3
    assert abs(claims["intensity"].mean() - 0.35) < 0.01
    assert abs(claims["intensity"].std() - 0.12) < 0.01
    assert ((claims["arrived"] >= 4) & (claims["arrived"] < 5)).all()
    assert abs(claims["arrived"].mean() - 4.5) < 0.02
    assert claims["party_a"].dtype.kind == "i"  # resident ids


def test_groups_of_three_on_average_are_groups_of_exactly_three():
    claims = draw_claims(
        np.array([500]), rng=np.random.default_rng(8), grid_start=np.array([0, 50]),
        residents_per_grid=np.array([50]), group_share=0.5, group_size_mean=3,
        initial_intensity=0.35, today=0,
    )  # fmt: skip
    assert claims["is_group"].any()
    assert (claims["n_parties"][claims["is_group"]] == 3).all()
