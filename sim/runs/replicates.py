"""Replicates of scenarios: each scenario run on the same seeds (common random numbers), in
parallel, into tables (:class:`RunResult`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from tqdm import tqdm

from sim.labels import label
from sim.model.streams import MAX_SEED
from sim.runs.ensemble import World, in_world
from sim.runs.executors import check_not_bootstrapping, default_workers, executor_for
from sim.runs.fanout import FanOut
from sim.runs.runner import RunRecord, RunSpec, RunTables
from sim.runs.scenario import Scenario, ScenarioError, load_scenario


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
    # results by place (:func:`sim.runs.places.place_tables`): a row per run and town, per
    # run and village
    towns: pd.DataFrame = field(default_factory=pd.DataFrame)
    villages: pd.DataFrame = field(default_factory=pd.DataFrame)
    timings: dict[str, Any] = field(default_factory=dict)


def run_scenarios(
    scenarios: Sequence[Scenario],
    *,
    days: int = 365,
    replicates: int = 1,
    seed: int = 1,
    workers: int | None = None,
    progress: bool = False,
    lang: str = "en",
    worlds: Sequence[World] | None = None,
    on_run: Callable[[], object] | None = None,
) -> list[RunResult]:
    """Run every scenario with seeds ``seed, seed+1, ...``, in parallel over ``workers`` processes.

    Every scenario gets the same seeds (common random numbers), so their
    differences are sharp. Results do not depend on ``workers``. ``lang`` is the language
    of the progress bars. ``worlds`` (one per replicate, :mod:`sim.runs.ensemble`) runs
    replicate ``r`` in the parameter set ``worlds[r]``; its tables then have ``set`` and ``draw``
    columns. ``on_run`` is called in this process as each run finishes (the app's progress);
    an exception it raises stops the runs, the pool's workers included.
    """
    if days < 1 or replicates < 1:
        raise ValueError(f"days and replicates must be at least 1, got {days} and {replicates}")
    if worlds is not None and len(worlds) != replicates:
        raise ValueError(f"one world per replicate: {len(worlds)} for {replicates}")
    for scenario in scenarios:
        try:
            scenario.timeline.check_days(days)
        except ValueError as exc:
            raise ScenarioError(f"{scenario.path or scenario.name}: {exc}") from None
    if seed + replicates - 1 > MAX_SEED:  # a run's seed past the largest, named as it is
        raise ScenarioError(
            f"seed {seed} and {replicates} runs: the runs take seeds {seed} to "
            f"{seed + replicates - 1}, past the largest, {MAX_SEED}; choose a smaller seed"
        )
    seeds = [seed + r for r in range(replicates)]
    n_runs = len(scenarios) * replicates
    workers = max(1, min(workers or default_workers(), n_runs))
    one = workers == 1 and n_runs == 1  # a single run shows its days instead
    jobs = [
        (
            (s, r),
            [
                RunSpec(
                    run_id=r,
                    seed=seeds[r],
                    days=days,
                    params=scenario.params
                    if worlds is None
                    else in_world(scenario.params, scenario.overrides, worlds[r]),
                    timeline=scenario.timeline,
                    design_row=s,
                    replicate=r,
                    tables=scenario.name,
                    ids={} if worlds is None else {"set": worlds[r].set, "draw": worlds[r].draw},
                    raise_errors=True,
                    progress=progress and one,
                    lang=lang,
                )
            ],
        )
        for s, scenario in enumerate(scenarios)
        for r in range(replicates)
    ]
    done: dict[tuple[int, int], RunRecord] = {}
    started = time.perf_counter()
    check_not_bootstrapping()
    with (
        executor_for(workers=workers) if workers > 1 else nullcontext() as executor,
        tqdm(
            total=n_runs,
            unit=label("term", "progress_run", lang),
            disable=not progress or one,
        ) as bar,
    ):

        def finished(_: RunRecord) -> None:
            bar.update()
            if on_run is not None:
                on_run()

        fan: FanOut[tuple[int, int]] = FanOut(executor, in_flight=n_runs, on_run=finished)
        for key, (record,) in fan.results(jobs):
            done[key] = record
        if fan.in_process:
            workers = 1
    wall = time.perf_counter() - started
    return [
        _result(scenario, [done[s, r] for r in range(replicates)], days, seeds, wall, workers)
        for s, scenario in enumerate(scenarios)
    ]


def _result(
    scenario: Scenario,
    records: list[RunRecord],
    days: int,
    seeds: list[int],
    wall: float,
    workers: int,
) -> RunResult:
    tables: list[RunTables] = [r.tables for r in records if r.tables is not None]

    def joined(name: str) -> pd.DataFrame:
        return pd.concat([getattr(t, name) for t in tables], ignore_index=True)

    return RunResult(
        scenario=scenario,
        days=days,
        seeds=seeds,
        summary=pd.DataFrame([t.summary for t in tables]),
        timeseries=joined("series"),
        grids=joined("grids"),
        years=joined("years"),
        petitions=joined("petitions"),
        towns=joined("towns"),
        villages=joined("villages"),
        timings={
            "wall_seconds": wall,
            "run_seconds": [round(r.seconds, 3) for r in records],
            "workers": workers,
        },
    )


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
        [scenario],
        days=days,
        replicates=replicates,
        seed=seed,
        workers=workers,
        progress=progress,
    )[0]


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
