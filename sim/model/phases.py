"""The daily phases of the model, in the order one day runs them (:data:`PHASES`)::

    arrive_disputes -> patrol_and_visit -> drift -> detect -> mediate
      -> escalate -> act_out -> update_trust -> record

Each phase is a function of the :class:`~sim.model.governance.GovernanceModel`, typed as
:class:`~sim.model.state.ModelState` (so that this module does not import the one that
runs it). Phases hand each other the day's record, ``model.day``: ``drift`` the impatient
disputes and ``mediate`` the failed ones to ``escalate``, and the trust changes of
``mediate`` and ``escalate`` to ``update_trust``. Per-grid and per-dispute state lives in
numpy arrays; only the parties to a dispute act, and staff work is computed per grid in
``patrol_and_visit``. How a dispute changes state is in :mod:`sim.model.transitions`.
"""

from __future__ import annotations

import numpy as np

from sim.model import metrics
from sim.model.agents import Response, patrol
from sim.model.claims import claim_route, draw_claims
from sim.model.deterrence import arrest_probability
from sim.model.disputes import (
    TYPE_DRIFT,
    TYPE_INDEX,
    Level,
    Origin,
    State,
    act_out_chance,
    draw_disputes,
    success_probability,
)
from sim.model.institutions import triage, village_first
from sim.model.space import mutual_aid
from sim.model.state import ModelState
from sim.model.transitions import change_trust_in_turn, drop, hold_sessions, incident, move, resolve

ACTIVE_HOURS = 12.0  # [assumption] hours a day in which a patrol deters
TRUST_FADE_EVERY = 30  # days between fadings of trust (exact for any interval)
MAX_PETITION_SESSIONS = 3  # [assumption] district sessions before a petitioner gives up


def arrive_disputes(model: ModelState) -> None:
    """New disputes per grid (Poisson), their type, parties and intensity; dormant ones flare up.

    During a rainstorm extra damage disputes arrive (drawn from the events stream).
    """
    p, book, rates, rng = model.p, model.book, model.institutions, model.streams.arrivals
    heat = 1.0 + model.tension
    _new_disputes(model, rng.poisson(rates.arrival_rate * heat), rng=rng)
    claims = model.streams.claims.poisson(rates.claim_rate * heat)
    if claims.any():
        book.add(
            int(claims.sum()),
            **draw_claims(
                claims,
                rng=model.streams.claims,
                grid_start=model.population.grid_start,
                residents_per_grid=model.residents_per_grid,
                group_share=p["claims.group_share"],
                group_size_mean=p["disputes.group_size_mean"],
                initial_intensity=p["claims.initial_intensity"],
                today=model.today,
            ),
        )
    if model.damage_surge.any():
        surge = model.streams.events.poisson(model.damage_surge)
        _new_disputes(model, surge, rng=model.streams.events, kind=TYPE_INDEX["damages"])
    dormant = book.in_state(State.DORMANT)  # lifecycle stream: arrivals stay in step
    draw = model.streams.lifecycle.random(len(dormant))
    flare = dormant[draw < p["disputes.flare_per_day"]]
    book.state[dormant[draw > 1.0 - p["disputes.lapse_per_day"]]] = State.LAPSED
    book.state[flare] = State.LATENT
    book.level[flare] = Level.LATENT
    book.intensity[flare] = np.minimum(book.intensity[flare] + 0.1, 1.0)


def _new_disputes(
    model: ModelState, counts: np.ndarray, *, rng: np.random.Generator, kind: int | None = None
) -> None:
    """Add ``counts[g]`` disputes in each grid g (of ``kind``, or of drawn types)."""
    p, pop = model.p, model.population
    new = draw_disputes(
        counts,
        rng=rng,
        grid_start=pop.grid_start,
        household=pop.household,
        residents_per_grid=model.residents_per_grid,
        group_share=p["disputes.group_share"],
        group_size_mean=p["disputes.group_size_mean"],
        initial_intensity=p["disputes.initial_intensity"],
        today=model.today,
        kind=kind,
    )
    if len(new["grid"]):
        model.book.add(len(new["grid"]), **new)
        one = np.int16(1)  # of the grievances' own type: numpy's fast loop for np.add.at
        np.add.at(pop.grievances, new["party_a"], one)
        np.add.at(pop.grievances, new["party_b"][new["party_b"] >= 0], one)


def patrol_and_visit(model: ModelState) -> None:
    """Staff at work: grid workers visit households (helped by adjacent grids), Yi Police patrol.

    In each grid the available workers first make up yesterday's mediation
    time, then visit households up to the day's demand. A grid whose workers
    are all away is visited by workers of adjacent grids (``space.mutual_aid_share``).
    """
    p, n, staff = model.p, model.geography.n_grids, model.staff
    on_duty = staff.workers.available(model.time)  # on the map, not on emergency duty
    model.workers_available = np.bincount(staff.worker_grid[on_duty], minlength=n).astype(float)
    visits_per_day = p["grid_workers.visits_per_day"]
    capacity = model.workers_available * visits_per_day
    capacity = capacity + mutual_aid(model.adjacency, capacity, share=p["space.mutual_aid_share"])
    owed = np.minimum(model.mediation_debt, capacity)
    model.mediation_debt -= owed
    model.visits = np.minimum(
        capacity - owed, model.households / p["grid_workers.visit_cycle_days"]
    )
    model.tally.worker_busy_visits += float((model.visits + owed).sum())
    model.tally.worker_capacity_visits += float(capacity.sum())
    sessions = capacity / max(p["grid_workers.session_visits"], 1e-9)
    model.institutions.ladder[0].pool.rate = sessions * p["population.scale"]
    model.patrol_hours = np.zeros(n)
    patrol(model)
    model.guardians = model.patrol_hours / ACTIVE_HOURS + staff.officer_presence


def drift(model: ModelState) -> None:
    """Undetected disputes drift up or fade; waiting ones heat up; impatient ones move on."""
    p, book, rng = model.p, model.book, model.streams.lifecycle
    latent = book.in_state(State.LATENT)
    rise = p["disputes.drift_per_day"] * TYPE_DRIFT[book.kind[latent]]
    rise += (
        rng.normal(0.0, p["disputes.shock_sd"], len(latent)) if p["disputes.shock_sd"] > 0 else 0.0
    )
    book.intensity[latent] = (book.intensity[latent] + rise).clip(0.0, 1.0)
    fade = latent[rng.random(len(latent)) < p["disputes.fade_per_day"]]
    book.state[fade] = State.DORMANT
    queued = book.in_state(State.QUEUED)
    book.intensity[queued] = np.minimum(
        book.intensity[queued] + p["mediation.wait_drift_per_day"], 1.0
    )
    if model.tension.any():  # tension from recent incidents heats the open disputes around them
        open_ = np.concatenate([latent[book.state[latent] == State.LATENT], queued])
        heat = p["space.tension_heat_per_day"] * model.tension[book.grid[open_]]
        book.intensity[open_] = np.minimum(book.intensity[open_] + heat, 1.0)
        model.tension *= np.exp(-1.0 / p["space.tension_days"])
    model.day.impatient = queued[model.today - book.ready[queued] > p["mediation.patience_days"]]


def detect(model: ModelState) -> None:
    """Visits, patrols, a village officer, reports and filings uncover latent cases; the
    command centre triages them."""
    p, book, pop, rng = model.p, model.book, model.population, model.streams.detection
    ids = book.in_state(State.LATENT)
    if not len(ids):
        return
    g, group = book.grid[ids], book.is_group[ids]
    reach = np.minimum(book.n_parties[ids][group], 10)  # a group is seen through any party
    seen_by_worker = (
        np.minimum(model.visits[g] / model.households[g], 1.0) * p["detection.visit_detect_prob"]
    )
    patrolled = (
        model.patrol_hours[g] * p["detection.households_per_patrol_hour"] / model.households[g]
    )
    seen_on_patrol = np.minimum(patrolled, 1.0) * p["detection.patrol_detect_prob"]
    heard_by_officer = officer_hears(model, g)
    room = np.where(
        model.staff.trust_room[model.geography.grid_village[g]],
        p["mediation.trust_room_report_factor"],
        1.0,
    )
    intensity = book.intensity[ids]
    claim = book.origin[ids] == Origin.CLAIM
    reports = np.where(
        claim,
        p["claims.filing_per_day"],
        p["detection.self_report_per_day"]
        * pop.trust[book.party_a[ids]]
        * (0.5 + intensity)
        * room,
    )
    missed = np.stack([1 - seen_by_worker, 1 - seen_on_patrol])  # unseen through one party
    missed[:, group] **= reach  # through none of a group's (one party: x ** 1 is x)
    by_staff = 1 - missed[0] * missed[1] * (1 - heard_by_officer)
    draw = rng.random(len(ids))
    seen = draw < 1 - (1 - by_staff) * (1 - np.minimum(reports, 1.0))
    found, by_staff, claim = ids[seen], (draw < by_staff)[seen], claim[seen]
    heard = (draw < heard_by_officer)[seen]  # of the staff's finds, the officer's
    if not len(found):
        return
    arrived = book.arrived[found]
    when = np.maximum(arrived, model.today) + rng.random(len(found)) * (
        model.today + 1 - np.maximum(arrived, model.today)
    )
    first = np.isnan(book.detected[found])
    book.detected[found] = np.where(first, when, book.detected[found])
    book.found_by_staff[found] |= first & by_staff
    level = np.where(
        claim,
        claim_route(by_staff, to_district_share=p["claims.to_district_share"], rng=rng),
        triage(book.intensity[found], red=p["detection.red_intensity"]),
    )
    # Drawn for every case found, office or not, so that paired runs stay in step.
    level = village_first(
        level,
        claim=claim,
        reported=~by_staff,
        heard=heard,
        officer_here=model.staff.village_office[model.geography.grid_village[book.grid[found]]],
        draw=rng.random(len(found)),
        red_share=p["police.village_red_share"],
        report_share=p["detection.report_to_village_share"],
    )
    move(model, found, level, handoff=False)


def officer_hears(model: ModelState, grids: np.ndarray) -> np.ndarray:
    """Daily chance that a village officer hears of a latent case in each of ``grids``:
    ``police.village_detect_per_day`` in a village with an office, 0 elsewhere."""
    office = model.staff.village_office[model.geography.grid_village[grids]]
    return office * model.p["police.village_detect_per_day"]


def mediate(model: ModelState) -> None:
    """Each rung of the ladder holds the sessions its capacity allows; agreements resolve disputes."""
    book, rng = model.book, model.streams.mediation
    # A rung's sessions change only its own cases (resolved, or failed and queued at its level
    # till escalate): all queues read, sessions chosen, chances reckoned before the first one.
    queues = book.waiting(model.today)
    served = [
        rung.serve(waiting, book.grid[waiting], claim=book.origin[waiting] == Origin.CLAIM)
        for rung in model.institutions.ladder
        if len(waiting := queues[rung.level])
    ]
    ids = np.concatenate([*served, np.zeros(0, dtype=np.int64)])
    if not len(ids):
        return
    level = book.level[ids]
    chance = session_chance(model, ids, level)
    first_petition = (level == Level.DISTRICT) & (book.petition_sessions[ids] == 0)
    hold_sessions(model, ids, level)
    agreed, draws, at = np.empty(len(ids), dtype=bool), [], 0
    for cases in served:  # the stream: a rung's agreements, then its resolutions' hours, luck
        part, at = slice(at, at + len(cases)), at + len(cases)
        agreed[part] = rng.random(len(cases)) < chance[part]
        n = int(np.count_nonzero(agreed[part]))
        draws.append((n, rng.random(n), rng.random(n)))  # drawn left to right
    resolve(model, ids[agreed], draws=draws)
    model.day.failed += ids[~agreed].tolist()
    claim = book.origin[ids] == Origin.CLAIM
    model.tally.record_sessions(
        kinds=book.kind[ids], agreed=agreed, claim=claim, first_petition=first_petition
    )


def session_chance(model: ModelState, ids: np.ndarray, level: np.ndarray) -> np.ndarray:
    """The chance that a session today on each of the cases ``ids``, queued at ``level``,
    ends in agreement (the rungs of the ladder are L1 to L4, in order)."""
    book, pop, institutions = model.book, model.population, model.institutions
    rung, g, a, b = level - Level.GRID, book.grid[ids], book.party_a[ids], book.party_b[ids]
    trust = np.where(b >= 0, (pop.trust[a] + pop.trust[np.maximum(b, 0)]) / 2, pop.trust[a])
    bonus = institutions.bonus[rung, g]
    assisted = (level <= Level.VILLAGE) & (model.patrol_hours[g] > 0)  # volunteer police help
    bonus[assisted] += model.p["volunteer_police.assist_bonus"]
    return success_probability(
        base=institutions.base[rung],
        skill=institutions.skill[rung],
        trust=trust,
        intensity=book.intensity[ids],
        days_waited=model.today - np.floor(book.detected[ids]),
        difficulty=institutions.difficulty[book.kind[ids]]
        + model.p["disputes.group_difficulty"] * book.is_group[ids],
        bonus=bonus,
        coef=institutions.coef,
    )


def escalate(model: ModelState) -> None:
    """Parties whose mediation failed choose: act out, drop it, sue, skip levels or go one up."""
    p, book = model.p, model.book
    failed = np.array(model.day.failed, dtype=np.int64)
    if len(failed):
        book.intensity[failed] = np.minimum(
            book.intensity[failed] + p["behaviour.fail_intensity"], 1.0
        )
        change_trust_in_turn(model, failed, -p["behaviour.trust_loss"])
        guard = arrest_probability(
            model.guardians[book.grid[failed]],
            book.n_parties[failed],
            k=p["police.deterrence_k"],
            ceiling=p["police.max_arrest_prob"],
            form=p["police.deterrence_form"],
        )
        moves: list[tuple[int, int]] = []  # (dispute, level): queued all at once after the choices
        for i, party, level, intensity, arrest_prob in zip(
            failed.tolist(),
            book.party_a[failed].tolist(),
            book.level[failed].tolist(),
            book.intensity[failed].tolist(),
            guard.tolist(),
            strict=True,
        ):
            response = model.residents[party].respond_to_failure(
                intensity=intensity, level=Level(level), arrest_prob=arrest_prob
            )
            if response is Response.ACT_OUT:
                incident(model, np.array([i]))
            elif response is Response.DROP:
                drop(model, i)
            elif response is Response.LITIGATE:
                moves.append((i, Level.BEYOND))
            elif response is Response.SKIP:
                moves.append((i, Level.DISTRICT))
            elif level == Level.DISTRICT:
                _after_petition_failure(model, i)
            else:
                moves.append((i, level + 1))
        if moves:
            ids, levels = zip(*moves, strict=True)
            move(model, np.array(ids, dtype=np.int64), np.array(levels, dtype=np.int8))
    # Waited longer than their patience (and still queued): one level up, without a session.
    impatient = model.day.impatient[book.state[model.day.impatient] == State.QUEUED]
    if len(impatient):
        change_trust_in_turn(model, impatient, -p["behaviour.trust_loss"] / 2)
        move(model, impatient, np.minimum(book.level[impatient] + 1, Level.BEYOND))


def act_out(model: ModelState) -> None:
    """Epstein's rule (smoothed), daily, for every open case: grievance minus deterred risk against T."""
    p, book, pop = model.p, model.book, model.population
    ids = book.in_state(State.LATENT, State.QUEUED)
    if not len(ids):
        return
    a, g = book.party_a[ids], book.grid[ids]
    chance = act_out_chance(
        intensity=book.intensity[ids],
        trust=pop.trust[a],
        risk_aversion=pop.risk_aversion[a],
        arrest_prob=arrest_probability(
            model.guardians[g],
            book.n_parties[ids],
            k=p["police.deterrence_k"],
            ceiling=p["police.max_arrest_prob"],
            form=p["police.deterrence_form"],
        ),
        threshold=p["behaviour.act_out_threshold"],
        spread=p["behaviour.act_out_spread"],
    )
    incident(model, ids[model.streams.acting.random(len(ids)) < chance])


def update_trust(model: ModelState) -> None:
    """Apply today's trust changes of the parties (contacts with mediators, waiting); every
    ``TRUST_FADE_EVERY`` days, experiences fade: trust moves back towards each resident's own."""
    pop = model.population
    trust, changes = pop.trust, model.day.trust_changes
    if changes:  # one np.add.at adds them in the order they were queued
        touched = np.concatenate([r for r, _ in changes])
        np.add.at(trust, touched, np.concatenate([d for _, d in changes]))
        trust[touched] = trust[touched].clip(0.0, 1.0)
    if (model.today + 1) % TRUST_FADE_EVERY == 0:
        keep = np.exp(-TRUST_FADE_EVERY / model.p["population.trust_memory_days"])
        trust -= pop.trust_base  # in place, for every resident: base + (trust - base) * keep
        trust *= keep
        trust += pop.trust_base


def record(model: ModelState) -> None:
    """Compute the outcome metrics so far and collect the day's row (none in the warm-up)."""
    model.tally.cost_days += model.staff.annual_cost
    metrics.record_day(model)


def _after_petition_failure(model: ModelState, i: int) -> None:
    """A petition (L4) failed and the party goes on: beyond the district with
    ``petition.persistence``, else back to the petition queue for up to
    ``MAX_PETITION_SESSIONS`` sessions, then dormant."""
    book, rng = model.book, model.streams.behaviour
    if rng.random() < model.p["petition.persistence"]:
        move(model, np.array([i]), Level.BEYOND)
    elif book.petition_sessions[i] < MAX_PETITION_SESSIONS:
        move(model, np.array([i]), Level.DISTRICT)
    else:
        drop(model, i)


PHASES = (
    arrive_disputes,
    patrol_and_visit,
    drift,
    detect,
    mediate,
    escalate,
    act_out,
    update_trust,
    record,
)
"""One day, in order (:meth:`GovernanceModel.step` runs them)."""
