"""The results folder of ``govsim run`` and ``compare``: tables, manifest and report, written atomically."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.output.contents import COMPARE_TABLES as COMPARE_TABLES
from sim.output.contents import OTHER_FILES as OTHER_FILES
from sim.output.contents import RUN_TABLES as RUN_TABLES
from sim.output.contents import run_files as run_files
from sim.output.report import write_report
from sim.runs.datafiles import DEFAULT_FORMAT, write_table
from sim.runs.datapackage import write_datapackage
from sim.runs.folders import check_out, files_under, manifest_versions, replace_dir
from sim.runs.replicates import RunResult


def _manifest(
    results: Sequence[RunResult],
    command: str,
    kind: str,
    table_format: str,
    ensemble: Mapping[str, Any] | None = None,
) -> dict:
    versions = manifest_versions()
    first = results[0]
    scenarios = [
        {
            "name": r.scenario.name,
            "file": str(r.scenario.path) if r.scenario.path else None,
            "sha256": r.scenario.sha256,
            "description": r.scenario.description,
            "description_zh": r.scenario.description_zh,
            "overrides": r.scenario.overrides,
            "timeline": r.scenario.timeline.to_dict(),
            "parameters": r.scenario.params,
            "run_seconds": r.timings.get("run_seconds"),
        }
        for r in results
    ]
    return {
        "kind": kind,
        "command": command,
        "days": first.days,
        "replicates": len(first.seeds),
        "seeds": first.seeds,
        "scenarios": scenarios,
        "versions": versions,
        "timings": {k: v for k, v in first.timings.items() if k != "run_seconds"},
        "format": table_format,
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
    } | ({"ensemble": dict(ensemble)} if ensemble else {})


def summary_table(results: Sequence[RunResult]) -> pd.DataFrame:
    """The rows of ``summary``: one per run, over the whole measured period.

    Columns: ``scenario``, ``run``, ``seed``, ``period`` (``all``: the whole measured
    period), ``days`` (measured days) and every metric, by scenario (in the order given)
    and run. Each year of each run is in :func:`years_table`.
    """
    whole = pd.concat([r.summary for r in results], ignore_index=True)
    whole.insert(3, "period", "all")
    whole.insert(4, "days", [r.days for r in results for _ in range(len(r.summary))])
    return whole


def years_table(results: Sequence[RunResult]) -> pd.DataFrame:
    """The rows of ``years``: one per run and simulated year after the warm-up.

    Columns: ``scenario``, ``run``, ``seed``, ``period`` (``year 1``, ``year 2``, ...),
    ``year`` (1, 2, ...), ``days`` (measured days in the year: a partial last year has
    fewer than 365) and every metric, by scenario (in the order given), run and year.
    ``pd.concat([summary, years])`` gives every period of every run.
    """
    frames = [r.years.sort_values(["run", "year"], kind="stable") for r in results]
    years = pd.concat(frames, ignore_index=True)
    years.insert(3, "period", "year " + years["year"].astype(str))
    first = ["scenario", "run", "seed", "period", "year", "days"]
    return years[[*first, *(c for c in years.columns if c not in first)]]


def write_results(
    results: Sequence[RunResult],
    out: Path,
    *,
    differences: pd.DataFrame | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    command: str = "",
    lang: str = "en",
    kind: str = "",
    force: bool = False,
    table_format: str = DEFAULT_FORMAT,
    ensemble: Mapping[str, Any] | None = None,
) -> list[str]:
    """Write the output directory atomically: a temporary directory moved into place.

    Tables (each as ``NAME.csv``, ``NAME.parquet`` or both, by ``table_format``: :mod:`sim.runs.datafiles`):
    ``summary`` (one row per run over the whole measured period: :func:`summary_table`),
    ``years`` (one row per run and simulated year: :func:`years_table`), ``timeseries``,
    ``grids``, ``petitions`` (petitions by origin and subject:
    :func:`sim.runs.places.petition_table`), ``towns`` and ``villages`` (results and staff by
    place: :func:`sim.runs.places.place_tables`; every table has every scenario, a
    ``scenario`` column), ``differences`` when comparing, and each of ``tables``
    (``compare``: ``cost_effectiveness``, ``town_differences``); then ``datapackage.json``
    (the data dictionary of those tables: :mod:`sim.runs.datapackage`), ``manifest.json``
    and ``report.html``. The files go into a temporary folder first and into
    ``out`` only once they are complete; only an empty folder or an earlier results
    folder of the same ``kind`` of command (``run``, or ``compare`` when there are
    differences), or of another kind with ``force`` (:func:`sim.runs.folders.check_out`),
    is written into, and there only the files its manifest lists are replaced: a
    user's files stay (:func:`sim.runs.folders.replace_dir`). ``lang`` is the language of
    ``report.html`` (``en``, ``zh``). ``ensemble`` (runs in plausible parameter sets: the
    posterior file, its hash, the sets drawn) goes into the manifest. Returns the names of the
    files written.
    """
    kind = kind or ("compare" if differences is not None else "run")
    out = Path(out)
    check_out(out, kind=kind, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        every = {
            "summary": summary_table(results),
            "years": years_table(results),
            "timeseries": pd.concat([r.timeseries for r in results], ignore_index=True),
            "grids": pd.concat([r.grids for r in results], ignore_index=True),
            "petitions": pd.concat([r.petitions for r in results], ignore_index=True),
            "towns": pd.concat([r.towns for r in results], ignore_index=True),
            "villages": pd.concat([r.villages for r in results], ignore_index=True),
        }
        if differences is not None:
            every["differences"] = differences
        every |= dict(tables or {})
        for name, table in every.items():
            write_table(table, tmp, name, table_format)
        write_datapackage(tmp, files_under(tmp), kind=kind)
        manifest = json.dumps(
            _manifest(results, command, kind, table_format, ensemble), indent=2, default=str
        )
        (tmp / "manifest.json").write_text(manifest + "\n", encoding="utf-8")
        try:
            write_report(
                results,
                tmp / "report.html",
                differences=differences,
                lang=lang,
                costs=(tables or {}).get("cost_effectiveness"),
                town_differences=(tables or {}).get("town_differences"),
                discovery={
                    k: v for k, v in (tables or {}).items() if k in ("prim_box", "unknowns")
                },
            )
        except Exception as exc:  # the tables matter more than the page: keep them
            print(f"govsim: warning: report.html not written ({exc!r})", file=sys.stderr)
        written = sorted(f.name for f in tmp.iterdir())
        replace_dir(tmp, out)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
