"""A search's trials as a table, its frontier, and the plans to recommend from it."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from sim.model.metrics import METRICS
from sim.runs.optimise.spec import Optimisation


def frontier_axes(optimisation: Optimisation) -> tuple[list[str], list[float]]:
    """The frontier's metrics and signs: the objectives, or with one objective that objective
    and the annual cost (the cost-escalation frontier when cost is the objective)."""
    metrics = [o.metric for o in optimisation.objectives]
    signs = [o.sign for o in optimisation.objectives]
    if len(metrics) == 1:
        other = (
            "escalation_rate" if metrics[0] == "annual_cost_wan_yuan" else "annual_cost_wan_yuan"
        )
        metrics, signs = [*metrics, other], [*signs, 1.0]
    return metrics, signs


def trials_table(study: Any, optimisation: Optimisation) -> pd.DataFrame:
    """Every trial: number, state, whether it is the base scenario's own plan (``today``),
    drawn parameters, settings, objectives, constraint excess, the share of the plausible
    sets in which it is no worse than the base (robust constraints), feasibility, the
    metrics' means, seeds and seconds."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        attrs = t.user_attrs
        row = {
            "trial": t.number,
            "state": t.state.name.lower(),
            "today": bool(attrs.get("today", False)),
        }  # the base scenario's own plan
        row |= {f"param:{k}": v for k, v in t.params.items()}
        row["settings"] = json.dumps(attrs.get("settings", {}), ensure_ascii=False)
        for o, value in zip(optimisation.objectives, t.values or [None] * 9, strict=False):
            row[f"objective:{o.metric}"] = value
        excess = attrs.get("constraints") or []
        for c, e in zip(optimisation.constraints, excess, strict=False):
            row[f"constraint:{c}"] = e
        for c in optimisation.robust:  # the share of the plausible sets no worse than the base
            row[f"sets_no_worse:{c.metric}"] = (attrs.get("no_worse") or {}).get(c.metric)
        row["feasible"] = t.state.name == "COMPLETE" and all(e <= 0 for e in excess)
        row |= {m: (attrs.get("metrics") or {}).get(m) for m in METRICS}
        row |= {
            "seeds": json.dumps(attrs.get("seeds", [])),
            "seconds": attrs.get("seconds"),
            "same_as": attrs.get("same_as"),
            "error": attrs.get("error", ""),
        }
        rows.append(row)
    return pd.DataFrame(rows)


def frontier(table: pd.DataFrame, metrics: list[str], signs: list[float]) -> pd.DataFrame:
    """The feasible trials no other feasible trial beats on every one of ``metrics`` (sign +1:
    smaller is better), best first on the first metric; each plan once."""
    ok = table[table["feasible"]].drop_duplicates(subset="settings")
    if ok.empty:
        return ok
    values = ok[metrics].to_numpy(dtype=float) * np.array(signs)
    keep = [
        not any(
            np.all(values[j] <= values[i]) and np.any(values[j] < values[i])
            for j in range(len(values))
            if j != i
        )
        for i in range(len(values))
    ]
    return ok[keep].sort_values(metrics[0], ascending=signs[0] > 0).reset_index(drop=True)


def rank_of_today(table: pd.DataFrame, optimisation: Optimisation) -> int | None:
    """Where the base scenario's own plan ranks among the feasible trials on the first
    objective (1: no trial beat it), or None when it was not a trial."""
    ok = table[table["feasible"]].drop_duplicates(subset="settings")
    if not ok["today"].any():
        return None
    objective = optimisation.objectives[0]
    values = ok[objective.metric].to_numpy(dtype=float) * objective.sign
    today = values[ok["today"].to_numpy()][0]
    return int((values < today).sum()) + 1


def recommended(front: pd.DataFrame, metrics: list[str], signs: list[float], n: int) -> list[int]:
    """Up to ``n`` trials of the frontier to verify: the best on the first metric, then the
    knee (farthest from the line between the two ends) and the other end."""
    if front.empty:
        return []
    picks = [int(front["trial"].iloc[0])]
    if len(metrics) > 1 and len(front) > 2 and n > 1:
        x = front[metrics[:2]].to_numpy(dtype=float) * np.array(signs[:2])
        span = np.where(np.ptp(x, axis=0) > 0, np.ptp(x, axis=0), 1.0)
        z = (x - x.min(axis=0)) / span
        a, b = z[0], z[-1]
        d = np.abs(np.cross(b - a, z - a)) / max(np.linalg.norm(b - a), 1e-12)
        picks.append(int(front["trial"].iloc[int(np.argmax(d))]))
    if len(front) > 1 and n > len(picks):
        picks.append(int(front["trial"].iloc[-1]))
    return list(dict.fromkeys(picks))[:n]
