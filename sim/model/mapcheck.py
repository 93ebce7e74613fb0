"""The staffing plan over the whole map (``plan_of``: what a run with a seed uses), and what the schema alone cannot check: places and
counts against the map.

Reading a scenario runs these checks, so this module keeps to the map, the plan and the
settings (numpy, the map's geometry): it imports nothing of Mesa, which loads only with a
model (:mod:`sim.model.construction`, :mod:`sim.model.governance`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.model.geography import Geography, simulated_map, town_set
from sim.model.parameters import SCHEMA, ParameterError
from sim.model.places import Places
from sim.model.planfile import read_plan
from sim.model.staffing import StaffingPlan, plan_from_settings
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
