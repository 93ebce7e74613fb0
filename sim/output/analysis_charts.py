"""Charts and printed tables of a sweep's analysis (statistics in :mod:`sim.runs.sweep.analysis`)."""

from __future__ import annotations

import json
import shutil
import tempfile
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.labels import label
from sim.model.metrics import METRICS
from sim.output.figures import COLOURS, metric_name, new_figure, plain, wrap_text
from sim.output.tables import fmt
from sim.runs.datafiles import DEFAULT_FORMAT, write_table
from sim.runs.datapackage import tables_among, write_datapackage
from sim.runs.folders import check_out, replace_dir
from sim.runs.scenario import ScenarioError
from sim.runs.sweep.analysis import IMPORTANCE, SweepResults, lever_effect, sensitivity

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def lever_figure(results: SweepResults, *, lever: str, metric: str, lang: str = "en") -> Figure:
    """Every run of the sweep as a point against ``lever``, and the mean with its 95% CI."""
    t = partial(label, "term", lang=lang)
    table = lever_effect(results, lever=lever, metric=metric)
    runs = results.runs[[lever, metric]].dropna()
    fig = new_figure(figsize=(7.0, 4.6))
    ax = fig.add_subplot()
    rng = np.random.default_rng(0)  # the jitter only spreads points: a fixed stream
    if "bin_low" in table:
        x, means_x = runs[lever].to_numpy(dtype=float), table[lever].to_numpy(dtype=float)
    else:
        numeric = _numeric(table[lever])
        means_x = table[lever].to_numpy(dtype=float) if numeric else np.arange(len(table))
        where = dict(zip(table[lever], means_x, strict=True))
        x = runs[lever].map(where).to_numpy(dtype=float)
        step = np.diff(means_x).min() if len(means_x) > 1 else 1.0
        x = x + rng.uniform(-0.12, 0.12, len(x)) * step
        if not numeric:
            ax.set_xticks(means_x, [plain(v) for v in table[lever]])
    ax.scatter(x, runs[metric], s=14, color=COLOURS[0], alpha=0.45, lw=0, label=t("chart_a_run"))
    half = np.nan_to_num((table["mean_ci_high"] - table["mean"]).to_numpy(dtype=float))
    width = (table["bin_high"] - table["bin_low"]) / 2 if "bin_low" in table else None
    line = "bin_low" in table or _numeric(table[lever])  # no line between categories
    ax.errorbar(
        means_x,
        table["mean"],
        yerr=half,
        xerr=width,
        fmt="o-" if line else "o",
        color="black",
        capsize=4,
        lw=1.2,
        label=t("chart_mean_ci") + (t("chart_bin") if width is not None else ""),
    )
    role = results.factor(lever).role
    ax.set_xlabel(f"{lever} ({t('chart_' + role)})")
    ax.set_ylabel(wrap_text(metric_name(metric, lang), 48, lang), fontsize=9)
    ax.set_title(t("chart_by_lever").format(metric=metric, lever=lever, n=len(runs)), fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def sensitivity_figure(table: pd.DataFrame, *, metric: str, lang: str = "en") -> Figure:
    """Bars of each factor's indices for ``metric``, most important on top, 95% CI whiskers.

    Sobol': S1 and ST side by side; Morris: mu* bars and sigma as a diamond.
    Levers' bars are hatched and their names bold.
    """
    from matplotlib.patches import Patch

    t = partial(label, "term", lang=lang)
    part = table[(table["metric"] == metric) & (table["role"] != "interaction")]
    if part.empty:
        raise ScenarioError(f"{metric}: no sensitivity indices in the table")
    method = "sobol" if "ST" in set(part["index"]) else "morris"
    wide = part.pivot(index="factor", columns="index", values="estimate")
    conf = part.pivot(index="factor", columns="index", values="conf").fillna(0.0)
    wide = wide.sort_values(IMPORTANCE[method], ascending=False)
    roles = part.drop_duplicates("factor").set_index("factor")["role"].reindex(wide.index)
    lever = (roles == "lever").to_numpy()
    fig = new_figure(figsize=(7.5, 0.55 * len(wide) + 1.6))
    ax = fig.add_subplot()
    y = np.arange(len(wide))
    bars = (
        [("S1", t("chart_s1")), ("ST", t("chart_st"))]
        if method == "sobol"
        else [("mu_star", t("chart_mu_star"))]
    )
    height, shift = (0.4, 0.0) if method == "sobol" else (0.55, -0.12)  # Morris: room for sigma
    for b, (index, name) in enumerate(bars):
        offset = y + shift + (b - (len(bars) - 1) / 2) * height
        drawn = ax.barh(
            offset,
            wide[index],
            height=height,
            color=COLOURS[2 * b],
            alpha=0.85,
            xerr=conf[index].reindex(wide.index),
            capsize=3,
            label=name,
        )
        for patch, is_lever in zip(drawn.patches, lever, strict=True):
            patch.set_hatch("//" if is_lever else "")
    if method == "morris":
        ax.scatter(
            wide["sigma"],
            y + 0.3,
            marker="D",
            color=COLOURS[4],
            edgecolor="black",
            zorder=3,
            label=t("chart_sigma"),
        )
    names = [
        plain(f) + (f"\n({t('chart_lever')})" if is_lever else "")
        for f, is_lever in zip(wide.index, lever, strict=True)
    ]
    ax.set_yticks(y, names, fontsize=8)
    for tick, is_lever in zip(ax.get_yticklabels(), lever, strict=True):
        tick.set_fontweight("bold" if is_lever else "normal")
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel(
        t("chart_sobol_axis") if method == "sobol" else t("chart_morris_axis").format(metric=metric)
    )
    ax.set_title(wrap_text(f"{metric}: {metric_name(metric, lang)}", 70, lang), fontsize=9)
    handles, _ = ax.get_legend_handles_labels()
    handles.append(
        Patch(facecolor="white", edgecolor="black", hatch="//", label=t("chart_a_lever"))
    )
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
        order = part[part["index"] == IMPORTANCE[method]].sort_values("estimate", ascending=False)
        for row in order.itertuples():
            cells = []
            for index in shown:
                value, conf = wide.loc[(row.factor, index), ["estimate", "conf"]]
                ci = f" ±{fmt(conf)}" if np.isfinite(conf) else ""
                cells.append(f" {fmt(value) + ci:>20s}")
            print(f"{row.factor:34s} {row.role:12s}" + "".join(cells))
    for metric, reason in table.attrs.get("skipped", {}).items():
        print(f"skipped {metric}: {reason}")


def print_lever_effect(table: pd.DataFrame, *, lever: str, metric: str) -> None:
    """The metric's mean and 95% CI at each value (or bin) of the lever."""
    print(f"\n{metric} by {lever} (mean over runs, 95% CI): {METRICS.get(metric, '')}")
    print(f"{lever[:28]:>28s} {'runs':>6s} {'mean':>12s}  95% CI")
    for row in table.to_dict("records"):
        where = (
            f"{fmt(row['bin_low'])}..{fmt(row['bin_high'])}"
            if "bin_low" in row
            else str(row[lever])
        )
        low, high = row["mean_ci_low"], row["mean_ci_high"]
        ci = f"[{fmt(low)}, {fmt(high)}]" if np.isfinite(low) else ""
        print(f"{where[:28]:>28s} {row['n_runs']:6d} {fmt(row['mean']):>12s}  {ci}")


def write_analysis(
    results: SweepResults,
    out_folder: str | Path,
    *,
    metrics: list[str] | None = None,
    lever: str | None = None,
    metric: str | None = None,
    echo: bool = False,
    lang: str = "en",
    table_format: str = DEFAULT_FORMAT,
) -> list[Path]:
    """Write the analysis to ``out_folder``; ``echo`` also prints the tables. Returns the files.

    Without ``lever``: ``sensitivity.csv`` and ``sensitivity_<metric>.png`` per
    metric (Sobol' and Morris designs). With ``lever``: ``<metric>_by_<lever>.csv``
    and ``.png`` for ``metric`` (or each of ``metrics``). Tables in ``table_format``
    (``csv``, ``parquet``, ``both``). ``out_folder`` must be new, empty or an earlier
    analysis folder (its ``manifest.json`` says so); the files of several analyses live
    side by side in it, and ``datapackage.json`` describes the tables of all of them.
    """
    out = Path(out_folder)
    check_out(out, kind="analyze")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        names = _write_analysis(
            results,
            tmp,
            metrics=metrics,
            lever=lever,
            metric=metric,
            echo=echo,
            lang=lang,
            table_format=table_format,
        )
        earlier = _tables_described(out)
        replace_dir(tmp, out, keep_earlier=True)  # earlier analyses stay beside this one
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    tables = [t for t in sorted({*earlier, *tables_among(names)}) if (out / t).is_file()]
    names.append(write_datapackage(out, tables, kind="analyze"))
    return [out / name for name in names]


def _tables_described(folder: Path) -> list[str]:
    """The tables an earlier analysis in ``folder`` wrote (its ``datapackage.json``)."""
    try:
        package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        return [str(r["path"]) for r in package["resources"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _write_analysis(
    results: SweepResults,
    out: Path,
    *,
    metrics: list[str] | None,
    lever: str | None,
    metric: str | None,
    echo: bool,
    lang: str,
    table_format: str,
) -> list[str]:
    manifest = {
        "kind": "analyze",
        "sweep": str(results.folder),
        "sweep_sha256": results.manifest.get("sweep_sha256"),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    written: list[Path] = []
    if lever is None:
        table = sensitivity(results, metrics)
        written += [out / name for name in write_table(table, out, "sensitivity", table_format)]
        for name in table["metric"].unique():
            written.append(out / f"sensitivity_{name}.png")
            sensitivity_figure(table, metric=name, lang=lang).savefig(written[-1], dpi=110)
        if echo:
            print_sensitivity(table)
        return [p.name for p in written]
    chosen = [metric] if metric else list(metrics or [])
    if not chosen:
        raise ScenarioError(f"--lever {lever}: name a metric ({', '.join(METRICS)})")
    for name in chosen:
        table = lever_effect(results, lever=lever, metric=name)
        written += [out / n for n in write_table(table, out, f"{name}_by_{lever}", table_format)]
        written.append(out / f"{name}_by_{lever}.png")
        lever_figure(results, lever=lever, metric=name, lang=lang).savefig(written[-1], dpi=110)
        if echo:
            print_lever_effect(table, lever=lever, metric=name)
    return [p.name for p in written]
