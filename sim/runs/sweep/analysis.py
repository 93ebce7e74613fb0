"""The statistics of a sweep directory: sensitivity indices, and a metric against a lever.

Sobol' and Morris designs are analysed with SALib on the unit cube the design
was drawn on (``u:KEY`` columns of ``design.csv``), so indices do not depend
on the factors' units; Y at a design point is the mean of its replicates'
values. Sobol' gives S1 (first order) and ST (total) indices, shares of the
variance of Y; Morris gives mu* (mean absolute elementary effect: the change
of the metric for a step across the factor's whole range) and sigma (its
spread: interactions or non-linearity). Any design can show a metric against
one factor: every run, and the mean with its 95% CI at each value (or bin).
The charts and tables of these are in :mod:`sim.output.analysis_charts`.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.model.metrics import METRICS
from sim.runs.datafiles import has_table, read_table
from sim.runs.scenario import ScenarioError
from sim.runs.statistics import mean_ci
from sim.runs.sweep.spec import Factor, unit_problem

CONF_LEVEL = 0.95
BINS = 8  # equal-width bins of a sampled range, for a metric against a lever
INDICES = {"sobol": ("S1", "ST"), "morris": ("mu_star", "mu", "sigma")}
IMPORTANCE = {"sobol": "ST", "morris": "mu_star"}  # what factors are sorted by
SWEEP_KEYS = {"sweep_sha256", "design", "factors", "replicates", "master_seed"}


@dataclass(frozen=True)
class SweepResults:
    """A sweep directory as read back: manifest, design and the successful runs."""

    folder: Path
    manifest: dict[str, Any]
    design: pd.DataFrame  # one row per design point, in design_row order
    runs: pd.DataFrame  # successful runs only
    failed: int  # runs whose latest attempt failed

    @property
    def method(self) -> str:
        return self.manifest["design"]["method"]

    @property
    def factors(self) -> tuple[Factor, ...]:
        return tuple(
            Factor(
                f["key"],
                f["role"],
                values=tuple(f.get("values") or ()),
                low=f.get("low"),
                high=f.get("high"),
            )
            for f in self.manifest["factors"]
        )

    @property
    def expected(self) -> int:
        """Runs in the whole design: points x replicates."""
        return len(self.design) * int(self.manifest["replicates"])

    def problem(self) -> dict[str, Any]:
        """The SALib problem over the unit cube, as :meth:`sim.runs.sweep.spec.Sweep.salib_problem`."""
        return unit_problem([f.key for f in self.factors])

    def factor(self, key: str) -> Factor:
        for f in self.factors:
            if f.key == key:
                return f
        names = ", ".join(f.key for f in self.factors)
        raise ScenarioError(f"{self.folder}: {key!r} is not a factor of the sweep ({names})")

    def missing_points(self) -> list[int]:
        """Design rows without a single successful run."""
        return sorted(set(self.design["design_row"]) - set(self.runs["design_row"]))


def load_sweep_results(folder: str | Path) -> SweepResults:
    """Read a sweep directory written by :func:`sim.runs.sweep.store.run_sweep`, finished or not."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError(f"{folder}: no such directory")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not set(manifest) >= SWEEP_KEYS:
            raise ValueError(f"manifest.json lacks {', '.join(sorted(SWEEP_KEYS))}")
        design = read_table(folder, "design").sort_values("design_row", ignore_index=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ScenarioError(f"{folder}: not a sweep directory of govsim sweep ({exc})") from None
    if not has_table(folder, "runs"):
        raise ScenarioError(f"{folder}: no run has finished yet (no runs.csv)")
    runs = read_table(folder, "runs")
    ok = runs["status"] == "ok"
    if not ok.any():
        raise ScenarioError(
            f"{folder}: no successful run ({len(runs)} failed: see the error column of runs.csv)"
        )
    return SweepResults(
        folder, manifest, design, runs[ok].reset_index(drop=True), failed=int((~ok).sum())
    )


def _check_metrics(results: SweepResults, metrics: list[str] | None) -> list[str]:
    """The metrics asked for (default: every metric the sweep recorded), checked."""
    unknown = [m for m in metrics or [] if m not in METRICS]
    if unknown:
        raise ScenarioError(f"unknown metric {unknown[0]!r}; expected one of {', '.join(METRICS)}")
    recorded = [m for m in METRICS if m in results.runs.columns]
    absent = [m for m in metrics or [] if m not in recorded]
    if absent:
        raise ScenarioError(
            f"{results.folder}: runs.csv has no {absent[0]!r} (the sweep ran before that metric "
            "existed; run it again to have it)"
        )
    return list(metrics) if metrics else recorded


def sensitivity(results: SweepResults, metrics: list[str] | None = None) -> pd.DataFrame:
    """Sensitivity indices of each metric to each factor: a tidy table.

    Columns ``metric, factor, role, index, estimate, conf, conf_low, conf_high``
    (``conf`` is the half-width of the 95% bootstrap interval; nan for Morris'
    mu and sigma). Metrics that cannot be analysed (a design point without a
    value, or the same value everywhere) are left out and listed, with the
    reason, in ``table.attrs["skipped"]``.
    """
    method, folder = results.method, results.folder
    if method not in INDICES:
        raise ScenarioError(
            f"{folder}: sensitivity indices need a sobol or morris design, not {method}; "
            "plot a metric against a factor instead (--lever KEY --metric NAME)"
        )
    missing = results.missing_points()
    if missing:
        source = results.manifest.get("file") or "SWEEP.toml"
        raise ScenarioError(
            f"{folder}: {len(missing)} of {len(results.design)} design points have no successful "
            f"run, and {method} needs them all; resume the sweep "
            f"(govsim sweep {source} --out {folder} --resume)"
        )
    from SALib.analyze import morris, sobol

    problem, seed = results.problem(), int(results.manifest["master_seed"])
    keys, roles = problem["names"], {f.key: f.role for f in results.factors}
    means = results.runs.groupby("design_row")[_check_metrics(results, metrics)].mean()
    means = means.reindex(results.design["design_row"])
    unit = results.design[[f"u:{k}" for k in keys]].to_numpy(dtype=float)
    rows, skipped = [], {}
    for metric in means.columns:
        y = means[metric].to_numpy(dtype=float)
        if np.isnan(y).any():
            skipped[metric] = f"no value at {int(np.isnan(y).sum())} design points"
            continue
        if np.ptp(y) == 0:
            skipped[metric] = f"the same value ({y[0]:.4g}) at every design point"
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if method == "sobol":
                order = bool(results.manifest["design"].get("second_order", False))
                si = sobol.analyze(
                    problem, y, calc_second_order=order, conf_level=CONF_LEVEL, seed=seed
                )
            else:
                levels = int(results.manifest["design"]["levels"])
                si = morris.analyze(
                    problem, unit, y, num_levels=levels, conf_level=CONF_LEVEL, seed=seed
                )
        for index in INDICES[method]:
            conf = si.get(f"{index}_conf", np.full(len(keys), np.nan))
            for key, value, half in zip(keys, si[index], conf, strict=True):
                rows.append((metric, key, roles[key], index, float(value), float(half)))
        if method == "sobol" and "S2" in si:
            for i, j in zip(*np.triu_indices(len(keys), 1), strict=True):
                rows.append(
                    (
                        metric,
                        f"{keys[i]} x {keys[j]}",
                        "interaction",
                        "S2",
                        float(si["S2"][i, j]),
                        float(si["S2_conf"][i, j]),
                    )
                )
    table = pd.DataFrame(rows, columns=["metric", "factor", "role", "index", "estimate", "conf"])
    table["conf_low"] = table["estimate"] - table["conf"]
    table["conf_high"] = table["estimate"] + table["conf"]
    table.attrs["method"], table.attrs["skipped"] = method, skipped
    return table


def lever_effect(results: SweepResults, *, lever: str, metric: str) -> pd.DataFrame:
    """The metric at each value of ``lever`` (other factors and replicates pooled).

    Listed values, grid designs and samples with at most 8 distinct values
    give a row per value; other sampled ranges 8 equal-width bins (columns
    ``bin_low``, ``bin_high``; the lever's column holds the bin's middle). Columns: the
    lever's key (its value), ``n_runs, mean, sd, mean_ci_low, mean_ci_high`` (95% t interval
    over runs).
    """
    factor = results.factor(lever)
    _check_metrics(results, [metric])
    runs = results.runs[[lever, metric]].dropna()
    distinct = runs[lever].unique()
    if factor.values or results.method == "grid" or len(distinct) <= BINS:
        order = {str(v): i for i, v in enumerate(factor.values)}
        values = sorted(distinct, key=lambda v: (order.get(str(v), len(order)), v))
        groups = [(v, runs[runs[lever] == v][metric]) for v in values]
        table = pd.DataFrame({lever: values})
    else:
        edges = np.linspace(*factor.bounds, BINS + 1)
        which = np.clip(np.searchsorted(edges, runs[lever], side="right") - 1, 0, BINS - 1)
        kept = sorted(set(which))
        groups = [((edges[b] + edges[b + 1]) / 2, runs[metric][which == b]) for b in kept]
        table = pd.DataFrame(
            {
                lever: [g[0] for g in groups],
                "bin_low": edges[kept],
                "bin_high": edges[np.add(kept, 1)],
            }
        )
    stats = [(len(y), *mean_ci(y.to_numpy(), CONF_LEVEL), y.std(ddof=1)) for _, y in groups]
    n, mean, half, sd = (np.array(c, dtype=float) for c in zip(*stats, strict=True))
    return table.assign(
        n_runs=n.astype(int), mean=mean, sd=sd, mean_ci_low=mean - half, mean_ci_high=mean + half
    )
