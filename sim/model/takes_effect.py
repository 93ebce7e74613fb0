"""Settings that would take no effect, refused before anything runs.

Two kinds of setting could be given and then silently do nothing:

- a staffing setting beside a staffing plan file: the plan (``staffing.plan``) gives every
  unit's staff, so the settings it replaces (:data:`~sim.model.staffing.PLAN_REPLACES`) are
  not read. The rule, on a run's flat settings: with a plan in force, each of them must be
  at its default; a plan and another value of one of them are refused with one line naming
  both. (Scenario files and ``--set`` are layers: a plan replaces what earlier layers set,
  and those settings are no longer in force; see :func:`sim.runs.scenario.in_force`.) An intervention
  that sets one of them while a plan is in force (its own, or an earlier one's) is refused;
  an intervention that brings in a plan replaces the staffing the settings gave until then;
- a town's entry in a town table (``grid_workers.by_town``, ``grid_workers.add``, the same
  for ``volunteer_police``, ``mediation.town_centre_hours_by_town``) for a town outside the
  simulated map (``map.towns``): it changes only that town, which is not simulated; the same
  for a place of ``police.village_offices`` (other than the default) and, with the ``listed``
  rule, of ``mediation.trust_room_villages`` (and, in
  :func:`~sim.model.mapcheck.check_against_map`, an event's town that is not simulated).

A third kind needs the staffing plan over the map, so it is in :mod:`sim.model.mapcheck`
(:func:`~sim.model.mapcheck.check_reaches_simulated`): on a map of some towns, a change of a
district-wide setting (a total, a count of trust rooms) or of a plan file that moves staff only
in towns not simulated, given by ``--set``, an intervention, a sweep's lever or a search's
variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.model.parameters import SCHEMA, ParameterError
from sim.model.places import Places
from sim.model.staffing import PLAN_REPLACES
from sim.model.timeline import Timeline

# Town tables whose entry for a town changes that town only.
TOWN_TABLES = (
    "grid_workers.by_town",
    "grid_workers.add",
    "volunteer_police.by_town",
    "volunteer_police.add",
    "mediation.town_centre_hours_by_town",
)


def plan_conflict(key: str, value: Any, plan: str, when: str = "") -> ParameterError:
    """The one-line error for ``key`` set beside the plan file ``plan``, naming both."""
    return ParameterError(
        f"{key}: {value!r} has no effect{when}: staffing.plan ({plan}) gives the staff of "
        f"every unit and replaces {key}; give one or the other"
    )


def check_plan(params: Mapping[str, Any]) -> None:
    """Refuse a staffing plan beside a setting it replaces (one not at its default)."""
    plan = params.get("staffing.plan", "")
    if not plan:
        return
    for key in PLAN_REPLACES:
        if params[key] != SCHEMA[key].default:
            raise plan_conflict(key, params[key], plan)


def check_interventions(params: Mapping[str, Any], timeline: Timeline) -> None:
    """Refuse an intervention's staffing setting while a plan is in force (the plan in the
    settings as the interventions before it leave them, or its own)."""
    ordered = sorted(enumerate(timeline.interventions), key=lambda item: item[1].day)
    in_force = dict(params)
    for i, change in ordered:
        in_force |= change.settings
        plan = in_force.get("staffing.plan", "")
        if not plan:
            continue
        for key in PLAN_REPLACES:
            if key in change.settings:
                raise ParameterError(
                    f"interventions[{i}].{plan_conflict(key, change.settings[key], plan, f' from day {change.day}')}"
                )


def check_simulated_towns(
    params: Mapping[str, Any], places: Places, simulated: set[str], *, where: str = ""
) -> None:
    """Refuse a town table's entry for a town that the run does not simulate."""
    if len(simulated) == len(places.geo.town_names):
        return
    for key in TOWN_TABLES:
        for t in places.town_table(params[key], key=key):
            town = places.geo.town_names[t]
            if town not in simulated:
                raise ParameterError(
                    f"{where}{key}.{town}: has no effect, {town} is not simulated "
                    f"(map.towns = {', '.join(sorted(simulated))})"
                )
    # Place lists whose entries act one by one: an office, a listed-only trust room. (The
    # default village offices are the district's policy, kept when a run simulates some towns.)
    lists = []
    if params["police.village_offices"] != SCHEMA["police.village_offices"].default:
        lists.append("police.village_offices")
    if params["mediation.trust_room_rule"] == "listed":
        lists.append("mediation.trust_room_villages")
    for key in lists:
        value = params[key]
        for i, name in enumerate(value if isinstance(value, list) else ()):
            found = places.find_town(str(name).split("/")[0])  # a town, or "Town/Unit"
            towns = (
                [found]
                if found is not None
                else [int(places.geo.village_town[v]) for v in places.units_named(name)]
            )
            if towns and not any(places.geo.town_names[t] in simulated for t in towns):
                raise ParameterError(
                    f"{where}{key}[{i}]: {name!r} has no effect, it is not in the simulated "
                    f"towns (map.towns = {', '.join(sorted(simulated))})"
                )
