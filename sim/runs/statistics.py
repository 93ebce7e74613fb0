"""The statistics of results over runs: means with confidence intervals, and how many runs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from sim.model.metrics import METRICS


def nan_mean(values: Iterable[float] | np.ndarray) -> float:
    """The mean of the values that are numbers, ignoring NaN (NaN when none is)."""
    values = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, float)
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if len(finite) else float("nan")


def mean_metrics(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Each metric's mean over runs (rows of metrics), ignoring runs where it is undefined
    (NaN) or missing (a failed run)."""
    return {m: nan_mean([row.get(m, float("nan")) for row in rows]) for m in METRICS}


def t_quantile(q: float, df: float) -> float:
    """Student's t quantile: what ``scipy.stats.t.ppf(q, df)`` gives (it calls this same
    ``scipy.special.stdtrit``), without importing ``scipy.stats`` (most of a second of CPU in
    each command that only needs this quantile)."""
    return float(special.stdtrit(df, q))


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Mean and the half-width of its t confidence interval (nan half-width for one value)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    if len(values) == 1:
        return float(values[0]), float("nan")
    half = t_quantile(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(half)


MIN_RUNS = 3  # fewer runs with a value than this: no interval, "too few cases"


def paired_interval(diffs: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Mean of paired differences and the half-width of its t interval: nan with fewer than
    :data:`MIN_RUNS` pairs, 0 when every pair differs by the same amount."""
    diffs = np.asarray(diffs, dtype=float)
    mean = float(diffs.mean()) if len(diffs) else float("nan")
    if len(diffs) < MIN_RUNS:
        return mean, float("nan")
    spread = diffs.std(ddof=1)
    if spread == 0:
        return mean, 0.0
    return mean, float(t_quantile(0.5 + level / 2, len(diffs) - 1) * spread / np.sqrt(len(diffs)))


BOOTSTRAP_RESAMPLES = 2000


@dataclass(frozen=True)
class Estimate:
    """A mean over runs, its interval and how many runs stand behind it."""

    mean: float
    low: float
    high: float
    n: int  # runs with a value (a share needs cases: no petitions, no petition share)
    runs: int  # runs in all

    @property
    def too_few(self) -> bool:
        """Too few runs with a value for an interval: show the mean and n, not noise."""
        return self.n < MIN_RUNS


def estimate(values: np.ndarray, *, share: bool = False, level: float = 0.95) -> Estimate:
    """Mean and ``level`` interval over runs; nan values (runs without cases) do not count.

    Shares get a percentile bootstrap over runs (fixed resampling stream, so the same
    runs give the same interval), which stays inside [0, 1]; other metrics a t
    interval, cut at 0 (no metric is negative). With fewer than :data:`MIN_RUNS`
    values the interval is nan.
    """
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    n = len(finite)
    if n == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0, len(values))
    mean = float(finite.mean())
    if n < MIN_RUNS:
        return Estimate(mean, float("nan"), float("nan"), n, len(values))
    if share:
        rng = np.random.default_rng(0)
        means = finite[rng.integers(n, size=(BOOTSTRAP_RESAMPLES, n))].mean(axis=1)
        low, high = np.quantile(means, [0.5 - level / 2, 0.5 + level / 2])
        return Estimate(mean, float(low), float(high), n, len(values))
    _, half = mean_ci(finite, level)
    return Estimate(mean, max(mean - half, 0.0), mean + half, n, len(values))


@dataclass(frozen=True)
class OverSets:
    """A paired difference over runs in plausible parameter sets (``sim.runs.ensemble``): its
    mean, the interval of seed noise alone, the plausible interval (what the parameters leave
    open as well) and each drawn set's mean difference."""

    mean: float
    seed_low: float
    seed_high: float
    low: float
    high: float
    set_means: np.ndarray  # one per draw of a parameter set


def over_sets(diffs: np.ndarray, draws: np.ndarray, level: float = 0.95) -> OverSets:
    """``diffs`` (one per run pair, NaN ignored) grouped by the draw of a parameter set they
    ran in (``draws``: the ``draw`` column of the runs).

    Seed noise alone: a t interval of the mean from the spread within sets, pooled. The
    plausible interval: where the difference lies in a set drawn from the ensemble, a
    prediction interval ``mean +- t * sd * sqrt(1 + 1/K)`` of the ``K`` sets' means (each
    with its seed noise, so it is a little wide rather than narrow). NaN where too few runs
    or sets."""
    diffs, draws = np.asarray(diffs, dtype=float), np.asarray(draws)
    keep = np.isfinite(diffs)
    diffs, draws = diffs[keep], draws[keep]
    nan = float("nan")
    if len(diffs) == 0:
        return OverSets(nan, nan, nan, nan, nan, np.array([]))
    _, group, runs = np.unique(draws, return_inverse=True, return_counts=True)
    set_means = np.bincount(group, weights=diffs) / runs
    mean = float(diffs.mean())
    q = 0.5 + level / 2
    inside = len(diffs) - len(set_means)  # degrees of freedom within the draws
    seed_half = nan
    if inside >= 1:
        pooled = np.sum((diffs - set_means[group]) ** 2) / inside
        seed_half = float(t_quantile(q, inside) * np.sqrt(pooled / len(diffs)))
    k = len(set_means)
    half = nan
    if k >= MIN_RUNS:
        spread = set_means.std(ddof=1)
        half = float(t_quantile(q, k - 1) * spread * np.sqrt(1 + 1 / k))
    return OverSets(mean, mean - seed_half, mean + seed_half, mean - half, mean + half, set_means)


@dataclass(frozen=True)
class Regret:
    """How a scenario fares against its reference across plausible parameter sets, by the
    metric's better side: the least favourable set's mean difference (``worst``), and the
    largest amount by which each falls short of the other in any set (``scenario``,
    ``reference``; metric units, 0 when it never does). The plan with the smaller largest
    shortfall is the minimax-regret choice of the two."""

    worst: float
    scenario: float
    reference: float


def regret(set_means: np.ndarray, better: int) -> Regret:
    """:class:`Regret` of the sets' mean differences (scenario minus reference, one per set;
    NaN ignored); ``better`` is -1 when less of the metric is better, +1 when more is, 0 when
    neither (then all NaN, as without sets)."""
    means = np.asarray(set_means, dtype=float)
    means = means[np.isfinite(means)]
    if better == 0 or not len(means):
        return Regret(float("nan"), float("nan"), float("nan"))
    gains = better * means  # above 0: the scenario does better in that set
    return Regret(
        worst=float(means[np.argmin(gains)]),
        scenario=float(max(0.0, -gains.min())),
        reference=float(max(0.0, gains.max())),
    )
