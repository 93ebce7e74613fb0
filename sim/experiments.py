"""Running the model: one run to flat metrics, and replicates of a scenario to tables."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from tqdm import tqdm

from sim.metrics import METRICS, grid_outcomes
from sim.model import GovernanceModel
from sim.scenario import Scenario


def simulate(
    params: Mapping[str, Any] | None = None,
    *,
    days: int = 365,
    seed: int | None = None,
    progress: bool = False,
) -> GovernanceModel:
    """Build a model and run it for ``days``; returns the model (metrics, time series, grids)."""
    if days < 1:
        raise ValueError(f"days: must be at least 1, got {days}")
    with tqdm(
        total=days, unit="day", disable=not progress, leave=False, desc="building the district"
    ) as bar:
        model = GovernanceModel(params, rng=seed)
        bar.set_description("simulating")
        for _ in range(days):
            model.run_for(1)
            bar.update()
    return model


def run(
    params: Mapping[str, Any] | None = None, *, days: int = 365, seed: int | None = None
) -> dict[str, float]:
    """The flat outcome metrics of one run: the function EMA Workbench, SALib or an optimiser calls.

    ``params`` uses the dotted keys of :mod:`sim.parameters`, e.g.
    ``sim.run({"map.towns": ["Muzhou"], "grid_workers.total": 2000}, days=365, seed=1)``.
    """
    model = simulate(params, days=days, seed=seed)
    return {name: model.current[name] for name in METRICS}


@dataclass
class RunResult:
    """Replicates of one scenario: a summary row per run, a tidy daily series, per-grid outcomes."""

    scenario: Scenario
    days: int
    seeds: list[int]
    summary: pd.DataFrame  # one row per run: run, seed, every metric
    timeseries: pd.DataFrame  # tidy: run, seed, day, metric, value
    grids: pd.DataFrame  # run, seed, grid_id, town, village, per-grid outcomes
    timings: dict[str, float] = field(default_factory=dict)


def _grid_table(model: GovernanceModel) -> pd.DataFrame:
    geo = model.geography
    table = pd.DataFrame(
        {
            "grid_id": geo.grid_ids,
            "town": [geo.town_names[t] for t in geo.grid_town],
            "village": [geo.village_names[v] for v in geo.grid_village],
        }
    )
    for name, values in grid_outcomes(model).items():
        table[name] = values
    return table


def run_replicates(
    scenario: Scenario,
    *,
    days: int = 365,
    replicates: int = 1,
    seed: int = 1,
    progress: bool = False,
) -> RunResult:
    """Run ``replicates`` of a scenario with seeds ``seed, seed+1, ...`` (common random numbers)."""
    seeds = [seed + r for r in range(replicates)]
    summaries, series, grids = [], [], []
    started = time.perf_counter()
    for run_id, run_seed in enumerate(seeds):
        model = simulate(scenario.params, days=days, seed=run_seed, progress=progress)
        ids = {"run": run_id, "seed": run_seed}
        summaries.append(ids | {name: model.current[name] for name in METRICS})
        daily = model.datacollector.get_model_vars_dataframe()
        tidy = daily.melt(id_vars="day", var_name="metric", value_name="value")
        series.append(tidy.assign(**ids)[["run", "seed", "day", "metric", "value"]])
        grids.append(_grid_table(model).assign(**ids))
    return RunResult(
        scenario=scenario,
        days=days,
        seeds=seeds,
        summary=pd.DataFrame(summaries),
        timeseries=pd.concat(series, ignore_index=True),
        grids=pd.concat(grids, ignore_index=True)[
            ["run", "seed", *grids[0].columns.drop(["run", "seed"])]
        ],
        timings={"seconds": time.perf_counter() - started},
    )
