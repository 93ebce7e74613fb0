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

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sim.model.disputes import DISPUTE_TYPES, IS_OPEN, Level, State
from sim.model.ledger import Cohort, Counts, Summary
from sim.model.tally import Period, Tally, share

if TYPE_CHECKING:
    from sim.model.state import ModelState  # the model's runtime (Mesa): annotations only

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
    "mediated_per_1k": "disputes with at least one mediation session at any level (L1-L4, grid workers on-the-spot talks included) per 1,000 residents per year",
    "land_failure_ratio": "failure rate of land and housing sessions over that of all other types",
    "claims_per_10k": "direct claims (against employers, the government, services) per 10,000 residents per year",
    "petition_claim_share": "share of petitions (L4 cases) that are direct claims, not disputes between residents",
    "claims_resolved_in_town_share": "share of detected direct claims settled at the town centre or below",
    "claims_found_by_staff_share": "share of detected direct claims that grid workers or patrols found before they were filed",
    "incidents_unmediated_share": "share of incidents whose case never had a mediation session",
    "formal_mediated_per_1k": "disputes with a people's-mediation session (village committee or trust room, town centre or police, the petition supermarket's mediation room: L2-L4; not grid workers' talks) per 1,000 residents per year, as official people's-mediation statistics count",
    "formal_mediation_success_rate": "share of formally mediated disputes resolved by formal mediation (at L2-L4)",
    "petition_on_time_rate": "share of petitions (L4 cases) the district answers (its first session on them) within the time limit of reaching L4 (petition.deadline_days plus petition.extension_days); one left before an answer is not on time",
}
SHARES = frozenset(
    name for name in METRICS if name.endswith(("_share", "_rate")) or name.endswith("utilisation")
)  # fractions in [0, 1]
SERIES = ("day", "open_disputes", *METRICS)  # columns of the daily time series
# Which way is better, where a metric says so by itself: -1 when less is better, +1 when more
# is. Left out: metrics whose better side depends on the question (disputes and claims that
# arise, mediations held, grid workers' utilisation, the land failure ratio, the claims' share
# of petitions). A robustness constraint of ``govsim optimise`` reads only these.
BETTER: dict[str, int] = {
    "detected_share": 1,
    "resolved_in_grid_share": 1,
    "resolved_in_village_share": 1,
    "resolved_in_town_share": 1,
    "escalation_rate": -1,
    "passed_up_share": -1,
    "petitions_per_10k": -1,
    "petition_one_time_resolution_rate": 1,
    "satisfaction_rate": 1,
    "mediation_success_rate": 1,
    "incidents_per_100k": -1,
    "mean_days_to_resolution": -1,
    "p90_days_to_resolution": -1,
    "mean_days_to_detection": -1,
    "annual_cost_wan_yuan": -1,
    "claims_resolved_in_town_share": 1,
    "claims_found_by_staff_share": 1,
    "incidents_unmediated_share": -1,
    "formal_mediation_success_rate": 1,
    "petition_on_time_rate": 1,
}


def compute(model: ModelState, *, start: float, since: Tally | None = None) -> dict[str, float]:
    """Every outcome metric over the days from ``start`` to the end of today, plus the day,
    counted over every case of the book since day 0 (the reference :func:`window` equals).

    Metrics count what happened in that window (flows): disputes that arose,
    were detected, resolved, escalated or became incidents in it, so that in a
    steady district a window of any length measures the same rates and
    shares. ``since`` is the :class:`Tally` at ``start`` (None: all of it).
    """
    end = model.today + 1.0
    counts, took, lag = Counts.of(
        model.book, slice(None), start=start, end=end, petition_limit=petition_limit(model)
    )
    return _metrics(model, counts, Summary.of(took), Summary.of(lag), start=start, since=since)


def settle(model: ModelState) -> None:
    """Hand the cases finished since the last call to the running counts of the open
    periods (the measured period and the year in progress), which fold them in when the
    period is read: :mod:`sim.model.ledger`."""
    finished = model.book.take_finished(before=model.today + 1.0)
    if not len(finished):
        return
    periods = {id(p): p for p in (model.measured, model.year)}.values()
    for period in periods:
        period.finished.add(finished)


def window(model: ModelState, period: Period) -> dict[str, float]:
    """Every metric over ``period`` (from its start to the end of today): its running counts
    of the finished cases plus the unfinished cases' (a day costs what the live cases cost).
    Equal, to the last bit, to ``compute(model, start=period.start, since=period.tally)``."""
    settle(model)
    start, end = period.start, model.today + 1.0
    counts, took, lag = period.finished.with_unfinished(
        model.book, start=start, end=end, petition_limit=petition_limit(model)
    )
    return _metrics(model, counts, took, lag, start=start, since=period.tally)


def petition_limit(model: ModelState) -> float:
    """Days from reaching L4 within which a petition is concluded on time: the deadline
    plus the longest extension (Regulations on Letters and Visits 2005, art. 33)."""
    return float(model.p["petition.deadline_days"] + model.p["petition.extension_days"])


def _metrics(
    model: ModelState,
    c: Counts,
    took: Summary,
    lag: Summary,
    *,
    start: float,
    since: Tally | None,
) -> dict[str, float]:
    tally = model.tally if since is None else model.tally.minus(since)
    end = model.today + 1.0
    days = max(end - start, 1.0)
    years = days / 365.0
    residents = max(len(model.population), 1)
    values = {
        "disputes_per_1k": c.arose / residents * 1000 / years,
        "detected_share": share(c.detected, c.settled),
        "resolved_in_grid_share": share(c.resolved_grid, c.detected),
        "resolved_in_village_share": share(c.resolved_village, c.detected),
        "resolved_in_town_share": share(c.resolved_town, c.detected),
        "escalation_rate": share(c.escalated, c.detected),
        "passed_up_share": share(c.passed_up, c.detected),
        "petitions_per_10k": c.petitions / residents * 10_000 / years,
        "petition_one_time_resolution_rate": share(
            tally.petition_first_agreements, tally.petition_first_sessions
        ),
        "satisfaction_rate": share(c.satisfied, c.resolved),
        "mediation_success_rate": share(tally.agreements, tally.sessions),
        "incidents_per_100k": c.incidents / residents * 100_000 / years,
        "mean_days_to_resolution": took.mean,
        "p90_days_to_resolution": took.p90,
        "mean_days_to_detection": lag.mean,
        "grid_worker_utilisation": share(tally.worker_busy_visits, tally.worker_capacity_visits),
        "annual_cost_wan_yuan": tally.cost_days / days,
        "mediated_per_1k": c.mediated / residents * 1000 / years,
        "land_failure_ratio": tally.land_failure_ratio(),
        "claims_per_10k": c.claims / residents * 10_000 / years,
        "petition_claim_share": share(c.petition_claims, c.petitions),
        "claims_resolved_in_town_share": share(c.claims_resolved_in_town, c.claims_detected),
        "claims_found_by_staff_share": share(c.claims_found_by_staff, c.claims_detected),
        "incidents_unmediated_share": share(c.incidents_unmediated, c.incidents),
        "formal_mediated_per_1k": c.formal_mediated / residents * 1000 / years,
        "formal_mediation_success_rate": share(c.formal_resolved, c.formal_mediated),
        "petition_on_time_rate": share(c.petitions_on_time, c.petitions_due),
    }
    return {"day": int(end) - model.warmup, "open_disputes": c.open} | {
        k: float(v) for k, v in values.items()
    }


def measure(model: ModelState) -> dict[str, float]:
    """Every metric over the measured period, from the end of the warm-up to today."""
    return window(model, model.measured)


def record_day(model: ModelState) -> None:
    """After a day: nothing during the warm-up; then (with ``model.series``) the day's row of
    the time series and, each 365 days, a year's metrics (``model.years``).

    The cases finished are handed to the open periods when metrics are computed
    (:func:`window`) and before a period starts, and each period folds them into its running
    counts when it is read: a case that finished before a period's start counts for nothing
    in it, and a finished case's counts do not change, so the fold can wait."""
    day = model.today + 1 - model.warmup  # measured days completed
    if day == 0:
        settle(model)
        model.measured = model.year = Period(float(model.warmup), model.tally.copy())
    if day <= 0:
        return
    if model.series:
        model.datacollector.collect(model)
    if day % 365 == 0:
        model.years.append(window(model, model.year))
        model.year = Period(model.today + 1.0, model.tally.copy())


def yearly(model: ModelState) -> list[dict[str, float]]:
    """The metrics of each simulated year after the warm-up (the last one may be partial)."""
    years = list(model.years)
    if model.today + 1.0 > model.year.start:
        years.append(window(model, model.year))
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
    ``escalation_rate`` over that place; ``claims`` (arisen) and ``claims_detected`` (of
    them), ``petitions`` (cases reaching L4) and ``incidents`` (cases ending in one); and
    where the cohort's cases stand at the end (:func:`flow_counts`: the flow through the ladder).
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
        "claims_detected": count(cohort.claims_detected),
    } | flow_counts(model, count=count, cohort=cohort)


# Where the cases of the measured period's cohort stand at its end (the flow through the
# ladder): each case that arose in the window is in exactly one of these.
FLOW_ENDS = (
    "settled_in_grid",
    "settled_in_village",
    "settled_in_town",
    "settled_at_petition",
    "passed_up",
    "ended_in_incident",
    "dropped",
    "still_open",
)
SETTLED_AT = {  # the end columns of a resolved case, by the level it was resolved at
    Level.GRID: "settled_in_grid",
    Level.VILLAGE: "settled_in_village",
    Level.TOWN: "settled_in_town",
    Level.DISTRICT: "settled_at_petition",
}


def flow_counts(
    model: ModelState, *, count: Callable[[np.ndarray], np.ndarray], cohort: Cohort
) -> dict[str, np.ndarray]:
    """Of the cases (disputes between residents and direct claims) of ``cohort``, counted by
    ``count``, where each stands at the end of today (:data:`FLOW_ENDS`): resolved at L1, L2,
    L3 or L4, passed up (L5), ended in an incident, dropped (dormant or lapsed, detected or
    not) or still open (latent or queued). The ends add up to ``disputes + claims``."""
    book = model.book
    arose = cohort.arose | cohort.claims
    state, level = book.view("state"), book.view("level")
    resolved = arose & (state == State.RESOLVED)
    ends = {name: count(resolved & (level == at)) for at, name in SETTLED_AT.items()}
    return ends | {
        "passed_up": count(arose & (state == State.PASSED_UP)),
        "ended_in_incident": count(arose & (state == State.INCIDENT)),
        "dropped": count(arose & ((state == State.DORMANT) | (state == State.LAPSED))),
        "still_open": count(arose & IS_OPEN[state]),
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
