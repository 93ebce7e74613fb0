"""Verifying the plans a search recommends: fresh seeds, full scale, paired, and across the
calibration's ensemble of good fits.

A search picks its best trials on the seeds it searched with, so their values
are optimistic (the winner's curse). Here each recommended plan is run again
with more replicates on other seeds, at ``verify.population.scale`` (full scale
by default), paired against the base scenario: its differences have 95%
confidence intervals, and a plan whose advantage is not significant is said to
be so. Then plan and base are run under each of ``verify.fits`` parameter sets
from the calibration's good fits (parameter uncertainty): a plan that wins
only under one parameter set is not a recommendation. The ensemble table has a
row per set and plan for the first objective, and one for each robust
constraint's metric (``no_worse_than``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.model.parameters import SCHEMA
from sim.runs.comparisons import cost_effectiveness, paired_differences, town_differences
from sim.runs.ensemble import is_ensemble, load_ensemble
from sim.runs.optimise.spec import Optimisation, read_fits
from sim.runs.replicates import RunResult, run_scenarios
from sim.runs.scenario import Scenario
from sim.runs.statistics import paired_interval


@dataclass
class Verification:
    """The recommended plans run again: results (base first), paired differences, cost per
    case averted, town differences, and each plan against the base under each good fit."""

    plans: dict[str, dict[str, Any]]  # scenario name -> the plan's settings
    results: list[RunResult]
    differences: pd.DataFrame
    costs: pd.DataFrame
    towns: pd.DataFrame
    ensemble: pd.DataFrame  # fit, plan, metric, base, mean, difference, ci_low, ci_high, better


def plan_name(trial: int) -> str:
    return f"plan_trial_{trial}"


def plan_scenario(base: Scenario, settings: dict[str, Any], name: str) -> Scenario:
    """The base scenario with a plan's settings, named for the plan."""
    scenario = base.with_overrides(settings)
    return replace(scenario, name=name, description=f"{base.description} + {name}")


def good_fits(optimisation: Optimisation) -> list[dict[str, Any]]:
    """Up to ``verify.fits`` distinct parameter sets of the calibration's good fits, spread over
    the file (best first): the schema's columns of each row. A posterior ensemble
    (``posterior.csv``, with ``ensemble_weight``: :mod:`sim.runs.ensemble`) gives the distinct
    sets among ``verify.fits`` drawn by weight from ``verify.seed``."""
    path, n = optimisation.verify["ensemble"], optimisation.verify["fits"]
    if path is None or n == 0:
        return []
    table = read_fits(path, where="verify.ensemble")
    if is_ensemble(path):
        drawn = {
            w.set: w.values for w in load_ensemble(path).draw(n, seed=optimisation.verify["seed"])
        }
        return [{k: SCHEMA[k].check(v) for k, v in values.items()} for values in drawn.values()]
    keys = list(table.columns)
    table = table.drop_duplicates(subset=keys).reset_index(drop=True)
    rows = np.unique(np.linspace(0, len(table) - 1, min(n, len(table))).round().astype(int))
    return [{k: SCHEMA[k].check(table.at[i, k].item()) for k in keys} for i in rows]


def verify(
    optimisation: Optimisation,
    plans: dict[int, dict[str, Any]],
    *,
    workers: int | None = None,
    progress: bool = False,
) -> Verification:
    """Run the base scenario and each plan (trial number -> settings) on fresh seeds, and
    under each good fit."""
    v = optimisation.verify
    base = optimisation.scenario.with_overrides({"population.scale": v["population.scale"]})
    scenarios = [base] + [plan_scenario(base, s, plan_name(t)) for t, s in plans.items()]
    results = run_scenarios(
        scenarios,
        days=optimisation.days,
        replicates=v["replicates"],
        seed=v["seed"],
        workers=workers,
        progress=progress,
    )
    objective = optimisation.objectives[0]
    # the first objective, then each robust constraint's metric (lower better: sign +1)
    judged = [(objective.metric, objective.sign)]
    judged += [
        (c.metric, -float(c.better)) for c in optimisation.robust if c.metric != objective.metric
    ]
    rows = []
    for f, fit in enumerate(good_fits(optimisation)):
        searched = optimisation.scenario.with_overrides(fit)
        fitted = [searched] + [plan_scenario(searched, s, plan_name(t)) for t, s in plans.items()]
        runs = run_scenarios(
            fitted,
            days=optimisation.days,
            replicates=max(2, optimisation.replicates),
            seed=v["seed"],
            workers=workers,
            progress=progress,
        )
        for result in runs[1:]:
            for metric, sign in judged:
                a = runs[0].summary[metric].to_numpy(dtype=float)
                b = result.summary[metric].to_numpy(dtype=float)
                mean, half = paired_interval(b - a)
                rows.append(
                    {
                        "fit": f + 1,
                        "plan": result.scenario.name,
                        "metric": metric,
                        "base": float(np.mean(a)),
                        "mean": float(np.mean(b)),
                        "difference": mean,
                        "ci_low": mean - half,
                        "ci_high": mean + half,
                        "better": bool(sign * mean < 0),
                        "runs": len(b),
                        **{f"fit:{k}": val for k, val in fit.items()},
                    }
                )
    return Verification(
        plans={plan_name(t): s for t, s in plans.items()},
        results=results,
        differences=paired_differences(results),
        costs=cost_effectiveness(results),
        towns=town_differences(results),
        ensemble=pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(ENSEMBLE_COLUMNS)),
    )


# The columns of the ensemble table (then ``fit:KEY``, each good fit's parameters).
ENSEMBLE_COLUMNS = (
    "fit",
    "plan",
    "metric",
    "base",
    "mean",
    "difference",
    "ci_low",
    "ci_high",
    "better",
    "runs",
)


def holds(verification: Verification, plan: str) -> tuple[int, int]:
    """Under how many of the good fits the plan beats the base on the first objective, of
    how many."""
    table = verification.ensemble
    if table.empty:
        return 0, 0
    mine = table[table["plan"] == plan]
    mine = mine[mine["metric"] == mine["metric"].iloc[0]] if len(mine) else mine  # the objective
    return int(mine["better"].sum()), len(mine)
