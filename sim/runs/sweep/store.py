"""Running a sweep: a store that keeps every finished run, and resuming.

Runs go through :class:`~sim.runs.fanout.FanOut` to a :class:`concurrent.futures.Executor`:
a local process pool by default, or a Dask cluster's executor
(``scheduler="tcp://HOST:PORT"``, the ``[dask]`` extra). Each run is a picklable
:class:`~sim.runs.runner.RunSpec` and gives a :class:`~sim.runs.runner.RunRecord`; a run
that raises is recorded with its error and the sweep goes on. The main process appends each record to a JSON-lines file as
soon as it arrives (flushed and synced), so an interrupted or killed sweep
loses nothing that had finished; ``resume=True`` skips the runs already done.

Layout of a sweep directory::

    manifest.json      the sweep, its base scenario, design, seeds, versions, status
    design.csv         one row per design point
    runs/part-NNNN.jsonl   finished runs, as they came (one part per session, rolled)
    runs.csv           the tidy table: one row per run, every parameter and metric
                       (runs.parquet with --format parquet, both with --format both;
                       design.csv likewise)
    datapackage.json   the data dictionary of design and runs (sim.runs.datapackage)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.model.metrics import METRICS
from sim.model.parameters import resolve
from sim.runs.datafiles import DEFAULT_FORMAT, SUFFIXES, write_table
from sim.runs.datapackage import write_datapackage
from sim.runs.executors import default_workers, executor_for
from sim.runs.fanout import FanOut
from sim.runs.folders import (
    check_resumable,
    listed_files,
    locked,
    manifest_versions,
    write_manifest,
)
from sim.runs.runner import RunRecord, RunSpec, point_runs
from sim.runs.sweep.spec import Sweep

PART_LINES = 1000  # records per part file before a new part is started
ID_COLUMNS = ("run_id", "design_row", "replicate", "seed", "status", "error")


def trial_runs(n_runs: int, max_runs: int | None) -> set[int]:
    """The run ids to run: all of them, or ``max_runs`` spread evenly across the design.

    A quick trial (``--max-runs 6``) so samples every part of the design, and a
    later ``--resume`` runs the rest.
    """
    if max_runs is None or max_runs >= n_runs:
        return set(range(n_runs))
    return {int(i) for i in np.linspace(0, n_runs - 1, max_runs).round()}


def run_specs(sweep: Sweep, design: pd.DataFrame) -> Iterator[RunSpec]:
    """Every run of the sweep, lazily, in run-id order: design row by row, replicate by replicate."""
    seeds = sweep.replicate_seeds()
    keys = [f.key for f in sweep.factors]
    for row in design.to_dict("records"):
        values = {k: row[k].item() if hasattr(row[k], "item") else row[k] for k in keys}
        yield from point_runs(
            int(row["design_row"]),
            resolve(sweep.scenario.params | values),
            seeds=seeds,
            days=sweep.days,
            timeline=sweep.scenario.timeline,
        )


class RunStore:
    """The finished runs of a sweep directory, kept as JSON lines that survive a kill."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder) / "runs"
        self._file: IO[str] | None = None
        self._lines = 0

    def records(self) -> list[dict[str, Any]]:
        """Every record written so far, in order (a line cut short by a kill is skipped)."""
        found = []
        for part in sorted(self.folder.glob("part-*.jsonl")):
            for line in part.read_text(encoding="utf-8").splitlines():
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return found

    def done(self) -> set[int]:
        """Run ids finished without error."""
        return {r["run_id"] for r in self.records() if r.get("status") == "ok"}

    def append(self, record: RunRecord) -> None:
        """Write a finished run's record (flushed and synced: it survives a kill)."""
        if self._file is None or self._lines >= PART_LINES:
            self._file = self._roll()
        self._file.write(json.dumps(record.row(), default=str) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._lines += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _roll(self) -> IO[str]:
        self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        number = len(list(self.folder.glob("part-*.jsonl")))
        self._lines = 0
        return open(self.folder / f"part-{number:04d}.jsonl", "x", encoding="utf-8")

    def table(self, sweep: Sweep, design: pd.DataFrame) -> pd.DataFrame:
        """One row per run (a success wins over failures, else the latest): ids, every
        parameter (the base scenario's, with the design point's values) and every metric."""
        latest: dict[int, dict[str, Any]] = {}
        for record in self.records():
            old = latest.get(record["run_id"])
            if old is None or old["status"] != "ok":
                latest[record["run_id"]] = record
        if not latest:
            return pd.DataFrame()
        runs = pd.DataFrame([latest[i] for i in sorted(latest)])
        keys = [f.key for f in sweep.factors]
        points = _cells(design.set_index("design_row")[keys].loc[runs["design_row"]])
        base = {k: _cell(v) for k, v in sweep.scenario.params.items() if k not in keys}
        settings = pd.concat(
            [points.reset_index(drop=True), pd.DataFrame(base, index=runs.index)], axis=1
        )[list(sweep.scenario.params)]
        metrics = [m for m in METRICS if m in runs.columns]
        extra = [c for c in runs.columns if c not in (*ID_COLUMNS, *metrics)]
        return pd.concat([runs[list(ID_COLUMNS)], settings, runs[metrics + extra]], axis=1)


def _cell(value: Any) -> Any:
    """A list or table value (town lists) as JSON text, as in every other file."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def _cells(table: pd.DataFrame) -> pd.DataFrame:
    return table.map(_cell)


def _manifest(
    sweep: Sweep, *, status: str, counts: dict[str, int], executor: str
) -> dict[str, Any]:
    return {
        "kind": "sweep",
        "sweep": sweep.name,
        "file": str(sweep.path) if sweep.path else None,
        "sweep_sha256": sweep.sha256,
        "description": sweep.description,
        "status": status,
        "counts": counts,
        "executor": executor,
        "design": {
            "method": sweep.method,
            "samples": sweep.samples,
            "levels": sweep.levels,
            "second_order": sweep.second_order,
            "points": len(sweep.design()),
        },
        "factors": [vars(f) for f in sweep.factors],
        "days": sweep.days,
        "replicates": sweep.replicates,
        "master_seed": sweep.seed,
        "replicate_seeds": sweep.replicate_seeds(),
        "scenario": {
            "name": sweep.scenario.name,
            "sha256": sweep.scenario.sha256,
            "overrides": sweep.scenario.overrides,
            "timeline": sweep.scenario.timeline.to_dict(),
        },
        "sweep_file": sweep.spec,
        "versions": manifest_versions(),
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
    }


TABLES = ("design", "runs")


def _files(out: Path) -> list[str]:
    """The files a sweep writes that are in ``out`` (for the manifest's ``files``)."""
    tables = [
        f"{t}{x}" for t in TABLES for x in (".csv", ".parquet") if (out / f"{t}{x}").is_file()
    ]
    parts = sorted(f"runs/{p.name}" for p in (out / "runs").glob("part-*.jsonl"))
    extra = ["datapackage.json"] if (out / "datapackage.json").is_file() else []
    return tables + parts + extra + ["manifest.json"]


def _drop_other_formats(out: Path, table_format: str) -> None:
    """Remove the sweep's own tables in a format not asked for now (a --resume in another
    format): a table govsim wrote there, as the manifest lists it; never a user's file."""
    ours = listed_files(out) or set()
    for table in TABLES:
        for suffix in (".csv", ".parquet"):
            name = f"{table}{suffix}"
            if suffix not in SUFFIXES[table_format] and name in ours:
                (out / name).unlink(missing_ok=True)


def _check_out(sweep: Sweep, out: Path, *, resume: bool) -> None:
    check_resumable(
        out,
        noun="sweep",
        kind="sweep",
        sha_key="sweep_sha256",
        sha256=sweep.sha256,
        resume=resume,
        what="its design, days, settings or seeds",
    )


def run_sweep(
    sweep: Sweep,
    out: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    max_runs: int | None = None,
    progress: bool = False,
    table_format: str = DEFAULT_FORMAT,
) -> dict[str, int]:
    """Run the sweep into ``out``; returns counts (``ok``, ``failed``, ``skipped``, ``left``).
    Tables in ``table_format`` (``csv``, ``parquet``, ``both``), described in ``datapackage.json``.

    Raises :class:`KeyboardInterrupt` after recording every run that finished
    when interrupted (Ctrl-C, or SIGTERM routed to it by the caller).
    """
    out = Path(out)
    _check_out(sweep, out, resume=resume)
    with locked(
        out, resumable=True
    ):  # a second sweep (or --resume) into the same folder is refused
        return _run_sweep(
            sweep,
            out,
            workers=workers,
            scheduler=scheduler,
            max_runs=max_runs,
            progress=progress,
            table_format=table_format,
        )


def _run_sweep(
    sweep: Sweep,
    out: Path,
    *,
    workers: int | None,
    scheduler: str | None,
    max_runs: int | None,
    progress: bool,
    table_format: str,
) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    _drop_other_formats(out, table_format)
    design = sweep.design()
    write_table(_cells(design), out, "design", table_format)
    store = RunStore(out)
    done = store.done()
    chosen = trial_runs(len(design) * sweep.replicates, max_runs)
    total = len(chosen)
    skipped = len(done & chosen)
    todo = (
        (s.run_id, [s])
        for s in run_specs(sweep, design)
        if s.run_id in chosen and s.run_id not in done
    )
    counts = {"ok": 0, "failed": 0, "skipped": skipped, "left": total - skipped}
    where = scheduler or f"local process pool ({workers or default_workers()} workers)"

    def finish(status: str) -> None:
        store.close()
        table = store.table(sweep, design)
        if not table.empty:
            write_table(table, out, "runs", table_format)
        write_datapackage(out, _files(out), kind="sweep")
        manifest = _manifest(sweep, status=status, counts=counts, executor=where) | {
            "format": table_format
        }
        write_manifest(out, manifest | {"files": _files(out)})

    finish("running")
    if counts["left"] == 0:
        finish("complete")
        return counts
    # In flight at once: enough to keep every worker busy, few enough to stay light in memory.
    window = 2 * (workers or default_workers()) if scheduler is None else 2048
    bar = tqdm(total=total, initial=skipped, unit="run", disable=not progress)
    bar.set_postfix(failed=0)

    def record(records: list[RunRecord]) -> None:
        for result in records:
            store.append(result)
            counts["ok" if result.ok else "failed"] += 1
            counts["left"] -= 1
            bar.update()
            bar.set_postfix(failed=counts["failed"])

    with executor_for(workers=workers, scheduler=scheduler) as executor:
        fan: FanOut[int] = FanOut(executor, in_flight=window)
        try:
            for _, records in fan.results(todo):
                record(records)
        except KeyboardInterrupt:
            for _, records in fan.drain():  # those already running: keep what they finish
                record(records)
            finish("interrupted")
            raise
        finally:
            bar.close()
    finish("complete" if counts["left"] == 0 else "partial")
    return counts
