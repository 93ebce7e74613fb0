"""How a dispute changes state (sim/model/transitions.py), on a small hand-built book.

``move`` writes the level, the highest level reached, the first day at L3 and L4, the
day a session can next be held and the state; values are worked out by hand. One
dispute moved alone takes a scalar path, several take the array path: both are
checked against the same expected values.
"""

import math

import numpy as np
import pytest

from sim.model.disputes import Level, State
from sim.model.phases import update_trust
from sim.model.transitions import (
    change_trust,
    change_trust_in_turn,
    conclude_petitions,
    drop,
    incident,
    move,
)
from tests.model.test_phases import add, build, queued

HANDOFF = 2.5


def expected(level: Level, *, start: Level, handoff: bool, joint: bool, today: int) -> dict:
    """What ``move`` writes for a dispute queued at ``start`` (reached nothing yet) moved to ``level``."""
    delay = 0.0 if (joint or not handoff) else HANDOFF
    return {
        "level": int(level),
        "max_level": max(int(level), int(start)),
        "reached_town": today if level >= Level.TOWN else math.nan,
        "reached_district": today if level >= Level.DISTRICT else math.nan,
        "ready": today + (delay if level <= Level.TOWN else 1.0),
        "state": State.PASSED_UP if level >= Level.BEYOND else State.QUEUED,
        "closed": today + 1.0 if level >= Level.BEYOND else math.nan,
    }


def written(model, ids: np.ndarray) -> list[dict]:
    book = model.book
    return [
        {
            "level": int(book.level[i]),
            "max_level": int(book.max_level[i]),
            "reached_town": float(book.reached_town[i]),
            "reached_district": float(book.reached_district[i]),
            "ready": float(book.ready[i]),
            "state": int(book.state[i]),
            "closed": float(book.closed[i]),
        }
        for i in ids
    ]


def same(a: dict, b: dict) -> bool:
    return all(
        (math.isnan(a[k]) and math.isnan(b[k])) if isinstance(a[k], float) and math.isnan(a[k])
        else a[k] == b[k]
        for k in a
    )  # fmt: skip


@pytest.mark.parametrize("n", [1, 3], ids=["one dispute", "several"])
@pytest.mark.parametrize("joint", [False, True], ids=["sequential", "joint"])
@pytest.mark.parametrize("handoff", [True, False], ids=["hand-off", "no hand-off"])
@pytest.mark.parametrize(
    "level", [Level.GRID, Level.VILLAGE, Level.TOWN, Level.DISTRICT, Level.BEYOND]
)
def test_move_writes_level_reach_ready_and_state_as_worked_out_by_hand(n, joint, handoff, level):
    tuning = "joint" if joint else "sequential"
    model = build({"mediation.three_tuning": tuning, "mediation.handoff_days": HANDOFF})
    start = Level.VILLAGE
    ids = queued(model, n, level=start)
    move(model, ids, level, handoff=handoff)
    want = expected(level, start=start, handoff=handoff, joint=joint, today=model.today)
    for got in written(model, ids):
        assert same(got, want), (got, want)


@pytest.mark.parametrize("n", [1, 3], ids=["one dispute", "several"])
def test_moving_down_keeps_the_highest_level_and_the_first_days_at_l3_and_l4(n):
    model = build({"mediation.handoff_days": HANDOFF})
    ids = queued(model, n, level=Level.DISTRICT)
    model.book.max_level[ids] = Level.DISTRICT
    model.book.reached_town[ids] = model.today - 7.0
    model.book.reached_district[ids] = model.today - 3.0
    move(model, ids, Level.TOWN)
    for got in written(model, ids):
        assert got["level"] == Level.TOWN and got["max_level"] == Level.DISTRICT
        assert got["reached_town"] == model.today - 7.0
        assert got["reached_district"] == model.today - 3.0
        assert got["ready"] == model.today + HANDOFF and got["state"] == State.QUEUED


def test_several_disputes_moved_to_different_levels_at_once_each_get_their_own():
    model = build({"mediation.handoff_days": HANDOFF})
    levels = [Level.GRID, Level.TOWN, Level.DISTRICT, Level.BEYOND]
    ids = queued(model, len(levels), level=Level.GRID)
    move(model, ids, np.array(levels))
    for got, level in zip(written(model, ids), levels, strict=True):
        want = expected(level, start=Level.GRID, handoff=True, joint=False, today=model.today)
        assert same(got, want), (got, want)


def test_trust_changes_in_turn_are_queued_as_one_call_per_dispute_queues_them():
    model = build()
    ids = add(model, 3)
    model.book.party_a[ids] = [10, 11, 12]
    model.book.party_b[ids] = [20, -1, 22]  # a dispute with one party (a claim)
    change_trust_in_turn(model, ids, 0.25)
    (parties, deltas), *_ = model.day.trust_changes
    assert parties.tolist() == [10, 20, 11, 12, 22] and deltas.tolist() == [0.25] * 5
    model.day.trust_changes.clear()
    for i in ids:
        change_trust(model, np.array([i]), np.array([0.25]))
    assert np.concatenate([p for p, _ in model.day.trust_changes]).tolist() == parties.tolist()


def test_incidents_end_their_cases_at_midday_and_add_up_in_their_grids():
    model = build()
    first, second = add(model, 2, grid=3), add(model, 1, grid=3)
    incident(model, first)
    incident(model, second)
    incident(model, np.array([], dtype=int))  # none: nothing changes
    assert model.tally.incidents_by_grid[3] == 3 and model.tally.incidents_by_grid.sum() == 3
    ids = np.concatenate([first, second])
    assert (model.book.state[ids] == State.INCIDENT).all()
    assert (model.book.closed[ids] == model.today + 0.5).all()
    assert model.tension[3] > 0


def test_a_second_party_that_is_resident_zero_has_its_trust_changed_too():
    model = build()
    (i,) = add(model, 1, party_a=7, party_b=0)  # resident 0 is a party like any other
    trust = model.population.trust
    trust[[0, 7]] = 0.5
    change_trust(model, np.array([i]), np.array([0.25]))
    update_trust(model)
    assert trust[0] == 0.75 and trust[7] == 0.75


def petition_columns(model, ids: np.ndarray) -> list[tuple[float, bool]]:
    book = model.book
    return [(float(book.petition_concluded[i]), bool(book.petition_unanswered[i])) for i in ids]


def test_a_party_dropping_a_petition_waiting_at_l4_leaves_it_unanswered_at_midday():
    model = build()
    waiting = queued(model, 1, level=Level.DISTRICT, reached_district=model.today - 3.0)
    town = queued(model, 1, level=Level.TOWN)  # never reached the district: nothing to conclude
    answered = queued(
        model, 1, level=Level.DISTRICT, reached_district=model.today - 9.0,
        petition_concluded=model.today - 2.0,
    )  # fmt: skip
    for i in (waiting[0], town[0], answered[0]):
        drop(model, int(i))
    ids = np.concatenate([waiting, town, answered])
    assert (model.book.state[ids] == State.DORMANT).all()
    got = petition_columns(model, ids)
    assert got[0] == (model.today + 0.5, True)
    assert math.isnan(got[1][0]) and got[1][1] is False
    assert got[2] == (model.today - 2.0, False)  # concluded once, at its first session


def test_an_incident_concludes_a_petition_unanswered_only_if_it_waited_at_l4():
    model = build()
    at_l4 = queued(model, 1, level=Level.DISTRICT, reached_district=model.today - 3.0)
    back_at_l3 = queued(model, 1, level=Level.TOWN, reached_district=model.today - 5.0)
    ids = np.concatenate([at_l4, back_at_l3])
    incident(model, ids)
    assert petition_columns(model, ids) == [(model.today + 0.5, True), (model.today + 0.5, False)]


@pytest.mark.parametrize("n", [1, 3], ids=["one dispute", "several"])
def test_passing_up_concludes_a_petition_the_next_day_unanswered_only_from_the_l4_queue(n):
    model = build()
    from_l4 = queued(model, n, level=Level.DISTRICT, reached_district=model.today - 3.0)
    from_l3 = queued(model, n, level=Level.TOWN)  # to court straight from the town
    for ids in (from_l4, from_l3):
        move(model, ids, Level.BEYOND)
    tomorrow = model.today + 1.0
    assert petition_columns(model, from_l4) == [(tomorrow, True)] * n
    assert petition_columns(model, from_l3) == [(tomorrow, False)] * n


def test_petitions_concluded_by_a_batch_take_their_own_day_and_answer_and_only_once():
    """Three cases at L4 leave together: one concluded already (at its first session), two not.
    Given a day and an answer per case, the two take their own; the first keeps its own."""
    model = build()
    done = queued(
        model, 1, level=Level.DISTRICT, reached_district=model.today - 9.0,
        petition_concluded=model.today - 2.0,
    )  # fmt: skip
    open_ = queued(model, 2, level=Level.DISTRICT, reached_district=model.today - 3.0)
    ids = np.concatenate([done, open_])
    when = model.today + np.array([0.1, 0.2, 0.3])
    conclude_petitions(model, ids, when, unanswered=np.array([True, True, False]))
    assert petition_columns(model, ids) == [
        (model.today - 2.0, False),
        (model.today + 0.2, True),
        (model.today + 0.3, False),
    ]
