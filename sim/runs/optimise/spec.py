"""Optimisation files: the policy search a planner asks for, checked before anything runs.

An optimisation file (TOML, under ``scenarios/optimise/``) names a base
scenario, the **variables** (staffing a district decides), the
**constraints** and the **objectives**::

    description = "Grid workers across the 11 towns at today's cost"
    description_zh = "在现有成本下，网格员在11个镇街之间的分配"
    scenario = "baseline"

    [settings]                      # the same in every trial, as in a sweep
    population.scale = 0.3

    [search]
    trials = 60                     # trials evaluated (each on the same seeds)
    replicates = 2                  # runs per trial: seeds derived from `seed`
    days = 365
    seed = 1

    [[variables]]
    key = "grid_workers.by_town"    # a town table: one whole number per town
    towns = "all"                   # or a list of towns; the others keep today's number
    low = 20                        # at least 20 grid workers in every town
    total = 1000                    # the towns' numbers add up to 1000

    [[constraints]]
    metric = "annual_cost_wan_yuan"
    at_most = 8130

    [[objectives]]
    metric = "escalation_rate"
    direction = "minimise"

    [verify]                        # the recommended plans, again, on fresh seeds
    replicates = 8
    population.scale = 1.0
    ensemble = "../../docs/calibration/good_fits.csv"  # the calibration's good fits
    fits = 5                        # how many of them (spread over the file)

A variable is a **town table** (``grid_workers.by_town``,
``volunteer_police.by_town``: ``low``/``high`` per town, or ``low`` and a
fixed ``total`` shared by drawn weights; with ``relative = [0.5, 2.0]`` the
weights are today's numbers times a factor in that range, drawn on a log
scale, so the search starts near today's plan), a **number** (``low``/``high``, whole where the schema's
parameter is whole), a **choice** (``choices = [...]``) or a **subset** of
towns or villages (``police.village_offices``, ``mediation.trust_room_villages``:
``among = [...]``, each in or out). Constraints bound a metric's mean over a
trial's runs (``at_most`` / ``at_least``); objectives minimise or maximise
one, or several for a frontier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.model.construction import check_against_map
from sim.model.geography import simulated_map
from sim.model.metrics import METRICS, SHARES
from sim.model.parameters import SCHEMA, ParameterError, flatten, unknown_key_error
from sim.model.places import Places
from sim.model.staffing import PLAN_REPLACES
from sim.model.streams import MAX_SEED
from sim.model.timeline import MAX_DAYS
from sim.runs.optimise.decisions import Bound, Objective, Variable, town_staff
from sim.runs.scenario import Scenario, scenario_path, with_paths_from
from sim.runs.specfile import (
    BASE_ENTRIES,
    SpecFile,
    base_scenario,
    check_entries,
    check_table,
    derived_seeds,
    digest,
    load_spec,
    number,
    whole,
)

OPTIMISE_DIR = Path(__file__).resolve().parents[3] / "scenarios" / "optimise"
TOP_LEVEL = BASE_ENTRIES | {
    "description_zh",
    "search",
    "variables",
    "constraints",
    "objectives",
    "verify",
}
SEARCH_KEYS = {"trials", "replicates", "days", "seed"}
VERIFY_KEYS = {"replicates", "population.scale", "ensemble", "fits", "plans", "seed"}
TOWN_TABLES = ("grid_workers.by_town", "volunteer_police.by_town")
SUBSETS = ("police.village_offices", "mediation.trust_room_villages")
DIRECTIONS = {"minimise": "minimize", "maximise": "maximize"}


@dataclass(frozen=True)
class Optimisation(SpecFile):
    """A checked optimisation file."""

    variables: tuple[Variable, ...]
    constraints: tuple[Bound, ...]
    objectives: tuple[Objective, ...]
    trials: int = 60
    replicates: int = 2
    days: int = 365
    seed: int = 1
    verify: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    description_zh: str = ""
    spec: dict[str, Any] = field(default_factory=dict)

    def seeds(self) -> list[int]:
        """The seeds of every trial's runs: the same for every trial (common random numbers)."""
        return derived_seeds(self.seed, self.replicates)

    def settings(self, drawn: dict[str, Any]) -> dict[str, Any]:
        """The parameter settings of a trial's drawn search parameters."""
        return {v.key: v.setting(drawn) for v in self.variables}

    def fixed(self) -> dict[str, Any]:
        """The file's ``[settings]``, as every trial runs them (file paths made absolute)."""
        return {k: self.scenario.overrides[k] for k in flatten(self.spec.get("settings", {}))}

    def in_force(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Everything a trial with ``settings`` (its variables) sets on top of the base
        scenario's file: the ``[settings]``, then the trial's. A plan file written from a trial
        says all of it, so that it runs as the trial ran."""
        return self.fixed() | settings

    @property
    def metrics(self) -> list[str]:
        """The metrics the search reads: objectives, then constraints, in file order."""
        names = [o.metric for o in self.objectives] + [c.metric for c in self.constraints]
        return list(dict.fromkeys(names))

    @property
    def sha256(self) -> str:
        """What identifies the study: base scenario, variables, bounds, objectives, seeds."""
        return digest(
            [
                self.scenario.sha256,
                [vars(v) for v in self.variables],
                [vars(c) for c in self.constraints],
                [vars(o) for o in self.objectives],
                self.replicates,
                self.days,
                self.seed,
            ]
        )


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


def _variable(
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
                    or not all(_finite(x) and 0 < x <= 1000 for x in relative)
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
        return Variable(key, "choice", choices=tuple(checked))
    if parameter.type_name not in ("int", "float"):
        raise ParameterError(f"{where}: {key} is not a number; give choices = [...]")
    if "low" not in spec or "high" not in spec:
        raise ParameterError(f"{where}: a number needs low and high")
    low, high = parameter.check(spec["low"]), parameter.check(spec["high"])
    if not low < high:
        raise ParameterError(f"{where}: low ({low}) must be below high ({high})")
    return Variable(key, "number", low=low, high=high)


def _simulated(places: Places, name: str, simulated: set[str]) -> bool:
    """Whether a town or unit named ``name`` is in the ``simulated`` towns."""
    town = places.find_town(name)
    if town is not None:
        return places.geo.town_names[town] in simulated
    units = places.units_named(name)
    return any(places.geo.town_names[places.geo.village_town[v]] in simulated for v in units)


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def read_fits(path: Path, *, where: str) -> pd.DataFrame:
    """The calibration's good fits in the CSV file at ``path``: the schema's columns, each
    value checked; a one-line :class:`ParameterError` at ``where`` if the file cannot be used."""
    try:
        table = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParameterError(f"{where}: {path}: not a readable CSV file ({reason})") from None
    keys = [c for c in table.columns if c in SCHEMA]
    if table.empty or not keys:
        raise ParameterError(
            f"{where}: {path}: no rows with parameter columns (expected the good_fits.csv "
            "that govsim calibrate writes)"
        )
    for row in range(len(table)):
        for key in keys:
            try:
                SCHEMA[key].check(table.at[row, key])
            except ParameterError as exc:
                raise ParameterError(f"{where}: {path}: row {row + 2}: {exc}") from None
    return table[keys]


def _verify_scale(value: Any) -> float:
    try:
        return float(SCHEMA["population.scale"].check(value))
    except ParameterError as exc:
        raise ParameterError(f"verify.{exc}") from None


def _bound(where: str, spec: Any) -> Bound:
    spec = check_table(where, spec, {"metric", "at_most", "at_least"}, {"metric"})
    metric = spec["metric"]
    if not isinstance(metric, str) or metric not in METRICS:
        raise ParameterError(f"{where}.metric: unknown metric {metric!r}")
    if ("at_most" in spec) == ("at_least" in spec):
        raise ParameterError(f"{where}: give one of at_most or at_least")
    side = "at_most" if "at_most" in spec else "at_least"
    value = number(f"{where}.{side}", spec[side])
    # Every metric is at least 0, and a share at most 1: a bound beyond that no plan can meet.
    if side == "at_most" and value < 0:
        raise ParameterError(
            f"{where}.at_most: {value:g} is below 0, which {metric} never is: no plan can meet it"
        )
    if side == "at_least" and metric in SHARES and value > 1:
        raise ParameterError(
            f"{where}.at_least: {value:g} is above 1, which {metric} (a share) never is: "
            "no plan can meet it; give a share from 0 to 1"
        )
    return Bound(metric, **{side: value})


def _objective(where: str, spec: Any) -> Objective:
    spec = check_table(where, spec, {"metric", "direction"}, {"metric"})
    metric, direction = spec["metric"], spec.get("direction", "minimise")
    if not isinstance(metric, str) or metric not in METRICS:
        raise ParameterError(f"{where}.metric: unknown metric {metric!r}")
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise ParameterError(f"{where}.direction: expected minimise or maximise, got {direction!r}")
    return Objective(metric, direction)


def _list(data: dict, name: str, *, required: bool) -> list:
    items = data.get(name, [])
    if not isinstance(items, list) or (required and not items):
        raise ParameterError(f"{name}: expected at least one [[{name}]] table")
    return items


def parse_optimisation(data: dict[str, Any], *, name: str, base_dir: Path) -> Optimisation:
    """An :class:`Optimisation` from a file's contents; :class:`ParameterError` names the entry."""
    check_entries(data, TOP_LEVEL)
    scenario = base_scenario(data, base_dir=base_dir)
    search = check_table("search", data.get("search", {}), SEARCH_KEYS)
    seed = whole("search.seed", search.get("seed", 1), 0, MAX_SEED)
    days = whole("search.days", search.get("days", 365), 1, MAX_DAYS)
    try:  # before the search, not after every trial has failed
        scenario.timeline.check_days(days)
    except ParameterError as exc:
        raise ParameterError(
            f"scenario: {exc}: make search.days longer, or the event earlier"
        ) from None
    first_seed = derived_seeds(seed, 1)[0]  # the map of the first run: today's staff on it
    variables = [
        _variable(f"variables[{i}]", v, scenario, first_seed, base_dir=base_dir)
        for i, v in enumerate(_list(data, "variables", required=True))
    ]
    keys = [v.key for v in variables]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            raise ParameterError(f"variables[{i}].key: {key} is a variable twice")
        if key in flatten(data.get("settings", {})):
            raise ParameterError(f"settings.{key}: also a variable; set it in one place")
    plans = [v for v in variables if v.key == "staffing.plan" and any(v.choices)]
    for i, key in enumerate(keys):
        if plans and key in PLAN_REPLACES:
            raise ParameterError(
                f"variables[{i}].key: {key} has no effect in the trials with a "
                "staffing.plan (also a variable), which replaces it; search one or the other"
            )
    constraints = [
        _bound(f"constraints[{i}]", c)
        for i, c in enumerate(_list(data, "constraints", required=False))
    ]
    objectives = [
        _objective(f"objectives[{i}]", o)
        for i, o in enumerate(_list(data, "objectives", required=True))
    ]
    raw = check_table("verify", data.get("verify", {}), {"population", *VERIFY_KEYS})
    verify = {k: v for k, v in raw.items() if not isinstance(v, dict)}
    verify |= {
        f"{k}.{key}": v
        for k, table in raw.items()
        if isinstance(table, dict)
        for key, v in table.items()
    }
    check_table("verify", verify, VERIFY_KEYS)
    checked: dict[str, Any] = {
        "replicates": whole("verify.replicates", verify.get("replicates", 8), 2),
        "population.scale": _verify_scale(verify.get("population.scale", 1.0)),
        "fits": whole("verify.fits", verify.get("fits", 5), 0),
        "plans": whole("verify.plans", verify.get("plans", 3), 1),
        "seed": whole("verify.seed", verify.get("seed", 1_000_003), 0, MAX_SEED),
        "ensemble": None,
    }
    if "ensemble" in verify:
        ensemble = base_dir / str(verify["ensemble"])
        if not ensemble.is_file():
            raise ParameterError(f"verify.ensemble: no such file {ensemble}")
        read_fits(ensemble, where="verify.ensemble")  # refused now, not after the search
        checked["ensemble"] = ensemble.resolve()
    for text in ("description", "description_zh"):
        if not isinstance(data.get(text, ""), str):
            raise ParameterError(f"{text}: expected a string")
    return Optimisation(
        name=name,
        path=None,
        scenario=scenario,
        variables=tuple(variables),
        constraints=tuple(constraints),
        objectives=tuple(objectives),
        trials=whole("search.trials", search.get("trials", 60), 1),
        replicates=whole("search.replicates", search.get("replicates", 2), 1),
        days=days,
        seed=seed,
        verify=checked,
        description=data.get("description", ""),
        description_zh=data.get("description_zh", ""),
        spec=data,
    )


def load_optimisation(name_or_path: str | Path) -> Optimisation:
    """Load and check an optimisation file (a path, or a name under ``scenarios/optimise/``)."""
    return load_spec(
        scenario_path(name_or_path, folder=OPTIMISE_DIR),
        what="optimisation file",
        parse=parse_optimisation,
    )
