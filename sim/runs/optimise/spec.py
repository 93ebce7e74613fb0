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

**Robust search.** With ``[search] sets = K`` (default 0: every trial under
the calibrated values only) each trial runs its ``replicates`` seeds in each of
``K`` plausible parameter sets, drawn once for the whole search by weight
(systematic resampling, from the search seed) from ``[search] posterior``
(default the shipped ``docs/calibration/posterior/posterior.csv``; a relative
path is read from the file's folder): the same sets and seeds for every trial
(each set its own seeds).
A set's values replace the defaults of its parameters, except those the base
scenario or the file's ``[settings]`` set (their value stands, as in
``govsim compare --sets``); a variable may not be a parameter the posterior
varies (refused). A robustness constraint reads the sets::

    [[constraints]]
    metric = "escalation_rate"
    no_worse_than = "base"          # the base scenario, run in each set on the same seeds
    in_share = 0.9                  # no worse in at least 90% of the sets

It holds when, in at least ``in_share`` of the sets, the trial's mean of the
metric within the set is no worse than the base scenario's within the same set
(which way is better: :data:`sim.model.metrics.BETTER`; a metric without a
direction is refused). ``at_most``/``at_least`` and the objectives read the
mean over all of a trial's runs, as without sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.model.files import other_separator
from sim.model.metrics import METRICS, SHARES
from sim.model.parameters import SCHEMA, ParameterError, flatten
from sim.model.staffing import PLAN_REPLACES
from sim.model.streams import MAX_SEED
from sim.model.timeline import MAX_DAYS
from sim.runs.optimise.decisions import Bound, Constraint, Objective, Robust, Variable
from sim.runs.optimise.robust import drawn_sets, file_sha256, parse_robust, parse_sets
from sim.runs.optimise.variables import (
    parse_variable,
)
from sim.runs.scenario import scenario_path
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

if TYPE_CHECKING:
    import pandas as pd

    from sim.runs.ensemble import World

OPTIMISE_DIR = Path(__file__).resolve().parents[3] / "scenarios" / "optimise"
TOP_LEVEL = BASE_ENTRIES | {
    "description_zh",
    "search",
    "variables",
    "constraints",
    "objectives",
    "verify",
}
SEARCH_KEYS = {"trials", "replicates", "days", "seed", "sets", "posterior"}
VERIFY_KEYS = {"replicates", "population.scale", "ensemble", "fits", "plans", "seed"}
DIRECTIONS = {"minimise": "minimize", "maximise": "maximize"}


@dataclass(frozen=True)
class Optimisation(SpecFile):
    """A checked optimisation file."""

    variables: tuple[Variable, ...]
    constraints: tuple[Constraint, ...]
    objectives: tuple[Objective, ...]
    trials: int = 60
    replicates: int = 2
    days: int = 365
    seed: int = 1
    sets: int = 0  # plausible parameter sets each trial runs in (0: the calibrated values)
    posterior: Path | None = None  # the ensemble they are drawn from (with sets)
    verify: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    description_zh: str = ""
    spec: dict[str, Any] = field(default_factory=dict)

    def seeds(self) -> list[int]:
        """The seeds of every trial's runs: the same for every trial (common random numbers)."""
        return derived_seeds(self.seed, self.replicates)

    def worlds(self) -> list[World]:
        """The plausible parameter sets of every trial: ``sets`` drawn by weight from the
        posterior with the search seed (none without sets)."""
        if not self.sets or self.posterior is None:
            return []
        return list(drawn_sets(self.posterior, self.sets, self.seed))

    @property
    def robust(self) -> list[Robust]:
        """The constraints that read the plausible sets."""
        return [c for c in self.constraints if isinstance(c, Robust)]

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
                # only a robust search adds its sets: earlier studies keep their identity
                *([self.sets, file_sha256(self.posterior)] if self.sets and self.posterior else []),
            ]
        )


def read_fits(path: Path, *, where: str) -> pd.DataFrame:
    """The calibration's good fits in the CSV file at ``path``: the schema's columns, each
    value checked; a one-line :class:`ParameterError` at ``where`` if the file cannot be used."""
    import pandas as pd  # only a file naming good fits needs it

    try:
        table = pd.read_csv(path)
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParameterError(f"{where}: {path}: not a readable CSV file ({reason})") from None
    keys = [c for c in table.columns if c in SCHEMA]
    cause = "" if keys else other_separator(",".join(map(str, table.columns)), SCHEMA)
    if cause:
        raise ParameterError(f"{where}: {path}: {cause}")
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


def _bound(where: str, spec: Any) -> Constraint:
    keys = {"metric", "at_most", "at_least", "no_worse_than", "in_share"}
    spec = check_table(where, spec, keys, {"metric"})
    metric = spec["metric"]
    if not isinstance(metric, str) or metric not in METRICS:
        raise ParameterError(f"{where}.metric: unknown metric {metric!r}")
    if sum(side in spec for side in ("at_most", "at_least", "no_worse_than")) != 1:
        raise ParameterError(f"{where}: give one of at_most, at_least or no_worse_than")
    if "no_worse_than" in spec:
        return parse_robust(where, spec, metric)
    if "in_share" in spec:
        raise ParameterError(f"{where}.in_share: only with no_worse_than; it has no effect here")
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
        parse_variable(f"variables[{i}]", v, scenario, first_seed, base_dir=base_dir)
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
    sets, posterior = parse_sets(search, constraints, keys, base_dir)
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
        sets=sets,
        posterior=posterior,
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
