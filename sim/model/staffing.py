"""Staffing policies: where grid workers, Yi Police, village police and trust rooms go, and their cost.

Totals are district-wide policies. Allocations are computed over the whole map
and then restricted to the simulated towns, so simulating Muzhou alone shows
Muzhou with the staff the district policy gives it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.geography import Geography, largest_remainder, load_district_table


def allocate_grid_workers(geo: Geography, *, total: int, rule: str, risk: np.ndarray) -> np.ndarray:
    """Grid workers per grid: every grid gets one when there are enough, the rest by ``rule``.

    ``equal`` shares them evenly, ``population`` by residents, ``risk`` by
    residents times the grid's dispute risk (what a planner knows from the
    case history).
    """
    weights = {
        "equal": np.ones(geo.n_grids),
        "population": geo.grid_population.astype(float),
        "risk": geo.grid_population * risk,
    }[rule]
    minimum = 1 if total >= geo.n_grids else 0
    return largest_remainder(total, weights, minimum=minimum)


def trust_room_villages(geo: Geography, n: int) -> np.ndarray:
    """Which villages have a trust room: first, in each town, as many of its largest villages
    as the district table says have one (Muzhou's 15, as in the article); then the largest."""
    population = np.bincount(geo.grid_village, geo.grid_population, geo.n_villages)
    published = {t.name: t.trust_room_villages for t in load_district_table()}
    priority = np.zeros(geo.n_villages, dtype=bool)
    for t, town in enumerate(geo.town_names):
        villages = np.flatnonzero((geo.village_town == t) & ~geo.village_is_community)
        largest = villages[np.argsort(-population[villages], kind="stable")]
        priority[largest[: published.get(town, 0)]] = True
    order = np.lexsort((-population, ~priority))
    rooms = np.zeros(geo.n_villages, dtype=bool)
    rooms[order[: min(n, geo.n_villages)]] = True
    return rooms


@dataclass(frozen=True)
class YiPoliceTeam:
    """A Yi Police team: its town, its patrol area (grids) and its members' count."""

    town: int
    area: np.ndarray  # grid indices
    members: int


def yi_police_teams(
    geo: Geography, *, total: int, towns: set[str], team_size: int, areas_per_town: int
) -> list[YiPoliceTeam]:
    """Split the volunteers over their towns by population, into teams patrolling areas.

    A town's grids are cut into ``areas_per_town`` angular sectors around its
    centre (Muzhou: upper, lower and Yellowstone areas); teams take the areas
    in turn.
    """
    chosen = [t for t, name in enumerate(geo.town_names) if name in towns]
    if not chosen or total == 0:
        return []
    population = geo.town_population()[chosen].astype(float)
    per_town = largest_remainder(total, population)
    teams = []
    for town, volunteers in zip(chosen, per_town, strict=True):
        grids = np.flatnonzero(geo.grid_town == town)
        centre = np.average(geo.centroids[grids], axis=0, weights=geo.grid_population[grids] + 1)
        angle = np.arctan2(*(geo.centroids[grids] - centre).T[::-1])
        areas = np.array_split(grids[np.argsort(angle)], min(areas_per_town, len(grids)))
        n_teams = max(1, round(volunteers / team_size))
        sizes = largest_remainder(int(volunteers), np.ones(n_teams))
        teams += [
            YiPoliceTeam(town, areas[i % len(areas)], int(s)) for i, s in enumerate(sizes) if s > 0
        ]
    return teams


def annual_cost(
    *,
    grid_workers: int,
    volunteers: int,
    officers: int,
    trust_rooms: int,
    supermarket: bool,
    population_share: float,
    costs: dict[str, float],
) -> float:
    """Yearly cost of the staffing policy in wan yuan (10,000 yuan).

    The petition supermarket serves the whole district, so a run over some
    towns carries its population share of its cost.
    """
    return (
        grid_workers * costs["grid_worker"]
        + volunteers * costs["volunteer_police"]
        + officers * costs["police_officer"]
        + trust_rooms * costs["trust_room"]
        + supermarket * costs["petition_supermarket"] * population_share
    )
