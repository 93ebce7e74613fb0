"""Running the model: one run to flat metrics, replicates of scenarios (in parallel) to tables,
and the paired differences between scenarios run on common random numbers."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.labels import label
from sim.model.agents import Resident
from sim.model.governance import GovernanceModel
from sim.model.metrics import METRICS, SHARES, grid_outcomes, yearly
from sim.model.timeline import Timeline
from sim.runs import warm
from sim.runs.executors import (
    UNGUARDED_SCRIPT,
    check_not_bootstrapping,
    default_workers,
    executor_for,
    started_from_a_script,
)
from sim.runs.scenario import Scenario, ScenarioError, load_scenario
from sim.runs.statistics import MIN_RUNS, paired_interval
from sim.runs.tables import petition_table, place_tables


def simulate(
    params: Mapping[str, Any] | None = None,
    *,
    days: int = 365,
    seed: int | None = None,
    timeline: Timeline | None = None,
    progress: bool = False,
    lang: str = "en",
    series: bool = True,
    residents: Sequence[Resident] | None = None,
) -> GovernanceModel:
    """Build a model, run its warm-up (``run.warmup_days``) and then ``days`` measured days.

    Returns the model: ``model.current`` (metrics of the measured days),
    ``metrics.yearly(model)``, the daily series (unless ``series`` is false) and the grids.
    ``residents``: an earlier model's to take over (:mod:`sim.runs.warm`).
    """
    if days < 1:
        raise ValueError(f"days: must be at least 1, got {days}")
    check_not_bootstrapping()
    if timeline:
        timeline.check_days(days)
    with tqdm(
        total=days,
        unit=label("term", "progress_day", lang),
        disable=not progress,
        leave=False,
        desc=label("term", "progress_building", lang),
    ) as bar:
        model = GovernanceModel(
            params, rng=seed, timeline=timeline, series=series, residents=residents
        )
        bar.reset(total=model.warmup + days)
        bar.set_description(label("term", "progress_warming", lang))
        for _ in range(model.warmup):
            model.run_for(1)
            bar.update()
        bar.set_description(label("term", "progress_simulating", lang))
        for _ in range(days):
            model.run_for(1)
            bar.update()
    return model


@contextmanager
def warm_model(
    params: Mapping[str, Any] | None = None,
    *,
    seed: int,
    days: int,
    timeline: Timeline | None = None,
    series: bool = True,
    progress: bool = False,
    lang: str = "en",
) -> Iterator[GovernanceModel]:
    """A model run as :func:`simulate` runs it, built on this process's spare residents
    when their map and scale match (:mod:`sim.runs.warm`). Read what you need inside the
    ``with`` block: after it, the next model takes the residents over.

    >>> with warm_model({"map.towns": ["Muzhou"]}, seed=1, days=30) as model:  # doctest: +SKIP
    ...     model.current["escalation_rate"]
    """
    model = simulate(
        params, days=days, seed=seed, timeline=timeline, series=series, progress=progress,
        lang=lang, residents=warm.take(params),
    )  # fmt: skip
    try:
        yield model
    finally:
        warm.keep(model)


def run(
    params: Mapping[str, Any] | None = None,
    *,
    days: int = 365,
    seed: int | None = None,
    timeline: Timeline | None = None,
) -> dict[str, float]:
    """The flat outcome metrics of one run: the function EMA Workbench, SALib or an optimiser calls.

    ``params`` uses the dotted keys of :mod:`sim.model.parameters`, e.g.
    ``sim.run({"map.towns": ["Muzhou"], "grid_workers.total": 2000}, days=365, seed=1)``.
    """
    with warm_model(params, days=days, seed=seed, timeline=timeline, series=False) as model:
        return {name: model.current[name] for name in METRICS}


@dataclass
class RunResult:
    """Replicates of one scenario: a summary row per run (and per run and year), a tidy daily
    series, per-grid outcomes."""

    scenario: Scenario
    days: int
    seeds: list[int]
    summary: pd.DataFrame  # one row per run: scenario, run, seed, every metric
    timeseries: pd.DataFrame  # tidy: scenario, run, seed, day, metric, value
    grids: pd.DataFrame  # scenario, run, seed, grid_id, town, village, per-grid outcomes
    # one row per run and simulated year: scenario, run, seed, year (1, 2, ...), days (measured
    # days in that year: 365, or fewer for a partial last year), every metric
    years: pd.DataFrame = field(default_factory=pd.DataFrame)
    # scenario, run, seed, origin (dispute | claim), subject (the case type), petitions (L4 cases
    # in the measured period), petitions_per_10k (a year), share (of the run's petitions)
    petitions: pd.DataFrame = field(default_factory=pd.DataFrame)
    # results by place (:func:`place_tables`): a row per run and town, per run and village
    towns: pd.DataFrame = field(default_factory=pd.DataFrame)
    villages: pd.DataFrame = field(default_factory=pd.DataFrame)
    timings: dict[str, float] = field(default_factory=dict)


def _grid_table(model: GovernanceModel) -> pd.DataFrame:
    geo = model.geography
    table = pd.DataFrame(
        {
            "grid_id": geo.grid_ids,
            "town": [geo.town_names[t] for t in geo.grid_town],
            "village": [geo.village_names[v] for v in geo.grid_village],
            "village_zh": [geo.village_names_zh[v] for v in geo.grid_village],
            "village_code": [geo.village_codes[v] for v in geo.grid_village],
        }
    )
    for name, values in grid_outcomes(model).items():
        table[name] = values
    return table


def year_table(model: GovernanceModel, ids: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A row per simulated year after the warm-up (:func:`sim.model.metrics.yearly`): ``ids``,
    ``year`` (1, 2, ...), ``days`` (measured days in it; fewer than 365 in a partial last year)
    and every metric."""
    ids = dict(ids or {})
    rows, ended = [], 0.0
    for year, values in enumerate(yearly(model), start=1):
        days = round(values["day"] - ended)  # "day": the measured day at which the year ended
        rows.append(ids | {"year": year, "days": days} | {name: values[name] for name in METRICS})
        ended = values["day"]
    return pd.DataFrame(rows, columns=[*ids, "year", "days", *METRICS])


def _one_run(
    scenario: Scenario,
    *,
    days: int,
    seed: int,
    run_id: int,
    progress: bool = False,
    lang: str = "en",
) -> tuple:
    """One replicate (a separate process may run it): its summary row, series, grids, years,
    petitions by subject, seconds, towns and villages."""
    started = time.perf_counter()
    with warm_model(
        scenario.params, days=days, seed=seed, timeline=scenario.timeline, progress=progress,
        lang=lang,
    ) as model:  # fmt: skip
        return _tables(model, scenario=scenario, seed=seed, run_id=run_id, started=started)


def _tables(model: GovernanceModel, *, scenario: Scenario, seed: int, run_id: int,
            started: float) -> tuple:  # fmt: skip
    ids = {"scenario": scenario.name, "run": run_id, "seed": seed}
    row = ids | {name: model.current[name] for name in METRICS}
    daily = model.datacollector.get_model_vars_dataframe()
    tidy = daily.melt(id_vars="day", var_name="metric", value_name="value")
    series = tidy.assign(**ids)[[*ids, "day", "metric", "value"]]
    grids = _grid_table(model)
    grids = pd.concat([pd.DataFrame(ids, index=grids.index), grids], axis=1)
    towns, villages = place_tables(model, ids)
    return (
        row, series, grids, year_table(model, ids), petition_table(model, ids),
        time.perf_counter() - started, towns, villages,
    )  # fmt: skip


def run_scenarios(
    scenarios: Sequence[Scenario],
    *,
    days: int = 365,
    replicates: int = 1,
    seed: int = 1,
    workers: int | None = None,
    progress: bool = False,
    lang: str = "en",
) -> list[RunResult]:
    """Run every scenario with seeds ``seed, seed+1, ...``, in parallel over ``workers`` processes.

    Every scenario gets the same seeds (common random numbers), so their
    differences are sharp. Results do not depend on ``workers``. ``lang`` is the language
    of the progress bars.
    """
    if days < 1 or replicates < 1:
        raise ValueError(f"days and replicates must be at least 1, got {days} and {replicates}")
    for scenario in scenarios:
        try:
            scenario.timeline.check_days(days)
        except ValueError as exc:
            raise ScenarioError(f"{scenario.path or scenario.name}: {exc}") from None
    seeds = [seed + r for r in range(replicates)]
    jobs = [(s, r) for s in range(len(scenarios)) for r in range(replicates)]
    workers = max(1, min(workers or default_workers(), len(jobs)))
    done: dict[tuple[int, int], tuple] = {}
    started = time.perf_counter()
    check_not_bootstrapping()
    if workers > 1:
        try:
            with (
                executor_for(workers=workers) as pool,
                tqdm(
                    total=len(jobs), unit=label("term", "progress_run", lang), disable=not progress
                ) as bar,
            ):
                futures = {
                    pool.submit(_one_run, scenarios[s], days=days, seed=seeds[r], run_id=r): (s, r)
                    for s, r in jobs
                }
                for future in as_completed(futures):
                    done[futures[future]] = future.result()
                    bar.update()
        except BrokenProcessPool:
            if not started_from_a_script():
                raise
            print(f"govsim: warning: {UNGUARDED_SCRIPT}; running in this one process instead",
                  file=sys.stderr)  # fmt: skip
            workers, done = 1, {}
    if workers == 1:
        with tqdm(total=len(jobs), unit=label("term", "progress_run", lang),
                  disable=not progress or len(jobs) == 1) as bar:  # fmt: skip
            for s, r in jobs:
                done[s, r] = _one_run(
                    scenarios[s], days=days, seed=seeds[r], run_id=r,
                    progress=progress and len(jobs) == 1, lang=lang,
                )  # fmt: skip
                bar.update()
    wall = time.perf_counter() - started
    results = []
    for s, scenario in enumerate(scenarios):
        runs = [done[s, r] for r in range(replicates)]
        results.append(
            RunResult(
                scenario=scenario,
                days=days,
                seeds=seeds,
                summary=pd.DataFrame([run[0] for run in runs]),
                timeseries=pd.concat([run[1] for run in runs], ignore_index=True),
                grids=pd.concat([run[2] for run in runs], ignore_index=True),
                years=pd.concat([run[3] for run in runs], ignore_index=True),
                petitions=pd.concat([run[4] for run in runs], ignore_index=True),
                towns=pd.concat([run[6] for run in runs], ignore_index=True),
                villages=pd.concat([run[7] for run in runs], ignore_index=True),
                timings={
                    "wall_seconds": wall,
                    "run_seconds": [round(run[5], 3) for run in runs],
                    "workers": workers,
                },
            )
        )
    return results


def run_replicates(
    scenario: Scenario,
    *,
    days: int = 365,
    replicates: int = 1,
    seed: int = 1,
    workers: int | None = None,
    progress: bool = False,
) -> RunResult:
    """Run ``replicates`` of one scenario with seeds ``seed, seed+1, ...``; see :func:`run_scenarios`."""
    return run_scenarios(
        [scenario], days=days, replicates=replicates, seed=seed, workers=workers,
        progress=progress,
    )[0]  # fmt: skip


def run_scenario(
    scenario: Scenario | str,
    *,
    replicates: int = 1,
    seed: int = 1,
    days: int = 365,
    workers: int | None = None,
) -> RunResult:
    """A scenario (or its name) run ``replicates`` times: ``result.summary``, ``result.years``,
    ``result.timeseries``.

    >>> result = run_scenario("muzhou", replicates=2, seed=1, days=30)  # doctest: +SKIP
    >>> result.summary["escalation_rate"].mean()  # doctest: +SKIP
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    return run_replicates(scenario, days=days, replicates=replicates, seed=seed, workers=workers)


def _mean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if len(finite) else float("nan")


def paired_differences(results: Sequence[RunResult], *, level: float = 0.95) -> pd.DataFrame:
    """Each metric's difference from the first scenario, with a ``level`` confidence interval.

    Runs with the same seed are paired (common random numbers): the interval
    is a t interval of the per-seed differences, clipped to [-1, 1] for shares.
    ``n`` is the number of pairs in which both runs have a value (a share needs
    cases); with fewer than :data:`~sim.runs.statistics.MIN_RUNS` the metric is
    ``too_few`` and gets no interval. ``significant`` is true when the
    interval excludes zero (never with too few pairs).
    """
    reference, rows = results[0], []
    for other in results[1:]:
        for metric in METRICS:
            a = reference.summary[metric].to_numpy(dtype=float)
            b = other.summary[metric].to_numpy(dtype=float)
            diff = (b - a)[~np.isnan(b - a)]
            mean, half = paired_interval(diff, level)
            too_few = len(diff) < MIN_RUNS
            low, high = mean - half, mean + half
            if metric in SHARES:
                low, high = max(low, -1.0), min(high, 1.0)
            rows.append({
                "metric": metric, "scenario": other.scenario.name,
                "reference": reference.scenario.name,
                "reference_mean": _mean(a), "mean": _mean(b),
                "difference": mean, "ci_low": low, "ci_high": high,
                "significant": bool(np.isfinite(half) and (low > 0 or high < 0)),
                "n": len(diff), "too_few": too_few,
            })  # fmt: skip
    return pd.DataFrame(rows)
