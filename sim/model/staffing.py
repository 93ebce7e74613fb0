"""Staffing policies: where grid workers, Yi Police, village police and trust rooms go, and their cost.

Every policy becomes a :class:`StaffingPlan`: the staff of each village-level
unit of the whole map. The settings give it (district totals and allocation
rules, then the place-based ``by_town`` and ``add`` tables, the trust-room rule and
list, the village offices by town or village), or a plan file does
(``staffing.plan``, :mod:`sim.model.planfile`). The model is then built from the
plan alone (:func:`workers_in_grids`, :func:`yi_police_teams`), so a scenario and the
plan exported from it run identically. Plans cover the whole map and are then
restricted to the simulated towns, so simulating Muzhou alone shows Muzhou with
the staff the district policy gives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.district import did_you_mean
from sim.model.geography import Geography, largest_remainder, load_district_table, town_set
from sim.model.parameters import ParameterError
from sim.model.places import Places

# The settings a plan file (``staffing.plan``) replaces: with a plan in force they have no
# effect, so a value of one of them other than its default is refused beside a plan
# (``grid_workers.allocation`` still acts: it shares a unit's workers among its grids).
PLAN_REPLACES: tuple[str, ...] = (
    "grid_workers.total",
    "grid_workers.by_town",
    "grid_workers.add",
    "volunteer_police.total",
    "volunteer_police.towns",
    "volunteer_police.by_town",
    "volunteer_police.add",
    "mediation.trust_rooms",
    "mediation.trust_room_villages",
    "mediation.trust_room_rule",
    "police.village_offices",
)


@dataclass(frozen=True)
class StaffingPlan:
    """Staff of each village-level unit of a map (arrays indexed by unit)."""

    grid_workers: np.ndarray  # persons
    volunteer_police: np.ndarray  # persons
    trust_room: np.ndarray  # bool
    village_office: np.ndarray  # bool: a one-village-one-police officer

    def __post_init__(self) -> None:
        for name in ("grid_workers", "volunteer_police", "trust_room", "village_office"):
            object.__setattr__(self, name, np.asarray(getattr(self, name)))


def grid_weights(geo: Geography, rule: str, risk: np.ndarray) -> np.ndarray:
    """Each grid's weight when grid workers are shared out by ``rule``."""
    return {
        "equal": np.ones(geo.n_grids),
        "population": geo.grid_population.astype(float),
        "risk": geo.grid_population * risk,
    }[rule]


def _share_out(total: int, grids: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``total`` workers over ``grids``: one each when there are enough, the rest by weight."""
    return largest_remainder(total, weights[grids], minimum=1 if total >= len(grids) else 0)


def town_changes(
    base: np.ndarray,
    *,
    by_town: Mapping[int, int],
    add: Mapping[int, int],
    places: Places,
    key: str,
    what: str,
) -> np.ndarray:
    """Each town's number after ``by_town`` (set) and then ``add`` (change); a change that would
    leave a town with fewer than none is refused with the town and the numbers."""
    numbers = base.astype(np.int64).copy()
    for t, n in by_town.items():
        numbers[t] = n
    for t, change in add.items():
        if numbers[t] + change < 0:
            town = places.geo.town_names[t]
            raise ParameterError(
                f"{key}.add.{town}: {change:+d} would leave {town} with {numbers[t] + change} "
                f"{what} (it has {numbers[t]})"
            )
        numbers[t] += change
    return numbers


def allocate_grid_workers(geo: Geography, *, total: int, rule: str, risk: np.ndarray) -> np.ndarray:
    """Grid workers per grid: every grid gets one when there are enough, the rest by ``rule``.

    ``equal`` shares them evenly, ``population`` by residents, ``risk`` by
    residents times the grid's dispute risk (what a planner knows from the
    case history).
    """
    return _share_out(total, np.arange(geo.n_grids), grid_weights(geo, rule, risk))


def grid_workers_by_grid(
    geo: Geography, p: Mapping[str, Any], risk: np.ndarray, places: Places
) -> np.ndarray:
    """Grid workers per grid from the settings: ``total`` by ``allocation`` over the district,
    then the towns of ``by_town`` and ``add`` get their new numbers, shared by the same rule."""
    weights = grid_weights(geo, p["grid_workers.allocation"], risk)
    workers = allocate_grid_workers(
        geo, total=p["grid_workers.total"], rule=p["grid_workers.allocation"], risk=risk
    )
    by_town = places.town_table(p["grid_workers.by_town"], key="grid_workers.by_town")
    add = places.town_table(p["grid_workers.add"], key="grid_workers.add")
    before = np.bincount(geo.grid_town, workers, minlength=geo.n_towns)
    after = town_changes(
        before, by_town=by_town, add=add, places=places, key="grid_workers", what="grid workers"
    )
    for t in np.flatnonzero(after != before):
        grids = np.flatnonzero(geo.grid_town == t)
        workers[grids] = _share_out(int(after[t]), grids, weights)
    return workers


def workers_in_grids(
    geo: Geography, per_unit: np.ndarray, *, rule: str, risk: np.ndarray
) -> np.ndarray:
    """Grid workers per grid from each unit's number: one in each of its grids when there are
    enough, the rest by ``rule`` (``grid_workers.allocation``)."""
    weights = grid_weights(geo, rule, risk)
    per_unit = np.asarray(per_unit, dtype=np.int64)
    key = (geo.grid_village.tobytes(), weights.tobytes(), per_unit.tobytes())
    if key not in _WORKERS:  # the same plan on the same map: shared out once per process
        workers = np.zeros(geo.n_grids, dtype=np.int64)
        for v in np.flatnonzero(per_unit):
            grids = np.flatnonzero(geo.grid_village == v)
            workers[grids] = _share_out(int(per_unit[v]), grids, weights)
        if len(_WORKERS) >= 8:
            _WORKERS.clear()
        _WORKERS[key] = workers
    return _WORKERS[key].copy()


# Grid workers per grid by what decides them (each unit's grids, weights and number): a warm
# evaluation of the plan of the last one shares them out again for ~250 units otherwise.
_WORKERS: dict[tuple[bytes, bytes, bytes], np.ndarray] = {}


def volunteers_by_unit(geo: Geography, p: Mapping[str, Any], places: Places) -> np.ndarray:
    """Yi Police per unit from the settings: ``total`` over the ``towns`` by population, then
    ``by_town`` and ``add``; within a town, over its units by population."""
    towns = town_set(p["volunteer_police.towns"], geo.town_names, key="volunteer_police.towns")
    chosen = [t for t, name in enumerate(geo.town_names) if name in towns]
    per_town = np.zeros(geo.n_towns, dtype=np.int64)
    if chosen:
        population = geo.town_population()[chosen].astype(float)
        per_town[chosen] = largest_remainder(p["volunteer_police.total"], population)
    per_town = town_changes(
        per_town,
        places=places,
        key="volunteer_police",
        what="Yi Police",
        by_town=places.town_table(p["volunteer_police.by_town"], key="volunteer_police.by_town"),
        add=places.town_table(p["volunteer_police.add"], key="volunteer_police.add"),
    )
    residents = np.bincount(geo.grid_village, geo.grid_population, geo.n_villages)
    per_unit = np.zeros(geo.n_villages, dtype=np.int64)
    for t in np.flatnonzero(per_town):
        units = np.flatnonzero(geo.village_town == t)
        per_unit[units] = largest_remainder(int(per_town[t]), residents[units].astype(float))
    return per_unit


def expected_disputes(geo: Geography, risk: np.ndarray) -> np.ndarray:
    """Disputes each unit can expect, relatively: its residents times their grids' dispute risk
    (what the district's case history shows; the same in every scenario and seed)."""
    return np.bincount(geo.grid_village, geo.grid_population * risk, geo.n_villages)


def trust_room_order(geo: Geography, rule: str, risk: np.ndarray) -> np.ndarray:
    """Units in the order ``rule`` gives them trust rooms.

    ``published``: first, in each town, as many of its largest villages as the
    district table says have one (Muzhou's 15, as in the article), then the
    largest units; ``largest``: by residents; ``most_disputes``: by
    :func:`expected_disputes`.
    """
    population = np.bincount(geo.grid_village, geo.grid_population, geo.n_villages)
    if rule == "most_disputes":
        return np.argsort(-expected_disputes(geo, risk), kind="stable")
    if rule == "largest":
        return np.argsort(-population, kind="stable")
    published = {t.name: t.trust_room_villages for t in load_district_table()}
    priority = np.zeros(geo.n_villages, dtype=bool)
    for t, town in enumerate(geo.town_names):
        villages = np.flatnonzero((geo.village_town == t) & ~geo.village_is_community)
        largest = villages[np.argsort(-population[villages], kind="stable")]
        priority[largest[: published.get(town, 0)]] = True
    return np.lexsort((-population, ~priority))


def trust_room_villages(
    geo: Geography,
    n: int,
    *,
    rule: str = "published",
    listed: np.ndarray | None = None,
    risk: np.ndarray | None = None,
) -> np.ndarray:
    """Which units have a trust room: those ``listed`` first, then the first of
    :func:`trust_room_order` up to ``n`` in all (with ``rule = "listed"``, only those listed)."""
    listed = np.zeros(0, dtype=np.int64) if listed is None else np.asarray(listed, dtype=np.int64)
    rooms = np.zeros(geo.n_villages, dtype=bool)
    rooms[listed] = True
    if rule == "listed":
        return rooms
    if len(listed) > n:
        raise ParameterError(
            f"mediation.trust_rooms: {n} is fewer than the {len(listed)} villages listed in "
            'mediation.trust_room_villages (raise it, or set mediation.trust_room_rule = "listed")'
        )
    risk = np.ones(geo.n_grids) if risk is None else risk
    order = [v for v in trust_room_order(geo, rule, risk) if not rooms[v]]
    rooms[order[: min(n, geo.n_villages) - len(listed)]] = True
    return rooms


def office_villages(geo: Geography, value: str | list[str], places: Places) -> np.ndarray:
    """Units with a one-village-one-police office: every unit of the towns named and the units
    named (``police.village_offices``: "all", "none", or a list of towns and units)."""
    key = "police.village_offices"
    if value in ("all", "none"):
        return np.full(geo.n_villages, value == "all")
    offices = np.zeros(geo.n_villages, dtype=bool)
    for i, name in enumerate(value):
        town = places.find_town(name)
        if town is not None:
            offices[geo.village_town == town] = True
        elif places.units_named(name):
            offices[places.unit(name, key=f"{key}[{i}]")] = True  # says which if ambiguous
        else:
            zh = [t.name_zh for t in load_district_table()]
            known = [*geo.town_names, *zh, *geo.village_names, *filter(None, geo.village_names_zh)]
            raise ParameterError(
                f"{key}[{i}]: {name!r} is neither a town nor a village or community of the map"
                f"{did_you_mean(name, known)}"
            )
    return offices


def plan_from_settings(geo: Geography, p: Mapping[str, Any], risk: np.ndarray) -> StaffingPlan:
    """The staffing plan the settings give, over the whole map ``geo``; ``risk`` per grid."""
    places = Places(geo)
    listed = places.units(p["mediation.trust_room_villages"], key="mediation.trust_room_villages")
    return StaffingPlan(
        grid_workers=np.bincount(
            geo.grid_village, grid_workers_by_grid(geo, p, risk, places), geo.n_villages
        ).astype(np.int64),
        volunteer_police=volunteers_by_unit(geo, p, places),
        trust_room=trust_room_villages(
            geo,
            p["mediation.trust_rooms"],
            rule=p["mediation.trust_room_rule"],
            listed=listed,
            risk=risk,
        ),
        village_office=office_villages(geo, p["police.village_offices"], places),
    )


@dataclass(frozen=True)
class YiPoliceTeam:
    """A Yi Police team: its town, its patrol area (grids) and its members' home grids."""

    town: int
    area: np.ndarray  # grid indices
    homes: np.ndarray  # each member's home grid

    @property
    def members(self) -> int:
        return len(self.homes)


def yi_police_teams(
    geo: Geography,
    per_unit: np.ndarray,
    *,
    team_size: int,
    areas_per_town: int,
    rng: np.random.Generator,
) -> list[YiPoliceTeam]:
    """Yi Police teams from each unit's number of volunteers.

    Each volunteer lives in a grid of their unit (drawn from ``rng``). A town's
    grids are cut into ``areas_per_town`` angular sectors around its centre
    (Muzhou: upper, lower and Yellowstone areas); the volunteers living in an
    area form its teams of about ``team_size``.
    """
    teams = []
    for town in np.unique(geo.village_town[per_unit > 0]):
        grids = np.flatnonzero(geo.grid_town == town)
        centre = np.average(geo.centroids[grids], axis=0, weights=geo.grid_population[grids] + 1)
        angle = np.arctan2(*(geo.centroids[grids] - centre).T[::-1])
        areas = np.array_split(grids[np.argsort(angle)], min(areas_per_town, len(grids)))
        area_of = np.full(geo.n_grids, -1)
        for a, area in enumerate(areas):
            area_of[area] = a
        homes = np.concatenate(
            [
                (unit_grids := np.flatnonzero(geo.grid_village == v))[
                    rng.integers(len(unit_grids), size=n)
                ]
                for v, n in enumerate(per_unit)
                if n > 0 and geo.village_town[v] == town
            ]
        )
        for a, area in enumerate(areas):
            members = homes[area_of[homes] == a]
            if not len(members):
                continue
            sizes = largest_remainder(
                len(members), np.ones(max(1, round(len(members) / team_size)))
            )
            for chunk in np.split(members, np.cumsum(sizes)[:-1]):
                if len(chunk):
                    teams.append(YiPoliceTeam(int(town), area, chunk))
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
