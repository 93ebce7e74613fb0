"""Analysing a sweep directory: sensitivity indices, and a metric against a lever.

Sobol' and Morris designs are analysed with SALib on the unit cube the design
was drawn on (``u:KEY`` columns of ``design.csv``), so indices do not depend
on the factors' units; Y at a design point is the mean of its replicates'
values. Sobol' gives S1 (first order) and ST (total) indices, shares of the
variance of Y; Morris gives mu* (mean absolute elementary effect: the change
of the metric for a step across the factor's whole range) and sigma (its
spread: interactions or non-linearity). Any design can show a metric against
one factor: every run, and the mean with its 95% CI at each value (or bin).
"""

from __future__ import annotations

import json
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.figures import COLOURS, _new_figure, _plain
from sim.metrics import METRICS
from sim.report import fmt, mean_ci
from sim.scenario import ScenarioError
from sim.sweep import Factor

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
            Factor(f["key"], f["role"], values=tuple(f.get("values") or ()),
                   low=f.get("low"), high=f.get("high"))
            for f in self.manifest["factors"]
        )  # fmt: skip

    @property
    def expected(self) -> int:
        """Runs in the whole design: points x replicates."""
        return len(self.design) * int(self.manifest["replicates"])

    def problem(self) -> dict[str, Any]:
        """The SALib problem over the unit cube, as :meth:`sim.sweep.Sweep.salib_problem`."""
        keys = [f.key for f in self.factors]
        return {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}

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
    """Read a sweep directory written by :func:`sim.batch.run_sweep`, finished or not."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ScenarioError(f"{folder}: no such directory")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or not set(manifest) >= SWEEP_KEYS:
            raise ValueError(f"manifest.json lacks {', '.join(sorted(SWEEP_KEYS))}")
        design = pd.read_csv(folder / "design.csv").sort_values("design_row", ignore_index=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ScenarioError(f"{folder}: not a sweep directory of govsim sweep ({exc})") from None
    if not (folder / "runs.csv").exists():
        raise ScenarioError(f"{folder}: no run has finished yet (no runs.csv)")
    runs = pd.read_csv(folder / "runs.csv")
    ok = runs["status"] == "ok"
    if not ok.any():
        raise ScenarioError(
            f"{folder}: no successful run ({len(runs)} failed: see the error column of runs.csv)"
        )
    return SweepResults(folder, manifest, design, runs[ok].reset_index(drop=True),
                        failed=int((~ok).sum()))  # fmt: skip


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

    Columns ``metric, factor, role, index, value, conf, conf_low, conf_high``
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
            skipped[metric] = f"the same value ({fmt(y[0])}) at every design point"
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if method == "sobol":
                order = bool(results.manifest["design"].get("second_order", False))
                si = sobol.analyze(problem, y, calc_second_order=order, conf_level=CONF_LEVEL,
                                   seed=seed)  # fmt: skip
            else:
                levels = int(results.manifest["design"]["levels"])
                si = morris.analyze(problem, unit, y, num_levels=levels, conf_level=CONF_LEVEL,
                                    seed=seed)  # fmt: skip
        for index in INDICES[method]:
            conf = si.get(f"{index}_conf", np.full(len(keys), np.nan))
            for key, value, half in zip(keys, si[index], conf, strict=True):
                rows.append((metric, key, roles[key], index, float(value), float(half)))
        if method == "sobol" and "S2" in si:
            for i, j in zip(*np.triu_indices(len(keys), 1), strict=True):
                rows.append((metric, f"{keys[i]} x {keys[j]}", "interaction", "S2",
                             float(si["S2"][i, j]), float(si["S2_conf"][i, j])))  # fmt: skip
    table = pd.DataFrame(rows, columns=["metric", "factor", "role", "index", "value", "conf"])
    table["conf_low"] = table["value"] - table["conf"]
    table["conf_high"] = table["value"] + table["conf"]
    table.attrs["method"], table.attrs["skipped"] = method, skipped
    return table


def lever_effect(results: SweepResults, *, lever: str, metric: str) -> pd.DataFrame:
    """The metric at each value of ``lever`` (other factors and replicates pooled).

    Listed values, grid designs and samples with at most 8 distinct values
    give a row per value; other sampled ranges 8 equal-width bins (columns
    ``bin_low``, ``bin_high``; ``value`` is the bin's middle). Columns
    ``value, n, mean, sd, ci_low, ci_high`` (95% t interval over runs).
    """
    factor = results.factor(lever)
    _check_metrics(results, [metric])
    runs = results.runs[[lever, metric]].dropna()
    distinct = runs[lever].unique()
    if factor.values or results.method == "grid" or len(distinct) <= BINS:
        order = {str(v): i for i, v in enumerate(factor.values)}
        values = sorted(distinct, key=lambda v: (order.get(str(v), len(order)), v))
        groups = [(v, runs[runs[lever] == v][metric]) for v in values]
        table = pd.DataFrame({"value": values})
    else:
        edges = np.linspace(factor.low, factor.high, BINS + 1)
        which = np.clip(np.searchsorted(edges, runs[lever], side="right") - 1, 0, BINS - 1)
        kept = sorted(set(which))
        groups = [((edges[b] + edges[b + 1]) / 2, runs[metric][which == b]) for b in kept]
        table = pd.DataFrame({"value": [g[0] for g in groups], "bin_low": edges[kept],
                              "bin_high": edges[np.add(kept, 1)]})  # fmt: skip
    stats = [(len(y), *mean_ci(y.to_numpy(), CONF_LEVEL), y.std(ddof=1)) for _, y in groups]
    n, mean, half, sd = (np.array(c, dtype=float) for c in zip(*stats, strict=True))
    return table.assign(n=n.astype(int), mean=mean, sd=sd, ci_low=mean - half,
                        ci_high=mean + half)  # fmt: skip


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def lever_figure(results: SweepResults, *, lever: str, metric: str) -> Figure:
    """Every run of the sweep as a point against ``lever``, and the mean with its 95% CI."""
    table = lever_effect(results, lever=lever, metric=metric)
    runs = results.runs[[lever, metric]].dropna()
    fig = _new_figure(figsize=(7.0, 4.6))
    ax = fig.add_subplot()
    rng = np.random.default_rng(0)  # the jitter only spreads points: a fixed stream
    if "bin_low" in table:
        x, means_x = runs[lever].to_numpy(dtype=float), table["value"].to_numpy(dtype=float)
    else:
        numeric = _numeric(table["value"])
        means_x = table["value"].to_numpy(dtype=float) if numeric else np.arange(len(table))
        where = dict(zip(table["value"], means_x, strict=True))
        x = runs[lever].map(where).to_numpy(dtype=float)
        step = np.diff(means_x).min() if len(means_x) > 1 else 1.0
        x = x + rng.uniform(-0.12, 0.12, len(x)) * step
        if not numeric:
            ax.set_xticks(means_x, [_plain(v) for v in table["value"]])
    ax.scatter(x, runs[metric], s=14, color=COLOURS[0], alpha=0.45, lw=0, label="a run")
    half = np.nan_to_num((table["ci_high"] - table["mean"]).to_numpy(dtype=float))
    width = (table["bin_high"] - table["bin_low"]) / 2 if "bin_low" in table else None
    line = "bin_low" in table or _numeric(table["value"])  # no line between categories
    ax.errorbar(means_x, table["mean"], yerr=half, xerr=width, fmt="o-" if line else "o", color="black", capsize=4,
                lw=1.2, label="mean, 95% CI" + (" (bin)" if width is not None else ""))  # fmt: skip
    role = results.factor(lever).role
    ax.set_xlabel(f"{lever} ({role})")
    ax.set_ylabel(textwrap.fill(METRICS[metric], 48), fontsize=9)
    ax.set_title(f"{metric} by {lever}: {len(runs)} runs", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def sensitivity_figure(table: pd.DataFrame, *, metric: str) -> Figure:
    """Bars of each factor's indices for ``metric``, most important on top, 95% CI whiskers.

    Sobol': S1 and ST side by side; Morris: mu* bars and sigma as a diamond.
    Levers' bars are hatched and their names bold.
    """
    from matplotlib.patches import Patch

    part = table[(table["metric"] == metric) & (table["role"] != "interaction")]
    if part.empty:
        raise ScenarioError(f"{metric}: no sensitivity indices in the table")
    method = "sobol" if "ST" in set(part["index"]) else "morris"
    wide = part.pivot(index="factor", columns="index", values="value")
    conf = part.pivot(index="factor", columns="index", values="conf").fillna(0.0)
    wide = wide.sort_values(IMPORTANCE[method], ascending=False)
    roles = part.drop_duplicates("factor").set_index("factor")["role"].reindex(wide.index)
    lever = (roles == "lever").to_numpy()
    fig = _new_figure(figsize=(7.5, 0.55 * len(wide) + 1.6))
    ax = fig.add_subplot()
    y = np.arange(len(wide))
    bars = [("S1", "S1 (first order)"), ("ST", "ST (total)")] if method == "sobol" else [
        ("mu_star", "mu* (mean |elementary effect|)")]  # fmt: skip
    height, shift = (0.4, 0.0) if method == "sobol" else (0.55, -0.12)  # Morris: room for sigma
    for b, (index, label) in enumerate(bars):
        offset = y + shift + (b - (len(bars) - 1) / 2) * height
        drawn = ax.barh(offset, wide[index], height=height, color=COLOURS[2 * b], alpha=0.85,
                        xerr=conf[index].reindex(wide.index), capsize=3, label=label)  # fmt: skip
        for patch, is_lever in zip(drawn.patches, lever, strict=True):
            patch.set_hatch("//" if is_lever else "")
    if method == "morris":
        ax.scatter(wide["sigma"], y + 0.3, marker="D", color=COLOURS[4], edgecolor="black",
                   zorder=3, label="sigma (spread of the effects)")  # fmt: skip
    names = [
        _plain(f) + ("\n(lever)" if is_lever else "")
        for f, is_lever in zip(wide.index, lever, strict=True)
    ]
    ax.set_yticks(y, names, fontsize=8)
    for tick, is_lever in zip(ax.get_yticklabels(), lever, strict=True):
        tick.set_fontweight("bold" if is_lever else "normal")
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel("share of variance (Sobol' index), 95% CI" if method == "sobol" else
                  f"change of {metric} across the factor's range, 95% CI")  # fmt: skip
    ax.set_title(textwrap.fill(f"{metric}: {METRICS.get(metric, '')}", 70), fontsize=9)
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Patch(facecolor="white", edgecolor="black", hatch="//", label="a lever"))
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    return fig


def print_sensitivity(table: pd.DataFrame) -> None:
    """Per metric, the factors from most to least important, each index with its 95% CI."""
    method = table.attrs.get("method", "sobol" if "ST" in set(table["index"]) else "morris")
    shown = ("S1", "ST") if method == "sobol" else ("mu_star", "sigma")
    for metric, part in table[table["role"] != "interaction"].groupby("metric", sort=False):
        print(f"\n{metric}: {METRICS.get(metric, '')}")
        print(f"{'factor':34s} {'role':12s}" + "".join(f" {i:>20s}" for i in shown))
        wide = part.set_index(["factor", "index"])
        order = part[part["index"] == IMPORTANCE[method]].sort_values("value", ascending=False)
        for row in order.itertuples():
            cells = []
            for index in shown:
                value, conf = wide.loc[(row.factor, index), ["value", "conf"]]
                ci = f" ±{fmt(conf)}" if np.isfinite(conf) else ""
                cells.append(f" {fmt(value) + ci:>20s}")
            print(f"{row.factor:34s} {row.role:12s}" + "".join(cells))
    for metric, reason in table.attrs.get("skipped", {}).items():
        print(f"skipped {metric}: {reason}")


def print_lever_effect(table: pd.DataFrame, *, lever: str, metric: str) -> None:
    """The metric's mean and 95% CI at each value (or bin) of the lever."""
    print(f"\n{metric} by {lever} (mean over runs, 95% CI): {METRICS.get(metric, '')}")
    print(f"{lever[:28]:>28s} {'runs':>6s} {'mean':>12s}  95% CI")
    for row in table.itertuples():
        where = (f"{fmt(row.bin_low)}..{fmt(row.bin_high)}" if "bin_low" in table
                 else str(row.value))  # fmt: skip
        ci = f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]" if np.isfinite(row.ci_low) else ""
        print(f"{where[:28]:>28s} {row.n:6d} {fmt(row.mean):>12s}  {ci}")


def write_analysis(
    results: SweepResults,
    out_folder: str | Path,
    *,
    metrics: list[str] | None = None,
    lever: str | None = None,
    metric: str | None = None,
    echo: bool = False,
) -> list[Path]:
    """Write the analysis to ``out_folder``; ``echo`` also prints the tables. Returns the files.

    Without ``lever``: ``sensitivity.csv`` and ``sensitivity_<metric>.png`` per
    metric (Sobol' and Morris designs). With ``lever``: ``<metric>_by_<lever>.csv``
    and ``.png`` for ``metric`` (or each of ``metrics``).
    """
    out = Path(out_folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if lever is None:
        table = sensitivity(results, metrics)
        written.append(out / "sensitivity.csv")
        table.to_csv(written[-1], index=False, float_format="%.6g")
        for name in table["metric"].unique():
            written.append(out / f"sensitivity_{name}.png")
            sensitivity_figure(table, metric=name).savefig(written[-1], dpi=110)
        if echo:
            print_sensitivity(table)
        return written
    chosen = [metric] if metric else list(metrics or [])
    if not chosen:
        raise ScenarioError(f"--lever {lever}: name a metric ({', '.join(METRICS)})")
    for name in chosen:
        table = lever_effect(results, lever=lever, metric=name)
        written.append(out / f"{name}_by_{lever}.csv")
        table.to_csv(written[-1], index=False, float_format="%.6g")
        written.append(out / f"{name}_by_{lever}.png")
        lever_figure(results, lever=lever, metric=name).savefig(written[-1], dpi=110)
        if echo:
            print_lever_effect(table, lever=lever, metric=name)
    return written
