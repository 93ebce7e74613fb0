"""``govsim optimise``: search, then verify, into one output folder that survives a kill.

:func:`optimise` checks the folder (new, empty, or an optimisation of the same
file with ``resume``), holds its lock, runs :func:`sim.runs.optimise.search.search`,
writes ``trials.csv``, ``frontier.csv`` and ``manifest.json`` (after every
stage, so a kill leaves a readable folder), and verifies the recommended plans
(:mod:`sim.runs.optimise.verification`). The report and the plan files are written by
:mod:`sim.output.optimisation_report`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.datafiles import DEFAULT_FORMAT, SUFFIXES, file_names, write_table
from sim.runs.folders import (
    check_resumable,
    listed_files,
    locked,
    manifest_versions,
    write_manifest,
)
from sim.runs.optimise.search import open_study, runs_of, search
from sim.runs.optimise.spec import Optimisation
from sim.runs.optimise.trials import (
    frontier,
    frontier_axes,
    rank_of_today,
    recommended,
    trials_table,
)
from sim.runs.optimise.verification import Verification, verify
from sim.runs.runner import execute
from sim.runs.statistics import mean_metrics

KIND = "optimise"
# What the search writes in place: its study, and its tables in any format.
SEARCH_FILES = ("study.db", *file_names(("trials", "frontier"), "both"))


def files_of(out: Path) -> list[str]:
    """What govsim wrote in an optimisation's folder: the files its manifest listed and the
    search's own files that are there (the manifest's ``files``)."""
    earlier = listed_files(out) or set()
    return sorted(earlier | {n for n in SEARCH_FILES if (out / n).is_file()} | {"manifest.json"})


@dataclass
class OptimisationResult:
    """What an optimisation found: every trial, the frontier, the plans verified."""

    optimisation: Optimisation
    trials: pd.DataFrame
    frontier: pd.DataFrame
    chosen: list[int]  # trial numbers of the recommended plans, best first
    verification: Verification | None
    seconds: dict[str, float]
    base: dict[str, float]  # the base scenario's metric means on the search's seeds
    today_rank: int | None  # where today's plan ranked among the feasible trials (1: best)
    table_format: str = DEFAULT_FORMAT  # the format of its tables


def _manifest(
    optimisation: Optimisation, *, status: str, counts: dict[str, Any], executor: str
) -> dict[str, Any]:
    o = optimisation
    return {
        "kind": KIND,
        "optimisation": o.name,
        "file": str(o.path) if o.path else None,
        "optimisation_sha256": o.sha256,
        "description": o.description,
        "status": status,
        "counts": counts,
        "executor": executor,
        "sampler": "TPE" if len(o.objectives) == 1 else "NSGA-II",
        "search": {
            "trials": o.trials,
            "replicates": o.replicates,
            "days": o.days,
            "seed": o.seed,
            "seeds": o.seeds(),
            "population.scale": o.scenario.params["population.scale"],
        },
        "sets": _sets_record(o),
        "verify": {k: str(v) if isinstance(v, Path) else v for k, v in o.verify.items()},
        "scenario": {
            "name": o.scenario.name,
            "sha256": o.scenario.sha256,
            "overrides": o.scenario.overrides,
        },
        "file_contents": o.spec,
        "versions": manifest_versions(),
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _sets_record(optimisation: Optimisation) -> dict[str, Any] | None:
    """What the manifest says of a robust search's plausible sets (None without sets)."""
    if not optimisation.sets:
        return None
    from sim.runs.ensemble import ensemble_record, load_ensemble

    ensemble = load_ensemble(optimisation.posterior)
    return ensemble_record(ensemble, optimisation.worlds(), optimisation.replicates) | {
        "constraints": [str(c) for c in optimisation.robust],
        "seeds": "the search seeds in every set",
    }


def base_on_search_seeds(optimisation: Optimisation) -> dict[str, float]:
    """The base scenario's metrics, the mean over the search's seeds: today's plan as a trial."""
    return mean_metrics([execute(spec).metrics for spec in runs_of(optimisation, {}, 0)])


def check_folder(optimisation: Optimisation, out: Path, *, resume: bool) -> None:
    """Refuse a folder that is not new, empty, or (with ``resume``) this optimisation's."""
    check_resumable(
        out,
        noun="optimisation",
        kind=KIND,
        sha_key="optimisation_sha256",
        sha256=optimisation.sha256,
        resume=resume,
        what="its variables, bounds, objectives, scenario or seeds",
    )


def optimise(
    optimisation: Optimisation,
    out: Path,
    *,
    trials: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    verify_plans: bool = True,
    progress: bool = False,
    lang: str = "en",
    table_format: str = DEFAULT_FORMAT,
) -> OptimisationResult:
    """Search and verify into ``out``; see the module's docstring. Tables in ``table_format``
    (``csv``, ``parquet``, ``both``); a table of an earlier session in another format that
    govsim wrote is removed, so the folder holds one version of each."""
    out = Path(out)
    check_folder(optimisation, out, resume=resume)
    where = scheduler or f"local process pool ({workers or 'default'} workers)"
    with locked(out, resumable=True):
        out.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        ours = listed_files(out) or set()
        for name in SEARCH_FILES[1:]:
            if Path(name).suffix not in SUFFIXES[table_format] and name in ours:
                (out / name).unlink(missing_ok=True)

        def write(study: Any, status: str) -> pd.DataFrame:
            table = trials_table(study, optimisation)
            write_table(table, out, "trials", table_format)
            counts = table["state"].value_counts().to_dict() if not table.empty else {}
            manifest = _manifest(optimisation, status=status, counts=counts, executor=where)
            manifest["format"] = table_format
            write_manifest(out, manifest | {"files": files_of(out)})
            return table

        if not (out / "manifest.json").exists():  # first: a kill leaves a folder to resume
            manifest = _manifest(optimisation, status="running", counts={}, executor=where)
            write_manifest(out, manifest | {"files": files_of(out)})
        try:  # an interrupt, in the search or in the verification, leaves a folder to resume
            study = search(
                optimisation,
                out,
                trials=trials,
                workers=workers,
                scheduler=scheduler,
                resume=resume,
                progress=progress,
                lang=lang,
            )
            searched = time.perf_counter()
            table = write(study, "searched")
            # the base on the search's seeds: run before the trials in a robust search
            base = study.user_attrs.get("base") or base_on_search_seeds(optimisation)
            metrics, signs = frontier_axes(optimisation)
            front = frontier(table, metrics, signs)
            write_table(front, out, "frontier", table_format)
            # Plans to recommend: the best of the others (today's own plan is the reference).
            others = frontier(table[~table["today"]], metrics, signs)
            chosen = recommended(others, metrics, signs, optimisation.verify["plans"])
            verification = None
            if verify_plans and chosen:
                settings = {
                    t: json.loads(table.set_index("trial").at[t, "settings"]) for t in chosen
                }
                verification = verify(optimisation, settings, workers=workers, progress=progress)
            write(study, "complete")
        except KeyboardInterrupt:
            write(open_study(optimisation, out, resume=True), "interrupted")
            raise
    return OptimisationResult(
        optimisation=optimisation,
        trials=table,
        frontier=front,
        chosen=chosen,
        verification=verification,
        base=base,
        today_rank=rank_of_today(table, optimisation),
        table_format=table_format,
        seconds={
            "search": round(searched - started, 1),
            "verify": round(time.perf_counter() - searched, 1),
        },
    )
