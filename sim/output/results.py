"""The results folder of ``govsim run`` and ``compare``: tables, manifest and report, written atomically."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from sim.output.report import write_report
from sim.runs.folders import check_out, manifest_versions, replace_dir
from sim.runs.replicates import RunResult


def _manifest(results: Sequence[RunResult], command: str, kind: str) -> dict:
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
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
    }


# The files of a results folder of `run`; `compare` adds its tables (COMPARE_FILES).
RUN_FILES = (
    "summary.csv",
    "timeseries.csv",
    "grids.csv",
    "petitions.csv",
    "towns.csv",
    "villages.csv",
    "manifest.json",
    "report.html",
)
COMPARE_FILES = (*RUN_FILES, "differences.csv", "cost_effectiveness.csv", "town_differences.csv")


def _csv(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False, float_format="%.10g")


def summary_table(results: Sequence[RunResult]) -> pd.DataFrame:
    """The rows of ``summary.csv``: every run over the whole measured period, then every year.

    Columns: ``scenario``, ``run``, ``seed``, ``period`` (``all`` for the whole
    measured period; ``year 1``, ``year 2``, ... for each simulated year after the
    warm-up), ``days`` (measured days in the period: a partial last year has
    fewer than 365) and every metric. The ``all`` rows come first (as
    ``RunResult.summary``), then the year rows by scenario (in the order given),
    run and year.
    """
    whole = pd.concat([r.summary for r in results], ignore_index=True)
    whole.insert(3, "period", "all")
    whole.insert(4, "days", [r.days for r in results for _ in range(len(r.summary))])
    years = [r.years.sort_values(["run", "year"], kind="stable") for r in results if len(r.years)]
    if not years:
        return whole
    years = pd.concat(years, ignore_index=True)
    years.insert(3, "period", "year " + years.pop("year").astype(str))
    return pd.concat([whole, years[whole.columns]], ignore_index=True)


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
) -> list[str]:
    """Write the output directory atomically: a temporary directory moved into place.

    Files: ``summary.csv``, ``timeseries.csv``, ``grids.csv``, ``petitions.csv``
    (petitions by origin and subject: :func:`sim.runs.places.petition_table`),
    ``towns.csv`` and ``villages.csv`` (results and staff by place:
    :func:`sim.runs.places.place_tables`; every table has every scenario, a
    ``scenario`` column), ``differences.csv`` when comparing, and each of ``tables`` as ``NAME.csv``
    (``compare``: ``cost_effectiveness.csv``, ``town_differences.csv``),
    ``manifest.json`` and ``report.html``. ``summary.csv`` has a ``period``
    column after ``seed``: ``all`` on each run's row for the whole measured
    period, ``year 1``, ``year 2``, ... on its rows for each simulated year (the
    last may be partial; ``days`` says how long each period is); see
    :func:`summary_table`. The files go into a temporary folder first and into
    ``out`` only once they are complete; only an empty folder or an earlier results
    folder of the same ``kind`` of command (``run``, or ``compare`` when there are
    differences), or of another kind with ``force`` (:func:`sim.runs.folders.check_out`),
    is written into, and there only the files its manifest lists are replaced: a
    user's files stay (:func:`sim.runs.folders.replace_dir`). ``lang`` is the language of
    ``report.html`` (``en``, ``zh``). Returns the names of the files written.
    """
    kind = kind or ("compare" if differences is not None else "run")
    out = Path(out)
    check_out(out, kind=kind, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _csv(summary_table(results), tmp / "summary.csv")
        _csv(pd.concat([r.timeseries for r in results], ignore_index=True), tmp / "timeseries.csv")
        _csv(pd.concat([r.grids for r in results], ignore_index=True), tmp / "grids.csv")
        _csv(pd.concat([r.petitions for r in results], ignore_index=True), tmp / "petitions.csv")
        _csv(pd.concat([r.towns for r in results], ignore_index=True), tmp / "towns.csv")
        _csv(pd.concat([r.villages for r in results], ignore_index=True), tmp / "villages.csv")
        if differences is not None:
            _csv(differences, tmp / "differences.csv")
        for name, table in (tables or {}).items():
            _csv(table, tmp / f"{name}.csv")
        manifest = json.dumps(_manifest(results, command, kind), indent=2, default=str)
        (tmp / "manifest.json").write_text(manifest + "\n", encoding="utf-8")
        try:
            write_report(
                results,
                tmp / "report.html",
                differences=differences,
                lang=lang,
                costs=(tables or {}).get("cost_effectiveness"),
                town_differences=(tables or {}).get("town_differences"),
            )
        except Exception as exc:  # the tables matter more than the page: keep them
            print(f"govsim: warning: report.html not written ({exc!r})", file=sys.stderr)
        written = sorted(f.name for f in tmp.iterdir())
        replace_dir(tmp, out)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
