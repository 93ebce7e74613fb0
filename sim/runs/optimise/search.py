"""The policy search: Optuna asks for plans, the project's executors evaluate them.

One objective is searched with TPE, several with NSGA-II; constraints go
through Optuna's constraint function (a trial is feasible when every
constraint's excess is <= 0). The study lives in ``study.db`` (SQLite) in the
output folder, so a killed search resumes (``resume=True``): finished trials
are kept and never run again; trials that were running are run again with the
same plans. Every trial's runs use the same seeds (common random numbers), so
the search compares plans, not noise. A plan drawn twice is evaluated once.
With one worker and the same seed the same trials come out. An interrupt (Ctrl-C, SIGTERM)
waits while the study is written (``uninterrupted``): cut inside a write, SQLite kept its lock
and the interrupted command hung as it marked the trials it left.

With ``[search] sets`` every trial runs in the same plausible parameter sets
(:mod:`sim.runs.optimise.sets`); the base scenario runs in them first, on the
same seeds, and its means within each set (the study's ``base_by_set``) are what
a robust constraint compares each trial's with.

Layout of the output folder (the report and plan files are written by
:mod:`sim.output.optimisation_report`)::

    manifest.json   the optimisation, its seeds, versions, status and counts
    study.db        the Optuna study (SQLite): resumable
    trials.csv      every trial: variables, settings, objectives, constraints, metrics, seeds
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from sim.labels import label
from sim.model.metrics import METRICS
from sim.model.parameters import resolve
from sim.runs.executors import default_workers, executor_for, uninterrupted
from sim.runs.fanout import FanOut
from sim.runs.optimise.decisions import Robust, town_staff
from sim.runs.optimise.sets import by_set, in_set, no_worse, set_means, set_runs, set_seeds
from sim.runs.optimise.spec import DIRECTIONS, Optimisation
from sim.runs.runner import RunSpec, point_runs
from sim.runs.statistics import mean_metrics

Evaluate = Callable[[dict[str, Any]], dict[str, float]]  # settings -> metric means (tests)


def _optuna() -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def sampler_for(optimisation: Optimisation, *, seed: int) -> Any:
    """TPE for one objective, NSGA-II for several; both read the constraints each trial sets
    (``Trial.set_constraint``: feasible when every excess is <= 0)."""
    optuna = _optuna()
    if len(optimisation.objectives) == 1:
        return optuna.samplers.TPESampler(
            seed=seed,
            n_startup_trials=min(10, max(2, optimisation.trials // 4)),
            multivariate=True,
        )
    return optuna.samplers.NSGAIISampler(
        seed=seed, population_size=max(4, min(20, optimisation.trials // 4))
    )


STUDY_DB_WAIT_SECONDS = 120  # how long a write waits for a reader of study.db


def open_study(optimisation: Optimisation, folder: Path, *, resume: bool) -> Any:
    """The study in ``folder/study.db``: a new one, or (``resume``) the stored one, whose
    trials left running by a kill are failed and their plans queued again."""
    optuna = _optuna()
    # a reader of study.db (optuna-dashboard, a script) may hold it for a moment: wait for it
    storage = optuna.storages.RDBStorage(
        f"sqlite:///{(folder / 'study.db').resolve()}",
        engine_kwargs={"connect_args": {"timeout": STUDY_DB_WAIT_SECONDS}},
    )
    sampler = sampler_for(optimisation, seed=optimisation.seed)
    directions = [DIRECTIONS[o.direction] for o in optimisation.objectives]
    study = optuna.create_study(
        storage=storage,
        sampler=sampler,
        study_name=optimisation.name,
        directions=directions,
        load_if_exists=resume,
    )
    if not study.get_trials(deepcopy=False):
        today = todays_plan(optimisation)
        if today is not None:  # trial 0: the base scenario's own plan, where the search starts
            study.enqueue_trial(today, user_attrs={"today": True})
    stale = [t for t in study.get_trials(deepcopy=False) if t.state.name == "RUNNING"]
    for trial in stale:
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        again = {"rerun_of": trial.number}
        if trial.user_attrs.get("today"):  # the reference: today's plan stays today's
            again["today"] = True
        study.enqueue_trial(trial.params, user_attrs=again)
    return study


def todays_plan(optimisation: Optimisation) -> dict[str, Any] | None:
    """The search parameters of the base scenario's own staffing, if every variable can
    express it (a town table with a fixed total only when the base has that total)."""
    params = optimisation.scenario.params
    by_town = town_staff(params, optimisation.seeds()[0])
    drawn: dict[str, Any] = {}
    for variable in optimisation.variables:
        found = variable.drawn_for(params[variable.key], by_town.get(variable.key, {}))
        if found is None:
            return None
        drawn |= found
    return drawn


def runs_of(optimisation: Optimisation, settings: dict[str, Any], trial: int) -> list[RunSpec]:
    """The runs of one trial: the base scenario with the trial's settings, on the search seeds
    (in each plausible set, with ``sets``)."""
    if optimisation.sets:
        return set_runs(optimisation, settings, trial)
    return point_runs(
        trial,
        resolve(optimisation.scenario.params | settings),
        seeds=optimisation.seeds(),
        days=optimisation.days,
        timeline=optimisation.scenario.timeline,
    )


def set_constraints(trial: Any, optimisation: Optimisation, excess: list[float]) -> None:
    """Tell the study how far the trial is beyond each constraint (<= 0: within it)."""
    trial.set_user_attr("constraints", excess)
    for bound, value in zip(optimisation.constraints, excess, strict=True):
        trial.set_constraint(str(bound), value)


def judge(
    optimisation: Optimisation, runs: list[dict[str, float]]
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """A trial's metric means over all its runs, and (with robust constraints) its robust
    metrics' means set by set."""
    sets = by_set(optimisation, set_means(optimisation, runs)) if optimisation.robust else {}
    return mean_metrics(runs), sets


def _finish_trial(
    study: Any,
    optimisation: Optimisation,
    trial: Any,
    means: dict[str, float],
    *,
    seconds: float,
    failed: str = "",
    sets: dict[str, list[float]] | None = None,
) -> list[float] | None:
    """Record a trial's metrics and constraints and tell the study its objective values;
    ``sets``: its robust metrics' means set by set, judged against the study's base."""
    optuna = _optuna()
    if failed:
        trial.set_user_attr("error", failed)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        return None
    shares = no_worse(optimisation, sets, study.user_attrs["base_by_set"]) if sets else {}
    excess = [
        c.excess(shares[c.metric] if isinstance(c, Robust) else means[c.metric])
        for c in optimisation.constraints
    ]
    if sets:
        trial.set_user_attr("by_set", sets)
        trial.set_user_attr("no_worse", shares)
    set_constraints(trial, optimisation, excess)
    trial.set_user_attr("metrics", {k: means[k] for k in METRICS if k in means})
    trial.set_user_attr("seconds", round(seconds, 3))
    values = [means[o.metric] for o in optimisation.objectives]
    values = [
        v if not math.isnan(v) else (1e9 if o.sign > 0 else -1e9)
        for v, o in zip(values, optimisation.objectives, strict=True)
    ]
    study.tell(trial, values)
    return values


def search(
    optimisation: Optimisation,
    folder: Path,
    *,
    trials: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    evaluate: Evaluate | None = None,
    progress: bool = False,
    lang: str = "en",
) -> Any:
    """Run the search into ``folder`` until ``trials`` trials (default the file's) are done.

    Trials run on the project's executors (a local pool, or Dask with
    ``scheduler``); ``evaluate`` replaces the model with a function of a
    trial's settings (in this process), for tests of the search itself.
    Returns the Optuna study. Ctrl-C keeps every finished trial.
    """
    folder.mkdir(parents=True, exist_ok=True)
    study = open_study(optimisation, folder, resume=resume)
    wanted = trials if trials is not None else optimisation.trials
    seen: dict[str, Any] = {}  # plans already evaluated: their trial
    for t in study.get_trials(deepcopy=False):
        if t.state.name == "COMPLETE":
            seen.setdefault(json.dumps(t.params, sort_keys=True), t)
    done = first = sum(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False))
    workers = workers or default_workers()
    in_flight = 1 if evaluate else max(1, math.ceil(workers / optimisation.replicates))
    bar = tqdm(
        total=wanted,
        initial=min(first, wanted),
        disable=not progress,
        unit=label("term", "progress_trial", lang),
    )
    started = time.perf_counter()

    def ask() -> tuple[Any, dict[str, Any]]:
        trial = study.ask()
        drawn: dict[str, Any] = {}
        for variable in optimisation.variables:
            drawn |= variable.suggest(trial)
        settings = optimisation.settings(drawn)
        trial.set_user_attr("settings", settings)
        trial.set_user_attr("seeds", set_seeds(optimisation) or optimisation.seeds())
        return trial, settings

    def told() -> None:
        nonlocal done
        done += 1
        bar.update()
        elapsed = time.perf_counter() - started
        eta = elapsed / max(done - first, 1) * max(wanted - done, 0)
        bar.set_postfix_str(f"ETA {eta:.0f} s")

    def evaluated(settings: dict[str, Any]) -> list[dict[str, float]]:
        """``evaluate``'s means, as a trial's runs: one call, or with sets a call for each of a
        set's ``replicates`` runs (the set's values among the settings)."""
        if evaluate is None:
            return []
        if not optimisation.sets:
            return [evaluate(settings)]
        r = optimisation.replicates
        return [evaluate(in_set(optimisation, settings, w)) for w in optimisation.worlds()
                for _ in range(r)]  # fmt: skip

    if optimisation.sets and "base_by_set" not in study.user_attrs:  # the base, first
        if evaluate is not None:
            means, base = judge(optimisation, evaluated({}))
        else:
            with executor_for(workers=workers, scheduler=scheduler) as executor:
                fan0: FanOut[int] = FanOut(executor, in_flight=1)
                _, records = next(iter(fan0.results(iter([(0, runs_of(optimisation, {}, 0))]))))
            errors = [r.error for r in records if not r.ok]
            if errors:
                raise RuntimeError(f"the base scenario failed in a plausible set: {errors[0]}")
            means, base = judge(optimisation, [r.metrics for r in records])
        with uninterrupted():
            study.set_user_attr("base", means)  # over all its runs
            study.set_user_attr("base_by_set", base)
            study.set_user_attr("sets", [w.set for w in optimisation.worlds()])

    if evaluate is not None:  # in this process, one trial at a time
        while done < wanted:
            with uninterrupted():
                trial, settings = ask()
            t0 = time.perf_counter()
            means, sets = judge(optimisation, evaluated(settings))
            with uninterrupted():
                _finish_trial(
                    study, optimisation, trial, means, seconds=time.perf_counter() - t0, sets=sets
                )
                told()
        bar.close()
        return study

    failures = 0
    running: dict[int, dict[str, Any]] = {}  # trial number -> {"trial", "key", "started"}

    def jobs() -> Iterator[tuple[int, list[RunSpec]] | None]:
        """The runs of the next new plan, asked for only when a trial can start."""
        while True:
            if done + len(running) >= wanted:
                if not running:
                    return
                yield None  # nothing to start until a running trial is told
                continue
            with uninterrupted():  # the study's database is written whole (see the module)
                trial, settings = ask()
                key = json.dumps(trial.params, sort_keys=True)
                if (old := seen.get(key)) is not None:  # the same plan again: its values
                    trial.set_user_attr("same_as", old.number)
                    for name in ("metrics", "seconds", "by_set", "no_worse"):
                        trial.set_user_attr(name, old.user_attrs.get(name))
                    set_constraints(trial, optimisation, old.user_attrs["constraints"])
                    study.tell(trial, old.values)
                    told()
                else:
                    running[trial.number] = {
                        "trial": trial,
                        "key": key,
                        "started": time.perf_counter(),
                    }
            if old is None:
                yield trial.number, runs_of(optimisation, settings, trial.number)

    with executor_for(workers=workers, scheduler=scheduler) as executor:
        fan: FanOut[int] = FanOut(executor, in_flight=in_flight)
        try:
            for number, records in fan.results(jobs()):
                job = running.pop(number)
                errors = [r.error for r in records if not r.ok]
                means, sets = judge(optimisation, [r.metrics for r in records])
                with uninterrupted():
                    _finish_trial(
                        study,
                        optimisation,
                        job["trial"],
                        means,
                        seconds=time.perf_counter() - job["started"],
                        failed=errors[0] if errors else "",
                        sets=sets,
                    )
                    if not errors:
                        seen[job["key"]] = study.get_trials(deepcopy=False)[number]
                        told()
                if errors and (failures := failures + 1) >= max(3, wanted):  # the model's fault
                    raise RuntimeError(f"{failures} trials failed, the last: {errors[0]}")
        except KeyboardInterrupt:
            fan.cancel()
            raise
        finally:
            bar.close()
    return study
