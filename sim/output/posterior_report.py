"""What a calibration with ``[posterior]`` adds to its folder: the ensemble (``posterior``),
which targets pin which parameters (``pins``), a picture of the ensemble's marginals and pairs
(``posterior.png``) and a section of the fit report (:mod:`sim.runs.calibrate.posterior`)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from sim.output.figures import figure_data_uri, new_figure
from sim.output.tables import fmt
from sim.runs.calibrate.posterior import (
    PHASE,
    effective_size,
    likelihood_weights,
    pins,
    posterior_table,
)
from sim.runs.calibrate.spec import Calibration


def posterior_tables(calibration: Calibration, evaluations: pd.DataFrame) -> dict[str, Any]:
    """The ``posterior`` and ``pins`` tables of the calibration's draws."""
    keys = [f.key for f in calibration.free]
    targets = [(t.metric, t.effect_of) for t in calibration.targets]
    return {
        "posterior": posterior_table(
            evaluations, keys, sets=calibration.posterior_sets, seed=calibration.seed
        ),
        "pins": pins(evaluations, keys, targets),
    }


def posterior_summary(calibration: Calibration, evaluations: pd.DataFrame) -> dict[str, Any]:
    """The ensemble in numbers (for the manifest): draws, sets drawn, distinct sets, and the
    effective number of draws behind it."""
    draws = evaluations[evaluations["phase"] == PHASE]
    weights = likelihood_weights(draws["loss"].to_numpy())
    table = posterior_table(
        evaluations,
        [f.key for f in calibration.free],
        sets=calibration.posterior_sets,
        seed=calibration.seed,
    )
    return {
        "draws": len(draws),
        "sets": calibration.posterior_sets,
        "distinct_sets": len(table),
        "effective_draws": round(effective_size(weights), 1),
    }


def posterior_figure(calibration: Calibration, table: pd.DataFrame):
    """Each free parameter's marginal (weighted histogram over its searched range) on the
    diagonal, each pair of them as a scatter of the ensemble's sets (size by weight) below it."""
    free = calibration.free
    n = len(free)
    fig = new_figure(figsize=(2.4 * n + 0.6, 2.2 * n + 0.6))
    axes = fig.subplots(n, n, squeeze=False)
    weights = table["ensemble_weight"].to_numpy(dtype=float)
    for i, fi in enumerate(free):
        for j, fj in enumerate(free):
            ax = axes[i, j]
            if j > i:
                ax.set_axis_off()
                continue
            x = table[fj.key].to_numpy(dtype=float)
            if i == j:
                ax.hist(x, bins=12, range=(fj.low, fj.high), weights=weights, color="#1f77b4")
                ax.set_yticks([])
            else:
                y = table[fi.key].to_numpy(dtype=float)
                ax.scatter(x, y, s=8 + 300 * weights, alpha=0.6, color="#1f77b4")
                ax.set_ylim(fi.low, fi.high)
            ax.set_xlim(fj.low, fj.high)
            ax.tick_params(labelsize=6)
            if i == n - 1:
                ax.set_xlabel(fj.key, fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(fi.key, fontsize=7)
    fig.suptitle(f"posterior ensemble: {len(table)} distinct sets, the searched ranges as axes")
    return fig


def posterior_html(calibration: Calibration, table: pd.DataFrame, pinned: pd.DataFrame) -> str:
    """The fit report's section on the ensemble: how it was drawn, its spread and what pins it."""
    keys = [f.key for f in calibration.free]
    spread = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{fmt(_weighted_quantile(table, k, 0.05))}</td>"
        f"<td>{fmt(_weighted_quantile(table, k, 0.5))}</td>"
        f"<td>{fmt(_weighted_quantile(table, k, 0.95))}</td></tr>"
        for k in keys
    )
    names = list(dict.fromkeys(zip(pinned["metric"], pinned["effect_of"], strict=True)))
    head = "".join(f"<th>{html.escape(m + (f' with {e}' if e else ''))}</th>" for m, e in names)
    body = ""
    for key in keys:
        rows = pinned[pinned["parameter"] == key]
        cells = "".join(f"<td>{fmt(v)}</td>" for v in rows["rank_correlation"])
        body += f"<tr><td>{html.escape(key)}</td>{cells}</tr>"
    fig = posterior_figure(calibration, table)
    return f"""<h2>Posterior ensemble</h2>
<p class="note">{calibration.posterior_draws} parameter sets drawn from a Latin hypercube over the free
ranges, each run {calibration.replicates} times like a candidate, weighted by the targets (each interval
read as a 95% range: weight exp(-1.96&sup2;/2 &times; loss)), then {calibration.posterior_sets} drawn by
weight: {len(table)} distinct sets (<code>posterior.csv</code>).</p>
<table><tr><th>parameter</th><th>5%</th><th>median</th><th>95%</th></tr>{spread}</table>
<img src="{figure_data_uri(fig)}" alt="the ensemble's marginals and pairs">
<h3>Which targets pin which parameters</h3>
<p class="note">Rank correlation of each parameter with each simulated target over the draws
(<code>pins.csv</code>): near &plusmn;1, the target moves with the parameter and its interval pins it;
near 0, it says nothing about it.</p>
<table><tr><th>parameter</th>{head}</tr>{body}</table>
"""


def _weighted_quantile(table: pd.DataFrame, key: str, q: float) -> float:
    order = table[key].to_numpy(dtype=float).argsort()
    values = table[key].to_numpy(dtype=float)[order]
    cumulative = np.cumsum(table["ensemble_weight"].to_numpy(dtype=float)[order])
    return float(values[min(np.searchsorted(cumulative, q), len(values) - 1)])
