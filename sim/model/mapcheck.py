"""The staffing plan over the whole map (``plan_of``: what a run with a seed uses), and what the schema alone cannot check: places and
counts against the map.

Reading a scenario runs these checks, so this module keeps to the map, the plan and the
settings (numpy, the map's geometry): it imports nothing of Mesa, which loads only with a
model (:mod:`sim.model.construction`, :mod:`sim.model.governance`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.model.geography import Geography, simulated_map, town_set
from sim.model.parameters import SCHEMA, ParameterError
from sim.model.places import Places
from sim.model.planfile import read_plan
from sim.model.staffing import PLAN_REPLACES, StaffingPlan, plan_from_settings
from sim.model.streams import Streams
from sim.model.takes_effect import check_interventions, check_plan, check_simulated_towns
from sim.model.timeline import Timeline


def check_against_map(
    params: Mapping[str, Any], timeline: Timeline | None = None, *, during_run: bool = False
) -> None:
    """What the schema alone cannot check: places and counts against the map.

    Raises :class:`ParameterError` naming the key: an unknown town in
    ``map.towns``, ``volunteer_police.towns`` or an event's ``towns``; an
    unknown town or village in a place-based setting (``by_town``, ``add``,
    ``mediation.trust_room_villages``, ``police.village_offices``,
    ``mediation.town_centre_hours_by_town``), a change that would leave a town
    fewer than no staff, more trust rooms than the map has units, or a bad
    ``staffing.plan`` file; the same for every intervention's settings. Then what would take
    no effect (:mod:`sim.model.takes_effect`): a plan beside a staffing setting it replaces
    (not checked ``during_run``, when an intervention's plan replaces the settings before
    it), a town table's entry for a town not simulated.
    """
    full, simulated = simulated_map(params["map.file"], params["map.towns"])
    settings = [("", params)]
    for i, change in enumerate(timeline.interventions if timeline else ()):
        settings.append((f"interventions[{i}].", {**params, **change.settings}))
    places = Places(full)
    if not during_run:
        check_plan(params)
        if timeline:
            check_interventions(params, timeline)
    for where, values in settings:
        try:
            town_set(
                values["volunteer_police.towns"], full.town_names, key="volunteer_police.towns"
            )
            places.town_table(
                values["mediation.town_centre_hours_by_town"],
                key="mediation.town_centre_hours_by_town",
            )
            rooms = values["mediation.trust_rooms"]
            if rooms > full.n_villages:
                raise ParameterError(
                    f"mediation.trust_rooms: {rooms} is more than the {full.n_villages} "
                    "villages and communities on the map"
                )
            plan = staffing_plan(full, values, np.ones(full.n_grids))  # risk orders, never refuses
            check_plan_size(plan)
        except ParameterError as exc:
            raise ParameterError(f"{where}{exc}") from None
        check_simulated_towns(values, places, set(simulated.town_names), where=where)
    for i, event in enumerate(timeline.events if timeline else ()):
        hit = town_set(event.towns, full.town_names, key=f"events[{i}].towns")
        if event.towns != "all" and hit - set(simulated.town_names):
            town = sorted(hit - set(simulated.town_names))[0]
            raise ParameterError(
                f"events[{i}].towns: {town} is not simulated (map.towns = "
                f"{', '.join(simulated.town_names)}): the event would not reach it"
            )
    if timeline and not during_run:  # each intervention's staffing reaches a simulated unit
        in_force = dict(params)
        for i, change in sorted(enumerate(timeline.interventions), key=_day):
            after = {**in_force, **change.settings}
            check_reaches_simulated(in_force, after, where=f"interventions[{i}].")
            in_force = after


def _day(item: tuple[int, Any]) -> int:
    return item[1].day


def check_plan_size(plan: StaffingPlan) -> None:
    """Refuse a plan with more staff in all than the schema allows for the district's total
    (``grid_workers.total``, ``volunteer_police.total``): tables by town and ``add`` can
    otherwise sum to more than any district employs, and a model that memory cannot hold."""
    for key, staff in (
        ("grid_workers", plan.grid_workers),
        ("volunteer_police", plan.volunteer_police),
    ):
        total, high = int(staff.sum()), SCHEMA[f"{key}.total"].high
        if high is not None and total > high:
            raise ParameterError(
                f"{key}: the settings make {total:,} in all, more than the {int(high):,} "
                f"allowed ({key}.total's bound); lower {key}.by_town or {key}.add"
            )


def grid_risk(full: Geography, *, sd: float, rng: np.random.Generator) -> np.ndarray:
    """Each grid's dispute risk: its village's, lognormal with mean 1 and log-sd ``sd``, drawn
    over the whole map (so the same at any subset) from the run's ``map`` stream."""
    return rng.lognormal(-(sd**2) / 2, sd, full.n_villages)[full.grid_village]


def plan_of(params: Mapping[str, Any], seed: int) -> tuple[StaffingPlan, Geography]:
    """The staffing plan a run with ``params`` (checked) and ``seed`` uses, and the whole map
    it covers: what ``govsim plan`` writes. Only the ``risk`` allocation and the
    ``most_disputes`` trust-room rule depend on the seed (through the map's risk)."""
    full, _ = simulated_map(params["map.file"], params["map.towns"])
    risk = grid_risk(full, sd=params["map.risk_sd"], rng=Streams.from_seed(seed).map)
    return staffing_plan(full, params, risk), full


def staffing_plan(full: Geography, params: Mapping[str, Any], risk: np.ndarray) -> StaffingPlan:
    """The plan in force over the whole map: the ``staffing.plan`` file's, or the settings'
    (``risk`` per grid orders the risk allocation and the ``most_disputes`` rule)."""
    if params["staffing.plan"]:
        return read_plan(params["staffing.plan"], full)
    return plan_from_settings(full, params, risk)


# The settings that decide the staff of each unit, and the rules under which that depends on
# the seed (through the map's risk): there a change's effect is not known before a run.
STAFF_KEYS = (*PLAN_REPLACES, "staffing.plan")
SEED_RULES = {"grid_workers.allocation": "risk", "mediation.trust_room_rule": "most_disputes"}


def staff_on_map(params: Mapping[str, Any]) -> tuple[tuple[np.ndarray, ...], np.ndarray] | None:
    """The staff of every unit of the whole map under ``params`` (grid workers, Yi Police, trust
    rooms, village offices) and which units are simulated; None when the whole map is
    simulated or the staff depend on the seed."""
    if any(params[key] == rule for key, rule in SEED_RULES.items()):
        return None
    full, simulated = simulated_map(params["map.file"], params["map.towns"])
    if simulated.n_villages == full.n_villages:
        return None
    towns = [full.town_names.index(t) for t in simulated.town_names]
    plan = staffing_plan(full, params, np.ones(full.n_grids))
    staff = tuple(
        getattr(plan, name)
        for name in ("grid_workers", "volunteer_police", "trust_room", "village_office")
    )
    return staff, np.isin(full.village_town, towns)


def only_elsewhere(settings: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the staffing of ``settings`` (of one map) differs on the map but not on any
    simulated unit: the differences fall wholly on towns not simulated."""
    found = [staff_on_map(p) for p in settings]
    if len(found) < 2 or found[0] is None or any(f is None for f in found):
        return False
    (first, units), others = found[0], [f[0] for f in found[1:] if f is not None]
    same = [all(np.array_equal(x, y) for x, y in zip(first, o, strict=True)) for o in others]
    here = [
        all(np.array_equal(x[units], y[units]) for x, y in zip(first, o, strict=True))
        for o in others
    ]
    return not all(same) and all(here)


def check_reaches_simulated(
    before: Mapping[str, Any], after: Mapping[str, Any], *, where: str = ""
) -> None:
    """Refuse a change of staffing settings (``before`` to ``after``, the same map) that changes
    the staff of the map's units but of no simulated one: on a map of some towns a district's
    total, a count of trust rooms or a plan file's rows can fall wholly on towns not simulated."""
    changed = [key for key in STAFF_KEYS if before[key] != after[key]]
    same_map = (before["map.file"], before["map.towns"]) == (after["map.file"], after["map.towns"])
    if changed and same_map and only_elsewhere([before, after]):
        key = changed[0]
        raise ParameterError(
            f"{where}{key}: {after[key]!r} changes no staff in the simulated towns (map.towns = "
            f"{', '.join(after['map.towns'])}): the change falls on towns not simulated; simulate "
            "them too, or change the simulated towns' own staff"
        )


def check_values_reach_simulated(
    base: Mapping[str, Any], key: str, values: Sequence[Any], *, where: str = ""
) -> None:
    """Refuse the values a sweep or a search gives a staffing setting when they change the staff
    of the map's units but of no simulated one (they differ only on towns not simulated). A
    range is given as its whole numbers, or ~200 of them spread over it (:func:`whole_numbers`)."""
    if key in STAFF_KEYS and only_elsewhere([{**base, key: value} for value in values]):
        raise ParameterError(
            f"{where}{key}: every value gives the simulated towns the same staff (map.towns = "
            f"{', '.join(base['map.towns'])}): the values differ only on towns not simulated; "
            "simulate them too, or vary the simulated towns' own staff"
        )


def whole_numbers(low: float, high: float, most: int = 200) -> list[int]:
    """The whole numbers from ``low`` to ``high``, or ``most`` of them spread evenly, ends kept."""
    return sorted({round(x) for x in np.linspace(low, high, min(most, int(high - low) + 1))})
