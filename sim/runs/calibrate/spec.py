"""Calibration: fit free parameters so that a scenario reproduces published figures.

A calibration file (TOML) names a base scenario (with fixed ``[settings]``),
the ``[free]`` parameters with ranges inside the schema's bounds, the
``[[targets]]`` (a metric, a value, an interval, a weight, a source), and the
search::

    scenario = "baseline"
    days = 365
    replicates = 2              # runs per candidate, the same seeds for every candidate
    seed = 11
    [settings]
    population.scale = 0.1
    [search]
    screen = 48                 # Latin-hypercube candidates
    polish = 40                 # then Nelder-Mead candidates from the best one
    good_within = 2.0           # good fits: loss at most this much above the best
    profile = 0.1               # then each parameter moved by 10% of its range, both ways
    [posterior]                 # optional: a weighted ensemble of parameter sets (.posterior)
    draws = 300                 # Latin-hypercube draws over the free ranges
    sets = 50                   # drawn by weight into the ensemble
    [check]
    replicates = 5              # the best set, run again for the fit report
    scale = 1.0
    years = 3                   # measured years of each check run: the report shows each year
    [free]
    disputes.rate_per_1k = { low = 6.0, high = 20.0 }
    [[targets]]
    metric = "mediated_per_1k"
    value = 8.5
    interval = [6.0, 11.0]
    source = "national figures: 6-11 mediated disputes per 1,000 residents a year"
    [[targets]]                 # an effect: the relative change when a named scenario's
    metric = "incidents_per_100k"   # policy is applied to each candidate, on the same seeds
    effect_of = "one_village_one_police"
    value = -0.14
    interval = [-0.25, -0.04]

A target with ``effect_of`` is the relative change of its metric, ``mean(with) /
mean(without) - 1``, when the policy of the named scenario (the settings in which it
differs from the calibration's scenario, and its timeline) is applied on top of each
candidate: it fits the sizes of a lever's channels to a published rollout.

The loss of a candidate is the weighted sum over targets of
``((mean - value) / half-width)**2``, the half-width being the distance from
the value to the interval's end on that side (a missing metric counts as
far off). Common random numbers make the loss smooth enough for Nelder-Mead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim.model.metrics import METRICS
from sim.model.parameters import ParameterError, flatten, resolve
from sim.model.streams import MAX_SEED
from sim.model.timeline import MAX_DAYS, Timeline
from sim.runs.scenario import scenario_toml
from sim.runs.specfile import (
    BASE_ENTRIES,
    SpecFile,
    base_scenario,
    check_entries,
    check_runs,
    derived_seeds,
    load_spec,
    number,
    whole,
)
from sim.runs.sweep.spec import Factor, check_plan_factors, parse_factors

TOP_LEVEL = BASE_ENTRIES | {
    "days",
    "replicates",
    "seed",
    "search",
    "check",
    "free",
    "targets",
    "posterior",
}
MISSING_PENALTY = 100.0  # loss of a target whose metric is NaN (e.g. no petitions at all)


@dataclass(frozen=True)
class Target:
    """A published figure: the metric should be near ``value``, inside ``low``..``high``."""

    metric: str
    value: float
    low: float
    high: float
    weight: float = 1.0
    source: str = ""
    effect_of: str = ""  # a scenario: the target is the metric's relative change under its policy

    @property
    def name(self) -> str:
        """The target's column in the tables: the metric, or ``metric with SCENARIO``."""
        return f"{self.metric} with {self.effect_of}" if self.effect_of else self.metric

    def loss(self, mean: float) -> float:
        if not np.isfinite(mean):
            return self.weight * MISSING_PENALTY
        half = (self.high - self.value) if mean > self.value else (self.value - self.low)
        return self.weight * ((mean - self.value) / max(half, 1e-12)) ** 2


@dataclass(frozen=True)
class Policy:
    """What an effect target's scenario changes: its settings that differ from the
    calibration's scenario, and its timeline."""

    settings: dict[str, Any]
    timeline: Timeline


@dataclass(frozen=True)
class Calibration(SpecFile):
    """A checked calibration file."""

    free: tuple[Factor, ...]
    targets: tuple[Target, ...]
    days: int = 365
    replicates: int = 2
    seed: int = 1
    screen: int = 32
    polish: int = 30
    good_within: float = 2.0  # good fits: loss at most this above the best
    profile: float = 0.1  # step (share of the range) of the one-at-a-time profile; 0: none
    check_replicates: int = 5
    check_scale: float | None = None  # None: the settings' population.scale
    check_years: int = 1  # measured years of each check run (each year is reported)
    description: str = ""
    policies: dict[str, Policy] = field(default_factory=dict)  # of the targets' ``effect_of``
    posterior_draws: int = 0  # Latin-hypercube draws for the posterior ensemble; 0: none
    posterior_sets: int = 50  # the sets drawn by weight into the ensemble

    def seeds(self) -> list[int]:
        """The replicate seeds, the same for every candidate (common random numbers)."""
        return derived_seeds(self.seed, max(self.replicates, self.check_replicates))

    def params_at(self, unit: Sequence[float]) -> dict[str, Any]:
        """The free parameters' values at a point of the unit cube."""
        return {f.key: f.at(np.array([u]))[0] for f, u in zip(self.free, unit, strict=True)}

    def unit_of_current(self) -> np.ndarray:
        """The point of the unit cube where the base scenario's values lie (clipped to the ranges),
        so that a re-calibration starts no worse than the values in force."""
        current = [
            (self.scenario.params[f.key] - f.bounds[0]) / (f.bounds[1] - f.bounds[0])
            for f in self.free
        ]
        return np.clip(np.array(current, dtype=float), 0.0, 1.0)

    def loss(self, means: dict[str, float]) -> float:
        """The weighted distance of ``means`` (by target name) from the targets."""
        return float(sum(t.loss(means[t.name]) for t in self.targets))

    def target_means(
        self, base: dict[str, float], policies: dict[str, dict[str, float]]
    ) -> dict[str, float]:
        """Each target's simulated value by name, from the metrics' means under the base
        scenario (``base``) and under each effect target's policy (``policies``)."""
        return {
            t.name: relative_change(base[t.metric], policies[t.effect_of][t.metric])
            if t.effect_of
            else base[t.metric]
            for t in self.targets
        }


def relative_change(base: float, other: float) -> float:
    """``other / base - 1``; not a number when ``base`` is 0 or not a number."""
    return other / base - 1.0 if np.isfinite(base) and base != 0 else float("nan")


def _target(i: int, entry: Any) -> Target:
    where = f"targets[{i}]"
    if not isinstance(entry, dict):
        raise ParameterError(f"{where}: expected a [[targets]] table")
    unknown = sorted(set(entry) - {"metric", "value", "interval", "weight", "source", "effect_of"})
    if unknown:
        raise ParameterError(f"{where}.{unknown[0]}: unknown field")
    metric = entry.get("metric")
    if not isinstance(metric, str) or metric not in METRICS:
        raise ParameterError(f"{where}.metric: expected a metric name, got {metric!r}")
    value = number(f"{where}.value", entry.get("value"))
    interval = entry.get("interval", [value, value])
    if not isinstance(interval, list) or len(interval) != 2:
        raise ParameterError(f"{where}.interval: expected [low, high]")
    low, high = (number(f"{where}.interval", v) for v in interval)
    if not low <= value <= high or low == high:
        raise ParameterError(f"{where}.interval: expected low < high around the value {value}")
    weight = number(f"{where}.weight", entry.get("weight", 1.0), low=0)
    effect_of = entry.get("effect_of", "")
    if not isinstance(effect_of, str):
        raise ParameterError(f"{where}.effect_of: expected a scenario name, got {effect_of!r}")
    if effect_of and value <= -1.0:
        raise ParameterError(f"{where}.value: a relative change is above -1, got {value}")
    return Target(metric, value, low, high, weight, str(entry.get("source", "")), effect_of)


def _policies(
    data: dict[str, Any],
    targets: Sequence[Target],
    *,
    free: set[str],
    fixed: set[str],
    base_dir: Path,
) -> dict[str, Policy]:
    """The policy of each scenario that a target names in ``effect_of``: the settings in which it
    differs from the calibration's scenario, and its timeline. A policy that changes nothing, or
    that sets a free parameter or a fixed setting (which it would silently undo), is refused."""
    policies: dict[str, Policy] = {}
    names = {t.effect_of: i for i, t in reversed(list(enumerate(targets))) if t.effect_of}
    if not names:
        return policies
    bare = base_scenario({"scenario": data.get("scenario", "baseline")}, base_dir=base_dir)
    for name, i in names.items():
        where = f"targets[{i}].effect_of"
        try:  # a name, or a path beside the file, as the calibration's own scenario
            other = base_scenario({"scenario": name}, base_dir=base_dir)
        except ParameterError as exc:
            raise ParameterError(f"{where}: {str(exc).removeprefix('scenario: ')}") from None
        settings = {k: v for k, v in other.params.items() if bare.params.get(k) != v}
        if not settings and other.timeline == bare.timeline:
            raise ParameterError(f"{where}: {name} changes nothing in {bare.name}")
        clash = sorted(set(settings) & (free | fixed))
        if clash:
            what = "free in [free]" if clash[0] in free else "fixed in [settings]"
            raise ParameterError(f"{where}: {name} sets {clash[0]}, which is {what}")
        policies[name] = Policy(settings, other.timeline)
    return policies


def parse_calibration(data: dict[str, Any], *, name: str, base_dir: Path) -> Calibration:
    """A :class:`Calibration` from a file's contents; :class:`ParameterError` names the key."""
    check_entries(data, TOP_LEVEL)
    scenario = base_scenario(data, base_dir=base_dir)
    free = parse_factors(data, (("free", "free"),))
    check_plan_factors(scenario.params, free)
    fixed = set(flatten(data.get("settings", {})))
    for f in free:
        if f.key in fixed:  # the fit sets it in every run: the setting would change nothing
            raise ParameterError(f"settings.{f.key}: also free in [free]; set it in one place")
    if not free or any(not f.is_range for f in free):
        raise ParameterError("free: give each free parameter a range { low = ..., high = ... }")
    targets = data.get("targets", [])
    if not isinstance(targets, list) or not targets:
        raise ParameterError("targets: expected one or more [[targets]] tables")
    search, check = data.get("search", {}), data.get("check", {})
    posterior = data.get("posterior", {})
    for where, table, keys in (
        ("search", search, {"screen", "polish", "good_within", "profile"}),
        ("check", check, {"replicates", "scale", "years"}),
        ("posterior", posterior, {"draws", "sets"}),
    ):
        if not isinstance(table, dict) or set(table) - keys:
            raise ParameterError(
                f"{where}: expected a table with some of {', '.join(sorted(keys))}"
            )
    good_within = number("search.good_within", search.get("good_within", 2.0))
    if good_within <= 0:
        raise ParameterError(f"search.good_within: expected a positive loss, got {good_within}")
    profile = number("search.profile", search.get("profile", 0.1))
    if not 0 <= profile <= 0.5:
        raise ParameterError(
            f"search.profile: expected a share of the range in [0, 0.5], got {profile}"
        )
    days = whole("days", data.get("days", 365), 1, MAX_DAYS)
    try:
        scenario.timeline.check_days(days)
    except ParameterError as exc:
        raise ParameterError(f"scenario: {exc}: make days longer, or the event earlier") from None
    scale = check.get("scale")
    if scale is not None:
        scale = number("check.scale", scale)
        resolve({"population.scale": scale})
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ParameterError(f"description: expected a string, got {description!r}")
    replicates = whole("replicates", data.get("replicates", 2), 1)
    screen = whole("search.screen", search.get("screen", 32), 2)
    polish = whole("search.polish", search.get("polish", 30), 0)
    check_runs("search", (screen + polish) * replicates)
    draws = whole("posterior.draws", posterior.get("draws", 0), 0)
    if "posterior" in data and draws < 2:
        raise ParameterError(f"posterior.draws: expected at least 2 draws, got {draws}")
    check_runs("posterior", draws * replicates)
    parsed = tuple(_target(i, t) for i, t in enumerate(targets))
    policies = _policies(data, parsed, free={f.key for f in free}, fixed=fixed, base_dir=base_dir)
    for policy in policies.values():
        try:
            policy.timeline.check_days(days)
        except ParameterError as exc:
            raise ParameterError(f"targets: {exc}: make days longer") from None
    return Calibration(
        name=name,
        path=None,
        scenario=scenario,
        free=tuple(free),
        targets=parsed,
        policies=policies,
        days=days,
        replicates=replicates,
        seed=whole("seed", data.get("seed", 1), 0, MAX_SEED),
        screen=screen,
        polish=polish,
        good_within=good_within,
        profile=profile,
        check_replicates=whole("check.replicates", check.get("replicates", 5), 2),
        check_scale=scale,
        check_years=whole("check.years", check.get("years", 1), 1, MAX_DAYS // 365),
        description=description,
        posterior_draws=draws,
        posterior_sets=whole("posterior.sets", posterior.get("sets", 50), 1),
    )


def load_calibration(path: str | Path) -> Calibration:
    """Load and check a calibration file."""
    return load_spec(Path(path), what="calibration file", parse=parse_calibration)


def calibrated_toml(
    calibration: Calibration, best: Mapping[str, Any], *, loss: float, where: Path
) -> str:
    """The scenario file (written into ``where``) that extends the base scenario with the
    calibrated values ``best``."""
    base = calibration.scenario
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    return scenario_toml(
        base,
        best,
        where=where,
        description=f"{base.name} with calibrated parameters",
        comments=[
            f"Calibrated on {when} by `govsim calibrate {calibration.path or calibration.name}`:",
            f"loss {loss:.4g} (weighted squared distance to the targets, in half-widths of their",
            "intervals). Copy these values into the base scenario, or extend it as this file does.",
        ],
    )
