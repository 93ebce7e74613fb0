"""Sweep files and their designs: which runs a batch sweep is made of.

A sweep file (TOML) names a base scenario (with fixed ``[settings]`` for
every run), the **levers** (policy settings a planner controls) and the
**uncertainties** (what nobody controls), each a list of values or a
``{ low, high }`` range, and a design::

    description = "Staffing levels and allocation"
    scenario = "baseline"
    days = 365
    replicates = 2
    seed = 20260630                  # master seed: every run's seed derives from it

    [settings]                       # the same in every run
    population.scale = 0.2

    [design]
    method = "grid"                  # grid | lhs | sobol | morris
    levels = 3                       # grid: points per range; morris: levels of the grid

    [levers]
    grid_workers.total = [500, 1000, 2000]
    grid_workers.allocation = ["equal", "population", "risk"]

    [uncertainties]
    disputes.rate_per_1k = { low = 8, high = 20 }

``grid`` is the full factorial; ``lhs`` a Latin hypercube (scipy.stats.qmc)
of ``samples`` points; ``sobol`` Saltelli's sample for Sobol' indices
(SALib; ``samples`` base points make ``samples * (factors + 2)`` points, or
``samples * (2 factors + 2)`` with ``second_order = true``); ``morris``
``samples`` trajectories of ``factors + 1`` points (SALib). Factor names,
values and ranges are checked against the parameter schema before anything
runs. Replicate ``r`` of every design point has the same seed, derived from
the master seed (common random numbers across the design).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.geography import MapDataError
from sim.model.mapcheck import (
    check_against_map,
    check_values_reach_simulated,
    whole_numbers,
)
from sim.model.parameters import SCHEMA, ParameterError, flatten, unknown_key_error
from sim.model.staffing import PLAN_REPLACES
from sim.model.streams import MAX_SEED
from sim.model.timeline import MAX_DAYS
from sim.runs.scenario import FILE_KEYS, scenario_path, with_paths_from
from sim.runs.specfile import (
    BASE_ENTRIES,
    SpecFile,
    base_scenario,
    check_entries,
    check_runs,
    derived_seeds,
    digest,
    load_spec,
    whole,
)

if TYPE_CHECKING:
    import pandas as pd

METHODS = ("grid", "lhs", "sobol", "morris")
SWEEP_DIR = Path(__file__).resolve().parents[3] / "scenarios" / "sweeps"
TOP_LEVEL = BASE_ENTRIES | {"days", "replicates", "seed", "design", "levers", "uncertainties"}
DESIGN_KEYS = {"method", "samples", "levels", "second_order"}
METHOD_OPTIONS = {  # the design options each method reads; another is refused, never ignored
    "grid": {"levels"},
    "lhs": {"samples"},
    "sobol": {"samples", "second_order"},
    "morris": {"samples", "levels"},
}


def files_from(base_dir: Path, factor: Factor) -> Factor:
    """``factor`` with relative file values (``staffing.plan``, ``map.file``) taken from the
    sweep file's folder ``base_dir``."""
    if factor.key not in FILE_KEYS:
        return factor
    values = tuple(with_paths_from(base_dir, {factor.key: v})[factor.key] for v in factor.values)
    return replace(factor, values=values)


def check_plan_factors(base: dict[str, Any], factors: list[Factor]) -> None:
    """Refuse a swept staffing setting that a staffing plan replaces in some runs: the plan of
    the base scenario or ``[settings]``, or a swept ``staffing.plan``."""
    plans = [base["staffing.plan"]] if base["staffing.plan"] else []
    for f in factors:
        if f.key == "staffing.plan":
            plans += [v for v in f.values if v]
    if not plans:
        return
    for f in factors:
        if f.key in PLAN_REPLACES:
            raise ParameterError(
                f"{SECTION_OF_ROLE.get(f.role, f.role)}.{f.key}: has no effect in the runs with "
                f"staffing.plan ({plans[0]}), which replaces it; sweep one or the other"
            )


def design_size(
    factors: list[Factor], *, method: str, samples: int, levels: int, second_order: bool
) -> int:
    """How many design points a sweep's design makes (without making them)."""
    k = len(factors)
    if method == "grid":
        return math.prod(len(f.grid(levels)) for f in factors)
    if method == "sobol":
        return samples * (2 * k + 2 if second_order else k + 2)
    if method == "morris":
        return samples * (k + 1)
    return samples


def unit_problem(keys: list[str]) -> dict[str, Any]:
    """The SALib problem of factors ``keys`` over the unit cube, where designs are drawn."""
    return {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}


@dataclass(frozen=True)
class Factor:
    """A swept parameter: a list of ``values``, or a range ``low``..``high``."""

    key: str
    role: str  # "lever" or "uncertainty"
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def is_range(self) -> bool:
        return not self.values

    @property
    def bounds(self) -> tuple[float, float]:
        """A range's low and high."""
        if self.low is None or self.high is None:
            raise ValueError(f"{self.key}: a list of values, not a range")
        return self.low, self.high

    def at(self, u: np.ndarray) -> list[Any]:
        """The factor's values at unit coordinates ``u`` in [0, 1]."""
        if self.is_range:
            low, high = self.bounds
            x = low + np.asarray(u) * (high - low)
            if SCHEMA[self.key].type_name == "int":
                return [int(v) for v in np.rint(x)]
            return [float(v) for v in x]
        index = np.minimum((np.asarray(u) * len(self.values)).astype(int), len(self.values) - 1)
        return [self.values[i] for i in index]

    def grid(self, levels: int) -> list[Any]:
        """Grid points: the listed values, or ``levels`` evenly spaced over the range."""
        if not self.is_range:
            return list(self.values)
        return list(dict.fromkeys(self.at(np.linspace(0.0, 1.0, levels))))


@dataclass(frozen=True)
class Sweep(SpecFile):
    """A checked sweep file."""

    factors: tuple[Factor, ...]
    method: str = "grid"
    samples: int = 16
    levels: int = 3
    second_order: bool = False
    days: int = 365
    replicates: int = 1
    seed: int = 1
    description: str = ""
    spec: dict[str, Any] = field(default_factory=dict)  # the file's contents, for the manifest

    def replicate_seeds(self) -> list[int]:
        """The seed of each replicate, derived from the master seed (the same at every point)."""
        return derived_seeds(self.seed, self.replicates)

    def design(self) -> pd.DataFrame:
        """One row per design point: ``design_row``, unit coordinates ``u:KEY`` (sampled
        designs) and the parameter values under their dotted keys."""
        import pandas as pd  # loads when the sweep runs, not when its file is checked

        keys = [f.key for f in self.factors]
        if self.method == "grid":
            rows = list(itertools.product(*(f.grid(self.levels) for f in self.factors)))
            table = pd.DataFrame(rows, columns=keys)
        else:
            unit = self._unit_sample()
            table = pd.DataFrame(unit, columns=[f"u:{k}" for k in keys])
            for j, f in enumerate(self.factors):
                table[f.key] = f.at(unit[:, j])
        table.insert(0, "design_row", np.arange(len(table)))
        return table

    def salib_problem(self) -> dict[str, Any]:
        """The SALib problem over the unit cube (factor values are mapped from it)."""
        return unit_problem([f.key for f in self.factors])

    def _unit_sample(self) -> np.ndarray:
        if self.method == "lhs":
            from scipy.stats import qmc

            return qmc.LatinHypercube(d=len(self.factors), seed=self.seed).random(self.samples)
        if self.method == "sobol":
            from SALib.sample import sobol

            return sobol.sample(
                self.salib_problem(),
                self.samples,
                calc_second_order=self.second_order,
                seed=self.seed,
            )
        from SALib.sample import morris

        return morris.sample(
            self.salib_problem(), self.samples, num_levels=self.levels, seed=self.seed
        )

    @property
    def sha256(self) -> str:
        """What identifies the sweep's runs: the base scenario, the design and the seeds."""
        return digest(
            [
                self.scenario.sha256,
                self.method,
                self.samples,
                self.levels,
                self.second_order,
                [vars(f) for f in self.factors],
                self.days,
                self.replicates,
                self.seed,
            ]
        )


def _factor(key: str, section: str, role: str, spec: Any) -> Factor:
    parameter = SCHEMA[key]
    if isinstance(spec, list):
        if not spec:
            raise ParameterError(f"{section}.{key}: the list of values is empty")
        values = []
        for value in spec:
            try:
                values.append(parameter.check(value))
            except ParameterError as exc:
                raise ParameterError(f"{section}.{exc}") from None
        return Factor(key, role, values=tuple(values))
    if isinstance(spec, dict) and set(spec) == {"low", "high"}:
        if parameter.type_name not in ("int", "float"):
            raise ParameterError(f"{section}.{key}: a range needs a number parameter; give a list")
        try:
            low, high = parameter.check(spec["low"]), parameter.check(spec["high"])
        except ParameterError as exc:
            raise ParameterError(f"{section}.{exc}") from None
        if not low < high:
            raise ParameterError(f"{section}.{key}: low ({low}) must be below high ({high})")
        return Factor(key, role, low=low, high=high)
    raise ParameterError(
        f"{section}.{key}: expected a list of values or {{ low = ..., high = ... }}"
    )


def parse_factors(data: dict[str, Any], sections: tuple[tuple[str, str], ...]) -> list[Factor]:
    """The factors of the ``(role, section)`` tables, checked against the schema."""
    factors: list[Factor] = []
    for role, section in sections:
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ParameterError(f"{section}: expected a [{section}] table")
        for key, spec in _factor_specs(section, table):
            if key in {f.key for f in factors}:
                raise ParameterError(f"{section}.{key}: swept twice")
            factors.append(_factor(key, section, role, spec))
    return factors


SECTION_OF_ROLE = {"lever": "levers", "uncertainty": "uncertainties"}


def check_factors_on_map(base: dict[str, Any], factors: list[Factor]) -> None:
    """Every value of every factor on the base settings, against the map too: place names,
    counts, plan files (a one-line :class:`ParameterError` naming the factor)."""
    for f in factors:
        for value in f.values or (f.low, f.high):
            try:
                check_against_map(base | {f.key: value})
            except (ParameterError, MapDataError) as exc:
                said = str(exc) if str(exc).startswith(f.key) else f"{f.key}: {exc}"
                raise ParameterError(f"{SECTION_OF_ROLE[f.role]}.{said}") from None
        if f.values or SCHEMA[f.key].type_name == "int":  # a staffing factor reaches the map
            values = list(f.values) or whole_numbers(*f.bounds)
            check_values_reach_simulated(base, f.key, values, where=f"{SECTION_OF_ROLE[f.role]}.")


def parse_sweep(data: dict[str, Any], *, name: str, base_dir: Path) -> Sweep:
    """A :class:`Sweep` from a sweep file's contents; :class:`ParameterError` names the key."""
    check_entries(data, TOP_LEVEL)
    scenario = base_scenario(data, base_dir=base_dir)
    design = data.get("design", {})
    if not isinstance(design, dict) or set(design) - DESIGN_KEYS:
        raise ParameterError(
            f"design: expected a table with some of {', '.join(sorted(DESIGN_KEYS))}"
        )
    method = design.get("method", "grid")
    if method not in METHODS:
        raise ParameterError(f"design.method: expected one of {', '.join(METHODS)}, got {method!r}")
    for option in sorted(set(design) - {"method"} - METHOD_OPTIONS[method]):
        takes = ", ".join(sorted(METHOD_OPTIONS[method])) or "no options"
        raise ParameterError(
            f"design.{option}: does not apply to method {method!r} (it takes {takes})"
        )
    factors = [
        files_from(base_dir, f)
        for f in parse_factors(data, (("lever", "levers"), ("uncertainty", "uncertainties")))
    ]
    if not factors:
        raise ParameterError("levers, uncertainties: nothing to sweep")
    check_plan_factors(scenario.params, factors)
    fixed = set(flatten(data.get("settings", {})))
    for f in factors:
        if f.key in fixed:
            raise ParameterError(
                f"settings.{f.key}: also swept in [{SECTION_OF_ROLE[f.role]}]; set it in one place"
            )
    check_factors_on_map(scenario.params, factors)
    if method in ("sobol", "morris") and len(factors) < 2:
        raise ParameterError(f"design.method: {method} needs at least two factors")
    second_order = design.get("second_order", False)
    if not isinstance(second_order, bool):
        raise ParameterError(f"design.second_order: expected true or false, got {second_order!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ParameterError(f"description: expected a string, got {description!r}")
    samples = whole("design.samples", design.get("samples", 16), 1)
    levels = whole("design.levels", design.get("levels", 4 if method == "morris" else 3), 2, 1000)
    replicates = whole("replicates", data.get("replicates", 1), 1)
    points = design_size(
        factors, method=method, samples=samples, levels=levels, second_order=second_order
    )
    check_runs("design", points * replicates)
    return Sweep(
        name=name,
        path=None,
        scenario=scenario,
        factors=tuple(factors),
        method=method,
        samples=samples,
        levels=levels,
        second_order=second_order,
        days=whole("days", data.get("days", 365), 1, MAX_DAYS),
        replicates=replicates,
        seed=whole("seed", data.get("seed", 1), 0, MAX_SEED),
        description=description,
        spec=data,
    )


def _factor_specs(where: str, table: dict[str, Any]) -> list[tuple[str, Any]]:
    """``(dotted key, spec)`` of a [levers] table, written ``section.key = ...`` or quoted."""
    specs = []
    for name, value in table.items():
        if "." in name:
            specs.append((name, value))
        elif isinstance(value, dict):
            specs += [(f"{name}.{key}", spec) for key, spec in value.items()]
        else:
            raise ParameterError(f"{where}.{name}: expected section.key = [values] or a range")
    for key, _ in specs:
        if key not in SCHEMA:
            raise ParameterError(f"{where}.{unknown_key_error(key)}")
    return specs


def load_sweep(name_or_path: str | Path) -> Sweep:
    """Load and check a sweep file (a path, or a name under ``scenarios/sweeps/``)."""
    return load_spec(
        scenario_path(name_or_path, folder=SWEEP_DIR), what="sweep file", parse=parse_sweep
    )
