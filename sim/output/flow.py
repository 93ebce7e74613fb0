"""The flow of the cases through the ladder: how many cases arose, how many were detected, and
where they stand at the end of the measured period (settled at L1 to L4, passed up beyond the
district, ended in an incident, dropped, still open), per 1,000 residents a year, scenario
beside scenario.

The counts are the run's own (``towns.csv``: ``disputes``, ``claims``, ``detected``,
``claims_detected`` and the end columns of :data:`sim.model.metrics.FLOW_ENDS`, the cohort of
cases that arose in the measured period), so every case that arose is in exactly one end.
The picture is drawn with matplotlib (Chinese in Noto Sans CJK) for the report and the app.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.labels import label
from sim.model.metrics import FLOW_ENDS
from sim.output.figures import COLOURS, new_figure
from sim.output.tables import fmt
from sim.runs.statistics import estimate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.runs.replicates import RunResult

FLOW_STAGES = ("arisen", "detected", *FLOW_ENDS)  # the rows of the picture, top to bottom
COUNTS = ("disputes", "claims", "detected", "claims_detected", *FLOW_ENDS, "residents")


def stage_rates(counts: Mapping[str, float], *, days: float) -> dict[str, float]:
    """Each stage of :data:`FLOW_STAGES` per 1,000 residents a year, from the counts of one run
    over ``days`` measured days (the sums of ``towns.csv``'s :data:`COUNTS` over the towns)."""
    per = 1000.0 / max(float(counts["residents"]), 1.0) / (max(days, 1.0) / 365.0)
    stages = {
        "arisen": counts["disputes"] + counts["claims"],
        "detected": counts["detected"] + counts["claims_detected"],
    } | {end: counts[end] for end in FLOW_ENDS}
    return {stage: float(value) * per for stage, value in stages.items()}


def run_flows(result: RunResult) -> pd.DataFrame:
    """A row per run (``seed``) of ``result``, a column per stage: per 1,000 residents a year."""
    sums = result.towns.groupby("seed")[list(COUNTS)].sum()
    rows = {seed: stage_rates(row, days=result.days) for seed, row in sums.iterrows()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(FLOW_STAGES))


def flow_table(results: Sequence[RunResult]) -> pd.DataFrame:
    """Each scenario's flow: ``scenario``, ``stage``, ``mean``, ``low``, ``high`` (a 95%
    interval over runs; NaN with fewer than three) and ``n`` (runs)."""
    rows = []
    for result in results:
        flows = run_flows(result)
        for stage in FLOW_STAGES:
            found = estimate(flows[stage].to_numpy(dtype=float))
            rows.append(
                {
                    "scenario": result.scenario.name,
                    "stage": stage,
                    "mean": found.mean,
                    "low": found.low,
                    "high": found.high,
                    "n": found.runs,
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "stage", "mean", "low", "high", "n"])


def flow_figure(table: pd.DataFrame, *, lang: str = "en") -> Figure:
    """The flow picture of :func:`flow_table`: a row per stage (arisen, detected, then where
    the cases stand), a bar per scenario with its value and its 95% interval over runs."""
    names = list(dict.fromkeys(table["scenario"]))
    fig = new_figure(figsize=(5.4, 0.2 * len(FLOW_STAGES) * max(len(names), 1.5) + 1.2))
    ax = fig.subplots()
    height = 0.8 / max(len(names), 1)
    top = float(np.nanmax(table["high"].fillna(table["mean"]))) if len(table) else 1.0
    for i, name in enumerate(names):
        rows = table[table["scenario"] == name].set_index("stage").reindex(FLOW_STAGES)
        y = np.arange(len(FLOW_STAGES)) + (i - (len(names) - 1) / 2) * height
        means = rows["mean"].to_numpy(dtype=float)
        spread = np.vstack([means - rows["low"], rows["high"] - means]).astype(float)
        errors = np.where(np.isfinite(spread), spread, 0.0)
        colour = COLOURS[i % len(COLOURS)]
        ax.barh(y, means, height=height * 0.92, color=colour, label=name, alpha=0.85)
        if np.isfinite(spread).any():
            ax.errorbar(means, y, xerr=errors, fmt="none", ecolor="#333", lw=0.8, capsize=2)
        for yy, value, high in zip(y, means, rows["high"].to_numpy(dtype=float), strict=True):
            right = high if np.isfinite(high) else value
            ax.text(right + top * 0.01, yy, fmt(value), va="center", fontsize=7)
    ax.set_yticks(np.arange(len(FLOW_STAGES)))
    ax.set_yticklabels([label("flow", stage, lang) for stage in FLOW_STAGES], fontsize=8)
    ax.invert_yaxis()
    ax.axhline(1.5, color="#999", lw=0.8, ls="--")  # arisen and detected above, the ends below
    ax.set_xlim(0, top * 1.22 if np.isfinite(top) and top > 0 else 1.0)
    ax.set_xlabel(label("flow", "axis", lang), fontsize=9)
    fig.suptitle(label("flow", "title", lang), fontsize=10)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    if len(names) > 1:
        ax.legend(loc="lower right", fontsize=8)
    return fig
