"""Where the map's adjacency acts: tension spreading from incidents, mutual aid between grid
workers of adjacent grids, and Yi Police patrols walking along adjacent grids.

Every process reads the adjacency of the model's Mesa ``Network`` (``model.space``)
once, as a sparse matrix, so that a different network (a shuffled one, in the
tests) changes the spatial pattern of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mesa.discrete_space import Network
from scipy import sparse


def adjacency_matrix(space: Network) -> sparse.csr_array:
    """The symmetric 0/1 adjacency of the network's cells (cell ``coordinate`` = grid index)."""
    rows, cols = [], []
    for cell in space.all_cells:
        for neighbour in cell.connections.values():  # its neighbourhood, without making one
            rows.append(cell.coordinate)
            cols.append(neighbour.coordinate)
    n = len(space.all_cells)
    data = np.ones(len(rows))
    matrix = sparse.csr_array((data, (rows, cols)), shape=(n, n))
    matrix.data[:] = 1.0  # a pair listed twice is still one edge
    return matrix


def mutual_aid(adjacency: sparse.csr_array, capacity: np.ndarray, *, share: float) -> np.ndarray:
    """Visits lent between adjacent grids: the change in each grid's visit capacity today.

    A grid with no visit capacity (its workers all away, or none posted) is
    visited by the workers of adjacent grids: each grid with capacity lends
    ``share`` of it, split evenly between its uncovered neighbours, and loses
    what it lends. The change sums to zero.
    """
    uncovered = (capacity <= 0).astype(float)
    if share <= 0 or not uncovered.any():
        return np.zeros_like(capacity)
    needy = adjacency @ uncovered  # uncovered neighbours of each grid
    lent = np.where(needy > 0, share * capacity, 0.0)
    received = (adjacency @ (lent / np.maximum(needy, 1.0))) * uncovered
    return received - lent


def spread_tension(
    adjacency: sparse.csr_array,
    tension: np.ndarray,
    incidents: np.ndarray,
    *,
    per_incident: float,
    spread: float,
    ceiling: float,
) -> np.ndarray:
    """Tension after today's incidents: ``per_incident`` in the incident's grid and
    ``spread`` times that in each adjacent grid (the local contagion of Epstein's model),
    at most ``ceiling``, so that incidents breeding incidents cannot run away."""
    raised = tension + per_incident * (incidents + spread * (adjacency @ incidents))
    return np.minimum(raised, ceiling)


@dataclass(frozen=True)
class PatrolRoutes:
    """Where a patrol may go next from each grid: itself and the adjacent grids of its area.

    ``indptr``/``indices`` are a CSR list per grid (like scipy's): the
    candidates of grid g are ``indices[indptr[g]:indptr[g + 1]]``.
    """

    indptr: np.ndarray
    indices: np.ndarray

    @classmethod
    def within(cls, adjacency: sparse.csr_array, grid_area: np.ndarray) -> PatrolRoutes:
        """Routes along the adjacency that stay in each grid's patrol area (-1: no area)."""
        a = adjacency.tocoo()
        same = (grid_area[a.row] == grid_area[a.col]) & (grid_area[a.row] >= 0)
        n = len(grid_area)
        rows = np.concatenate([np.arange(n), a.row[same]])
        cols = np.concatenate([np.arange(n), a.col[same]])
        routes = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        routes.sort_indices()
        return cls(routes.indptr.astype(np.int64), routes.indices.astype(np.int64))

    def step(
        self, here: np.ndarray, *, weights: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        """One move of each patrol at ``here``: to a candidate grid, by ``weights`` (None: evenly)."""
        start, stop = self.indptr[here], self.indptr[here + 1]
        u = rng.random(len(here))
        if weights is None:
            return self.indices[start + (u * (stop - start)).astype(np.int64)]
        cumulative = np.concatenate([[0.0], np.cumsum(weights[self.indices])])
        low, high = cumulative[start], cumulative[stop]
        pick = np.searchsorted(cumulative, low + u * (high - low), side="right") - 1
        return self.indices[np.clip(pick, start, stop - 1)]
