"""The spatial processes on a small known graph, and where direct claims are routed."""

import numpy as np
import pytest
from scipy import sparse

from sim.model.claims import claim_route
from sim.model.disputes import Level
from sim.model.space import PatrolRoutes, mutual_aid, spread_tension

# A path 0 - 1 - 2 - 3 - 4.
EDGES = [(0, 1), (1, 2), (2, 3), (3, 4)]
A = sparse.csr_array(
    (np.ones(8), ([a for a, b in EDGES] + [b for a, b in EDGES],
                  [b for a, b in EDGES] + [a for a, b in EDGES])), shape=(5, 5),
)  # fmt: skip


def test_mutual_aid_lends_from_neighbours_only_and_loses_nothing():
    capacity = np.array([10.0, 0.0, 20.0, 0.0, 0.0])
    change = mutual_aid(A, capacity, share=0.2)
    # Grid 1 gets 0.2 of grid 0's 10 and half of grid 2's 4 (grid 2 also helps grid 3).
    assert change == pytest.approx([-2.0, 4.0, -4.0, 2.0, 0.0])
    assert abs(change.sum()) < 1e-12
    assert change[4] == 0  # no neighbour with workers: nobody comes
    assert not mutual_aid(A, capacity, share=0.0).any()


def test_tension_goes_to_the_grid_and_its_neighbours_up_to_the_ceiling():
    incidents = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    tension = spread_tension(A, np.zeros(5), incidents, per_incident=0.4, spread=0.5, ceiling=10)
    assert tension.tolist() == pytest.approx([0.0, 0.2, 0.4, 0.2, 0.0])
    capped = spread_tension(A, tension, 5 * incidents, per_incident=0.4, spread=0.5, ceiling=1.0)
    assert capped.max() == 1.0 and capped[0] == 0.0


def test_patrols_walk_to_adjacent_grids_of_their_own_area():
    routes = PatrolRoutes.within(A, grid_area=np.array([0, 0, 0, 3, 3]))
    rng = np.random.default_rng(1)
    here = np.repeat([0, 2, 3], 400)
    to = routes.step(here, weights=None, rng=rng)
    assert set(to[here == 0]) == {0, 1}
    assert set(to[here == 2]) == {1, 2}  # grid 3 is next door but in another area
    assert set(to[here == 3]) == {3, 4}
    heavy = routes.step(np.full(400, 1), weights=np.array([1.0, 1.0, 100.0, 1.0, 1.0]), rng=rng)
    assert set(heavy) <= {0, 1, 2} and (heavy == 2).mean() > 0.9  # drawn to the hot grid


def test_claims_found_by_staff_go_to_the_town_and_filed_ones_partly_to_the_district():
    rng = np.random.default_rng(0)
    by_staff = np.array([True] * 1000 + [False] * 1000)
    level = claim_route(by_staff, to_district_share=0.3, rng=rng)
    assert (level[:1000] == Level.TOWN).all()
    direct = (level[1000:] == Level.DISTRICT).mean()
    assert abs(direct - 0.3) < 4 * np.sqrt(0.3 * 0.7 / 1000)  # within 4 binomial SDs
