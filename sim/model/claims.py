"""Direct claims: residents' claims against employers, the government or services.

Most petitions are not disputes between neighbours but claims such as wage
arrears, land acquisition and compensation, social security, housing and
construction, or public services (design section 3). A claim arises in a
grid (often for a group: 42 workers' unpaid wages in the news report) and
stays latent until the claimant files it (hotline, walk-in, online) or a grid
worker or patrol picks up the weak signal first. A claim found by staff goes
to the town comprehensive-governance centre (L3), whose departments, mediators
and legal advisers take it up; a filed claim goes to the town centre or,
with ``claims.to_district_share``, straight to the district petition
supermarket (L4). From there it follows the ladder as a dispute does.
"""

from __future__ import annotations

import numpy as np

from sim.model.disputes import CLAIM_CDF, Level, Origin, beta_mean_sd
from sim.model.streams import draw_by_shares


def draw_claims(
    counts: np.ndarray,
    *,
    rng: np.random.Generator,
    grid_start: np.ndarray,
    residents_per_grid: np.ndarray,
    group_share: float,
    group_size_mean: float,
    initial_intensity: float,
    today: int,
) -> dict[str, np.ndarray]:
    """New claims, ``counts[g]`` in grid g: the columns of :meth:`DisputeBook.add`.

    The subject follows the published shares (:data:`sim.model.disputes.DISPUTE_TYPES`);
    the claimant is one resident of the grid, who speaks for ``n_parties``
    people in a group claim.
    """
    n = int(counts.sum())
    grids = np.repeat(np.arange(len(counts)), counts)
    kinds = draw_by_shares(rng, CLAIM_CDF, n)
    is_group = rng.random(n) < group_share
    claimant = grid_start[grids] + (rng.random(n) * residents_per_grid[grids]).astype(np.int64)
    n_parties = np.where(is_group, 3 + rng.poisson(max(group_size_mean - 3, 0), n), 1)
    a, b = beta_mean_sd(initial_intensity, 0.12)
    return {
        "kind": kinds,
        "grid": grids,
        "party_a": claimant,
        "party_b": np.full(n, -1),
        "n_parties": n_parties,
        "is_group": is_group,
        "intensity": rng.beta(a, b, n),
        "arrived": today + rng.random(n),
        "origin": np.full(n, Origin.CLAIM, dtype=np.int8),
    }


def claim_route(
    by_staff: np.ndarray, *, to_district_share: float, rng: np.random.Generator
) -> np.ndarray:
    """Where detected claims go: the town centre (L3) if staff found them first; a filed claim
    goes to the district petition supermarket (L4) with ``to_district_share``, else the town."""
    direct = ~by_staff & (rng.random(len(by_staff)) < to_district_share)
    return np.where(direct, Level.DISTRICT, Level.TOWN).astype(np.int8)
