"""Running the model: one run to flat metrics, replicates of scenarios (in parallel) to tables,
and the paired differences between scenarios run on common random numbers."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.model import metrics
from sim.model.disputes import DISPUTE_TYPES, IS_CLAIM_TYPE
from sim.model.district import load_district_table
from sim.model.governance import GovernanceModel
from sim.model.metrics import METRICS, SHARES, grid_outcomes, yearly
from sim.model.timeline import Timeline
from sim.runs.executors import (
    UNGUARDED_SCRIPT,
    check_not_bootstrapping,
    default_workers,
    executor_for,
    started_from_a_script,
)
from sim.runs.scenario import Scenario, ScenarioError, load_scenario
from sim.runs.statistics import BOOTSTRAP_RESAMPLES, MIN_RUNS


def simulate(
    params: Mapping[str, Any] | None = None,
    *,
    days: int = 365,
    seed: int | None = None,
    timeline: Timeline | None = None,
    progress: bool = False,
) -> GovernanceModel:
    """Build a model, run its warm-up (``run.warmup_days``) and then ``days`` measured days.

    Returns the model: ``model.current`` (metrics of the measured days),
    ``metrics.yearly(model)``, the daily series and the grids.
    """
    if days < 1:
        raise ValueError(f"days: must be at least 1, got {days}")
    check_not_bootstrapping()
    if timeline:
        timeline.check_days(days)
    with tqdm(
        total=days, unit="day", disable=not progress, leave=False, desc="building the district"
    ) as bar:
        model = GovernanceModel(params, rng=seed, timeline=timeline)
        bar.reset(total=model.warmup + days)
        bar.set_description("warming up")
        for _ in range(model.warmup):
            model.run_for(1)
            bar.update()
        bar.set_description("simulating")
        for _ in range(days):
            model.run_for(1)
            bar.update()
    return model


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
    model = simulate(params, days=days, seed=seed, timeline=timeline)
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


PLACE_COUNTS = ("disputes", "detected", "escalations", "claims", "petitions", "incidents")
PLACE_RATES = {  # rate: (count, per residents, or the share of another count)
    "disputes_per_1k": ("disputes", 1_000),
    "petitions_per_10k": ("petitions", 10_000),
    "incidents_per_100k": ("incidents", 100_000),
}


def place_tables(
    model: GovernanceModel, ids: Mapping[str, Any] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Results by town and by village-level unit over the measured period: ``towns.csv`` and
    ``villages.csv`` rows.

    Each row: ``ids``, the unit (town; or code, village, village_zh, town), its
    residents (simulated), grids, staff (grid workers, Yi Police, trust rooms,
    village police offices; towns also their station officers) and their annual cost
    in wan yuan (the petition supermarket's shared by population), the counts of
    :func:`sim.model.metrics.place_counts`, and ``escalation_rate`` (escalations over
    detected disputes), ``disputes_per_1k``, ``petitions_per_10k``, ``incidents_per_100k``
    (a year, per resident).
    """
    geo, p, plan = model.geography, model.p, model.plan
    units = np.unique(model.district.grid_village[model.keep])  # on the whole map
    by_grid = metrics.place_counts(model)
    years = max(model.today + 1.0 - model.measured.start, 1.0) / 365.0
    costs = {k.split(".")[1]: v for k, v in p.items() if k.startswith("costs.")}
    share = geo.grid_population / max(model.district.grid_population.sum(), 1)

    def sums(index: np.ndarray, n: int) -> dict[str, np.ndarray]:
        staff = {
            "residents": np.bincount(index, model.residents_per_grid, n).astype(np.int64),
            "grids": np.bincount(index, minlength=n),
            "grid_workers": np.bincount(index, model.workers_per_grid, n).astype(np.int64),
        }
        return staff | {k: np.bincount(index, v, n).astype(np.int64) for k, v in by_grid.items()}

    village = pd.DataFrame(sums(geo.grid_village, geo.n_villages))
    village["volunteer_police"] = plan.volunteer_police[units]
    village["trust_rooms"] = model.trust_room.astype(np.int64)
    village["village_offices"] = model.village_office.astype(np.int64)
    village["officers"] = village["village_offices"]
    village["supermarket_share"] = np.bincount(geo.grid_village, share, geo.n_villages)
    town = pd.DataFrame(sums(geo.grid_town, geo.n_towns))
    for column in ("volunteer_police", "trust_rooms", "village_offices", "supermarket_share"):
        town[column] = np.bincount(geo.village_town, village[column], geo.n_towns)
    town["officers"] = town["village_offices"] + p["police.officers_per_town"]
    for table in (village, town):
        table["annual_cost_wan_yuan"] = (
            table["grid_workers"] * costs["grid_worker"]
            + table["volunteer_police"] * costs["volunteer_police"]
            + table["officers"] * costs["police_officer"]
            + table["trust_rooms"] * costs["trust_room"]
            + p["petition.supermarket"] * costs["petition_supermarket"] * table["supermarket_share"]
        )
        table["escalation_rate"] = table["escalations"] / table["detected"].where(
            table["detected"] > 0
        )
        for rate, (count, per) in PLACE_RATES.items():
            table[rate] = (
                table[count] / table["residents"].where(table["residents"] > 0) * per / years
            )
    zh = {t.name: t.name_zh for t in load_district_table()}
    town.insert(0, "town", geo.town_names)
    town.insert(1, "town_zh", [zh.get(t, "") for t in geo.town_names])
    village.insert(0, "code", geo.village_codes)
    village.insert(1, "village", geo.village_names)
    village.insert(2, "village_zh", geo.village_names_zh)
    village.insert(3, "town", [geo.town_names[t] for t in geo.village_town])
    order = ["residents", "grids", "grid_workers", "volunteer_police", "trust_rooms",
             "village_offices", "officers", "annual_cost_wan_yuan", *PLACE_COUNTS,
             "escalation_rate", *PLACE_RATES]  # fmt: skip
    town = town[["town", "town_zh", *order]]  # (drops the supermarket shares)
    village = village[["code", "village", "village_zh", "town", *order]]
    prefix = pd.DataFrame(dict(ids or {}), index=range(1))
    return tuple(
        pd.concat([pd.concat([prefix] * len(t), ignore_index=True), t], axis=1) if ids else t
        for t in (town, village)
    )  # type: ignore[return-value]


def petition_table(model: GovernanceModel, ids: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Petitions (cases that reached L4 in the measured period) by origin and subject.

    A row per case type: ``origin`` (``dispute`` between residents, or direct
    ``claim``), ``subject`` (the type), ``petitions``, ``petitions_per_10k`` (a
    year) and ``share`` of all the run's petitions.
    """
    counts = metrics.petitions_by_type(model)
    years = max(model.today + 1.0 - model.measured.start, 1.0) / 365.0
    residents = max(len(model.population), 1)
    table = pd.DataFrame(
        {
            "origin": ["claim" if claim else "dispute" for claim in IS_CLAIM_TYPE],
            "subject": [t.name for t in DISPUTE_TYPES],
            "petitions": counts,
            "petitions_per_10k": counts / residents * 10_000 / years,
            "share": counts / max(counts.sum(), 1),
        }
    )
    return pd.concat([pd.DataFrame(dict(ids or {}), index=table.index), table], axis=1)


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
    scenario: Scenario, *, days: int, seed: int, run_id: int, progress: bool = False
) -> tuple:
    """One replicate (a separate process may run it): its summary row, series, grids, years,
    petitions by subject, seconds, towns and villages."""
    started = time.perf_counter()
    model = simulate(
        scenario.params, days=days, seed=seed, timeline=scenario.timeline, progress=progress
    )
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
) -> list[RunResult]:
    """Run every scenario with seeds ``seed, seed+1, ...``, in parallel over ``workers`` processes.

    Every scenario gets the same seeds (common random numbers), so their
    differences are sharp. Results do not depend on ``workers``.
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
                tqdm(total=len(jobs), unit="run", disable=not progress) as bar,
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
        with tqdm(total=len(jobs), unit="run", disable=not progress or len(jobs) == 1) as bar:
            for s, r in jobs:
                done[s, r] = _one_run(
                    scenarios[s], days=days, seed=seeds[r], run_id=r,
                    progress=progress and len(jobs) == 1,
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
    from scipy import stats

    reference, rows = results[0], []
    for other in results[1:]:
        for metric in METRICS:
            a = reference.summary[metric].to_numpy(dtype=float)
            b = other.summary[metric].to_numpy(dtype=float)
            diff = (b - a)[~np.isnan(b - a)]
            mean = _mean(diff)
            too_few = len(diff) < MIN_RUNS
            if too_few:
                half = float("nan")
            elif diff.std(ddof=1) > 0:
                half = stats.t.ppf(0.5 + level / 2, len(diff) - 1) * diff.std(ddof=1)
                half /= np.sqrt(len(diff))
            else:  # identical in every run
                half = 0.0
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


AVERTED = ("escalations", "incidents", "petitions")  # cases counted for the cost per case averted


def district_counts(result: RunResult) -> pd.DataFrame:
    """Per run (by seed): annual cost and the cases of :data:`AVERTED` a year in the simulated
    towns at full scale (the counts of ``towns.csv`` over ``population.scale`` and the years)."""
    scale = result.scenario.params["population.scale"]
    years = result.days / 365.0
    counts = result.towns.groupby("seed")[list(AVERTED)].sum() / scale / years
    cost = result.summary.set_index("seed")["annual_cost_wan_yuan"]
    return counts.assign(annual_cost_wan_yuan=cost)


def cost_effectiveness(results: Sequence[RunResult], *, level: float = 0.95) -> pd.DataFrame:
    """Each scenario against the first: the change in annual cost and, for escalations,
    incidents and petitions, the cases averted a year (district counts) and the cost per case
    averted, each with a ``level`` interval over the paired runs.

    The averted number gets a t interval of the per-seed differences; the cost per
    case averted a percentile bootstrap over the pairs (ratio of the mean change in
    cost to the mean cases averted; a fixed resampling stream). When the averted
    number's interval includes zero the cost per case is ``estimable = False``
    ("not estimable": the scenario may avert none).
    """
    from scipy import stats

    reference, rows = district_counts(results[0]), []
    rng_seed = 0
    for other in results[1:]:
        counts = district_counts(other)
        seeds = reference.index.intersection(counts.index)
        a, b = reference.loc[seeds], counts.loc[seeds]
        d_cost = (b["annual_cost_wan_yuan"] - a["annual_cost_wan_yuan"]).to_numpy(dtype=float)
        n = len(seeds)
        for case in AVERTED:
            averted = (a[case] - b[case]).to_numpy(dtype=float)
            mean = float(averted.mean()) if n else float("nan")
            if n >= MIN_RUNS and averted.std(ddof=1) > 0:
                half = stats.t.ppf(0.5 + level / 2, n - 1) * averted.std(ddof=1) / np.sqrt(n)
            else:
                half = 0.0 if n >= MIN_RUNS else float("nan")
            low, high = mean - half, mean + half
            estimable = bool(np.isfinite(half) and (low > 0 or high < 0))
            per_case = per_low = per_high = float("nan")
            if estimable:
                rng = np.random.default_rng(rng_seed)
                pick = rng.integers(n, size=(BOOTSTRAP_RESAMPLES, n))
                ratios = d_cost[pick].mean(axis=1) / averted[pick].mean(axis=1)
                per_case = float(d_cost.mean() / mean)
                per_low, per_high = np.quantile(ratios, [0.5 - level / 2, 0.5 + level / 2])
            rows.append({
                "scenario": other.scenario.name, "reference": results[0].scenario.name,
                "case": case, "cost_change_wan_yuan": float(d_cost.mean()) if n else float("nan"),
                "averted_per_year": mean, "averted_low": low, "averted_high": high,
                "cost_per_case_wan_yuan": per_case, "cost_per_case_low": float(per_low),
                "cost_per_case_high": float(per_high), "estimable": estimable, "n": n,
            })  # fmt: skip
    return pd.DataFrame(rows)


TOWN_METRICS = ("escalation_rate", "incidents_per_100k", "petitions_per_10k", "grid_workers")


def town_differences(results: Sequence[RunResult], *, level: float = 0.95) -> pd.DataFrame:
    """Each scenario against the first, town by town: the paired difference (by seed) of the
    :data:`TOWN_METRICS` of ``towns.csv``, with a ``level`` t interval and ``significant``."""
    from scipy import stats

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
                mean = float(values.mean()) if n else float("nan")
                if n >= MIN_RUNS and values.std(ddof=1) > 0:
                    half = stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
                else:
                    half = 0.0 if n >= MIN_RUNS else float("nan")
                rows.append({
                    "scenario": other.scenario.name, "reference": results[0].scenario.name,
                    "town": town, "metric": metric, "difference": mean,
                    "ci_low": mean - half, "ci_high": mean + half,
                    "significant": bool(np.isfinite(half) and (mean - half > 0 or mean + half < 0)),
                    "n": n,
                })  # fmt: skip
    return pd.DataFrame(rows)
