"""The run primitive: one run of the model, from a picklable :class:`RunSpec` to a typed
:class:`RunRecord`, in this process or in a worker.

Replicates, sweeps, calibrations and optimisations all run the model through
:func:`execute` (and :func:`sim.run` too), fanned out by :mod:`sim.runs.fanout`. A run
builds its model on this process's spare residents when their map and scale match
(:mod:`sim.runs.warm`), so many runs in one worker build the district once.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from tqdm import tqdm

from sim.labels import label
from sim.model.agents import Resident
from sim.model.checks import whole_argument
from sim.model.governance import GovernanceModel
from sim.model.metrics import METRICS, grid_outcomes, place_counts, yearly
from sim.model.streams import MAX_SEED
from sim.model.timeline import MAX_DAYS, Timeline
from sim.runs import warm
from sim.runs.executors import check_not_bootstrapping
from sim.runs.places import officers_by_grid, petition_table, place_tables


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
    """Build a model for ``days`` measured days, run its warm-up (``run.warmup_days``) and then
    those days: the model's horizon, so it ends with ``running`` false, as ``run_model()`` would.

    Returns the model: ``model.current`` (metrics of the measured days),
    ``metrics.yearly(model)``, the daily series (unless ``series`` is false) and the grids.
    ``residents``: an earlier model's to take over (:mod:`sim.runs.warm`).
    """
    days = whole_argument("days", days, low=1, high=MAX_DAYS)
    if seed is not None:
        seed = whole_argument("seed", seed, low=0, high=MAX_SEED)
    check_not_bootstrapping()
    with tqdm(
        total=days,
        unit=label("term", "progress_day", lang),
        disable=not progress,
        leave=False,
        desc=label("term", "progress_building", lang),
    ) as bar:
        model = GovernanceModel(
            params, rng=seed, timeline=timeline, series=series, residents=residents, days=days
        )
        # A stage at a time: warm-up days collect no metrics and cost less than measured
        # ones, so each stage's bar gives the time left in that stage from its own pace.
        for stage, n in (("progress_warming", model.warmup), ("progress_simulating", days)):
            bar.reset(total=n)
            bar.set_description(label("term", stage, lang))
            for _ in range(n):
                model.run_for(1)
                bar.update()
    return model


@contextmanager
def warm_model(
    params: Mapping[str, Any] | None = None,
    *,
    seed: int | None,
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
        params,
        days=days,
        seed=seed,
        timeline=timeline,
        series=series,
        progress=progress,
        lang=lang,
        residents=warm.take(params),
    )
    try:
        yield model
    finally:
        warm.keep(model)


@dataclass(frozen=True)
class RunSpec:
    """Everything one run needs, picklable: sent to a worker process or a Dask worker."""

    run_id: int
    seed: int | None
    days: int
    params: Mapping[str, Any] | None
    timeline: Timeline | None = None
    design_row: int = 0  # a sweep's design point, an optimisation's trial, a scenario's index
    replicate: int = 0
    yearly: bool = False  # also return each measured year's metrics (``RunRecord.years``)
    tables: str | None = None  # a scenario name: also return the run's tables, under that name
    ids: Mapping[str, Any] = field(default_factory=dict)  # more ids of its tables (``set``)
    raise_errors: bool = False  # raise a failure, instead of recording it and going on
    progress: bool = False  # a progress bar of the run's days (in this process)
    lang: str = "en"  # the language of that bar


@dataclass(frozen=True)
class RunTables:
    """The tables of one replicate: its summary row (ids and every metric), tidy daily series,
    grids, years, petitions by subject, towns and villages."""

    summary: dict[str, Any]
    series: pd.DataFrame
    grids: pd.DataFrame
    years: pd.DataFrame
    petitions: pd.DataFrame
    towns: pd.DataFrame
    villages: pd.DataFrame


@dataclass(frozen=True)
class RunRecord:
    """What one run gives: its ids, ``status`` (``ok`` or ``failed``, with the ``error``), the
    metrics of the measured days, and the years and tables when the spec asked for them."""

    run_id: int
    design_row: int
    replicate: int
    seed: int | None
    status: str
    error: str
    metrics: dict[str, float]
    seconds: float
    worker: str  # host:pid of the process that ran it
    finished: str  # when, in UTC
    years: list[dict[str, float]] | None = None
    tables: RunTables | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def row(self) -> dict[str, Any]:
        """The record as a flat row: what a sweep's ``runs/part-NNNN.jsonl`` holds."""
        row: dict[str, Any] = {
            "run_id": self.run_id,
            "design_row": self.design_row,
            "replicate": self.replicate,
            "seed": self.seed,
            "status": self.status,
            "error": self.error,
        }
        row |= self.metrics
        if self.years is not None:
            row["years"] = self.years
        return row | {
            "seconds": round(self.seconds, 3),
            "worker": self.worker,
            "finished": self.finished,
        }


def point_runs(
    point: int,
    params: Mapping[str, Any],
    *,
    seeds: Sequence[int],
    days: int,
    timeline: Timeline | None,
    yearly: bool = False,
) -> list[RunSpec]:
    """The runs of one point (a sweep's design point, an optimisation's trial, a calibration's
    candidate): a run of ``params`` per seed, numbered ``point * len(seeds) + replicate``."""
    return [
        RunSpec(
            run_id=point * len(seeds) + r,
            seed=seed,
            days=days,
            params=params,
            timeline=timeline,
            design_row=point,
            replicate=r,
            yearly=yearly,
        )
        for r, seed in enumerate(seeds)
    ]


def execute(spec: RunSpec) -> RunRecord:
    """Run ``spec``; a run that raises is recorded with its error (unless ``raise_errors``)."""
    started = time.perf_counter()
    metrics: dict[str, float] = {}
    years, tables, error = None, None, ""
    try:
        with warm_model(
            spec.params,
            days=spec.days,
            seed=spec.seed,
            timeline=spec.timeline,
            series=spec.tables is not None,
            progress=spec.progress,
            lang=spec.lang,
        ) as model:  # a worker builds the district once (sim.runs.warm)
            metrics = {name: model.current[name] for name in METRICS}
            if spec.yearly:
                years = yearly(model)
            if spec.tables is not None:
                ids = {"scenario": spec.tables, "run": spec.run_id, "seed": spec.seed, **spec.ids}
                tables = run_tables(model, ids)
    except Exception as exc:  # recorded, and the runs go on
        if spec.raise_errors:
            raise
        error = f"{type(exc).__name__}: {exc}"
    return RunRecord(
        run_id=spec.run_id,
        design_row=spec.design_row,
        replicate=spec.replicate,
        seed=spec.seed,
        status="failed" if error else "ok",
        error=error,
        metrics=metrics,
        seconds=time.perf_counter() - started,
        worker=f"{socket.gethostname()}:{os.getpid()}",
        finished=datetime.now(UTC).isoformat(timespec="milliseconds"),
        years=years,
        tables=tables,
    )


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
    spec = RunSpec(
        run_id=0, seed=seed, days=days, params=params, timeline=timeline, raise_errors=True
    )
    return execute(spec).metrics


def grid_table(model: GovernanceModel) -> pd.DataFrame:
    """A row per grid: ``grid_id``, its town and village, its residents, the counts of the
    measured period (:func:`sim.model.metrics.place_counts`: the same as ``villages.csv``
    and ``towns.csv``, so they add up), and for the map the open cases, staff (grid workers,
    officers, ``volunteer_police_last_patrol``: Yi Police whose latest patrol was there;
    where they live is ``volunteer_police`` by village) and trust at the end of the run."""
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
    outcomes = grid_outcomes(model)
    table["residents"] = outcomes["residents"]
    for name, values in place_counts(model).items():
        table[name] = values
    table["open_disputes"] = outcomes["open_disputes"]
    table["grid_workers"] = outcomes["grid_workers"]
    table["officers"] = officers_by_grid(model)
    table["volunteer_police_last_patrol"] = outcomes["volunteer_police"]
    for name in ("staff_per_1k", "trust"):
        table[name] = outcomes[name]
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


def run_tables(model: GovernanceModel, ids: Mapping[str, Any]) -> RunTables:
    """The tables of a finished run, each row starting with ``ids``."""
    ids = dict(ids)
    daily = model.datacollector.get_model_vars_dataframe()
    tidy = daily.melt(id_vars="day", var_name="metric", value_name="value")
    grids = grid_table(model)
    towns, villages = place_tables(model, ids)
    return RunTables(
        summary=ids | {name: model.current[name] for name in METRICS},
        series=tidy.assign(**ids)[[*ids, "day", "metric", "value"]],
        grids=pd.concat([pd.DataFrame(ids, index=grids.index), grids], axis=1),
        years=year_table(model, ids),
        petitions=petition_table(model, ids),
        towns=towns,
        villages=villages,
    )
