"""The outcome metrics of sim/model/metrics.py on a hand-built dispute book and tally.

Thirteen cases over a window of ten days (days 10 to 20 of a run whose warm-up
is 10 days), each chosen so that every metric's numerator and denominator
differ from its neighbours'; the expected values are worked out by hand.
"""

import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from sim.model.disputes import DISPUTE_TYPES, TYPE_INDEX, DisputeBook, Level, Origin, State
from sim.model.metrics import (
    FLOW_ENDS,
    METRICS,
    SERIES,
    SHARES,
    Period,
    Tally,
    compute,
    grid_outcomes,
    measure,
    petitions_by_type,
    place_counts,
    record_day,
    yearly,
)

NAN = math.nan
D, C = Origin.DISPUTE, Origin.CLAIM
S, L = State, Level
RESIDENTS = 1000
PER_YEAR = 365 / 10  # the window is 10 days
# origin, grid, kind, arrived, detected, closed, state, level, reached_town, reached_district,
# mediated, sessions, satisfied, found_by_staff
CASES = [
    (D, 0, 0, 5.0, 11.0, 12.0, S.RESOLVED, L.GRID, NAN, NAN, 11.5, 1, True, True),  # 0
    (D, 0, 1, 12.0, 12.5, 15.0, S.RESOLVED, L.VILLAGE, NAN, NAN, 13.0, 2, False, False),  # 1
    (D, 1, 2, 13.0, 14.0, 18.0, S.RESOLVED, L.TOWN, 15.0, NAN, 14.5, 3, True, False),  # 2
    (D, 1, 2, 14.0, 14.2, 17.0, S.PASSED_UP, L.BEYOND, 15.0, 16.0, 15.5, 2, False, False),  # 3
    (D, 2, 0, 15.0, NAN, NAN, S.LATENT, L.LATENT, NAN, NAN, NAN, 0, False, False),  # 4
    (D, 2, 5, 16.0, 17.0, 17.5, S.INCIDENT, L.GRID, NAN, NAN, NAN, 0, False, True),  # 5
    (C, 0, 9, 11.0, 12.0, 14.0, S.RESOLVED, L.TOWN, 12.0, NAN, 12.5, 1, True, True),  # 6
    (C, 1, 7, 12.0, 13.0, NAN, S.QUEUED, L.DISTRICT, 13.0, 13.0, NAN, 0, False, False),  # 7
    (D, 2, 0, 20.0, NAN, NAN, S.LATENT, L.LATENT, NAN, NAN, NAN, 0, False, False),  # 8: after
    (D, 0, 0, 2.0, 3.0, 9.9, S.RESOLVED, L.GRID, NAN, NAN, 3.5, 1, True, False),  # 9: before
    (D, 0, 1, 18.0, NAN, NAN, S.LATENT, L.LATENT, NAN, NAN, NAN, 0, False, False),  # 10
    (C, 2, 10, 15.0, 16.0, NAN, S.QUEUED, L.TOWN, 16.0, NAN, NAN, 0, False, True),  # 11
    (D, 1, 1, 1.0, 2.0, 19.0, S.INCIDENT, L.VILLAGE, 5.0, NAN, 4.0, 2, False, False),  # 12
]
NAMES = (
    "origin", "grid", "kind", "arrived", "detected", "closed", "state", "level", "reached_town",
    "reached_district", "mediated", "sessions", "satisfied", "found_by_staff",
)  # fmt: skip


def build_book() -> DisputeBook:
    book = DisputeBook(capacity=4)
    columns = {
        name: np.array(values) for name, values in zip(NAMES, zip(*CASES, strict=True), strict=True)
    }
    book.add(len(CASES), **columns)
    return book


def build_tally(**counts) -> Tally:
    tally = Tally.empty(3)
    for name, value in counts.items():
        setattr(tally, name, value)
    return tally


def build_model(*, today=19, warmup=10, tally=None) -> SimpleNamespace:
    tally = tally or build_tally(
        sessions=10, agreements=7, petition_first_sessions=4, petition_first_agreements=1,
        worker_busy_visits=30.0, worker_capacity_visits=120.0, cost_days=5000.0,
    )  # fmt: skip
    return SimpleNamespace(
        book=build_book(), tally=tally, today=today, warmup=warmup,
        population=np.zeros(RESIDENTS), series=False, years=[],
        geography=SimpleNamespace(n_grids=3),
        measured=Period(float(warmup), Tally.empty(3)), year=Period(float(warmup), Tally.empty(3)),
        p={"petition.deadline_days": 60, "petition.extension_days": 30},
    )  # fmt: skip


def same(a: dict, b: dict) -> bool:
    """Equal metrics, not-a-number equal to itself."""
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a
    )


def test_each_metric_counts_its_cases_over_its_own_denominator():
    m = compute(build_model(), start=10.0)
    expected = {
        "disputes_per_1k": 6 / RESIDENTS * 1000 * PER_YEAR,  # arose in the window: 1-5, 10
        # Shares count one cohort: the disputes that arose in the window (1-5, 10); of them
        # 1, 2, 3, 5 were found, and 4 and 10 are still latent at the end (left out).
        "detected_share": 4 / 4,
        "resolved_in_grid_share": 0 / 4,  # of the found 1, 2, 3, 5: none settled at L1
        "resolved_in_village_share": 1 / 4,  # 1
        "resolved_in_town_share": 2 / 4,  # 1, 2
        "escalation_rate": 2 / 4,  # reached L3: 2, 3
        "passed_up_share": 1 / 4,  # 3
        "petitions_per_10k": 2 / RESIDENTS * 10_000 * PER_YEAR,  # 3 and claim 7
        "petition_one_time_resolution_rate": 1 / 4,
        "satisfaction_rate": 3 / 4,  # resolved 0, 1, 2 and claim 6; satisfied 0, 2, 6
        "mediation_success_rate": 7 / 10,
        "incidents_per_100k": 2 / RESIDENTS * 100_000 * PER_YEAR,  # 5, 12
        "mean_days_to_resolution": (7 + 3 + 5) / 3,
        "p90_days_to_resolution": 6.6,  # of 3, 5, 7
        "mean_days_to_detection": (6 + 0.5 + 1 + 0.2 + 1) / 5,
        "grid_worker_utilisation": 30 / 120,
        "annual_cost_wan_yuan": 5000 / 10,
        "mediated_per_1k": 4 / RESIDENTS * 1000 * PER_YEAR,  # first session in it: 0-3
        "claims_per_10k": 3 / RESIDENTS * 10_000 * PER_YEAR,  # 6, 7, 11
        "petition_claim_share": 1 / 2,
        "claims_resolved_in_town_share": 1 / 3,  # 6 of 6, 7, 11
        "claims_found_by_staff_share": 2 / 3,  # 6, 11
        "incidents_unmediated_share": 1 / 2,  # 5 had no session, 12 had two
        "formal_mediated_per_1k": 0.0,  # no session at L2-L4 in this book (next test)
    }
    assert set(m) == {"day", "open_disputes", *METRICS}
    # No formal mediation; the petitions 3 and 7 neither concluded nor 90 days old.
    assert math.isnan(m["formal_mediation_success_rate"]) and math.isnan(m["petition_on_time_rate"])
    for name, value in expected.items():
        assert m[name] == pytest.approx(value, rel=1e-12), name
    assert math.isnan(m["land_failure_ratio"])  # no sessions by type in this tally
    assert m["day"] == 10  # measured days completed
    assert m["open_disputes"] == 5  # latent 4, 8, 10; queued 7, 11
    assert all(isinstance(v, float) for k, v in m.items() if k not in ("day", "open_disputes"))


def test_formal_mediation_counts_sessions_at_l2_l4_and_their_agreements():
    model = build_model()
    # First formal sessions: 1 (resolved at L2), 2 (resolved at L3), 3 (passed up), 6 (a
    # claim: not people's mediation), 12 (before the window).
    for i, t in ((1, 13.0), (2, 15.0), (3, 15.5), (6, 12.5), (12, 4.0)):
        model.book.formal_mediated[i] = t
    m = compute(model, start=10.0)
    assert m["formal_mediated_per_1k"] == pytest.approx(3 / RESIDENTS * 1000 * PER_YEAR)
    assert m["formal_mediated_per_1k"] < m["mediated_per_1k"]  # grid talks (0) are not formal
    assert m["formal_mediation_success_rate"] == pytest.approx(2 / 3)  # 1, 2 of 1, 2, 3
    model.book.level[1] = Level.GRID  # settled back at the grid: not by formal mediation
    assert compute(model, start=10.0)["formal_mediation_success_rate"] == pytest.approx(1 / 3)
    model.book.level[2] = Level.DISTRICT  # the petition supermarket's mediation room: formal
    assert compute(model, start=10.0)["formal_mediation_success_rate"] == pytest.approx(1 / 3)
    model.book.level[2] = Level.BEYOND  # settled beyond the district (a court): not formal
    assert compute(model, start=10.0)["formal_mediation_success_rate"] == 0.0


def test_petitions_on_time_are_answered_within_the_deadline_and_extension():
    model = build_model()  # petitions: 3 (reached L4 on day 16), 7 (claim, day 13, open)
    model.book.petition_concluded[3] = 17.0  # its first L4 session the next day
    assert compute(model, start=10.0)["petition_on_time_rate"] == 1.0  # 7 not due in 90 days
    model.p = {"petition.deadline_days": 2, "petition.extension_days": 1}  # 3 days in all
    assert compute(model, start=10.0)["petition_on_time_rate"] == 1 / 2  # 7: overdue since 16
    model.book.petition_concluded[7] = 17.5  # concluded, 4.5 days after: late
    assert compute(model, start=10.0)["petition_on_time_rate"] == 1 / 2
    model.book.petition_concluded[7] = 16.0  # exactly at the limit: on time
    assert compute(model, start=10.0)["petition_on_time_rate"] == 1.0
    model.book.petition_concluded[3] = 20.0  # concluded after the window: overdue at its end
    assert compute(model, start=10.0)["petition_on_time_rate"] == 1 / 2
    model.p = {"petition.deadline_days": 60, "petition.extension_days": 30}
    assert compute(model, start=10.0)["petition_on_time_rate"] == 1.0  # 3 not due yet: left out
    # 3 left the L4 queue on day 17 before any session there (the party went on, unheard):
    # due at once, and not concluded by the district, however early it left.
    model.book.petition_concluded[3] = 17.0
    model.book.petition_unanswered[3] = True
    assert compute(model, start=10.0)["petition_on_time_rate"] == 1 / 2  # 7 answered on day 16


def test_incidents_unmediated_are_those_whose_case_had_no_session():
    model = build_model()
    model.book.sessions[12] = 0  # now neither incident was mediated
    assert compute(model, start=10.0)["incidents_unmediated_share"] == 1.0
    model.book.sessions[[5, 12]] = [3, 1]
    assert compute(model, start=10.0)["incidents_unmediated_share"] == 0.0


def test_the_window_bounds_include_the_start_and_exclude_the_end():
    whole = compute(build_model(), start=0.0)
    # Arose in [0, 20): every dispute but 8 (arrived at 20).
    assert whole["disputes_per_1k"] == pytest.approx(9 / RESIDENTS * 1000 * 365 / 20)
    tight = compute(build_model(), start=12.0)  # 1 arrived at 12.0: in; 0 detected at 11: out
    assert tight["disputes_per_1k"] == pytest.approx(6 / RESIDENTS * 1000 * 365 / 8)
    # Arose in [12, 20): 1, 2, 3, 4, 5, 10; found 1, 2, 3, 5; 4 and 10 still latent: left out.
    assert tight["detected_share"] == pytest.approx(4 / 4)
    assert compute(build_model(), start=14.5)["detected_share"] == pytest.approx(1 / 1)  # 5


def test_metrics_of_an_empty_window_are_not_numbers_not_errors():
    model = build_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no mean of an empty slice either
        m = compute(model, start=19.5)
    for name in ("detected_share", "satisfaction_rate", "mean_days_to_resolution",
                 "p90_days_to_resolution", "mean_days_to_detection"):  # fmt: skip
        assert math.isnan(m[name]), name
    assert m["disputes_per_1k"] == 0.0
    assert m["annual_cost_wan_yuan"] == 5000.0  # at least one day long
    model.population = np.zeros(1)  # one resident: rates per that one
    assert compute(model, start=10.0)["disputes_per_1k"] == pytest.approx(6 * 1000 * PER_YEAR)


def test_counters_since_a_period_start_are_the_difference():
    before = build_tally(sessions=4, agreements=1, petition_first_sessions=2,
                         petition_first_agreements=1, worker_busy_visits=10.0,
                         worker_capacity_visits=20.0, cost_days=1000.0)  # fmt: skip
    m = compute(build_model(), start=10.0, since=before)
    assert m["mediation_success_rate"] == pytest.approx(6 / 6)
    assert m["petition_one_time_resolution_rate"] == pytest.approx(0 / 2)
    assert m["grid_worker_utilisation"] == pytest.approx(20 / 100)
    assert m["annual_cost_wan_yuan"] == pytest.approx(4000 / 10)


def test_measure_is_the_measured_period_so_far():
    model = build_model()
    model.measured = Period(12.0, build_tally(sessions=5, agreements=5))
    assert same(measure(model), compute(model, start=12.0, since=model.measured.tally))
    assert not same(measure(model), compute(model, start=12.0))


# ----------------------------------------------------------------- the tally
def test_record_sessions_counts_disputes_sessions_types_and_first_petitions():
    tally = Tally.empty(2)
    kinds = np.array([0, 0, 2, 9])
    agreed = np.array([True, False, True, True])
    claim = np.array([False, False, False, True])
    tally.record_sessions(kinds=kinds, agreed=agreed, claim=claim)
    assert (tally.sessions, tally.agreements) == (3, 2)  # people's mediation only
    assert tally.sessions_by_type[[0, 2, 9]].tolist() == [2, 1, 1]
    assert tally.agreements_by_type[[0, 2, 9]].tolist() == [1, 1, 1]
    assert tally.sessions_by_type.sum() == 4 and tally.agreements_by_type.sum() == 3
    assert (tally.petition_first_sessions, tally.petition_first_agreements) == (0, 0)
    tally.record_sessions(kinds=kinds, agreed=agreed, claim=claim,
                          first_petition=np.array([True, True, False, True]))  # fmt: skip
    assert (tally.petition_first_sessions, tally.petition_first_agreements) == (3, 2)
    assert (tally.sessions, tally.agreements) == (6, 4)


def test_tally_copy_is_independent_and_minus_subtracts_every_counter():
    tally = build_tally(sessions=5, agreements=3, cost_days=2.5)
    tally.incidents_by_grid[1] = 2
    tally.sessions_by_type[3] = 4
    copy = tally.copy()
    tally.sessions += 2
    tally.incidents_by_grid[1] += 1
    tally.sessions_by_type[3] += 1
    assert copy.sessions == 5 and copy.incidents_by_grid[1] == 2 and copy.sessions_by_type[3] == 4
    since = tally.minus(copy)
    assert (since.sessions, since.agreements, since.cost_days) == (2, 0, 0.0)
    assert since.incidents_by_grid.tolist() == [0, 1, 0]
    assert since.sessions_by_type[3] == 1 and since.sessions_by_type.sum() == 1


def test_an_empty_tally_is_all_zeros_of_the_right_shapes():
    tally = Tally.empty(4)
    assert (tally.sessions, tally.agreements, tally.petition_first_sessions,
            tally.petition_first_agreements) == (0, 0, 0, 0)  # fmt: skip
    assert (tally.worker_busy_visits, tally.worker_capacity_visits, tally.cost_days) == (0, 0, 0)
    assert tally.incidents_by_grid.tolist() == [0, 0, 0, 0]
    assert len(tally.sessions_by_type) == len(DISPUTE_TYPES) == len(tally.agreements_by_type)
    assert not tally.sessions_by_type.any() and not tally.agreements_by_type.any()


def test_failure_rates_by_type_and_the_land_failure_ratio():
    tally = Tally.empty(1)
    land, family, neighbour = TYPE_INDEX["land"], TYPE_INDEX["family"], TYPE_INDEX["neighbour"]
    labour = TYPE_INDEX["labour"]  # a claim type: not among the others
    tally.sessions_by_type[[land, family, neighbour, labour]] = [10, 30, 10, 50]
    tally.agreements_by_type[[land, family, neighbour, labour]] = [6, 28, 8, 0]
    rates = tally.failure_rate_by_type()
    assert rates["land"] == pytest.approx(0.4) and rates["family"] == pytest.approx(2 / 30)
    assert rates["labour"] == pytest.approx(1.0) and math.isnan(rates["debt"])
    assert list(rates) == [t.name for t in DISPUTE_TYPES]
    assert tally.land_failure_ratio() == pytest.approx(0.4 / (4 / 40))
    tally.sessions_by_type[land] = 0
    tally.agreements_by_type[land] = 0
    assert math.isnan(tally.land_failure_ratio())
    none_failed = Tally.empty(1)
    none_failed.sessions_by_type[[land, family]] = [5, 5]
    none_failed.agreements_by_type[[land, family]] = [4, 5]
    assert math.isnan(none_failed.land_failure_ratio())  # others never fail: no ratio


def test_metric_names_shares_and_series_columns():
    assert SERIES[:2] == ("day", "open_disputes") and SERIES[2:] == tuple(METRICS)
    assert "detected_share" in SHARES and "mediation_success_rate" in SHARES
    assert "grid_worker_utilisation" in SHARES
    assert "disputes_per_1k" not in SHARES and "annual_cost_wan_yuan" not in SHARES


# ----------------------------------------------------------------- periods
def test_record_day_starts_the_measured_period_after_the_warm_up():
    model = build_model(today=8, warmup=10)
    first = model.measured
    record_day(model)  # a warm-up day: nothing
    assert model.measured is first and model.years == []
    model.today = 9  # the last warm-up day: the measured period starts at 10
    model.tally.sessions = 3
    record_day(model)
    assert model.measured.start == 10.0 and model.year is model.measured
    assert model.measured.tally.sessions == 3 and model.measured.tally is not model.tally
    model.tally.sessions = 5
    assert model.measured.tally.sessions == 3


def test_record_day_collects_the_series_and_closes_each_year():
    model = build_model(today=10, warmup=10)
    collected = []
    model.series = True
    model.datacollector = SimpleNamespace(collect=collected.append)
    record_day(model)  # measured day 1
    assert collected == [model] and model.years == []
    model.series = False
    model.today = 9 + 365  # measured day 365: the year ends
    model.year = start = Period(10.0, build_tally(sessions=5, agreements=5))
    record_day(model)
    assert collected == [model]
    assert len(model.years) == 1
    assert same(model.years[0], compute(model, start=start.start, since=start.tally))
    assert model.years[0]["mediation_success_rate"] == pytest.approx(2 / 5)  # in the year
    assert model.year.start == 375.0 and model.year.tally.sessions == model.tally.sessions
    model.today = 9 + 366
    record_day(model)
    assert len(model.years) == 1


def test_yearly_adds_the_partial_year():
    model = build_model(today=19, warmup=10)
    model.years = [{"a": 1.0}]
    model.year = Period(12.0, build_tally(sessions=5, agreements=5))
    years = yearly(model)
    assert years[0] == {"a": 1.0} and len(years) == 2
    assert same(years[1], compute(model, start=12.0, since=model.year.tally))
    assert years[1]["mediation_success_rate"] == pytest.approx(2 / 5)  # since the year began
    assert model.years == [{"a": 1.0}]  # not kept
    model.year = Period(19.0, Tally.empty(3))  # the year began today: today is in it
    assert len(yearly(model)) == 2
    model.year = Period(20.0, Tally.empty(3))  # a year closed at the end of today
    assert yearly(model) == [{"a": 1.0}]


# ----------------------------------------------------------------- by place and type
def test_the_flow_puts_each_case_of_the_cohort_in_exactly_one_end_by_grid():
    model = build_model()
    counts = place_counts(model)
    # The cohort arose in [10, 20): grid 0: 1 (L2), 10 (latent), claim 6 (L3); grid 1: 2 (L3),
    # 3 (passed up), claim 7 (queued at L4); grid 2: 4 (latent), 5 (incident), claim 11 (queued).
    assert counts["claims_detected"].tolist() == [1, 1, 1]  # claims 6, 7, 11
    expected = {
        "settled_in_grid": [0, 0, 0],  # 0 and 9 were settled at L1, but arose before the window
        "settled_in_village": [1, 0, 0],
        "settled_in_town": [1, 1, 0],
        "settled_at_petition": [0, 0, 0],
        "passed_up": [0, 1, 0],
        "ended_in_incident": [0, 0, 1],  # 5; 12 ended in one too, but arose on day 1
        "dropped": [0, 0, 0],
        "still_open": [1, 1, 2],
    }
    assert {k: counts[k].tolist() for k in FLOW_ENDS} == expected
    model.book.state[[10, 4]] = [S.DORMANT, S.LAPSED]  # dropped, detected or not
    model.book.state[7] = S.RESOLVED  # claim 7 settled at the petition level (L4)
    counts = place_counts(model)
    assert counts["dropped"].tolist() == [1, 0, 1]
    assert counts["still_open"].tolist() == [0, 0, 1]
    assert counts["settled_at_petition"].tolist() == [0, 1, 0]
    ends = sum(counts[k] for k in FLOW_ENDS)
    assert (ends == counts["disputes"] + counts["claims"]).all()


def test_place_counts_per_grid_since_the_measured_start():
    model = build_model()
    counts = place_counts(model)
    # The cohort of the measured period: arose in [10, 20) (8 arrived at 20, the window's end).
    assert counts["disputes"].tolist() == [2, 2, 2]  # 1, 10 | 2, 3 | 4, 5
    assert counts["detected"].tolist() == [1, 2, 1]  # of them found: 1 | 2, 3 | 5
    assert counts["escalations"].tolist() == [0, 2, 0]
    assert counts["claims"].tolist() == [1, 1, 1]
    assert counts["petitions"].tolist() == [0, 2, 0]  # 3 and claim 7
    assert counts["incidents"].tolist() == [0, 1, 1]  # 12 | 5
    model.measured = Period(12.0, Tally.empty(3))  # from the start itself: 1 arrived at 12.0
    assert place_counts(model)["disputes"].tolist() == [2, 2, 2]
    assert place_counts(model)["escalations"].tolist() == [0, 2, 0]
    assert place_counts(model)["claims"].tolist() == [0, 1, 1]  # claim 6 arrived at 11.0: out
    model.measured = Period(16.0, Tally.empty(3))  # 3 reached L4 at 16.0: in
    assert place_counts(model)["petitions"].tolist() == [0, 1, 0]
    model.measured = Period(17.5, Tally.empty(3))  # 5 ended in an incident at 17.5: in
    assert place_counts(model)["incidents"].tolist() == [0, 1, 1]


def test_petitions_by_type_counts_the_cases_reaching_l4():
    model = build_model()
    by_type = petitions_by_type(model)
    assert len(by_type) == len(DISPUTE_TYPES)
    assert by_type[2] == 1 and by_type[7] == 1 and by_type.sum() == 2
    model.measured = Period(13.0, Tally.empty(3))  # claim 7 reached L4 at 13.0: counted
    assert petitions_by_type(model)[7] == 1
    model.measured = Period(13.5, Tally.empty(3))
    assert petitions_by_type(model)[7] == 0 and petitions_by_type(model).sum() == 1


def test_grid_outcomes_per_grid_for_the_map():
    model = build_model()
    model.geography = SimpleNamespace(n_grids=3, grid_population=np.array([100, 200, 0]))
    model.population = SimpleNamespace(grid=np.array([0, 0, 1]), trust=np.array([0.2, 0.4, 0.9]))
    model.residents_per_grid = np.array([2, 1, 0])
    model.staff = SimpleNamespace(
        workers_per_grid=np.array([1, 2, 0]),
        volunteers_per_grid=np.array([2, 0, 1]),
        officer_presence=np.array([0.5, 0.0, 1.0]),
    )
    model.tally.incidents_by_grid = np.array([3, 1, 2])
    model.measured = Period(10.0, build_tally(incidents_by_grid=np.array([1, 0, 0])))
    out = grid_outcomes(model)
    assert out["residents"].tolist() == [2, 1, 0]
    assert out["open_disputes"].tolist() == [1, 1, 3]  # 10 | 7 | 4, 8, 11
    # As the places' tables count them: disputes of the cohort found and reaching L3 (2, 3)
    assert out["escalations"].tolist() == [0, 2, 0]
    assert out["incidents"].tolist() == [2, 1, 2]  # since the measured start
    assert out["grid_workers"].tolist() == [1, 2, 0]
    assert out["volunteer_police"].tolist() == [2, 0, 1]
    assert out["staff_per_1k"].tolist() == pytest.approx([15.0, 10.0, 1000.0])
    assert out["trust"].tolist() == pytest.approx([0.3, 0.9, 0.0])
    model.measured = Period(13.0, model.measured.tally)  # 2 arose at 13.0: in
    assert grid_outcomes(model)["escalations"].tolist() == [0, 2, 0]
    model.measured = Period(13.5, model.measured.tally)  # 2 arose before the start: out
    assert grid_outcomes(model)["escalations"].tolist() == [0, 1, 0]
    model.measured = Period(10.0, model.measured.tally)
    model.today = 14  # the window ends with day 14: 2 and 3 arose and were found in it
    assert grid_outcomes(model)["escalations"].tolist() == [0, 2, 0]
    model.today = 13  # 2 found on day 14, 3 arose on day 14: both after the window
    assert grid_outcomes(model)["escalations"].tolist() == [0, 0, 0]
