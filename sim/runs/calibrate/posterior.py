"""A posterior ensemble of parameter sets: sequential importance resampling over a Latin
hypercube.

The ``[posterior]`` table of a calibration file asks for ``draws`` parameter sets drawn
uniformly over the free ranges (the prior), each run as a candidate of the search. Each
target's interval is read as the 95% range of what the published figure allows, so a target
with simulated mean ``m`` contributes ``exp(-(m - value)**2 / (2 sigma**2))`` to a draw's
likelihood, ``sigma`` being the half-width on that side over 1.96; the draw's weight is its
likelihood over the sum of all. With the calibration's loss (the sum of squared distances in
half-widths) that is ``exp(-Z**2 / 2 * loss)``. The ensemble is ``sets`` draws taken by
weight (systematic resampling): its distinct sets, each with the share of the draws that
chose it, are ``posterior.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

Z = 1.96  # an interval's half-width in standard deviations of the published figure
PHASE = "posterior"  # the phase of the evaluations that are the posterior's draws


def likelihood_weights(losses: np.ndarray) -> np.ndarray:
    """The normalised weights ``exp(-Z**2 / 2 * loss)`` of draws with calibration ``losses``
    (a draw whose loss is not a number weighs nothing)."""
    losses = np.asarray(losses, dtype=float)
    log = np.where(np.isfinite(losses), -(Z**2) / 2.0 * losses, -np.inf)
    if not np.isfinite(log).any():
        raise ValueError("no draw has a finite loss: no target could be simulated")
    weights = np.exp(log - log.max())
    return weights / weights.sum()


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of normalised ``weights``: ``1 / sum(w**2)``."""
    return float(1.0 / np.sum(np.square(weights)))


def systematic_resample(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` indices drawn by weight with one uniform offset (systematic resampling): each
    index is chosen ``floor(n w)`` or ``ceil(n w)`` times."""
    positions = (rng.random() + np.arange(n)) / n
    cumulative = np.cumsum(weights)
    cumulative[-1] = 1.0  # no index past the end from rounding
    return np.searchsorted(cumulative, positions, side="right")


def posterior_table(
    evaluations: pd.DataFrame, keys: list[str], *, sets: int, seed: int
) -> pd.DataFrame:
    """The ensemble from the ``posterior`` draws of ``evaluations``: one row per distinct set
    chosen (``set``, ``ensemble_weight``: the share of the ``sets`` choices,
    ``importance_weight``: its weight among the draws), its free parameters (``keys``), loss and
    simulated targets, the heaviest first."""
    draws = evaluations[evaluations["phase"] == PHASE].reset_index(drop=True)
    if draws.empty:
        raise ValueError("no posterior draws among the evaluations")
    weights = likelihood_weights(draws["loss"].to_numpy())
    chosen = systematic_resample(weights, sets, np.random.default_rng(seed))
    index, counts = np.unique(chosen, return_counts=True)
    simulated = [c for c in draws.columns if c.startswith("sim:")]
    table = draws.loc[index, [*keys, "loss", *simulated]].copy()
    table.insert(0, "importance_weight", weights[index])
    table.insert(0, "ensemble_weight", counts / sets)
    table = table.sort_values(["ensemble_weight", "loss"], ascending=[False, True])
    table.insert(0, "set", np.arange(len(table)))
    return table.reset_index(drop=True)


def pins(
    evaluations: pd.DataFrame, keys: list[str], targets: list[tuple[str, str]]
) -> pd.DataFrame:
    """Which targets pin which parameters: over the posterior's draws, the rank correlation
    (Spearman) of each free parameter with each simulated target (``targets``: metric and
    ``effect_of`` pairs), one row per pair. A target strongly correlated with a parameter moves
    with it, so its interval narrows that parameter's posterior."""
    draws = evaluations[evaluations["phase"] == PHASE]
    rows = []
    for key in keys:
        for metric, effect_of in targets:
            name = f"{metric} with {effect_of}" if effect_of else metric
            rows.append(
                {
                    "parameter": key,
                    "metric": metric,
                    "effect_of": effect_of,
                    "rank_correlation": _spearman(draws[key], draws[f"sim:{name}"]),
                }
            )
    return pd.DataFrame(rows)


def _spearman(x: pd.Series, y: pd.Series) -> float:
    keep = np.isfinite(x.to_numpy(dtype=float)) & np.isfinite(y.to_numpy(dtype=float))
    if keep.sum() < 3 or np.ptp(x[keep]) == 0 or np.ptp(y[keep]) == 0:
        return float("nan")
    from scipy import stats  # here: scipy.stats takes most of a second to import

    return float(stats.spearmanr(x[keep], y[keep]).statistic)
