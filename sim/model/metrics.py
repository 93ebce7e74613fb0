"""Outcome metrics (design section 3; the names are a contract) and per-grid arrays for the map.

Shares are over the disputes that some actor detected (those that entered the
ladder), except ``detected_share`` itself, which is over all disputes that
arose. Rates are per resident per year, so they do not depend on
``population.scale`` or on the length of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mesa import Model

from sim.model.disputes import DISPUTE_TYPES, TYPE_INDEX, Level, State

METRICS: dict[str, str] = {
    "disputes_per_1k": "disputes arising per 1,000 residents per year",
    "detected_share": "share of disputes that some actor detected",
    "resolved_in_grid_share": "share of detected disputes resolved at L1 (grid)",
    "resolved_in_village_share": "share of detected disputes resolved at L1-L2 (small matters stay in the village)",
    "resolved_in_town_share": "share of detected disputes resolved at L1-L3 (big matters stay in the town)",
    "escalation_rate": "share of detected disputes that went beyond the village (reached L3 or higher)",
    "passed_up_share": "share of detected disputes that went beyond the district (L5)",
    "petitions_per_10k": "disputes reaching the district petition level (L4) per 10,000 residents per year",
    "petition_one_time_resolution_rate": "share of L4 cases resolved at their first L4 session",
    "satisfaction_rate": "share of resolved disputes whose parties are satisfied",
    "mediation_success_rate": "share of mediation sessions that end in agreement",
    "incidents_per_100k": "acting-out incidents per 100,000 residents per year",
    "mean_days_to_resolution": "mean days from arising to resolution",
    "p90_days_to_resolution": "90th percentile of days from arising to resolution",
    "mean_days_to_detection": "mean days from arising to detection",
    "grid_worker_utilisation": "busy share of grid-worker capacity (visits and mediation)",
    "annual_cost_wan_yuan": "yearly cost of the staffing policy, wan yuan (10,000 yuan)",
    "mediated_per_1k": "disputes with at least one mediation session per 1,000 residents per year",
    "land_failure_ratio": "failure rate of land and housing sessions over that of all other types",
}
SHARES = frozenset(
    name for name in METRICS if name.endswith(("_share", "_rate")) or name.endswith("utilisation")
)  # fractions in [0, 1]
SERIES = ("day", "open_disputes", *METRICS)  # columns of the daily time series


@dataclass
class Tally:
    """Counters the metrics need beyond the dispute book."""

    sessions: int
    agreements: int
    petition_first_sessions: int
    petition_first_agreements: int
    worker_busy_visits: float
    worker_capacity_visits: float
    cost_days: float  # the yearly cost of the policy in force, summed over the days run
    incidents_by_grid: np.ndarray
    sessions_by_type: np.ndarray  # indexed by dispute type (sim.model.disputes.DISPUTE_TYPES)
    agreements_by_type: np.ndarray

    @classmethod
    def empty(cls, n_grids: int) -> Tally:
        n_types = len(DISPUTE_TYPES)
        zeros = np.zeros(n_grids, dtype=np.int64)
        return cls(
            0,
            0,
            0,
            0,
            0.0,
            0.0,
            0.0,
            zeros,
            np.zeros(n_types, np.int64),
            np.zeros(n_types, np.int64),
        )

    def failure_rate_by_type(self) -> dict[str, float]:
        """Share of sessions that failed, by dispute type."""
        return {
            t.name: _share(s - a, s)
            for t, s, a in zip(
                DISPUTE_TYPES, self.sessions_by_type, self.agreements_by_type, strict=True
            )
        }

    def land_failure_ratio(self) -> float:
        """Failure rate of land (and housing) sessions over that of every other type."""
        land = TYPE_INDEX["land"]
        failures = self.sessions_by_type - self.agreements_by_type
        others = np.arange(len(failures)) != land
        rate_land = _share(failures[land], self.sessions_by_type[land])
        rate_others = _share(failures[others].sum(), self.sessions_by_type[others].sum())
        return _share(rate_land, rate_others) if np.isfinite(rate_land) else float("nan")

    def record_sessions(
        self, *, kinds: np.ndarray, agreed: np.ndarray, first_petition: np.ndarray | None = None
    ) -> None:
        """Count sessions and agreements by dispute type; ``first_petition`` marks first L4 sessions."""
        self.sessions += len(kinds)
        self.agreements += int(agreed.sum())
        self.sessions_by_type += np.bincount(kinds, minlength=len(self.sessions_by_type))
        self.agreements_by_type += np.bincount(
            kinds[agreed], minlength=len(self.agreements_by_type)
        )
        if first_petition is not None:
            self.petition_first_sessions += int(first_petition.sum())
            self.petition_first_agreements += int((first_petition & agreed).sum())


def _share(part: float, whole: float) -> float:
    return float(part / whole) if whole else float("nan")


def compute(model: Model) -> dict[str, float]:
    """Every outcome metric of the run so far, plus the day and the open disputes."""
    book, tally = model.book, model.tally
    days = max(model.today + 1, 1)
    years = days / 365.0
    residents = max(len(model.population), 1)
    state, level, max_level = book.view("state"), book.view("level"), book.view("max_level")
    detected = ~np.isnan(book.view("detected"))
    n_detected = int(detected.sum())
    resolved = state == State.RESOLVED
    took = (book.view("closed") - book.view("arrived"))[resolved]
    lag = (book.view("detected") - book.view("arrived"))[detected]
    values = {
        "disputes_per_1k": len(book) / residents * 1000 / years,
        "detected_share": _share(n_detected, len(book)),
        "resolved_in_grid_share": _share((resolved & (level == Level.GRID)).sum(), n_detected),
        "resolved_in_village_share": _share(
            (resolved & (level <= Level.VILLAGE)).sum(), n_detected
        ),
        "resolved_in_town_share": _share((resolved & (level <= Level.TOWN)).sum(), n_detected),
        "escalation_rate": _share((max_level >= Level.TOWN).sum(), n_detected),
        "passed_up_share": _share((max_level >= Level.BEYOND).sum(), n_detected),
        "petitions_per_10k": (max_level >= Level.DISTRICT).sum() / residents * 10_000 / years,
        "petition_one_time_resolution_rate": _share(
            tally.petition_first_agreements, tally.petition_first_sessions
        ),
        "satisfaction_rate": _share(book.view("satisfied")[resolved].sum(), resolved.sum()),
        "mediation_success_rate": _share(tally.agreements, tally.sessions),
        "incidents_per_100k": (state == State.INCIDENT).sum() / residents * 100_000 / years,
        "mean_days_to_resolution": float(took.mean()) if len(took) else float("nan"),
        "p90_days_to_resolution": float(np.percentile(took, 90)) if len(took) else float("nan"),
        "mean_days_to_detection": float(lag.mean()) if len(lag) else float("nan"),
        "grid_worker_utilisation": _share(tally.worker_busy_visits, tally.worker_capacity_visits),
        "annual_cost_wan_yuan": tally.cost_days / days,
        "mediated_per_1k": (book.view("sessions") > 0).sum() / residents * 1000 / years,
        "land_failure_ratio": tally.land_failure_ratio(),
    }
    open_disputes = int(np.isin(state, (State.LATENT, State.QUEUED)).sum())
    return {"day": days, "open_disputes": open_disputes} | {k: float(v) for k, v in values.items()}


def read(name: str, model: Model) -> float:
    """A DataCollector reporter: the metric ``name`` as computed at this step's ``record``."""
    return model.current[name]


def grid_outcomes(model: Model) -> dict[str, np.ndarray]:
    """Per-grid arrays for the map: open disputes, escalations, incidents, staff, mean trust."""
    book, geo, pop = model.book, model.geography, model.population
    n = geo.n_grids
    grid, state = book.view("grid"), book.view("state")
    open_ = np.isin(state, (State.LATENT, State.QUEUED))
    residents = np.maximum(model.residents_per_grid, 1)
    return {
        "residents": model.residents_per_grid,
        "open_disputes": np.bincount(grid[open_], minlength=n),
        "escalations": np.bincount(grid[book.view("max_level") >= Level.TOWN], minlength=n),
        "incidents": model.tally.incidents_by_grid.copy(),
        "grid_workers": model.workers_per_grid,
        "volunteer_police": np.bincount(
            [v.cell.coordinate for v in model.volunteer_police], minlength=n
        ),
        "staff_per_1k": (model.workers_per_grid + model.officer_presence)
        / np.maximum(geo.grid_population, 1)
        * 1000,
        "trust": np.bincount(pop.grid, pop.trust, minlength=n) / residents,
    }
