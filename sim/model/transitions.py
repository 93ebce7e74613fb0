"""How a dispute changes state in the daily phases: queued at a level of the ladder (or passed
up), resolved, or ended in an incident; and the trust changes these bring, queued in the
day's record (:class:`sim.model.state.Day`) for ``update_trust``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.model.disputes import Level, State, satisfaction_probability
from sim.model.space import spread_tension
from sim.model.state import ModelState


def move(
    model: ModelState, ids: np.ndarray, level: int | np.ndarray, *, handoff: bool = True
) -> None:
    """Queue disputes ``ids`` at ``level`` (L5 means passed up: closed tomorrow).

    A session can be held from today plus the hand-off delay (``mediation.handoff_days``)
    at L1-L3 if three-tuning is sequential and ``handoff`` (none after detection), and from
    tomorrow at L4. The first day a dispute reaches L3 and L4 is recorded.
    """
    book, today = model.book, model.today
    scalar = not isinstance(level, np.ndarray) or level.ndim == 0
    if scalar and len(ids) == 1:
        _move_one(model, int(ids[0]), int(level), handoff=handoff)
        return
    levels = np.full(len(ids), level, dtype=np.int8) if scalar else np.asarray(level, dtype=np.int8)
    beyond = ids[levels >= _BEYOND]
    was_petition = book.level[beyond] == _DISTRICT  # queued at L4 before leaving it
    book.level[ids] = levels
    book.max_level[ids] = np.maximum(book.max_level[ids], levels)
    for column, rung in ((book.reached_town, _TOWN), (book.reached_district, _DISTRICT)):
        first = ids[(levels >= rung) & np.isnan(column[ids])]
        column[first] = today
    joint = model.p["mediation.three_tuning"] == "joint"
    delay = 0.0 if (not handoff or joint) else model.p["mediation.handoff_days"]
    book.ready[ids] = today + np.where(levels <= _TOWN, delay, 1.0)
    book.state[ids] = np.where(levels >= _BEYOND, _PASSED_UP, _QUEUED)
    book.closed[beyond] = today + 1.0
    conclude_petitions(model, beyond, today + 1.0, unanswered=was_petition)


# The ladder's levels and states as plain integers: compared with arrays without conversion.
_TOWN, _DISTRICT, _BEYOND = int(Level.TOWN), int(Level.DISTRICT), int(Level.BEYOND)
_PASSED_UP, _QUEUED = np.int8(State.PASSED_UP), np.int8(State.QUEUED)


def _move_one(model: ModelState, i: int, level: int, *, handoff: bool) -> None:
    """:func:`move` for one dispute, in Python scalars (the escalation phase moves them one by
    one): the same values, written without the array machinery."""
    book, today = model.book, model.today
    was_petition = book.level[i] == Level.DISTRICT
    book.level[i] = level
    book.max_level[i] = max(int(book.max_level[i]), level)
    if level >= Level.TOWN and np.isnan(book.reached_town[i]):
        book.reached_town[i] = today
    if level >= Level.DISTRICT and np.isnan(book.reached_district[i]):
        book.reached_district[i] = today
    joint = model.p["mediation.three_tuning"] == "joint"
    delay = 0.0 if (not handoff or joint) else model.p["mediation.handoff_days"]
    book.ready[i] = today + (delay if level <= Level.TOWN else 1.0)
    if level >= Level.BEYOND:
        book.state[i] = State.PASSED_UP
        book.closed[i] = today + 1.0
        conclude_petitions(model, np.array([i]), today + 1.0, unanswered=was_petition)
    else:
        book.state[i] = State.QUEUED


def resolve(
    model: ModelState, ids: np.ndarray, *, draws: Sequence[tuple[int, np.ndarray, np.ndarray]]
) -> None:
    """Disputes ``ids`` settled today, in batches (a rung's, in order): ``draws`` holds each
    batch's size, the hours it closes at (uniform draws, as shares of the day) and its luck
    (uniform draws): the parties are satisfied if their luck falls below their chance (their
    trust moves up by ``behaviour.trust_gain``, or down by half). The trust changes are queued
    batch by batch, as one call for each batch would queue them."""
    if not len(ids):
        return
    book, pop = model.book, model.population
    batches, hours, lucks = zip(*draws, strict=True)
    hour, luck = np.concatenate(hours), np.concatenate(lucks)
    book.state[ids] = State.RESOLVED
    closed = np.maximum(model.today + hour, book.detected[ids])
    book.closed[ids] = closed
    a, b = book.party_a[ids], book.party_b[ids]
    chance = satisfaction_probability(
        base=model.p["behaviour.satisfaction_base"],
        trust=pop.trust[a],
        intensity=book.intensity[ids],
        days_open=closed - book.arrived[ids],
    )
    satisfied = luck < chance
    book.satisfied[ids] = satisfied
    conclude_petitions(model, ids, closed)
    gain = model.p["behaviour.trust_gain"]
    deltas, at = np.where(satisfied, gain, -gain / 2), 0
    for n in batches:
        part, at = slice(at, at + n), at + n
        if n:
            _queue_trust(model, a[part], b[part], deltas[part])


def hold_sessions(model: ModelState, ids: np.ndarray, level: np.ndarray) -> None:
    """A session held today on each of the cases ``ids``, queued at ``level`` (their first
    mediation, first people's mediation at L2-L4, a petition's conclusion); the grid
    workers' time of an L1 session is owed to their visits (``mediation_debt``)."""
    book, today = model.book, model.today
    book.sessions[ids] += 1
    book.mediated[ids] = np.fmin(book.mediated[ids], today)
    formal = ids[level >= Level.VILLAGE]  # people's mediation: committees, town, police, L4
    book.formal_mediated[formal] = np.fmin(book.formal_mediated[formal], today)
    petitions = ids[level == Level.DISTRICT]  # its first session concludes the district's handling
    book.petition_concluded[petitions] = np.fmin(book.petition_concluded[petitions], today)
    book.petition_sessions[petitions] += 1
    cost = model.p["grid_workers.session_visits"] / model.p["population.scale"]
    np.add.at(model.mediation_debt, book.grid[ids[level == Level.GRID]], cost)


def incident(model: ModelState, ids: np.ndarray) -> None:
    """A party of each dispute ``ids`` acted out: the case ends at midday, counted in its grid,
    and tension rises there and in the adjacent grids."""
    if not len(ids):
        return
    book, p = model.book, model.p
    book.state[ids] = State.INCIDENT
    book.closed[ids] = model.today + 0.5
    conclude_petitions(model, ids, model.today + 0.5)
    incidents = np.bincount(book.grid[ids], minlength=model.geography.n_grids)
    model.tally.incidents_by_grid += incidents
    model.tension = spread_tension(
        model.adjacency,
        model.tension,
        incidents.astype(float),
        per_incident=p["space.tension_per_incident"],
        spread=p["space.tension_spread"],
        ceiling=p["space.max_tension"],
    )


def drop(model: ModelState, i: int) -> None:
    """The party of dispute ``i`` drops it for now (dormant: it may flare up): a petition
    among them is concluded at midday."""
    model.book.state[i] = State.DORMANT
    conclude_petitions(model, np.array([i]), model.today + 0.5)


def conclude_petitions(
    model: ModelState,
    ids: np.ndarray,
    when: float | np.ndarray,
    *,
    unanswered: bool | np.ndarray | None = None,
) -> None:
    """Of the cases ``ids`` leaving the ladder (resolved, incident, passed up, dropped), those
    that had reached the district (L4) and whose handling there is not concluded yet (their
    first L4 session concludes it: ``mediate``) are concluded at ``when``: *unanswered* if
    they leave from the L4 queue (``unanswered``: by default, those whose level is L4 now),
    not if they never waited there (a party going to court straight from L3)."""
    book = model.book
    first = ~np.isnan(book.reached_district[ids]) & np.isnan(book.petition_concluded[ids])
    if not first.any():  # most cases never reached the district
        return
    if unanswered is None:
        unanswered = book.level[ids] == Level.DISTRICT
    book.petition_concluded[ids[first]] = when[first] if isinstance(when, np.ndarray) else when
    book.petition_unanswered[ids[first]] = (
        unanswered[first] if isinstance(unanswered, np.ndarray) else unanswered
    )


def change_trust(model: ModelState, ids: np.ndarray, deltas: np.ndarray) -> None:
    """Queue trust changes ``deltas`` (one per dispute) for both parties of disputes ``ids``
    (applied in update_trust): the parties a, then the parties b."""
    _queue_trust(model, model.book.party_a[ids], model.book.party_b[ids], deltas)


def _queue_trust(model: ModelState, a: np.ndarray, b: np.ndarray, deltas: np.ndarray) -> None:
    """:func:`change_trust` given the parties a and b (-1: none) of the disputes."""
    has_b = b >= 0
    model.day.trust_changes.append(
        (np.concatenate([a, b[has_b]]), np.concatenate([deltas, deltas[has_b]]))
    )


def change_trust_in_turn(model: ModelState, ids: np.ndarray, delta: float) -> None:
    """:func:`change_trust` of each dispute ``ids`` in turn: its parties' changes in the
    order one call per dispute queues them (party a, then b), so that they add up the same."""
    parties = np.empty(2 * len(ids), dtype=np.int64)  # a0, b0, a1, b1, ...
    parties[0::2], parties[1::2] = model.book.party_a[ids], model.book.party_b[ids]
    parties = parties[parties >= 0]
    model.day.trust_changes.append((parties, np.full(len(parties), float(delta))))
