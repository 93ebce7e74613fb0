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

The loss of a candidate is the weighted sum over targets of
``((mean - value) / half-width)**2``, the half-width being the distance from
the value to the interval's end on that side (a missing metric counts as
far off). Common random numbers make the loss smooth enough for Nelder-Mead.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.model.metrics import METRICS
from sim.model.parameters import ParameterError, resolve
from sim.runs.batch import RunSpec, execute
from sim.runs.executors import executor_for
from sim.runs.scenario import Scenario, ScenarioError, read_toml
from sim.runs.sweep import Factor, base_scenario, check_entries, derived_seeds, parse_factors

TOP_LEVEL = {"description", "scenario", "settings", "days", "replicates", "seed", "search",
             "check", "free", "targets"}  # fmt: skip
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

    def loss(self, mean: float) -> float:
        if not np.isfinite(mean):
            return self.weight * MISSING_PENALTY
        half = (self.high - self.value) if mean > self.value else (self.value - self.low)
        return self.weight * ((mean - self.value) / max(half, 1e-12)) ** 2


@dataclass(frozen=True)
class Calibration:
    """A checked calibration file."""

    name: str
    path: Path | None
    scenario: Scenario
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

    def seeds(self) -> list[int]:
        """The replicate seeds, the same for every candidate (common random numbers)."""
        return derived_seeds(self.seed, max(self.replicates, self.check_replicates))

    def params_at(self, unit: Sequence[float]) -> dict[str, Any]:
        """The free parameters' values at a point of the unit cube."""
        return {f.key: f.at(np.array([u]))[0] for f, u in zip(self.free, unit, strict=True)}

    def unit_of_current(self) -> np.ndarray:
        """The point of the unit cube where the base scenario's values lie (clipped to the ranges),
        so that a re-calibration starts no worse than the values in force."""
        current = [(self.scenario.params[f.key] - f.low) / (f.high - f.low) for f in self.free]
        return np.clip(np.array(current, dtype=float), 0.0, 1.0)

    def loss(self, means: dict[str, float]) -> float:
        return float(sum(t.loss(means[t.metric]) for t in self.targets))


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise ParameterError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


def _target(i: int, entry: Any) -> Target:
    where = f"targets[{i}]"
    if not isinstance(entry, dict):
        raise ParameterError(f"{where}: expected a [[targets]] table")
    unknown = sorted(set(entry) - {"metric", "value", "interval", "weight", "source"})
    if unknown:
        raise ParameterError(f"{where}.{unknown[0]}: unknown field")
    metric = entry.get("metric")
    if metric not in METRICS:
        raise ParameterError(f"{where}.metric: expected a metric name, got {metric!r}")
    value = _number(f"{where}.value", entry.get("value"))
    interval = entry.get("interval", [value, value])
    if not isinstance(interval, list) or len(interval) != 2:
        raise ParameterError(f"{where}.interval: expected [low, high]")
    low, high = (_number(f"{where}.interval", v) for v in interval)
    if not low <= value <= high or low == high:
        raise ParameterError(f"{where}.interval: expected low < high around the value {value}")
    weight = _number(f"{where}.weight", entry.get("weight", 1.0))
    return Target(metric, value, low, high, weight, str(entry.get("source", "")))


def _whole(where: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ParameterError(f"{where}: expected a whole number >= {low}, got {value!r}")
    return value


def parse_calibration(data: dict[str, Any], *, name: str, base_dir: Path) -> Calibration:
    """A :class:`Calibration` from a file's contents; :class:`ParameterError` names the key."""
    check_entries(data, TOP_LEVEL)
    scenario = base_scenario(data, base_dir=base_dir)
    free = parse_factors(data, (("free", "free"),))
    if not free or any(not f.is_range for f in free):
        raise ParameterError("free: give each free parameter a range { low = ..., high = ... }")
    targets = data.get("targets", [])
    if not isinstance(targets, list) or not targets:
        raise ParameterError("targets: expected one or more [[targets]] tables")
    search, check = data.get("search", {}), data.get("check", {})
    for where, table, keys in (("search", search, {"screen", "polish", "good_within", "profile"}),
                               ("check", check, {"replicates", "scale", "years"})):  # fmt: skip
        if not isinstance(table, dict) or set(table) - keys:
            raise ParameterError(
                f"{where}: expected a table with some of {', '.join(sorted(keys))}"
            )
    good_within = _number("search.good_within", search.get("good_within", 2.0))
    if good_within <= 0:
        raise ParameterError(f"search.good_within: expected a positive loss, got {good_within}")
    profile = _number("search.profile", search.get("profile", 0.1))
    if not 0 <= profile <= 0.5:
        raise ParameterError(
            f"search.profile: expected a share of the range in [0, 0.5], got {profile}"
        )
    scale = check.get("scale")
    if scale is not None:
        scale = _number("check.scale", scale)
        resolve({"population.scale": scale})
    return Calibration(
        name=name, path=None, scenario=scenario, free=tuple(free),
        targets=tuple(_target(i, t) for i, t in enumerate(targets)),
        days=_whole("days", data.get("days", 365), 1),
        replicates=_whole("replicates", data.get("replicates", 2), 1),
        seed=_whole("seed", data.get("seed", 1), 0),
        screen=_whole("search.screen", search.get("screen", 32), 2),
        polish=_whole("search.polish", search.get("polish", 30), 0), good_within=good_within,
        profile=profile,
        check_replicates=_whole("check.replicates", check.get("replicates", 5), 2),
        check_scale=scale, check_years=_whole("check.years", check.get("years", 1), 1),
        description=str(data.get("description", "")),
    )  # fmt: skip


def load_calibration(path: str | Path) -> Calibration:
    """Load and check a calibration file."""
    path = Path(path)
    data = read_toml(path, what="calibration file")
    try:
        calibration = parse_calibration(data, name=path.stem, base_dir=path.parent)
    except ParameterError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    return replace(calibration, path=path)


class Evaluator:
    """Runs candidates (replicates in parallel on an executor) and keeps every evaluation."""

    def __init__(self, calibration: Calibration, executor: Executor, bar: tqdm) -> None:
        self.calibration, self.executor, self.bar = calibration, executor, bar
        self.rows: list[dict[str, Any]] = []

    def submit(self, params: dict[str, Any], *, replicates: int, scale: float | None = None,
               years: int | None = None):  # fmt: skip
        """Futures of ``replicates`` runs of the base scenario with ``params`` (and ``scale``);
        with ``years``, runs of that many measured years that report each year."""
        c = self.calibration
        full = resolve(c.scenario.params | params | ({} if scale is None else
                                                      {"population.scale": scale}))  # fmt: skip
        days = c.days if years is None else 365 * years
        futures = [
            self.executor.submit(execute, RunSpec(
                run_id=r, design_row=0, replicate=r, seed=seed, days=days, params=full,
                timeline=c.scenario.timeline, yearly=years is not None))
            for r, seed in enumerate(c.seeds()[:replicates])
        ]  # fmt: skip
        for future in futures:
            future.add_done_callback(lambda _: self.bar.update())
        return futures

    def evaluate_many(self, units: np.ndarray, *, phase: str) -> list[float]:
        """Losses of many candidates at once (all their runs in flight together)."""
        c = self.calibration
        jobs = [(u, c.params_at(u)) for u in units]
        futures = [self.submit(params, replicates=c.replicates) for _, params in jobs]
        return [self._keep(u, params, _records(f), phase) for (u, params), f in zip(jobs, futures, strict=True)]  # fmt: skip

    def evaluate(self, unit: np.ndarray, *, phase: str) -> float:
        return self.evaluate_many(np.array([unit]), phase=phase)[0]

    def _keep(self, unit, params, records, phase: str) -> float:
        means = mean_metrics(records)
        loss = self.calibration.loss(means)
        self.rows.append({"phase": phase, "loss": loss} | params | {
            f"u:{f.key}": float(u) for f, u in zip(self.calibration.free, unit, strict=True)
        } | {f"sim:{t.metric}": means[t.metric] for t in self.calibration.targets})  # fmt: skip
        return loss


def _records(futures) -> list[dict[str, Any]]:
    wait(futures)
    records = [f.result() for f in futures]
    failed = [r["error"] for r in records if r["status"] != "ok"]
    if failed:
        raise ScenarioError(f"a calibration run failed: {failed[0]}")
    return records


def mean_metrics(records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Each metric's mean over runs, ignoring runs where it is undefined (NaN)."""
    means = {}
    for metric in METRICS:
        values = np.array([r[metric] for r in records], dtype=float)
        finite = values[np.isfinite(values)]
        means[metric] = float(finite.mean()) if len(finite) else float("nan")
    return means


def search(
    calibration: Calibration,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> tuple[dict[str, Any], pd.DataFrame, list[dict[str, Any]]]:
    """Screen a Latin hypercube (and the base scenario's own values), polish the best candidate
    with Nelder-Mead, profile each
    parameter around the best (one at a time, ``profile`` of its range either way), and
    check the best set.

    Returns the best free-parameter values (rounded to 4 significant digits, as
    written to the scenario file), every evaluation (a table), and the records
    of the check runs of the best set (``check_replicates`` at ``check_scale``).
    """
    from scipy.optimize import minimize
    from scipy.stats import qmc

    c = calibration
    profiled = 2 * len(c.free) if c.profile else 0
    total = (c.screen + 1 + c.polish + profiled) * c.replicates + c.check_replicates
    with (
        executor_for(workers=workers, scheduler=scheduler) as executor,
        tqdm(total=total, unit="run", disable=not progress, desc="screening") as bar,
    ):
        evaluator = Evaluator(c, executor, bar)
        units = qmc.LatinHypercube(d=len(c.free), seed=c.seed).random(c.screen)
        units = np.vstack([units, c.unit_of_current()])  # the values in force are a candidate too
        losses = evaluator.evaluate_many(units, phase="screen")
        start = units[int(np.argmin(losses))]
        if c.polish:
            bar.set_description("polishing")
            minimize(
                lambda u: evaluator.evaluate(np.clip(u, 0.0, 1.0), phase="polish"), start,
                method="Nelder-Mead", bounds=[(0.0, 1.0)] * len(c.free),
                options={"maxfev": c.polish, "xatol": 1e-3, "fatol": 1e-3,
                         "initial_simplex": _simplex(start)},
            )  # fmt: skip
        table = pd.DataFrame(evaluator.rows)
        best_row = table.loc[table["loss"].idxmin()]
        best = {f.key: _rounded(best_row[f.key]) for f in c.free}
        if c.profile:  # each parameter alone, a step either way: how fast the fit worsens
            bar.set_description("profiling")
            centre = best_row[[f"u:{f.key}" for f in c.free]].to_numpy(dtype=float)
            for j, f in enumerate(c.free):
                steps = [centre.copy(), centre.copy()]
                steps[0][j] = max(centre[j] - c.profile, 0.0)
                steps[1][j] = min(centre[j] + c.profile, 1.0)
                evaluator.evaluate_many(np.array(steps), phase=f"profile:{f.key}")
            table = pd.DataFrame(evaluator.rows)
        bar.set_description("checking")
        check = _records(evaluator.submit(best, replicates=c.check_replicates,
                                          scale=c.check_scale, years=c.check_years))  # fmt: skip
    return best, table, check


def _rounded(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return value if isinstance(value, int) else float(f"{value:.4g}")


def _simplex(start: np.ndarray, step: float = 0.1) -> np.ndarray:
    """A starting simplex around ``start`` that stays inside the unit cube."""
    points = [start]
    for j in range(len(start)):
        point = start.copy()
        point[j] = point[j] + step if point[j] + step <= 1.0 else point[j] - step
        points.append(point)
    return np.array(points)
