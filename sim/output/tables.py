"""Tables for people: one number format, the printed summary and differences, values by grid."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.model.metrics import METRICS, SHARES
from sim.runs.experiments import RunResult
from sim.runs.statistics import Estimate, estimate


def fmt(value: float) -> str:
    """A number to 4 significant digits, thousands separated from 1,000; "–" when unknown.

    The one number format of every table people read (console, report, app).
    """
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def interval_text(estimate: Estimate) -> str:
    """``[low, high]``, or why there is none (too few runs with cases)."""
    if estimate.n == 0:
        return "no cases in any run"
    if estimate.too_few:
        return f"too few cases ({estimate.n} of {estimate.runs} runs)"
    if estimate.runs == 1:
        return ""
    return f"[{fmt(estimate.low)}, {fmt(estimate.high)}]"


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
    """The outcome metrics as a readable table: mean, 95% interval and runs behind each mean."""
    n = len(result.seeds)
    seeds = f"seed {result.seeds[0]}" if n == 1 else f"seeds {result.seeds[0]}..{result.seeds[-1]}"
    print(f"\n{result.scenario.name}: {result.days} days, {n} run(s), {seeds}")
    print(f"{'metric':36s} {'value':>12s} {'95% interval':>30s} {'runs':>5s}  meaning")
    for name, meaning in METRICS.items():
        found = estimate(result.summary[name].to_numpy(dtype=float), share=name in SHARES)
        runs = f"{found.n}/{found.runs}"
        print(
            f"{name:36s} {fmt(found.mean):>12s} {interval_text(found):>30s} {runs:>5s}  {meaning}"
        )


def print_differences(differences: pd.DataFrame) -> None:
    """Each scenario against the first: means, the difference and its 95% CI; * marks CI excluding 0."""
    for name, table in differences.groupby("scenario", sort=False):
        reference = table["reference"].iloc[0]
        print(f"\n{name} against {reference} (paired by seed; * = 95% CI excludes zero)")
        print(f"{'metric':36s} {reference[:12]:>12s} {name[:12]:>12s} {'difference':>12s}  95% CI")
        for row in table.itertuples():
            ci = f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]" if np.isfinite(row.ci_low) else ""
            if getattr(row, "too_few", False):
                ci = f"too few cases ({row.n} paired runs)"
            flag = "*" if row.significant else " "
            difference = ("+" if row.difference > 0 else "") + fmt(row.difference)
            print(
                f"{row.metric:36s} {fmt(row.reference_mean):>12s} {fmt(row.mean):>12s} "
                f"{difference:>12s}{flag} {ci}"
            )


def cost_lines(costs: pd.DataFrame) -> list[str]:
    """The cost-effectiveness table as text lines: for each scenario against the first, the
    change in annual cost and the cost per escalation, incident and petition averted a year."""
    lines = []
    for name, table in costs.groupby("scenario", sort=False):
        reference = table["reference"].iloc[0]
        change = table["cost_change_wan_yuan"].iloc[0]
        lines.append(
            f"\n{name} against {reference}: annual cost {'+' if change > 0 else ''}{fmt(change)} "
            f"wan yuan (district cases a year; 95% CIs over {table['n'].iloc[0]} paired runs)"
        )
        lines.append(
            f"{'case':12s} {'averted a year':>16s}  {'95% CI':24s} cost per case averted (wan yuan)"
        )
        for row in table.itertuples():
            averted = (
                f"[{fmt(row.averted_low)}, {fmt(row.averted_high)}]"
                if np.isfinite(row.averted_low)
                else ""
            )
            per = (
                f"{fmt(row.cost_per_case_wan_yuan)} [{fmt(row.cost_per_case_low)}, {fmt(row.cost_per_case_high)}]"
                if row.estimable
                else "not estimable (the cases averted may be none)"
            )
            lines.append(f"{row.case:12s} {fmt(row.averted_per_year):>16s}  {averted:24s} {per}")
    return lines


def print_costs(costs: pd.DataFrame) -> None:
    """Print :func:`cost_lines`."""
    print("\n".join(cost_lines(costs)))
