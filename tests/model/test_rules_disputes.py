"""The dispute rules of sim/model/disputes.py on small hand-built inputs.

Deterministic rules are checked against values worked out by hand; the draws
(:func:`draw_disputes`) against their stated shares within binomial margins.
"""

import math

import numpy as np
import pytest

from sim.model.deterrence import arrest_probability
from sim.model.disputes import (
    CLAIM_CDF,
    CLAIM_SHARES,
    DISPUTE_TYPES,
    FAMILY,
    GROUP_TYPES,
    IS_CLAIM_TYPE,
    TYPE_CDF,
    TYPE_DRIFT,
    TYPE_INDEX,
    TYPE_SHARES,
    DisputeBook,
    Level,
    State,
    act_out_chance,
    beta_mean_sd,
    draw_disputes,
    logistic,
    satisfaction_probability,
    success_probability,
    type_difficulty,
)
from sim.model.streams import draw_by_shares

COEF = {"skill": 1.5, "trust": 2.0, "intensity": 4.0, "wait": 1.0}

LAND = TYPE_INDEX["land"]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# ----------------------------------------------------------------- types
def test_type_drift_is_each_types_multiplier_in_order():
    assert TYPE_DRIFT.tolist() == [t.drift for t in DISPUTE_TYPES]
    assert TYPE_DRIFT[TYPE_INDEX["land"]] == 1.5 and TYPE_DRIFT[TYPE_INDEX["neighbour"]] == 1.2
    assert TYPE_DRIFT[TYPE_INDEX["damages"]] == 0.8 and TYPE_DRIFT[FAMILY] == 1.0


def test_type_difficulty_takes_land_from_the_parameter_and_adds_claims_difficulty_to_claims():
    d = type_difficulty(2.5, 0.75)
    assert d[LAND] == 2.5
    assert d[FAMILY] == 0.3 and d[TYPE_INDEX["neighbour"]] == 0.0
    assert d[TYPE_INDEX["labour"]] == pytest.approx(-0.5 + 0.75)
    assert d[TYPE_INDEX["other_claim"]] == pytest.approx(0.75)
    own = np.array([t.difficulty for t in DISPUTE_TYPES])
    own[LAND] = 2.5
    assert d == pytest.approx(own + 0.75 * IS_CLAIM_TYPE)
    assert type_difficulty(1.0)[TYPE_INDEX["housing"]] == 0.0  # no claims difficulty by default
    assert type_difficulty(1.0)[LAND] == 1.0


# ----------------------------------------------------------------- logistic rules
def test_logistic_is_the_standard_sigmoid():
    assert logistic(np.array([0.0, 2.0, -1.0])).tolist() == pytest.approx(
        [0.5, sigmoid(2.0), sigmoid(-1.0)]
    )


def test_success_probability_is_the_logistic_of_each_term_with_its_sign():
    args = dict(
        base=1.0, skill=0.5, trust=np.array([0.6]), intensity=np.array([0.3]),
        days_waited=np.array([15.0]), difficulty=np.array([0.4]), bonus=0.8, coef=COEF,
    )  # fmt: skip
    logit = 1.0 + 1.5 * 0.5 + 2.0 * 0.6 - 4.0 * 0.3 - 1.0 * 15.0 / 30.0 - 0.4 + 0.8
    assert success_probability(**args)[0] == pytest.approx(sigmoid(logit), rel=1e-12)
    # One term at a time: each moves the chance the stated way, by its coefficient.
    for key, value, change in [
        ("base", 2.0, +1.0),
        ("skill", 1.5, +1.5),
        ("trust", np.array([1.1]), +2.0 * 0.5),
        ("intensity", np.array([0.8]), -4.0 * 0.5),
        ("days_waited", np.array([45.0]), -1.0),
        ("difficulty", np.array([1.4]), -1.0),
        ("bonus", 1.8, +1.0),
    ]:
        moved = success_probability(**(args | {key: value}))[0]
        assert moved == pytest.approx(sigmoid(logit + change), rel=1e-12), key


def test_success_probability_reads_each_coefficient_by_name():
    args = dict(
        base=0.0, skill=1.0, trust=np.array([1.0]), intensity=np.array([1.0]),
        days_waited=np.array([30.0]), difficulty=np.array([0.0]), bonus=0.0,
    )  # fmt: skip
    for key, sign in [("skill", 1), ("trust", 1), ("intensity", -1), ("wait", -1)]:
        only = {k: (0.7 if k == key else 0.0) for k in COEF}
        assert success_probability(**args, coef=only)[0] == pytest.approx(sigmoid(sign * 0.7))


def test_satisfaction_rises_with_trust_and_falls_with_intensity_and_days_open():
    def chance(trust, intensity, days):
        return satisfaction_probability(
            base=1.0, trust=np.array([trust]), intensity=np.array([intensity]),
            days_open=np.array([days]),
        )[0]  # fmt: skip

    assert chance(0.5, 0.0, 0.0) == pytest.approx(sigmoid(1.0))
    assert chance(0.9, 0.2, 30.0) == pytest.approx(sigmoid(1.0 + 2 * 0.4 - 2 * 0.2 - 0.5))
    assert chance(0.1, 0.0, 0.0) == pytest.approx(sigmoid(1.0 - 0.8))  # trust counts
    assert chance(0.5, 0.5, 0.0) == pytest.approx(sigmoid(0.0))
    assert chance(0.5, 0.0, 120.0) == pytest.approx(sigmoid(-1.0))


def test_arrest_probability_saturates_per_party_towards_the_ceiling():
    p = arrest_probability(
        np.array([0.0, 1.0, 2.0, 1.0, 3.0]), np.array([2, 2, 2, 0, 1]), k=2.3, ceiling=0.35
    )
    expected = [0.0, 0.35 * 1.15 / 2.15, 0.35 * 2.3 / 3.3, 0.35 * 2.3 / 3.3, 0.35 * 6.9 / 7.9]
    assert p.tolist() == pytest.approx(expected, rel=1e-12)  # no parties counts as one
    assert 0.49 < arrest_probability(np.array([1e6]), np.array([1]), k=1.0, ceiling=0.5)[0] < 0.5


def test_arrest_probability_exponential_form_is_epsteins():
    p = arrest_probability(
        np.array([0.0, 1.0, 3.0]), np.array([2, 0, 1]), k=2.3, ceiling=0.35, form="exponential"
    )
    expected = [0.0, 0.35 * (1 - math.exp(-2.3)), 0.35 * (1 - math.exp(-6.9))]
    assert p.tolist() == pytest.approx(expected, rel=1e-12)
    assert arrest_probability(np.array([1e6]), np.array([1]), k=1.0, ceiling=0.5)[0] < 0.5


def test_a_second_guardian_deters_more_than_one_however_many_already_patrol():
    # Guardians as a grid sees them: from none to a crowd of patrols (800 Yi Police in one town).
    already = np.array([0.0, 0.05, 0.5, 1.0, 3.0, 10.0, 50.0, 200.0])
    for parties in (1, 2, 12):
        n = np.full(len(already), parties)
        one = arrest_probability(already + 1, n, k=2.3, ceiling=0.35)
        two = arrest_probability(already + 2, n, k=2.3, ceiling=0.35)
        gain = two - one
        assert (gain > 0).all() and (two < 0.35).all()
        assert (np.diff(gain) < 0).all()  # diminishing returns
        assert gain[-1] > 1e-6  # never zero: 3.7e-6 at 200 guardians and one party
    # Epstein's exponential form has no such tail: the returns vanish at the same presence.
    flat = arrest_probability(np.array([51.0, 52.0]), np.array([1, 1]), k=2.3, ceiling=0.35,
                              form="exponential")  # fmt: skip
    assert flat[1] - flat[0] == 0.0


def test_act_out_chance_sharp_rule_at_and_past_the_threshold():
    def chance(intensity, trust, risk=0.5, arrest=0.0, spread=0.0):
        return act_out_chance(
            intensity=np.array([intensity]), trust=np.array([trust]),
            risk_aversion=np.array([risk]), arrest_prob=np.array([arrest]),
            threshold=0.4, spread=spread,
        )[0]  # fmt: skip

    assert chance(0.8, 0.5) == 0.0  # grievance 0.4 is not past T = 0.4
    assert chance(0.9, 0.5) == 1.0  # 0.45 > 0.4
    assert chance(0.9, 0.5, risk=0.5, arrest=0.3) == pytest.approx(1 - 0.5 * 0.3)
    assert chance(0.9, 0.5, risk=1.0, arrest=0.3) == pytest.approx(0.7)
    # Smoothed: the logistic of (grievance - T) / spread, scaled by deterrence.
    assert chance(0.8, 0.5, spread=0.1) == pytest.approx(0.5)
    assert chance(1.0, 0.5, spread=0.05) == pytest.approx(sigmoid(0.1 / 0.05))
    assert chance(1.0, 0.5, risk=0.4, arrest=0.25, spread=0.05) == pytest.approx(
        sigmoid(2.0) * (1 - 0.4 * 0.25)
    )
    assert chance(0.9, 0.5, spread=-1.0) == 1.0  # a negative spread is the sharp rule


def test_beta_mean_sd_gives_the_asked_mean_and_sd():
    a, b = beta_mean_sd(0.25, 0.12)
    assert a / (a + b) == pytest.approx(0.25)
    assert math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))) == pytest.approx(0.12)
    a, b = beta_mean_sd(0.0, 0.1)  # the mean is kept inside (0, 1)
    assert a / (a + b) == pytest.approx(1e-3)
    a, b = beta_mean_sd(1.0, 0.1)
    assert a / (a + b) == pytest.approx(1 - 1e-3)
    # No spread: a huge concentration (sd floored at 1e-6); too much: the smallest (1e-3).
    assert beta_mean_sd(0.5, 0.0) == pytest.approx((0.5 * (0.25e12 - 1), 0.5 * (0.25e12 - 1)))
    assert beta_mean_sd(0.5, 0.9) == pytest.approx((0.5e-3, 0.5e-3))
    assert beta_mean_sd(0.2, 0.2) == pytest.approx((0.2 * 3, 0.8 * 3))  # 0.16 / 0.04 - 1 = 3


# ----------------------------------------------------------------- the book
def test_book_add_appends_rows_and_fills_the_rest_with_the_column_defaults():
    book = DisputeBook(capacity=2)
    first = book.add(2, grid=np.array([3, 4]), intensity=np.array([0.1, 0.2]))
    second = book.add(3, grid=np.array([5, 6, 7]), state=np.full(3, State.QUEUED))
    assert first.tolist() == [0, 1] and second.tolist() == [2, 3, 4]
    assert len(book) == 5
    assert book.view("grid").tolist() == [3, 4, 5, 6, 7]
    assert book.view("intensity").tolist() == [0.1, 0.2, 0.0, 0.0, 0.0]
    assert book.view("state").tolist() == [State.LATENT] * 2 + [State.QUEUED] * 3
    for name, declared in DisputeBook.columns().items():
        dtype, fill = declared.dtype, declared.fill
        column = book.view(name)
        assert column.dtype == dtype and len(column) == 5
        if name not in ("grid", "intensity", "state"):
            assert np.array_equal(column, np.full(5, fill, dtype=dtype), equal_nan=True), name


def test_book_keeps_rows_when_it_grows_past_its_capacity():
    small, large = DisputeBook(capacity=1), DisputeBook(capacity=100)
    for book in (small, large):
        for n in (1, 2, 5):
            book.add(n, grid=np.arange(n), arrived=np.full(n, float(n)))
    for name in DisputeBook.columns():
        assert np.array_equal(small.view(name), large.view(name), equal_nan=True), name
    assert small.view("arrived").tolist() == [1.0, 2.0, 2.0] + [5.0] * 5


def _book(states, levels=None, ready=None) -> DisputeBook:
    n = len(states)
    book = DisputeBook(capacity=4)
    book.add(
        n,
        state=np.array(states, dtype=np.int8),
        level=np.array(levels if levels is not None else [0] * n, dtype=np.int8),
        ready=np.array(ready if ready is not None else [np.nan] * n, dtype=float),
    )
    return book


def test_in_state_gives_the_ids_in_any_of_the_states_ascending():
    S = State
    book = _book([S.LATENT, S.QUEUED, S.RESOLVED, S.DORMANT, S.QUEUED, S.INCIDENT, S.LATENT])
    assert book.in_state(S.QUEUED).tolist() == [1, 4]
    assert book.in_state(S.LATENT, S.QUEUED).tolist() == [0, 1, 4, 6]
    assert book.in_state(S.DORMANT).tolist() == [3]
    book.state[1] = S.RESOLVED  # over: no longer listed
    book.add(1, state=np.array([S.QUEUED]))
    assert book.in_state(S.QUEUED).tolist() == [4, 7]
    assert book.live().tolist() == [0, 3, 4, 6, 7]
    with pytest.raises(ValueError, match="not all live states"):
        book.in_state(S.RESOLVED)
    with pytest.raises(ValueError):
        book.in_state(S.QUEUED, S.PASSED_UP)


def test_waiting_lists_queued_cases_at_the_level_ready_by_the_day_oldest_first():
    S, L = State, Level
    book = _book(
        states=[S.QUEUED, S.QUEUED, S.QUEUED, S.LATENT, S.QUEUED, S.QUEUED, S.DORMANT],
        levels=[L.VILLAGE, L.VILLAGE, L.TOWN, L.VILLAGE, L.VILLAGE, L.VILLAGE, L.VILLAGE],
        ready=[5.0, 3.0, 1.0, 1.0, 6.0, 3.0, 1.0],
    )
    assert book.waiting(5.0)[L.VILLAGE].tolist() == [1, 5, 0]  # ready 3, 3 (stable), 5
    assert book.waiting(4.0)[L.VILLAGE].tolist() == [1, 5]
    assert book.waiting(6.0)[L.VILLAGE].tolist() == [1, 5, 0, 4]
    assert book.waiting(1.0)[L.TOWN].tolist() == [2]
    assert book.waiting(0.5)[L.TOWN].tolist() == []
    assert book.waiting(9.0)[L.GRID].tolist() == []


def test_waiting_keeps_cases_ready_the_same_day_in_the_order_they_came():
    rng = np.random.default_rng(1)
    n = 500
    ready = rng.integers(0, 5, n).astype(float)  # many ties
    book = _book([State.QUEUED] * n, [Level.TOWN] * n, ready)
    waiting = book.waiting(10.0)[Level.TOWN]
    assert waiting.tolist() == sorted(range(n), key=lambda i: (ready[i], i))


# ----------------------------------------------------------------- new disputes
def _district(grids=3, per_grid=40, household_size=2):
    residents = np.full(grids, per_grid)
    start = np.concatenate([[0], np.cumsum(residents)])
    household = np.arange(grids * per_grid) // household_size
    return dict(grid_start=start, household=household, residents_per_grid=residents)


def test_draw_disputes_puts_each_in_its_grid_with_parties_from_that_grid():
    rng = np.random.default_rng(1)
    counts = np.array([300, 0, 200])
    d = draw_disputes(
        counts, rng=rng, **_district(), group_share=0.0, group_size_mean=20,
        initial_intensity=0.25, today=7,
    )  # fmt: skip
    assert d["grid"].tolist() == [0] * 300 + [2] * 200
    start = np.array([0, 40, 80])
    a, b, g = d["party_a"], d["party_b"], d["grid"]
    assert ((a >= start[g]) & (a < start[g] + 40)).all()
    two = b >= 0
    assert ((b[two] >= start[g[two]]) & (b[two] < start[g[two]] + 40)).all()
    assert (a != b).all()
    local = b[two & (g == 0)]  # the other party: any resident of the grid, evenly
    assert len(np.unique(local)) == 40 and abs(local.mean() - 19.5) < 3
    assert len(np.unique(a[g == 0])) == 40 and abs(a[g == 0].mean() - 19.5) < 3
    assert (d["n_parties"][two] == 2).all() and (d["n_parties"][~two] == 1).all()
    assert not d["is_group"].any()
    assert ((d["arrived"] >= 7) & (d["arrived"] < 8)).all() and d["arrived"].std() > 0.2
    assert abs(d["intensity"].mean() - 0.25) < 0.03 and abs(d["intensity"].std() - 0.12) < 0.03


def test_draw_disputes_follows_the_type_shares():
    rng = np.random.default_rng(2)
    n = 20_000
    d = draw_disputes(
        np.array([n]), rng=rng, **_district(grids=1, per_grid=50), group_share=0.0,
        group_size_mean=20, initial_intensity=0.25, today=0,
    )  # fmt: skip
    shares = np.bincount(d["kind"], minlength=len(DISPUTE_TYPES)) / n
    margin = 4 * np.sqrt(TYPE_SHARES * (1 - TYPE_SHARES) / n) + 1e-9
    assert (np.abs(shares - TYPE_SHARES) <= margin).all()
    assert not shares[IS_CLAIM_TYPE].any()  # no claim types among disputes


def test_a_family_dispute_stays_in_the_household():
    rng = np.random.default_rng(3)
    district = _district(grids=2, per_grid=30, household_size=3)
    d = draw_disputes(
        np.array([400, 400]), rng=rng, **district, group_share=0.0, group_size_mean=20,
        initial_intensity=0.25, today=0, kind=FAMILY,
    )  # fmt: skip
    household = district["household"]
    assert (d["kind"] == FAMILY).all()
    assert (d["party_b"] >= 0).all()  # every household has two or more members
    assert (household[d["party_b"]] == household[d["party_a"]]).all()
    assert (np.abs(d["party_b"] - d["party_a"]) == 1).all()  # the next or previous member
    assert (d["party_b"] > d["party_a"]).any() and (d["party_b"] < d["party_a"]).any()
    other = draw_disputes(
        np.array([400, 400]), rng=rng, **district, group_share=0.0, group_size_mean=20,
        initial_intensity=0.25, today=0, kind=TYPE_INDEX["neighbour"],
    )  # fmt: skip
    two = other["party_b"] >= 0
    assert (household[other["party_b"][two]] != household[other["party_a"][two]]).mean() > 0.8


def test_a_family_dispute_finds_the_housemate_at_the_edges_of_grids_and_of_the_district():
    # Grid 0: households 0 0 1 1 2 2; grid 1: 3 3 4 4 5 (the last resident lives alone).
    district = dict(grid_start=np.array([0, 6, 11]), residents_per_grid=np.array([6, 5]),
                    household=np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5]))  # fmt: skip
    d = draw_disputes(
        np.array([600, 600]), rng=np.random.default_rng(6), **district, group_share=0.0,
        group_size_mean=20, initial_intensity=0.25, today=0, kind=FAMILY,
    )  # fmt: skip
    a, b, household = d["party_a"], d["party_b"], district["household"]
    assert set(a.tolist()) == set(range(11))
    paired = a != 10
    assert (household[b[paired]] == household[a[paired]]).all()
    assert (np.abs(b[paired] - a[paired]) == 1).all()
    alone = b[~paired]  # another resident of grid 1, or nobody
    assert ((alone == -1) | ((alone >= 6) & (alone < 10))).all()


def test_a_single_person_household_has_no_family_dispute_partner():
    district = _district(grids=1, per_grid=6, household_size=1)
    d = draw_disputes(
        np.array([50]), rng=np.random.default_rng(4), **district, group_share=0.0,
        group_size_mean=20, initial_intensity=0.25, today=0, kind=FAMILY,
    )  # fmt: skip
    assert (d["party_b"] != d["party_a"]).all()
    assert ((d["party_b"] == -1) | (d["party_b"] >= 0)).all()
    own = d["party_b"] >= 0  # no housemate: another resident of the grid
    assert (
        district["household"][d["party_b"][own]] != district["household"][d["party_a"][own]]
    ).all()


def test_group_disputes_are_land_or_wage_cases_with_three_or_more_parties():
    rng = np.random.default_rng(5)
    n = 4000
    d = draw_disputes(
        np.array([n]), rng=rng, **_district(grids=1, per_grid=50), group_share=0.3,
        group_size_mean=20, initial_intensity=0.25, today=0,
    )  # fmt: skip
    group = d["is_group"]
    assert abs(group.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
    assert np.isin(d["kind"][group], GROUP_TYPES).all()
    assert set(np.unique(d["kind"][group])) == set(GROUP_TYPES.tolist())
    assert (d["party_b"][group] == -1).all()
    assert (d["n_parties"][group] >= 3).all()
    assert abs(d["n_parties"][group].mean() - 20) < 0.6  # 3 + Poisson(17)
    assert (d["n_parties"][~group] <= 2).all()
    assert abs(d["intensity"].mean() - 0.25) < 0.02
    threes = draw_disputes(
        np.array([500]), rng=rng, **_district(grids=1, per_grid=50), group_share=0.5,
        group_size_mean=3, initial_intensity=0.25, today=0,
    )  # fmt: skip
    assert threes["is_group"].any() and (threes["n_parties"][threes["is_group"]] == 3).all()


@pytest.mark.parametrize("seed", [0, 1, 7, 2024])
@pytest.mark.parametrize("n", [0, 1, 5, 300])
def test_draw_by_shares_draws_what_generator_choice_draws(seed, n):
    """The same categories, from the same uniforms: the stream is where choice leaves it."""
    for cdf, shares in ((TYPE_CDF, TYPE_SHARES), (CLAIM_CDF, CLAIM_SHARES)):
        ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
        drawn = draw_by_shares(ours, cdf, n)
        expected = numpys.choice(len(shares), size=n, p=shares)
        assert drawn.dtype == expected.dtype
        assert drawn.tolist() == expected.tolist()
        assert ours.random() == numpys.random()
        assert drawn.max(initial=0) < len(shares)


def test_a_whole_column_cannot_be_replaced_only_its_rows():
    book = DisputeBook()
    with pytest.raises(
        AttributeError, match=r"set rows of the column, not the column: book\.level\["
    ):
        book.level = np.zeros(3)
