"""Outcome metrics (design section 3; the names are a contract) and per-grid arrays for the map.

Metrics count what happened in the measured days (after ``run.warmup_days``).
Rates and means count events in the window (flows). Every share is a part of
a whole over one cohort, so it stays in [0, 1] over a window of any length:
the people's-mediation shares follow the disputes between residents that
arose in the window (``detected_share``: of those whose detection is settled
at its end, those detected; the
``resolved_in_*``, ``escalation_rate`` and ``passed_up_share``: of those
detected, the ones that reached that end by the window's end), and the
``claims_*`` shares the direct claims that arose in it (:class:`Cohort`).
Rates are per resident per year, so they do not depend on
``population.scale`` or on the length of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.disputes import (
    DISPUTE_TYPES,
    IS_OPEN,
    DisputeBook,
    Level,
    Origin,
    State,
)
from sim.model.state import ModelState
from sim.model.tally import Period, Tally, share

METRICS: dict[str, str] = {
    "disputes_per_1k": "disputes arising per 1,000 residents per year",
    "detected_share": "share of disputes that some actor detected",
    "resolved_in_grid_share": "share of detected disputes resolved at L1 (grid)",
    "resolved_in_village_share": "share of detected disputes resolved at L1-L2 (small matters stay in the village)",
    "resolved_in_town_share": "share of detected disputes resolved at L1-L3 (big matters stay in the town)",
    "escalation_rate": "share of detected disputes that went beyond the village (reached L3 or higher)",
    "passed_up_share": "share of detected disputes that went beyond the district (L5)",
    "petitions_per_10k": "cases (disputes and direct claims) reaching the district petition level (L4) per 10,000 residents per year",
    "petition_one_time_resolution_rate": "share of L4 cases resolved at their first L4 session",
    "satisfaction_rate": "share of resolved cases (disputes and claims) whose parties are satisfied",
    "mediation_success_rate": "share of mediation sessions that end in agreement",
    "incidents_per_100k": "cases ending in a party acting out (violence, damage, public-order offences, group incidents) per 100,000 residents per year",
    "mean_days_to_resolution": "mean days from arising to resolution",
    "p90_days_to_resolution": "90th percentile of days from arising to resolution",
    "mean_days_to_detection": "mean days from arising to detection",
    "grid_worker_utilisation": "busy share of grid-worker capacity (visits and mediation)",
    "annual_cost_wan_yuan": "yearly cost of the staffing policy, wan yuan (10,000 yuan)",
    "mediated_per_1k": "disputes with at least one mediation session per 1,000 residents per year",
    "land_failure_ratio": "failure rate of land and housing sessions over that of all other types",
    "claims_per_10k": "direct claims (against employers, the government, services) per 10,000 residents per year",
    "petition_claim_share": "share of petitions (L4 cases) that are direct claims, not disputes between residents",
    "claims_resolved_in_town_share": "share of detected direct claims settled at the town centre or below",
    "claims_found_by_staff_share": "share of detected direct claims that grid workers or patrols found before they were filed",
    "incidents_unmediated_share": "share of incidents whose case never had a mediation session",
}
SHARES = frozenset(
    name for name in METRICS if name.endswith(("_share", "_rate")) or name.endswith("utilisation")
)  # fractions in [0, 1]
SERIES = ("day", "open_disputes", *METRICS)  # columns of the daily time series


@dataclass(frozen=True)
class Cohort:
    """The cases that arose in a window [start, end), as masks over the dispute book.

    ``arose``: disputes between residents that arose in the window; ``detected``: of
    them, those detected before ``end``; ``settled``: of them, those whose detection is
    settled at ``end`` (detected, or no longer latent: faded, lapsed); ``claims`` and
    ``claims_detected`` the same for direct claims. Each share's numerator is a subset
    of its denominator, both from one cohort, so that a share cannot exceed 1 (a flow
    of detections in a window may include cases that arose before it; a flow of
    arrivals does not). ``end`` is the end of today: the book's states are read as now.
    """

    arose: np.ndarray
    detected: np.ndarray
    settled: np.ndarray
    claims: np.ndarray
    claims_detected: np.ndarray

    @classmethod
    def of(cls, book: DisputeBook, *, start: float, end: float) -> Cohort:
        arrived = book.view("arrived")
        arose = (arrived >= start) & (arrived < end)
        detected = arose & (book.view("detected") < end)  # NaN (never detected) is False
        dispute = book.view("origin") == Origin.DISPUTE
        settled = detected | (arose & (book.view("state") != State.LATENT))
        return cls(
            arose & dispute,
            detected & dispute,
            settled & dispute,
            arose & ~dispute,
            detected & ~dispute,
        )


def compute(model: ModelState, *, start: float, since: Tally | None = None) -> dict[str, float]:
    """Every outcome metric over the days from ``start`` to the end of today, plus the day.

    Metrics count what happened in that window (flows): disputes that arose,
    were detected, resolved, escalated or became incidents in it, so that in a
    steady district a window of any length measures the same rates and
    shares. ``since`` is the :class:`Tally` at ``start`` (None: all of it).
    """
    book = model.book
    tally = model.tally if since is None else model.tally.minus(since)
    end = model.today + 1.0
    days = max(end - start, 1.0)
    years = days / 365.0
    residents = max(len(model.population), 1)

    def within(column: str) -> np.ndarray:
        t = book.view(column)
        return (t >= start) & (t < end)

    dispute = book.view("origin") == Origin.DISPUTE
    claim = ~dispute
    state, level = book.view("state"), book.view("level")
    cohort = Cohort.of(book, start=start, end=end)
    closed = within("closed")  # flows: cases closed in the window, whenever they arose
    incidents = closed & (state == State.INCIDENT)
    resolved = closed & (state == State.RESOLVED)
    petitions = within("reached_district")
    # the cohort's ends by the end of the window (its cases arose in it, so closed >= start)
    detected, n_detected = cohort.detected, int(cohort.detected.sum())
    ended = detected & closed
    cohort_resolved = ended & (state == State.RESOLVED)
    took = (book.view("closed") - book.view("arrived"))[resolved & dispute]
    found = within("detected") & dispute
    lag = (book.view("detected") - book.view("arrived"))[found]
    values = {
        "disputes_per_1k": cohort.arose.sum() / residents * 1000 / years,
        "detected_share": share(n_detected, int(cohort.settled.sum())),
        "resolved_in_grid_share": share(
            (cohort_resolved & (level == Level.GRID)).sum(), n_detected
        ),
        "resolved_in_village_share": share(
            (cohort_resolved & (level <= Level.VILLAGE)).sum(), n_detected
        ),
        "resolved_in_town_share": share(
            (cohort_resolved & (level <= Level.TOWN)).sum(), n_detected
        ),
        "escalation_rate": share(
            int((detected & (book.view("reached_town") < end)).sum()), n_detected
        ),
        "passed_up_share": share((ended & (state == State.PASSED_UP)).sum(), n_detected),
        "petitions_per_10k": petitions.sum() / residents * 10_000 / years,
        "petition_one_time_resolution_rate": share(
            tally.petition_first_agreements, tally.petition_first_sessions
        ),
        "satisfaction_rate": share(book.view("satisfied")[resolved].sum(), resolved.sum()),
        "mediation_success_rate": share(tally.agreements, tally.sessions),
        "incidents_per_100k": incidents.sum() / residents * 100_000 / years,
        "mean_days_to_resolution": float(took.mean()) if len(took) else float("nan"),
        "p90_days_to_resolution": float(np.percentile(took, 90)) if len(took) else float("nan"),
        "mean_days_to_detection": float(lag.mean()) if len(lag) else float("nan"),
        "grid_worker_utilisation": share(tally.worker_busy_visits, tally.worker_capacity_visits),
        "annual_cost_wan_yuan": tally.cost_days / days,
        "mediated_per_1k": (within("mediated") & dispute).sum() / residents * 1000 / years,
        "land_failure_ratio": tally.land_failure_ratio(),
    }
    claims_found = cohort.claims_detected
    values |= {
        "claims_per_10k": (within("arrived") & claim).sum() / residents * 10_000 / years,
        "petition_claim_share": share((petitions & claim).sum(), petitions.sum()),
        "claims_resolved_in_town_share": share(
            (claims_found & closed & (state == State.RESOLVED) & (level <= Level.TOWN)).sum(),
            claims_found.sum(),
        ),
        "claims_found_by_staff_share": share(
            (claims_found & book.view("found_by_staff")).sum(), claims_found.sum()
        ),
        "incidents_unmediated_share": share(
            (incidents & (book.view("sessions") == 0)).sum(), incidents.sum()
        ),
    }
    open_disputes = int(IS_OPEN[state].sum())
    return {"day": int(end) - model.warmup, "open_disputes": open_disputes} | {
        k: float(v) for k, v in values.items()
    }


def measure(model: ModelState) -> dict[str, float]:
    """Every metric over the measured period, from the end of the warm-up to today."""
    return compute(model, start=model.measured.start, since=model.measured.tally)


def record_day(model: ModelState) -> None:
    """After a day: nothing during the warm-up; then (with ``model.series``) the day's row of
    the time series and, each 365 days, a year's metrics (``model.years``)."""
    day = model.today + 1 - model.warmup  # measured days completed
    if day == 0:
        model.measured = model.year = Period(float(model.warmup), model.tally.copy())
    if day <= 0:
        return
    if model.series:
        model.datacollector.collect(model)
    if day % 365 == 0:
        model.years.append(compute(model, start=model.year.start, since=model.year.tally))
        model.year = Period(model.today + 1.0, model.tally.copy())


def yearly(model: ModelState) -> list[dict[str, float]]:
    """The metrics of each simulated year after the warm-up (the last one may be partial)."""
    years = list(model.years)
    if model.today + 1.0 > model.year.start:
        years.append(compute(model, start=model.year.start, since=model.year.tally))
    return years


def read(name: str, model: ModelState) -> float:
    """A DataCollector reporter: the metric ``name`` as computed at this step's ``record``."""
    return model.current[name]


def petitions_by_type(model: ModelState) -> np.ndarray:
    """Cases of each type (``DISPUTE_TYPES``) that reached L4, a petition, in the measured period."""
    book = model.book
    petitioned = book.view("reached_district") >= model.measured.start
    return np.bincount(book.view("kind")[petitioned], minlength=len(DISPUTE_TYPES))


def place_counts(model: ModelState) -> dict[str, np.ndarray]:
    """Per grid, what happened in the measured period (counts, for results by place).

    ``disputes`` (between residents, arisen), ``detected`` (of them),
    ``escalations`` (of those detected, reaching L3): the :class:`Cohort` of the
    measured period, so that a place's ``escalations / detected`` is the district's
    ``escalation_rate`` over that place; ``claims`` (arisen), ``petitions``
    (cases reaching L4) and ``incidents`` (cases ending in one).
    """
    book, n, start = model.book, model.geography.n_grids, model.measured.start
    grid = book.view("grid")
    cohort = Cohort.of(book, start=start, end=model.today + 1.0)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(grid[mask], minlength=n)

    def since(column: str) -> np.ndarray:
        return book.view(column) >= start

    return {
        "disputes": count(cohort.arose),
        "detected": count(cohort.detected),
        "escalations": count(cohort.detected & ~np.isnan(book.view("reached_town"))),
        "claims": count(cohort.claims),
        "petitions": count(since("reached_district")),
        "incidents": count(since("closed") & (book.view("state") == State.INCIDENT)),
    }


def grid_outcomes(model: ModelState) -> dict[str, np.ndarray]:
    """Per-grid arrays for the map: open disputes, escalations, incidents, staff, mean trust."""
    book, geo, pop = model.book, model.geography, model.population
    n = geo.n_grids
    grid, state = book.view("grid"), book.view("state")
    open_ = IS_OPEN[state]
    cohort = Cohort.of(book, start=model.measured.start, end=model.today + 1.0)
    escalated = cohort.detected & ~np.isnan(book.view("reached_town"))  # as place_counts
    residents = np.maximum(model.residents_per_grid, 1)
    return {
        "residents": model.residents_per_grid,
        "open_disputes": np.bincount(grid[open_], minlength=n),
        "escalations": np.bincount(grid[escalated], minlength=n),
        "incidents": model.tally.incidents_by_grid - model.measured.tally.incidents_by_grid,
        "grid_workers": model.staff.workers_per_grid,
        "volunteer_police": model.staff.volunteers_per_grid,
        "staff_per_1k": (model.staff.workers_per_grid + model.staff.officer_presence)
        / np.maximum(geo.grid_population, 1)
        * 1000,
        "trust": np.bincount(pop.grid, pop.trust, minlength=n) / residents,
    }
