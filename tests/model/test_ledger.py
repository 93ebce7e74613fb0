"""The running counts of finished cases (sim/model/ledger.py): a window's metrics read from
them equal the metrics recomputed over every case of the book since day 0."""

import math
from fractions import Fraction

import numpy as np
import pytest

from sim.model import metrics
from sim.model.disputes import IS_LIVE, DisputeBook, Level, State
from sim.model.governance import GovernanceModel
from sim.model.ledger import ALL, SCALE, Counts, RunningValues, Summary, exact_sum

MUZHOU = {"map.towns": ["Muzhou"], "population.scale": 0.25}


def same(a: dict, b: dict) -> bool:
    """Equal to the last bit, not-a-number equal to itself."""
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a
    )


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 101, 2000])
def test_running_values_give_numpys_percentile_and_the_exact_mean_in_any_batches(n):
    rng = np.random.default_rng(n)
    for values in (
        rng.random(n) * 30,
        np.floor(rng.random(n) * 20) + rng.random(n) * 1e-9,  # near-ties
        np.abs(rng.standard_cauchy(n)),  # spread over many binades
        np.full(n, 2.5),
    ):
        exact = sum(Fraction(x) for x in values.tolist())
        assert Fraction(exact_sum(values), 2**SCALE) == exact
        for cuts in ([], sorted(rng.integers(0, n + 1, size=5).tolist())):
            running = RunningValues(quantile=True)
            for part in np.split(values, cuts):
                running.add(part)
            summary = running.summary(np.zeros(0))
            assert summary.n == n
            assert summary.p90 == float(np.percentile(values, 90))
            assert summary.mean == float(exact / n)
            assert summary.mean == pytest.approx(values.mean(), rel=1e-14)
            assert summary == Summary.of(values)  # the full recount's summary
        half = RunningValues(quantile=True)
        half.add(values[: n // 2])
        assert half.summary(values[n // 2 :]) == Summary.of(values)  # not yet added: merged


def test_no_values_give_a_count_of_zero_and_no_mean_or_percentile():
    for summary in (Summary.of(np.zeros(0)), RunningValues(quantile=True).summary(np.zeros(0))):
        assert summary.n == 0 and type(summary.n) is int
        assert math.isnan(summary.mean) and math.isnan(summary.p90)
    running = RunningValues(quantile=False)
    running.add(np.zeros(0))
    assert running.n == 0
    one = running.summary(np.array([4.0]))
    assert (one.n, one.mean) == (1, 4.0) and math.isnan(one.p90)  # no percentile kept


def test_the_book_hands_every_finished_case_over_once_and_passed_up_ones_the_next_day():
    book = DisputeBook(capacity=2)
    book.add(5, arrived=np.arange(5.0))
    assert len(book.take_finished(before=10.0)) == 0 and book.unfinished().tolist() == [
        0,
        1,
        2,
        3,
        4,
    ]
    book.state[[1, 3, 4]] = [State.RESOLVED, State.PASSED_UP, State.LAPSED]
    book.closed[[1, 3]] = [9.5, 10.0]  # 3 passed up today (day 9): it closes at 10
    assert book.in_state(State.LATENT).tolist() == [0, 2]
    assert sorted(book.take_finished(before=10.0).tolist()) == [1, 4]  # lapsed: never closed
    assert sorted(book.unfinished().tolist()) == [0, 2, 3]
    assert len(book.take_finished(before=10.0)) == 0  # once
    assert book.take_finished(before=11.0).tolist() == [3]
    book.add(1, arrived=np.array([11.0]), state=np.array([State.INCIDENT]), closed=np.array([11.5]))
    assert book.take_finished(before=12.0).tolist() == [5]  # final when first seen
    assert sorted(book.unfinished().tolist()) == [0, 2]
    assert all(IS_LIVE[book.state[i]] for i in book.unfinished())


@pytest.mark.parametrize(("seed", "warmup", "deadline"), [(1, 0, 60), (2, 30, 60), (3, 45, 2)])
def test_metrics_from_running_counts_equal_a_recount_of_the_whole_book(seed, warmup, deadline):
    # deadline 2 (no extension) and one counter: petitions wait, fall due while open, some are
    # answered late and some leave unanswered.
    limits = {"petition.deadline_days": deadline, "petition.extension_days": 30 * (deadline > 2)}
    if deadline == 2:
        limits |= {"petition.counters": 1, "petition.sessions_per_counter": 1.0}
    model = GovernanceModel(MUZHOU | {"run.warmup_days": warmup} | limits, rng=seed)
    checked = 0
    for _ in range(warmup + 400):
        year = model.year
        model.step()
        measured_day = model.today + 1 - warmup
        if measured_day in (1, 7, 200, 364, 366, 400):
            recount = metrics.compute(model, start=model.measured.start, since=model.measured.tally)
            assert same(model.current, recount), measured_day
            if measured_day >= 200:  # the means and the percentile are compared as numbers
                assert model.current["p90_days_to_resolution"] > 0
                assert model.current["formal_mediated_per_1k"] >= 0  # a few cases a year here
                on_time = model.current["petition_on_time_rate"]
                assert 0 < on_time < 1 if deadline == 2 else 0 < on_time <= 1
            checked += 1
        if measured_day == 365:  # a year closed: its metrics as a recount at that moment
            recount = metrics.compute(model, start=year.start, since=year.tally)
            assert same(model.years[0], recount)
            assert model.year.start == model.today + 1.0
    assert checked == 6
    partial = metrics.compute(model, start=model.year.start, since=model.year.tally)
    assert same(metrics.yearly(model)[1], partial)


def test_counts_of_parts_are_each_parts_own_counts_and_a_slice_is_only_a_whole():
    # Counts.of_parts marks the cases of all parts at once: each part's counts, days to
    # resolution and to detection are what Counts.of gives for that part alone.
    model = GovernanceModel(MUZHOU | {"run.warmup_days": 0}, rng=5)
    model.run_for(200)
    book, window = model.book, {"start": 30.0, "end": 150.0, "petition_limit": 60.0}
    ids = np.arange(len(book))
    parts = (ids[::3], np.zeros(0, dtype=np.int64), ids[1::3], ids[2::3])
    for part, (counts, took, lag) in zip(
        parts, Counts.of_parts(book, *parts, **window), strict=True
    ):
        alone = Counts.of(book, part, **window)
        assert counts == alone[0]
        assert took.tolist() == alone[1].tolist() and lag.tolist() == alone[2].tolist()
    every = Counts.of_parts(book, *parts, **window)
    assert sum((c for c, _, _ in every), Counts()) == Counts.of(book, ALL, **window)[0]
    assert every[0][0].resolved > 0 and every[2][0].detected > 0  # counts that could differ
    with pytest.raises(
        ValueError, match=r"^Counts\.of_parts: a slice of rows only as the one part$"
    ):
        Counts.of_parts(book, ALL, ids, **window)


def test_a_model_read_every_day_and_one_read_once_give_the_same_metrics():
    daily = GovernanceModel(MUZHOU | {"run.warmup_days": 20}, rng=4)
    once = GovernanceModel(MUZHOU | {"run.warmup_days": 20}, rng=4, series=False)
    for _ in range(20 + 380):
        daily.step()
        once.step()
        assert daily.current or daily.today + 1 <= 20  # read daily: folded in day by day
    assert same(daily.current, once.current)  # folded in at the year's end and now
    assert all(same(a, b) for a, b in zip(metrics.yearly(daily), metrics.yearly(once), strict=True))


@pytest.mark.parametrize(
    "values",
    [
        np.zeros(0),
        np.full(1024, np.nextafter(1.0, 0.0)),  # the fractions' units add up to just below 2**63
        np.full(1025, np.nextafter(1.0, 0.0)),  # ... and past it
        np.array([2.0**-1030, 3.0, 5e-324]),  # fractions far below 2**-53, a subnormal
        np.array([2.0**53, 1.0]),  # whole days whose float sum would round
        np.array([2.0**40 - 1.0, 0.5, 2.0**40, 0.25]),
        np.array([-2.5, 1.0, -(2.0**-60)]),
    ],
    ids=["none", "1024 near 1", "1025 near 1", "tiny", "2**53 + 1", "about 2**40", "negative"],
)
def test_exact_sum_is_exact_at_the_edges_of_its_day_batches(values):
    exact = sum((Fraction(x) for x in values.tolist()), Fraction(0))
    assert Fraction(exact_sum(values), 2**SCALE) == exact


def test_the_mean_is_the_exact_mean_rounded_once_even_on_a_tie():
    values = np.array([1.0, 1.0 + 2.0**-52])  # the exact mean 1 + 2**-53 lies halfway: to even
    running = RunningValues(quantile=False)
    running.add(values)
    assert running.summary(np.zeros(0)).mean == 1.0 == Summary.of(values).mean


def test_the_running_percentile_is_numpys_where_it_falls_halfway_between_two_values():
    # Six values: numpy's 90th percentile lies halfway between the two largest, which it
    # reads back from the upper one; from the lower one the last bit differs.
    values = np.array([0.0, 0.0, 0.0, 0.0, 1.6527635528529095e-06, 0.9127572300412746])
    running = RunningValues(quantile=True)
    running.add(values)
    assert running.summary(np.zeros(0)).p90 == float(np.percentile(values, 90))
    assert running.summary(np.zeros(0)).p90 == 0.45637944140241377


def test_formal_mediation_counts_as_resolved_only_what_was_resolved_before_the_windows_end():
    book = DisputeBook(capacity=4)
    states = [State.RESOLVED, State.INCIDENT, State.RESOLVED, State.QUEUED]
    book.add(
        4,
        arrived=np.ones(4),
        detected=np.full(4, 1.5),
        formal_mediated=np.array([2.0, 3.0, 4.0, 4.0]),
        level=np.full(4, Level.VILLAGE),
        state=np.array(states),
        closed=np.array([5.0, 6.0, 10.0, np.nan]),  # the third at the window's end: not in it
    )
    counts, _, _ = Counts.of(book, ALL, start=0.0, end=10.0, petition_limit=60.0)
    assert (counts.formal_mediated, counts.formal_resolved) == (4, 1)


def test_what_happens_at_the_windows_end_is_not_in_the_window():
    book = DisputeBook(capacity=4)
    nan = np.nan
    book.add(
        4,
        arrived=np.ones(4),
        detected=np.array([10.0, 2.0, 2.0, 2.0]),  # the first found at the end: not found in it
        reached_town=np.array([nan, 10.0, nan, nan]),  # the second reaches L3 at the end
        reached_district=np.array([nan, nan, 6.0, 7.0]),
        petition_concluded=np.array([nan, nan, nan, 10.0]),  # the fourth answered at the end
        level=np.full(4, Level.TOWN),
        state=np.full(4, State.QUEUED),
    )
    # a petition limit of 4 days: the third petition falls due at 6 + 4, the end itself
    counts, _, _ = Counts.of(book, ALL, start=0.0, end=10.0, petition_limit=4.0)
    assert (counts.arose, counts.detected, counts.escalated) == (4, 3, 0)
    assert (counts.petitions, counts.petitions_due, counts.petitions_on_time) == (2, 0, 0)
