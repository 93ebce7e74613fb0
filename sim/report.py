"""Reporting results: the printed table, the output directory, and the map picture."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
from scipy import stats

from sim.experiments import RunResult
from sim.geography import Geography
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


def print_summary(result: RunResult) -> None:
    """The outcome metrics as a readable table (mean and 95% CI over replicates)."""
    n = len(result.seeds)
    print(
        f"\n{result.scenario.name}: {result.days} days, {n} run(s), seeds {result.seeds[0]}..{result.seeds[-1]}"
    )
    print(f"{'metric':36s} {'value':>12s} {'95% CI':>12s}  meaning")
    for name, meaning in METRICS.items():
        mean, half = mean_ci(result.summary[name].to_numpy())
        ci = f"±{half:.4g}" if np.isfinite(half) else ""
        print(f"{name:36s} {mean:12.4g} {ci:>12s}  {meaning}")


def _manifest(result: RunResult) -> dict:
    versions = {}
    for package in ("xinhui-govsim", "mesa", "numpy", "scipy", "pandas"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    scenario = result.scenario
    return {
        "scenario": scenario.name,
        "scenario_file": str(scenario.path) if scenario.path else None,
        "scenario_sha256": scenario.sha256,
        "overrides": scenario.overrides,
        "parameters": scenario.params,
        "days": result.days,
        "seeds": result.seeds,
        "versions": versions | {"python": platform.python_version()},
        "timings": result.timings,
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_run(result: RunResult, out: Path) -> None:
    """Write the output directory atomically: a temporary directory moved into place.

    An existing directory is replaced only once the new one is complete, so a
    failure half-way never leaves a mix of old and new files.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        result.summary.to_csv(tmp / "summary.csv", index=False, float_format="%.10g")
        result.timeseries.to_csv(tmp / "timeseries.csv", index=False, float_format="%.10g")
        result.grids.to_csv(tmp / "grids.csv", index=False, float_format="%.10g")
        manifest = json.dumps(_manifest(result), indent=2, default=str)
        (tmp / "manifest.json").write_text(manifest + "\n", encoding="utf-8")
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def draw_map(
    geo: Geography, out: Path, values: np.ndarray | None = None, label: str = "town"
) -> None:
    """A PNG of the grid map, coloured by town or by ``values`` per grid, with town names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    polygons = [ring for rings in geo.polygons for ring in rings]
    owner = np.repeat(np.arange(geo.n_grids), [len(r) for r in geo.polygons])
    colour = (geo.grid_town if values is None else np.asarray(values, dtype=float))[owner]
    fig, ax = plt.subplots(figsize=(8, 8))
    cmap = "tab20" if values is None else "viridis"
    collection = PolyCollection(
        polygons, array=colour.astype(float), cmap=cmap, edgecolor="white", linewidth=0.3
    )
    ax.add_collection(collection)
    for t, name in enumerate(geo.town_names):
        x, y = np.average(geo.centroids[geo.grid_town == t], axis=0)
        ax.annotate(name, (x, y), ha="center", fontsize=9, weight="bold", color="black")
    if values is not None:
        fig.colorbar(collection, ax=ax, shrink=0.7, label=label)
    ax.autoscale()
    ax.set_aspect(1 / np.cos(np.radians(geo.centroids[:, 1].mean())))
    ax.set_title(
        f"Xinhui District: {geo.n_grids} grids (schematic map)"
        if "xinhui" in geo.source
        else geo.source
    )
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110, bbox_inches="tight")
    plt.close(fig)
