"""The calibration's search: candidates screened, polished and profiled, their replicates
fanned out together (:class:`~sim.runs.fanout.FanOut`), and the best set checked."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.model.parameters import resolve
from sim.runs.calibrate.posterior import PHASE
from sim.runs.calibrate.spec import Calibration
from sim.runs.executors import executor_for
from sim.runs.fanout import FanOut
from sim.runs.runner import RunRecord, RunSpec, point_runs
from sim.runs.scenario import ScenarioError
from sim.runs.statistics import mean_metrics, nan_mean


class Evaluator:
    """Runs candidates (replicates in parallel on an executor) and keeps every evaluation."""

    def __init__(
        self,
        calibration: Calibration,
        executor: Executor,
        *,
        on_run: Callable[[RunRecord], Any] | None = None,
    ) -> None:
        self.calibration, self.executor, self.on_run = calibration, executor, on_run
        self.rows: list[dict[str, Any]] = []

    def runs(
        self,
        params: dict[str, Any],
        *,
        replicates: int,
        scale: float | None = None,
        years: int | None = None,
        policy: str = "",
    ) -> list[RunSpec]:
        """``replicates`` runs of the base scenario with ``params`` (and ``scale``), under an
        effect target's ``policy`` if one is named; with ``years``, runs of that many measured
        years that report each year."""
        c = self.calibration
        scaled = {} if scale is None else {"population.scale": scale}
        changed = c.policies[policy] if policy else None
        settings = changed.settings if changed else {}
        full = resolve(c.scenario.params | settings | params | scaled)
        return point_runs(
            0,
            full,
            seeds=c.seeds()[:replicates],
            days=c.days if years is None else 365 * years,
            timeline=changed.timeline if changed else c.scenario.timeline,
            yearly=years is not None,
        )

    def jobs(self, params: dict[str, Any], **kwargs: Any) -> list[list[RunSpec]]:
        """The runs of one candidate: the base scenario's, then each effect target's policy's
        (the same seeds: the effect is a paired comparison)."""
        return [
            self.runs(params, **kwargs, policy=name) for name in ("", *self.calibration.policies)
        ]

    def records(self, jobs: list[list[RunSpec]]) -> list[list[RunRecord]]:
        """The records of every job's runs, all in flight together; a failed run is an error."""
        fan: FanOut[int] = FanOut(self.executor, in_flight=len(jobs), on_run=self.on_run)
        done = dict(fan.results(enumerate(jobs)))
        records = [done[i] for i in range(len(jobs))]
        failed = [r.error for job in records for r in job if not r.ok]
        if failed:
            raise ScenarioError(f"a calibration run failed: {failed[0]}")
        return records

    def evaluate_many(self, units: np.ndarray, *, phase: str) -> list[float]:
        """Losses of many candidates at once (all their runs in flight together)."""
        c = self.calibration
        candidates = [(u, c.params_at(u)) for u in units]
        per = 1 + len(c.policies)
        jobs = [job for _, p in candidates for job in self.jobs(p, replicates=c.replicates)]
        done = self.records(jobs)
        return [
            self._keep(u, params, done[i * per : (i + 1) * per], phase)
            for i, (u, params) in enumerate(candidates)
        ]

    def evaluate(self, unit: np.ndarray, *, phase: str) -> float:
        return self.evaluate_many(np.array([unit]), phase=phase)[0]

    def check(self, best: dict[str, Any]) -> list[dict[str, Any]]:
        """The check runs of the best set (``check_replicates`` at ``check_scale``, each of
        ``check_years``), as rows of the base scenario's runs. An effect target's value is in
        each row under its name: the run's paired difference under the policy, relative to the
        base scenario's mean (so that the rows' mean is the relative change), each year too."""
        c = self.calibration
        base, *others = self.records(
            self.jobs(best, replicates=c.check_replicates, scale=c.check_scale, years=c.check_years)
        )
        rows = [r.row() for r in base]
        under = dict(zip(c.policies, others, strict=True))
        for t in (t for t in c.targets if t.effect_of):
            paired = [r.row() for r in under[t.effect_of]]
            _effect_column(rows, paired, t.metric, t.name)
        return rows

    def _keep(
        self,
        unit: np.ndarray,
        params: dict[str, Any],
        records: list[list[RunRecord]],
        phase: str,
    ) -> float:
        c = self.calibration
        base, *others = ([r.metrics for r in job] for job in records)
        means = c.target_means(
            mean_metrics(base),
            {name: mean_metrics(job) for name, job in zip(c.policies, others, strict=True)},
        )
        loss = c.loss(means)
        self.rows.append(
            {"phase": phase, "loss": loss}
            | params
            | {f"u:{f.key}": float(u) for f, u in zip(c.free, unit, strict=True)}
            | {f"sim:{t.name}": means[t.name] for t in c.targets}
        )
        return loss


def _effect_column(
    rows: list[dict[str, Any]], paired: list[dict[str, Any]], metric: str, name: str
) -> None:
    """Put into each of ``rows`` (and each of its years) under ``name`` the paired difference of
    ``metric`` in ``paired`` (the same seeds under a policy), relative to the mean of ``rows``."""
    mean = nan_mean([r[metric] for r in rows])
    for row, other in zip(rows, paired, strict=True):
        row[name] = (other[metric] - row[metric]) / mean if mean else float("nan")
    for y, _ in enumerate(rows[0].get("years") or []):
        year_mean = nan_mean([r["years"][y][metric] for r in rows])
        for row, other in zip(rows, paired, strict=True):
            change = other["years"][y][metric] - row["years"][y][metric]
            row["years"][y][name] = change / year_mean if year_mean else float("nan")


def search(
    calibration: Calibration,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> tuple[dict[str, Any], pd.DataFrame, list[dict[str, Any]]]:
    """Screen a Latin hypercube (and the base scenario's own values), polish the best candidate
    with Nelder-Mead, profile each
    parameter around the best (one at a time, ``profile`` of its range either way), and
    check the best set; then, with ``[posterior]``, evaluate its draws (phase ``posterior``).

    Returns the best free-parameter values (rounded to 4 significant digits, as
    written to the scenario file), every evaluation (a table), and the records
    of the check runs of the best set (``check_replicates`` at ``check_scale``).
    """
    from scipy.optimize import minimize
    from scipy.stats import qmc

    c = calibration
    profiled = 2 * len(c.free) if c.profile else 0
    per = 1 + len(c.policies)  # runs of a candidate: the base scenario, each effect's policy
    total = per * (
        (c.screen + 1 + c.polish + profiled + c.posterior_draws) * c.replicates + c.check_replicates
    )
    with (
        executor_for(workers=workers, scheduler=scheduler) as executor,
        tqdm(total=total, unit="run", disable=not progress, desc="screening") as bar,
    ):
        evaluator = Evaluator(c, executor, on_run=lambda _: bar.update())
        units = qmc.LatinHypercube(d=len(c.free), seed=c.seed).random(c.screen)
        units = np.vstack([units, c.unit_of_current()])  # the values in force are a candidate too
        losses = evaluator.evaluate_many(units, phase="screen")
        start = units[int(np.argmin(losses))]
        if c.polish:
            bar.set_description("polishing")
            minimize(
                lambda u: evaluator.evaluate(np.clip(u, 0.0, 1.0), phase="polish"),
                start,
                method="Nelder-Mead",
                bounds=[(0.0, 1.0)] * len(c.free),
                options={
                    "maxfev": c.polish,
                    "xatol": 1e-3,
                    "fatol": 1e-3,
                    "initial_simplex": _simplex(start),
                },
            )
        table = pd.DataFrame(evaluator.rows)
        best_row = table.loc[table["loss"].idxmin()]
        best = {f.key: _rounded(best_row[f.key]) for f in c.free}
        if c.profile:  # each parameter alone, a step either way: how fast the fit worsens
            bar.set_description("profiling")
            centre = best_row[[f"u:{f.key}" for f in c.free]].to_numpy(dtype=float)
            for j, f in enumerate(c.free):
                steps = [centre.copy(), centre.copy()]
                steps[0][j] = max(centre[j] - c.profile, 0.0)
                steps[1][j] = min(centre[j] + c.profile, 1.0)
                evaluator.evaluate_many(np.array(steps), phase=f"profile:{f.key}")
            table = pd.DataFrame(evaluator.rows)
        bar.set_description("checking")
        check = evaluator.check(best)
        if c.posterior_draws:  # the prior's draws, weighed by the targets (.posterior)
            bar.set_description("posterior")
            draws = qmc.LatinHypercube(d=len(c.free), seed=c.seed + 1).random(c.posterior_draws)
            evaluator.evaluate_many(draws, phase=PHASE)
            table = pd.DataFrame(evaluator.rows)
    return best, table, check


def _rounded(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return value if isinstance(value, int) else float(f"{value:.4g}")


def _simplex(start: np.ndarray, step: float = 0.1) -> np.ndarray:
    """A starting simplex around ``start`` that stays inside the unit cube."""
    points = [start]
    for j in range(len(start)):
        point = start.copy()
        point[j] = point[j] + step if point[j] + step <= 1.0 else point[j] - step
        points.append(point)
    return np.array(points)
