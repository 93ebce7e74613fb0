"""When a plan stops paying, and which unknown matters most for the decision, over the plausible
parameter sets of a comparison (``govsim compare``, :mod:`sim.runs.ensemble`).

For a scenario against the reference and one key outcome, each draw of a parameter set gives
the mean paired difference of its runs. **Scenario discovery**: PRIM (the Patient Rule
Induction Method of EMA Workbench's analysis module) looks for a box of parameter ranges, the
set's values and what-if factors, inside which the scenario does *not* do better; of the boxes
PRIM peels, the one with the most coverage (the share of all failing draws inside it) whose
density (the share of the draws inside it that fail) is at least :data:`DENSITY`. **Which
unknown matters most**: each parameter ranked by the squared rank correlation of its values
with the paired difference over the draws (the share of the difference's ranking it explains
alone), so that the report can say which to measure before deciding.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

DENSITY = 0.8  # a box in which at least this share of the draws fail
MIN_DRAWS = 8  # fewer draws than this: no box, no ranking


@dataclass(frozen=True)
class Discovery:
    """One scenario and outcome over the draws: how many fail, the box, the ranking."""

    scenario: str
    metric: str
    draws: int
    failing: int  # draws in which the scenario is not better
    box: pd.DataFrame  # parameter, box_low, box_high, range_low, range_high (restricted only)
    coverage: float  # of the failing draws, the share inside the box
    density: float  # of the draws inside the box, the share failing
    ranking: pd.DataFrame  # parameter, rank_correlation, explained_share, the strongest first


def draw_differences(reference: pd.DataFrame, other: pd.DataFrame, metric: str) -> pd.Series:
    """The mean paired difference (other minus reference, paired by seed) of each draw."""
    a, b = reference.set_index("seed"), other.set_index("seed")
    seeds = a.index.intersection(b.index)
    diffs = (b.loc[seeds, metric] - a.loc[seeds, metric]).rename("difference")
    return diffs.groupby(b.loc[seeds, "draw"]).mean()


WORTH_METRIC = "cost_per_escalation_averted"  # the outcome of --worth


def draw_cost_per_escalation(reference: pd.DataFrame, other: pd.DataFrame) -> pd.Series:
    """Each draw's cost per escalation averted (wan yuan; the means of its runs, paired by
    seed, from :func:`sim.runs.comparisons.district_counts`): infinite where none is averted."""
    seeds = reference.index.intersection(other.index)
    a, b = reference.loc[seeds], other.loc[seeds]
    cost = (b["annual_cost_wan_yuan"] - a["annual_cost_wan_yuan"]).groupby(b["draw"]).mean()
    averted = (a["escalations"] - b["escalations"]).groupby(b["draw"]).mean()
    per_case = cost / averted
    return per_case.where(averted > 0, np.inf).rename("difference")


def discover(
    differences: pd.Series, sets: pd.DataFrame, *, scenario: str, metric: str, better: int
) -> Discovery:
    """PRIM box and ranking for ``differences`` (by draw) over the draws' parameters (``sets``:
    the ``sets`` table); ``better`` is -1 when less of ``metric`` is better, +1 when more."""
    table = sets.set_index("draw").loc[differences.index]
    x = table.drop(columns=["set"]).astype(float)
    x = x.loc[:, x.nunique() > 1]  # a parameter no draw varies tells nothing
    diffs = differences.to_numpy(dtype=float)
    keep = ~np.isnan(diffs)
    x, diffs = x[keep], diffs[keep]
    failing = ~(better * diffs > 0)
    if np.isinf(diffs).any():  # ranked as worse than any number (none averted)
        finite = diffs[np.isfinite(diffs)]
        top = float(np.abs(finite).max()) if len(finite) else 1.0
        diffs = np.where(np.isinf(diffs), np.sign(diffs) * 2 * (top + 1), diffs)
    box, coverage, density = _prim_box(x, failing)
    return Discovery(
        scenario=scenario,
        metric=metric,
        draws=len(diffs),
        failing=int(failing.sum()),
        box=box,
        coverage=coverage,
        density=density,
        ranking=_ranking(x, diffs),
    )


def _prim_box(x: pd.DataFrame, failing: np.ndarray) -> tuple[pd.DataFrame, float, float]:
    empty = pd.DataFrame(columns=["parameter", "box_low", "box_high", "range_low", "range_high"])
    if len(x) < MIN_DRAWS or x.empty or not failing.any() or failing.all():
        return empty, float("nan"), float("nan")
    with warnings.catch_warnings():  # EMA Workbench warns of optional packages on import
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        found = prim.Prim(x.reset_index(drop=True), failing, mass_min=1.0 / len(x)).find_box()
    trajectory = found.peeling_trajectory
    dense = trajectory[trajectory["density"] >= DENSITY]
    pick = int(dense["coverage"].idxmax()) if len(dense) else int(trajectory["density"].idxmax())
    found.select(pick)
    limits, whole = found.box_lims[pick], found.box_lims[0]
    rows = [
        {
            "parameter": name,
            "box_low": float(limits.at[0, name]),
            "box_high": float(limits.at[1, name]),
            "range_low": float(whole.at[0, name]),
            "range_high": float(whole.at[1, name]),
        }
        for name in x.columns
        if (limits.at[0, name], limits.at[1, name]) != (whole.at[0, name], whole.at[1, name])
    ]
    chosen = trajectory.loc[pick]
    return (
        pd.DataFrame(rows, columns=empty.columns),
        float(chosen["coverage"]),
        float(chosen["density"]),
    )


def _ranking(x: pd.DataFrame, diffs: np.ndarray) -> pd.DataFrame:
    rows = []
    if len(diffs) >= MIN_DRAWS and np.ptp(diffs) > 0:
        from scipy import stats  # here: scipy.stats takes most of a second to import

        for name in x.columns:
            rho = float(stats.spearmanr(x[name], diffs).statistic)
            rows.append(
                {"parameter": name, "difference_rank_correlation": rho, "explained_share": rho**2}
            )
    table = pd.DataFrame(
        rows, columns=["parameter", "difference_rank_correlation", "explained_share"]
    )
    return table.sort_values("explained_share", ascending=False, ignore_index=True)


def discovery_tables(found: list[Discovery]) -> dict[str, pd.DataFrame]:
    """``prim_box`` (a row per restricted parameter of each box, with its coverage and
    density) and ``unknowns`` (each parameter's rank correlation with the difference)."""
    ids = ["scenario", "metric", "draws", "failing"]
    boxes, ranks = [], []
    for d in found:
        head = {"scenario": d.scenario, "metric": d.metric, "draws": d.draws, "failing": d.failing}
        boxes.append(d.box.assign(**head, coverage=d.coverage, density=d.density))
        ranks.append(d.ranking.assign(**head, rank=np.arange(1, len(d.ranking) + 1)))
    box_columns = [*ids, "parameter", "box_low", "box_high", "range_low", "range_high"]
    return {
        "prim_box": pd.concat(boxes, ignore_index=True)[[*box_columns, "coverage", "density"]]
        if boxes
        else pd.DataFrame(columns=[*box_columns, "coverage", "density"]),
        "unknowns": pd.concat(ranks, ignore_index=True)[
            [*ids, "rank", "parameter", "difference_rank_correlation", "explained_share"]
        ]
        if ranks
        else pd.DataFrame(
            columns=[*ids, "rank", "parameter", "difference_rank_correlation", "explained_share"]
        ),
    }
