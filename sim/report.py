"""Reporting results: the printed table and the output directory."""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.experiments import RunResult
from sim.metrics import METRICS


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Mean and the half-width of its t confidence interval (nan half-width for one value)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    if len(values) == 1:
        return float(values[0]), float("nan")
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(half)


def fmt(value: float) -> str:
    """A number to 4 significant digits, thousands separated from 10,000; "–" when unknown."""
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"


COUNTS_PER_1K = ("open_disputes", "escalations", "incidents")  # mapped per 1,000 residents


def grid_values(grids: pd.DataFrame, column: str, grid_ids: Sequence[str]) -> np.ndarray:
    """A column of a grids table by grid (in ``grid_ids`` order), mean over the runs.

    Counts (``COUNTS_PER_1K``) are per 1,000 residents of the grid; grids without
    residents get NaN (drawn grey).
    """
    values = grids[column]
    if column in COUNTS_PER_1K:
        values = values / grids["residents"].where(grids["residents"] > 0) * 1000
    by_grid = values.groupby(grids["grid_id"].astype(str)).mean()
    return by_grid.reindex(list(grid_ids)).to_numpy(dtype=float)


def print_summary(result: RunResult) -> None:
    """The outcome metrics as a readable table (mean and 95% CI over replicates)."""
    n = len(result.seeds)
    seeds = f"seed {result.seeds[0]}" if n == 1 else f"seeds {result.seeds[0]}..{result.seeds[-1]}"
    print(f"\n{result.scenario.name}: {result.days} days, {n} run(s), {seeds}")
    print(f"{'metric':36s} {'value':>12s} {'95% CI':>12s}  meaning")
    for name, meaning in METRICS.items():
        mean, half = mean_ci(result.summary[name].to_numpy())
        ci = f"±{fmt(half)}" if np.isfinite(half) else ""
        print(f"{name:36s} {fmt(mean):>12s} {ci:>12s}  {meaning}")


def print_differences(differences: pd.DataFrame) -> None:
    """Each scenario against the first: means, the difference and its 95% CI; * marks CI excluding 0."""
    for name, table in differences.groupby("scenario", sort=False):
        reference = table["reference"].iloc[0]
        print(f"\n{name} against {reference} (paired by seed; * = 95% CI excludes zero)")
        print(f"{'metric':36s} {reference[:12]:>12s} {name[:12]:>12s} {'difference':>12s}  95% CI")
        for row in table.itertuples():
            ci = f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]" if np.isfinite(row.ci_low) else ""
            flag = "*" if row.significant else " "
            difference = ("+" if row.difference > 0 else "") + fmt(row.difference)
            print(
                f"{row.metric:36s} {fmt(row.reference_mean):>12s} {fmt(row.mean):>12s} "
                f"{difference:>12s}{flag} {ci}"
            )


def _manifest(results: Sequence[RunResult], command: str) -> dict:
    versions = {}
    for package in ("xinhui-govsim", "mesa", "numpy", "scipy", "pandas"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    first = results[0]
    scenarios = [
        {
            "name": r.scenario.name,
            "file": str(r.scenario.path) if r.scenario.path else None,
            "sha256": r.scenario.sha256,
            "description": r.scenario.description,
            "overrides": r.scenario.overrides,
            "timeline": r.scenario.timeline.to_dict(),
            "parameters": r.scenario.params,
            "run_seconds": r.timings.get("run_seconds"),
        }
        for r in results
    ]
    return {
        "command": command,
        "days": first.days,
        "replicates": len(first.seeds),
        "seeds": first.seeds,
        "scenarios": scenarios,
        "versions": versions | {"python": platform.python_version()},
        "timings": {k: v for k, v in first.timings.items() if k != "run_seconds"},
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _csv(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False, float_format="%.10g")


def replace_dir(new: Path, out: Path) -> None:
    """Move the complete directory ``new`` to ``out``; an old ``out`` goes only once it is in place."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
    os.replace(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_results(
    results: Sequence[RunResult],
    out: Path,
    *,
    differences: pd.DataFrame | None = None,
    command: str = "",
    lang: str = "en",
) -> list[str]:
    """Write the output directory atomically: a temporary directory moved into place.

    Files: ``summary.csv``, ``timeseries.csv``, ``grids.csv`` (every scenario,
    a ``scenario`` column), ``differences.csv`` when comparing,
    ``manifest.json`` and ``report.html``. An existing directory is replaced
    only once the new one is complete, so a failure half-way never leaves a
    mix of old and new files. ``lang`` is the language of ``report.html`` (``en``, ``zh``).
    Returns the names of the files written.
    """
    from sim.html_report import write_report

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _csv(pd.concat([r.summary for r in results], ignore_index=True), tmp / "summary.csv")
        _csv(pd.concat([r.timeseries for r in results], ignore_index=True), tmp / "timeseries.csv")
        _csv(pd.concat([r.grids for r in results], ignore_index=True), tmp / "grids.csv")
        if differences is not None:
            _csv(differences, tmp / "differences.csv")
        manifest = json.dumps(_manifest(results, command), indent=2, default=str)
        (tmp / "manifest.json").write_text(manifest + "\n", encoding="utf-8")
        try:
            write_report(results, tmp / "report.html", differences=differences, lang=lang)
        except Exception as exc:  # the tables matter more than the page: keep them
            print(f"govsim: warning: report.html not written ({exc!r})", file=sys.stderr)
        written = sorted(f.name for f in tmp.iterdir())
        replace_dir(tmp, out)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
