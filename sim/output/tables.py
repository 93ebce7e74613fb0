"""Tables for people: one number format, the printed summary and differences, values by grid."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.model.metrics import METRICS
from sim.runs.experiments import RunResult
from sim.runs.statistics import mean_ci


def fmt(value: float) -> str:
    """A number to 4 significant digits, thousands separated from 10,000; "–" when unknown."""
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"


COUNTS_PER_1K = ("open_disputes", "escalations", "incidents")  # mapped per 1,000 residents


def grid_values(grids: pd.DataFrame, column: str, grid_ids: Sequence[str]) -> np.ndarray:
    """A column of a grids table by grid (in ``grid_ids`` order), mean over the runs.

    Counts (``COUNTS_PER_1K``) are per 1,000 residents of the grid; grids without
    residents get NaN (drawn grey).
    """
    values = grids[column]
    if column in COUNTS_PER_1K:
        values = values / grids["residents"].where(grids["residents"] > 0) * 1000
    by_grid = values.groupby(grids["grid_id"].astype(str)).mean()
    return by_grid.reindex(list(grid_ids)).to_numpy(dtype=float)


def print_summary(result: RunResult) -> None:
    """The outcome metrics as a readable table (mean and 95% CI over replicates)."""
    n = len(result.seeds)
    seeds = f"seed {result.seeds[0]}" if n == 1 else f"seeds {result.seeds[0]}..{result.seeds[-1]}"
    print(f"\n{result.scenario.name}: {result.days} days, {n} run(s), {seeds}")
    print(f"{'metric':36s} {'value':>12s} {'95% CI':>12s}  meaning")
    for name, meaning in METRICS.items():
        mean, half = mean_ci(result.summary[name].to_numpy())
        ci = f"±{fmt(half)}" if np.isfinite(half) else ""
        print(f"{name:36s} {fmt(mean):>12s} {ci:>12s}  {meaning}")


def print_differences(differences: pd.DataFrame) -> None:
    """Each scenario against the first: means, the difference and its 95% CI; * marks CI excluding 0."""
    for name, table in differences.groupby("scenario", sort=False):
        reference = table["reference"].iloc[0]
        print(f"\n{name} against {reference} (paired by seed; * = 95% CI excludes zero)")
        print(f"{'metric':36s} {reference[:12]:>12s} {name[:12]:>12s} {'difference':>12s}  95% CI")
        for row in table.itertuples():
            ci = f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]" if np.isfinite(row.ci_low) else ""
            flag = "*" if row.significant else " "
            difference = ("+" if row.difference > 0 else "") + fmt(row.difference)
            print(
                f"{row.metric:36s} {fmt(row.reference_mean):>12s} {fmt(row.mean):>12s} "
                f"{difference:>12s}{flag} {ci}"
            )
