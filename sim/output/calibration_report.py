"""What a calibration writes: the calibrated scenario file, the fit report (HTML + CSV), and
how well each free parameter is identified."""

from __future__ import annotations

import html
import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.model.metrics import METRICS
from sim.model.parameters import SCHEMA
from sim.output.contents import CALIBRATION_TABLES as CALIBRATION_TABLES
from sim.output.contents import calibration_files as calibration_files
from sim.output.figures import figure_data_uri, new_figure
from sim.output.posterior_report import (
    posterior_figure,
    posterior_html,
    posterior_summary,
    posterior_tables,
)
from sim.output.tables import fmt
from sim.runs.calibrate.posterior import PHASE
from sim.runs.calibrate.spec import Calibration, calibrated_toml
from sim.runs.datafiles import DEFAULT_FORMAT, write_table
from sim.runs.datapackage import write_datapackage
from sim.runs.folders import check_out, files_under, replace_dir
from sim.runs.statistics import mean_ci, mean_metrics


def fit_table(calibration: Calibration, check: list[dict[str, Any]]) -> pd.DataFrame:
    """Each target against the check runs: mean, 95% CI over replicates, inside the interval.
    An effect target's mean is the relative change under its scenario's policy."""
    rows = []
    for t in calibration.targets:
        values = np.array([r[t.name] for r in check], dtype=float)
        mean, half = mean_ci(values)
        rows.append(
            {
                "metric": t.metric,
                "effect_of": t.effect_of,
                "target": t.value,
                "low": t.low,
                "high": t.high,
                "weight": t.weight,
                "mean": mean,
                "mean_ci_low": mean - half,
                "mean_ci_high": mean + half,
                "runs": int(np.isfinite(values).sum()),
                "inside": bool(t.low <= mean <= t.high),
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


STEADY_Z = 3.5  # a year further than this many standard errors from the mean is not steady


def stationarity(calibration: Calibration, check: list[dict[str, Any]]) -> pd.DataFrame:
    """Each target's mean in each measured year of the check runs, and whether the years agree.

    The noise of a year's mean is the spread between runs, pooled over the
    years; ``max_z`` is the largest distance of a year's mean from the mean of
    all years, in those standard errors; ``steady`` when it is at most 3.5.
    """
    rows = []
    for t in calibration.targets:
        values = np.array([[y[t.name] for y in r["years"]] for r in check], dtype=float)
        means = np.nanmean(values, axis=0)
        se = np.sqrt(np.nanmean(np.nanvar(values, axis=0, ddof=1)) / len(check))
        z = np.abs(means - np.nanmean(values)) / se if se > 0 else np.zeros_like(means)
        rows.append(
            {"metric": t.metric, "effect_of": t.effect_of}
            | {f"year {i}": m for i, m in enumerate(means, start=1)}
            | {"se": se, "max_z": float(np.nanmax(z)), "steady": bool(np.nanmax(z) <= STEADY_Z)}
        )
    return pd.DataFrame(rows)


def good_fits(calibration: Calibration, table: pd.DataFrame) -> pd.DataFrame:
    """The ensemble of good fits: every searched candidate within ``good_within`` of the best
    loss (at least two), best first, with its free parameters and simulated targets."""
    searched = table[~table["phase"].str.startswith("profile")]
    good = searched[searched["loss"] <= searched["loss"].min() + calibration.good_within]
    if len(good) < 2:
        good = searched.nsmallest(2, "loss")
    return good.drop(columns=[c for c in good.columns if c.startswith("u:")]).sort_values("loss")


def identification(calibration: Calibration, table: pd.DataFrame) -> pd.DataFrame:
    """How tightly the good fits pin each parameter down.

    Good fits are the candidates whose loss is at most ``good_within`` above the
    best (at least two). ``good_share`` is the part of the searched range they
    span: near 1, the targets leave the parameter free; small, they pin it down.
    """
    searched = table[~table["phase"].str.startswith("profile")]
    best_loss = searched["loss"].min()
    good = searched[searched["loss"] <= best_loss + calibration.good_within]
    if len(good) < 2:
        good = searched.nsmallest(2, "loss")
    best = searched.loc[searched["loss"].idxmin()]
    rows = []
    for f in calibration.free:
        assert f.low is not None and f.high is not None  # free parameters are ranges
        low, high = good[f.key].min(), good[f.key].max()
        rows.append(
            {
                "parameter": f.key,
                "search_low": f.low,
                "search_high": f.high,
                "best": best[f.key],
                "good_low": low,
                "good_high": high,
                "good_share": (high - low) / (f.high - f.low),
                "good_fits": len(good),
                "profile_rise": _profile_rise(table, f.key, best_loss),
                "unit": SCHEMA[f.key].unit,
            }
        )
    return pd.DataFrame(rows)


def _profile_rise(table: pd.DataFrame, key: str, best_loss: float) -> float:
    """How much the loss rises, at least, when ``key`` alone moves a profile step away."""
    profile = table.loc[table["phase"] == f"profile:{key}", "loss"]
    return float(profile.min() - best_loss) if len(profile) else float("nan")


def _fit_figure(fit: pd.DataFrame):
    fig = new_figure(figsize=(8.0, 0.75 * len(fit) + 0.8))
    axes = fig.subplots(len(fit), 1, squeeze=False)[:, 0]
    for ax, row in zip(axes, fit.itertuples(), strict=True):
        ax.axvspan(row.low, row.high, color="#cfe8cf", label="target interval")
        ax.axvline(row.target, color="#2ca02c", linewidth=1)
        colour = "#1f77b4" if row.inside else "#d62728"
        if np.isfinite(row.mean):
            xerr = (
                [[row.mean - row.mean_ci_low], [row.mean_ci_high - row.mean]]
                if np.isfinite(row.mean_ci_low)
                else None
            )
            ax.errorbar([row.mean], [0], xerr=xerr, fmt="o", color=colour, capsize=4)
        span = row.high - row.low
        low, high = row.mean_ci_low, row.mean_ci_high
        lows = [row.low - 0.6 * span, low if np.isfinite(low) else row.low]
        highs = [row.high + 0.6 * span, high if np.isfinite(high) else row.high]
        ax.set_xlim(min(lows), max(highs))
        ax.set_yticks([])
        name = f"{row.metric}\nchange with {row.effect_of}" if row.effect_of else row.metric
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    axes[-1].set_xlabel("green: target interval and value; dot: simulated mean with 95% CI")
    return fig


def _table(frame: pd.DataFrame, columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = ""
    for row in frame[columns].itertuples(index=False):
        cells = "".join(
            f"<td>{fmt(v) if isinstance(v, float) else html.escape(str(v))}</td>" for v in row
        )
        body += f"<tr>{cells}</tr>"
    return f"<table><tr>{head}</tr>{body}</table>"


def report_html(
    calibration: Calibration,
    fit: pd.DataFrame,
    ident: pd.DataFrame,
    steady: pd.DataFrame,
    *,
    evaluations: int,
    loss: float,
) -> str:
    """The fit report: targets and how they are met, parameters and how well identified."""
    inside = int(fit["inside"].sum())
    scale = calibration.check_scale or calibration.scenario.params["population.scale"]
    meanings = fit.assign(
        meaning=[
            f"relative change of: {METRICS[m]}, under the policy of {e}" if e else METRICS[m]
            for m, e in zip(fit["metric"], fit["effect_of"], strict=True)
        ]
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Calibration: {html.escape(calibration.name)}</title>
<style>body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; }} th {{ background: #f3f3f3; }}
img {{ max-width: 100%; }} .note {{ color: #555; }}</style></head><body>
<h1>Calibration of {html.escape(calibration.scenario.name)}: {inside} of {len(fit)} targets met</h1>
<p class="note">{html.escape(calibration.description)} Searched {evaluations} candidate parameter sets
({calibration.screen} from a Latin hypercube, then Nelder-Mead), each run {calibration.replicates}
times for {calibration.days} days at population scale
{calibration.scenario.params["population.scale"]}; best loss {loss:.4g}. The check below ran the best
set {calibration.check_replicates} times at scale {scale}, each for {calibration.check_years} measured year(s).</p>
<h2>Targets</h2>
{_table(meanings, ["metric", "effect_of", "meaning", "target", "low", "high", "mean", "mean_ci_low", "mean_ci_high", "inside", "source"])}
<img src="{figure_data_uri(_fit_figure(fit))}" alt="targets and simulated values">
<h2>Calibrated parameters and how well the targets identify them</h2>
<p class="note">Good fits are the candidates whose loss is within {calibration.good_within:g} of the
best ({int(ident["good_fits"].iloc[0])} of {evaluations}). <code>good_share</code> is
the part of the searched range they span (near 1: the targets leave the parameter free).
<code>profile_rise</code> is how much the loss rises, at least, when that parameter alone moves
{calibration.profile:.0%} of its range away from the best either way: near 0, the targets do not
identify it; large, they do. The good fits mostly come from the local search around the best, so
read <code>good_share</code> as a local spread.</p>
{_table(ident, ["parameter", "unit", "search_low", "search_high", "best", "good_low", "good_high", "good_share", "profile_rise"])}
<h2>Is the calibrated baseline steady? Each target, year by year</h2>
<p class="note">The check runs measured {calibration.check_years} year(s) after the warm-up.
<code>max_z</code> is the largest distance of a year's mean from the mean of all years, in standard
errors of a year's mean (the spread between runs, pooled over the years); <code>steady</code> when it
is at most {STEADY_Z:g}.</p>
{_table(steady, list(steady.columns))}
</body></html>
"""


def write_calibration(
    calibration: Calibration,
    best: dict[str, Any],
    table: pd.DataFrame,
    check: list[dict[str, Any]],
    out: Path,
    *,
    command: str = "",
    force: bool = False,
    table_format: str = DEFAULT_FORMAT,
) -> pd.DataFrame:
    """Write the calibration directory atomically; returns the fit table.

    Tables (:data:`CALIBRATION_TABLES`) as CSV, Parquet or both (``table_format``), described in
    ``datapackage.json`` (:mod:`sim.runs.datapackage`).

    ``out`` must be new, empty or an earlier calibration folder (or, with
    ``force``, another results folder): see :func:`sim.runs.folders.check_out`.
    """
    out = Path(out)
    check_out(out, kind="calibrate", force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    searched = table[table["phase"] != PHASE]  # the search's candidates, not the prior's draws
    fit, ident = fit_table(calibration, check), identification(calibration, searched)
    steady = stationarity(calibration, check)
    loss = float(searched["loss"].min())
    try:
        tables = {
            "evaluations": table,
            "fit": fit,
            "identification": ident,
            "stationarity": steady,
            "good_fits": good_fits(calibration, searched),
        }
        posterior = ""
        if calibration.posterior_draws:
            tables |= posterior_tables(calibration, table)
            posterior_figure(calibration, tables["posterior"]).savefig(
                tmp / "posterior.png", dpi=90
            )
            posterior = posterior_html(calibration, tables["posterior"], tables["pins"])
        for name, frame in tables.items():
            write_table(frame, tmp, name, table_format)
        write_datapackage(tmp, files_under(tmp), kind="calibrate")
        (tmp / "calibrated.toml").write_text(
            calibrated_toml(calibration, best, loss=loss, where=out)
        )
        _fit_figure(fit).savefig(tmp / "fit.png", dpi=90)
        (tmp / "fit_report.html").write_text(
            report_html(
                calibration, fit, ident, steady, evaluations=len(searched), loss=loss
            ).replace("</body>", posterior + "</body>")
        )
        manifest = {
            "kind": "calibrate",
            "calibration": calibration.name,
            "file": str(calibration.path),
            "command": command,
            "base_scenario": calibration.scenario.name,
            "base_sha256": calibration.scenario.sha256,
            "best": best,
            "loss": loss,
            "check_means": mean_metrics(check),
            "posterior": posterior_summary(calibration, table)
            if calibration.posterior_draws
            else None,
            "seeds": calibration.seeds(),
            "format": table_format,
            "written": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
        replace_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return fit
