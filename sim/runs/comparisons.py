"""Comparisons of scenarios run on common random numbers: the metrics' paired differences,
the cost per case averted and the differences town by town (``differences.csv``,
``cost_effectiveness.csv``, ``town_differences.csv``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.model.metrics import BETTER, METRICS, SHARES
from sim.runs.replicates import RunResult
from sim.runs.statistics import (
    BOOTSTRAP_RESAMPLES,
    MIN_RUNS,
    Regret,
    nan_mean,
    over_sets,
    paired_interval,
    regret,
)


def paired_differences(results: Sequence[RunResult], *, level: float = 0.95) -> pd.DataFrame:
    """Each metric's difference from the first scenario, with a ``level`` confidence interval.

    Runs with the same seed are paired (common random numbers): the interval
    is a t interval of the per-seed differences, clipped to [-1, 1] for shares.
    ``n`` is the number of pairs in which both runs have a value (a share needs
    cases); with fewer than :data:`~sim.runs.statistics.MIN_RUNS` the metric is
    ``too_few`` and gets no interval. ``significant`` is true when the
    interval excludes zero (never with too few pairs).

    Runs in plausible parameter sets (a ``set`` column, :mod:`sim.runs.ensemble`): the
    confidence interval is that of seed noise alone (the spread within sets), and
    ``plausible_low`` and ``plausible_high`` the interval that includes what the parameters
    leave open (:func:`~sim.runs.statistics.over_sets`); ``sets`` is the number of sets
    drawn, ``sets_lower`` and ``sets_higher`` in how many of them the scenario's mean was
    below or above the reference's; ``worst_set``, ``regret`` and ``reference_regret`` the
    least favourable set's mean difference and the largest shortfall of each plan against the
    other in any set, by the metric's better side (:func:`~sim.runs.statistics.regret`; NaN
    for a metric without one, ``sim.model.metrics.BETTER``). Without sets those are NaN and 0.
    """
    reference, rows = results[0], []
    for other in results[1:]:
        for metric in METRICS:
            a = reference.summary[metric].to_numpy(dtype=float)
            b = other.summary[metric].to_numpy(dtype=float)
            keep = ~np.isnan(b - a)
            diff = (b - a)[keep]
            mean, half = paired_interval(diff, level)
            low, high = mean - half, mean + half
            spread = {"plausible_low": np.nan, "plausible_high": np.nan}
            counts = {"sets": 0, "sets_lower": 0, "sets_higher": 0}
            fares = Regret(np.nan, np.nan, np.nan)
            if "draw" in other.summary.columns:
                found = over_sets(b - a, other.summary["draw"].to_numpy(), level)
                low, high = found.seed_low, found.seed_high
                half = (high - low) / 2
                spread = {"plausible_low": found.low, "plausible_high": found.high}
                counts = {
                    "sets": len(found.set_means),
                    "sets_lower": int(np.sum(found.set_means < 0)),
                    "sets_higher": int(np.sum(found.set_means > 0)),
                }
                fares = regret(found.set_means, BETTER.get(metric, 0))
            if metric in SHARES:
                low, high = max(low, -1.0), min(high, 1.0)
                spread = {k: float(np.clip(v, -1.0, 1.0)) for k, v in spread.items()}
            rows.append(
                {
                    "metric": metric,
                    "scenario": other.scenario.name,
                    "reference": reference.scenario.name,
                    "reference_mean": nan_mean(a),
                    "mean": nan_mean(b),
                    "difference": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "significant": bool(np.isfinite(half) and (low > 0 or high < 0)),
                    "n": len(diff),
                    "too_few": len(diff) < MIN_RUNS,
                }
                | spread
                | counts
                | {
                    "worst_set": fares.worst,
                    "regret": fares.scenario,
                    "reference_regret": fares.reference,
                }
            )
    return pd.DataFrame(rows)


AVERTED = ("escalations", "incidents", "petitions")  # cases counted for the cost per case averted


def district_counts(result: RunResult) -> pd.DataFrame:
    """Per run (by seed): annual cost and the cases of :data:`AVERTED` a year in the simulated
    towns at full scale (the counts of ``towns.csv`` over ``population.scale`` and the years)."""
    scale = result.scenario.params["population.scale"]
    years = result.days / 365.0
    counts = result.towns.groupby("seed")[list(AVERTED)].sum() / scale / years
    summary = result.summary.set_index("seed")
    counts = counts.assign(annual_cost_wan_yuan=summary["annual_cost_wan_yuan"])
    return counts.assign(draw=summary["draw"]) if "draw" in summary.columns else counts


def cost_effectiveness(results: Sequence[RunResult], *, level: float = 0.95) -> pd.DataFrame:
    """Each scenario against the first: the change in annual cost and, for escalations,
    incidents and petitions, the cases averted a year (district counts) and the cost per case
    averted, each with a ``level`` interval over the paired runs.

    The averted number gets a t interval of the per-seed differences; the cost per
    case averted a percentile bootstrap over the pairs (ratio of the mean change in
    cost to the mean cases averted; a fixed resampling stream). When the averted
    number's interval includes zero the cost per case is ``estimable = False``
    ("not estimable": the scenario may avert none).

    Runs in plausible parameter sets (:mod:`sim.runs.ensemble`): the averted number's
    interval is that of seed noise alone, ``averted_plausible_low`` and
    ``averted_plausible_high`` include what the parameters leave open, and ``sets_averting``
    counts the ``sets`` in which the scenario averted cases (NaN and 0 without sets).
    """
    reference, rows = district_counts(results[0]), []
    for other in results[1:]:
        counts = district_counts(other)
        seeds = reference.index.intersection(counts.index)
        a, b = reference.loc[seeds], counts.loc[seeds]
        d_cost = (b["annual_cost_wan_yuan"] - a["annual_cost_wan_yuan"]).to_numpy(dtype=float)
        n = len(seeds)
        for case in AVERTED:
            averted = (a[case] - b[case]).to_numpy(dtype=float)
            mean, half = paired_interval(averted, level)
            low, high = mean - half, mean + half
            spread = {"averted_plausible_low": np.nan, "averted_plausible_high": np.nan}
            counts = {"sets": 0, "sets_averting": 0}
            if "draw" in b.columns:
                found = over_sets(averted, b["draw"].to_numpy(), level)
                low, high = found.seed_low, found.seed_high
                half = (high - low) / 2
                spread = {"averted_plausible_low": found.low, "averted_plausible_high": found.high}
                counts = {
                    "sets": len(found.set_means),
                    "sets_averting": int(np.sum(found.set_means > 0)),
                }
            estimable = bool(np.isfinite(half) and (low > 0 or high < 0))
            per_case = per_low = per_high = float("nan")
            if estimable:
                rng = np.random.default_rng(0)  # a fixed resampling stream
                pick = rng.integers(n, size=(BOOTSTRAP_RESAMPLES, n))
                with np.errstate(divide="ignore", invalid="ignore"):  # a resample averting none
                    ratios = d_cost[pick].mean(axis=1) / averted[pick].mean(axis=1)
                per_case = float(d_cost.mean() / mean)
                per_low, per_high = np.quantile(ratios, [0.5 - level / 2, 0.5 + level / 2])
            rows.append(
                {
                    "scenario": other.scenario.name,
                    "reference": results[0].scenario.name,
                    "case": case,
                    "cost_change_wan_yuan": float(d_cost.mean()) if n else float("nan"),
                    "averted_per_year": mean,
                    "averted_low": low,
                    "averted_high": high,
                    "cost_per_case_wan_yuan": per_case,
                    "cost_per_case_low": float(per_low),
                    "cost_per_case_high": float(per_high),
                    "estimable": estimable,
                    "n": n,
                }
                | spread
                | counts
            )
    return pd.DataFrame(rows)


TOWN_METRICS = ("escalation_rate", "incidents_per_100k", "petitions_per_10k", "grid_workers")


def town_differences(results: Sequence[RunResult], *, level: float = 0.95) -> pd.DataFrame:
    """Each scenario against the first, town by town: the paired difference (by seed) of the
    :data:`TOWN_METRICS` of ``towns.csv``, with a ``level`` t interval and ``significant``."""
    key = ["seed", "town"]
    reference, rows = results[0].towns.set_index(key), []
    for other in results[1:]:
        table = other.towns.set_index(key)
        common = reference.index.intersection(table.index)
        for metric in TOWN_METRICS:
            diff = (table.loc[common, metric] - reference.loc[common, metric]).groupby("town")
            for town, values in diff:
                values = values.dropna().to_numpy(dtype=float)
                n = len(values)
                mean, half = paired_interval(values, level)
                rows.append(
                    {
                        "scenario": other.scenario.name,
                        "reference": results[0].scenario.name,
                        "town": town,
                        "metric": metric,
                        "difference": mean,
                        "ci_low": mean - half,
                        "ci_high": mean + half,
                        "significant": bool(
                            np.isfinite(half) and (mean - half > 0 or mean + half < 0)
                        ),
                        "n": n,
                    }
                )
    return pd.DataFrame(rows)
