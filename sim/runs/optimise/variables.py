"""The variables of an optimisation file: their kinds and options, checked against the schema,
the map and the settings in force (a variable that cannot take effect is refused)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sim.model.geography import simulated_map
from sim.model.mapcheck import check_against_map, check_values_reach_simulated, whole_numbers
from sim.model.parameters import SCHEMA, ParameterError, unknown_key_error
from sim.model.places import Places
from sim.model.staffing import PLAN_REPLACES
from sim.runs.optimise.decisions import Variable, town_staff
from sim.runs.scenario import Scenario, with_paths_from
from sim.runs.specfile import (
    check_table,
    whole,
)

TOWN_TABLES = ("grid_workers.by_town", "volunteer_police.by_town")
SUBSETS = ("police.village_offices", "mediation.trust_room_villages")


def finite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


# The options each kind of variable takes (besides ``key``); any other is refused.
OPTIONS = {
    "towns": {"towns", "low", "high", "total", "relative"},
    "subset": {"among"},
    "choice": {"choices"},
    "number": {"low", "high"},
}


def kind_of(key: str, spec: dict[str, Any]) -> str:
    """The kind of variable a ``key`` (and, for other keys, its options) makes."""
    if key in TOWN_TABLES:
        return "towns"
    if key in SUBSETS:
        return "subset"
    return "choice" if "choices" in spec else "number"


def _check_options(where: str, key: str, spec: dict[str, Any]) -> None:
    """Refuse an option the variable's kind does not read (it would do nothing)."""
    kind = kind_of(key, spec)
    for option in spec:
        if option != "key" and option not in OPTIONS[kind]:
            takes = ", ".join(sorted(OPTIONS[kind]))
            raise ParameterError(
                f"{where}.{option}: does not apply to {key}, a {kind} variable (it takes {takes})"
            )
    if kind == "towns" and "relative" in spec and "total" not in spec:
        raise ParameterError(f"{where}.relative: applies only with total (factors on today's)")


def _check_in_force(where: str, key: str, scenario: Scenario) -> None:
    """Refuse a variable that a staffing plan would make inert, or whose trials a base
    setting would silently change (a town table's ``by_town`` or ``add`` in the base)."""
    plan = scenario.params["staffing.plan"]
    if plan and key in PLAN_REPLACES:
        raise ParameterError(
            f"{where}.key: {key} has no effect: staffing.plan ({plan}) gives the staff of "
            "every unit and replaces it; search one or the other"
        )
    if key in TOWN_TABLES:
        section = key.split(".")[0]
        for other in (f"{section}.by_town", f"{section}.add"):
            if scenario.params[other]:
                raise ParameterError(
                    f"{where}.key: {key} is searched, but {other} = {scenario.params[other]!r} "
                    "in the base scenario or [settings] would change or replace the towns' "
                    "drawn numbers; remove it"
                )


def parse_variable(
    where: str, spec: Any, scenario: Scenario, seed: int, *, base_dir: Path = Path()
) -> Variable:
    spec = check_table(
        where,
        spec,
        {"key", "towns", "low", "high", "total", "relative", "choices", "among"},
        {"key"},
    )
    key = spec["key"]
    if not isinstance(key, str) or key not in SCHEMA:
        raise ParameterError(f"{where}.{unknown_key_error(key)}")
    _check_options(where, key, spec)
    _check_in_force(where, key, scenario)
    full, simulated = simulated_map(scenario.params["map.file"], scenario.params["map.towns"])
    places = Places(full)
    if key in TOWN_TABLES:
        towns = spec.get("towns", "all")
        if towns == "all":  # the simulated towns: a table entry for another has no effect
            names = tuple(simulated.town_names)
        elif isinstance(towns, list) and towns and all(isinstance(t, str) for t in towns):
            twice = [t for i, t in enumerate(towns) if t in towns[:i]]
            if twice:
                raise ParameterError(f"{where}.towns: {twice[0]} is listed twice")
            try:  # names checked as the setting checks them, with "did you mean"
                check_against_map(scenario.params | {key: dict.fromkeys(towns, 0)})
            except ParameterError as exc:
                raise ParameterError(f"{where}.towns: {exc}") from None
            found = [places.find_town(t) for t in towns]
            names = tuple(full.town_names[i] for i in found if i is not None)
        else:
            raise ParameterError(
                f'{where}.towns: expected "all" or a list of town names, got {towns!r}'
            )
        most = int(SCHEMA[key].high or 0)  # a town's staff: the schema's bound
        low = whole(f"{where}.low", spec.get("low", 0), 0, most)
        if "total" in spec:
            if "high" in spec:
                raise ParameterError(f"{where}: give high or total, not both")
            total = whole(f"{where}.total", spec["total"], 0, most)
            if total < low * len(names):
                raise ParameterError(
                    f"{where}.total: {total} is less than low ({low}) in each of {len(names)} towns"
                )
            relative = spec.get("relative")
            if relative is not None:
                if (
                    not isinstance(relative, list)
                    or len(relative) != 2
                    or not all(finite(x) and 0 < x <= 1000 for x in relative)
                    or not relative[0] < relative[1]
                ):
                    raise ParameterError(
                        f"{where}.relative: expected [low, high] factors on "
                        f"today's numbers, 0 < low < high <= 1000, got {relative!r}"
                    )
                relative = (float(relative[0]), float(relative[1]))
            today = town_staff(scenario.params, seed)[key]
            return Variable(
                key,
                "towns",
                low=low,
                total=total,
                places=names,
                relative=relative,
                today=tuple(today[t] for t in names),
            )
        high = whole(f"{where}.high", spec.get("high", 0), low + 1, max(most, low + 1))
        return Variable(key, "towns", low=low, high=high, places=names)
    if key in SUBSETS:
        among = spec.get("among")
        if not isinstance(among, list) or not among:
            raise ParameterError(
                f"{where}.among: expected the list of towns or villages to choose from"
            )
        for i, place in enumerate(among):
            try:
                check_against_map(scenario.params | {key: [place]})
            except ParameterError as exc:
                raise ParameterError(f"{where}.among[{i}]: {exc}") from None
            if not _simulated(places, place, set(simulated.town_names)):
                raise ParameterError(
                    f"{where}.among[{i}]: {place!r} is not in the simulated towns "
                    f"(map.towns = {', '.join(simulated.town_names)}): choosing it has no effect"
                )
        return Variable(key, "subset", places=tuple(among))
    parameter = SCHEMA[key]
    if "choices" in spec:
        choices = spec["choices"]
        if not isinstance(choices, list) or len(choices) < 2:
            raise ParameterError(f"{where}.choices: expected a list of at least two values")
        checked = [with_paths_from(base_dir, {key: parameter.check(c)})[key] for c in choices]
        for i, value in enumerate(checked):
            try:
                check_against_map(scenario.params | {key: value})
            except ParameterError as exc:
                raise ParameterError(f"{where}.choices[{i}]: {exc}") from None
        check_values_reach_simulated(scenario.params, key, checked, where=f"{where}: ")
        return Variable(key, "choice", choices=tuple(checked))
    if parameter.type_name not in ("int", "float"):
        raise ParameterError(f"{where}: {key} is not a number; give choices = [...]")
    if "low" not in spec or "high" not in spec:
        raise ParameterError(f"{where}: a number needs low and high")
    low, high = parameter.check(spec["low"]), parameter.check(spec["high"])
    if not low < high:
        raise ParameterError(f"{where}: low ({low}) must be below high ({high})")
    if parameter.type_name == "int":
        values = whole_numbers(low, high)
        check_values_reach_simulated(scenario.params, key, values, where=f"{where}: ")
    return Variable(key, "number", low=low, high=high)


def _simulated(places: Places, name: str, simulated: set[str]) -> bool:
    """Whether a town or unit named ``name`` is in the ``simulated`` towns."""
    town = places.find_town(name)
    if town is not None:
        return places.geo.town_names[town] in simulated
    units = places.units_named(name)
    return any(places.geo.town_names[places.geo.village_town[v]] in simulated for v in units)
