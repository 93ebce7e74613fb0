"""GovernanceModel: the wiring of the district and the daily order of phases.

One step is one day, made of these phases, in this order::

    arrive_disputes -> patrol_and_visit -> drift -> detect -> mediate
      -> escalate -> act_out -> update_trust -> record

Residents do not step; only the parties to a dispute act. Staff agents step
in ``patrol_and_visit``. Per-grid and per-dispute state lives in numpy arrays.
Interventions and events (:mod:`sim.timeline`) are scheduled with Mesa's
``schedule_event`` and run between days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import partial
from typing import Any

import mesa
import numpy as np
from mesa.agentset import AgentSet

from sim import metrics
from sim.agents import (
    GridWorker,
    PoliceOfficer,
    Resident,
    Response,
    VolunteerPolice,
    build_population,
)
from sim.disputes import (
    TYPE_DRIFT,
    TYPE_INDEX,
    DisputeBook,
    Level,
    State,
    acts_out,
    arrest_probability,
    draw_disputes,
    satisfaction_probability,
    success_probability,
    type_difficulty,
)
from sim.geography import largest_remainder, simulated_map, town_set
from sim.institutions import grid_rung, petition_rung, town_rung, triage, village_rung
from sim.parameters import ParameterError, resolve
from sim.staffing import (
    allocate_grid_workers,
    annual_cost,
    trust_room_villages,
    yi_police_teams,
)
from sim.timeline import FIXED_SECTIONS, Timeline, TimelinePlayer

ACTIVE_HOURS = 12.0  # [assumption] hours a day in which a patrol deters
MAX_PETITION_SESSIONS = 3  # [assumption] district sessions before a petitioner gives up


@dataclass(frozen=True)
class Streams:
    """Independent random streams, one per mechanism (common random numbers across policies)."""

    map: np.random.Generator
    population: np.random.Generator
    arrivals: np.random.Generator
    lifecycle: np.random.Generator
    detection: np.random.Generator
    mediation: np.random.Generator
    behaviour: np.random.Generator
    staff: np.random.Generator
    events: np.random.Generator  # last: adding it left the other streams unchanged

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        children = np.random.SeedSequence(seed).spawn(len(fields(cls)))
        return cls(*(np.random.default_rng(s) for s in children))


class GovernanceModel(mesa.Model):
    """Grassroots governance in Xinhui: residents, staff and mediation on the grid map.

    Args:
        params: dotted parameter overrides (``{"grid_workers.total": 2000}``); see
            :mod:`sim.parameters` for every key, its default and unit.
        rng: integer seed; ``None`` draws one (kept in ``model.seed``).
        timeline: interventions and events (:class:`sim.timeline.Timeline`) to schedule.
    """

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        rng: int | None = None,
        timeline: Timeline | None = None,
    ) -> None:
        p = resolve(params)
        seed = int(np.random.SeedSequence().entropy % 2**63) if rng is None else int(rng)
        super().__init__(rng=seed)
        self.p, self.seed, self.streams = p, seed, Streams.from_seed(seed)
        self.today = 0  # day index of the step in progress (0-based)

        full, geo = simulated_map(p["map.file"], p["map.towns"])
        self.geography = geo
        keep = np.array([full.grid_ids.index(g) for g in geo.grid_ids])
        self.space = geo.network(random=self.random)
        self.district, self.keep = full, keep  # the whole map, and which of its grids are simulated

        self._build_population(full, keep)
        self._build_staff(full, keep)
        self._build_institutions()
        n = geo.n_grids
        self.visits, self.patrol_hours, self.mediation_debt = np.zeros(n), np.zeros(n), np.zeros(n)
        self.visit_demand_left, self.workers_available = np.zeros(n), np.zeros(n)
        self.damage_surge = np.zeros(n)  # extra damage disputes per day (rainstorm)
        self._patrol_weights: dict[int, np.ndarray | None] = {}
        self._trust_delta: list[tuple[np.ndarray, np.ndarray]] = []
        self._failed: list[int] = []
        self._impatient: np.ndarray = np.zeros(0, dtype=np.int64)
        self.book = DisputeBook()
        self.tally = metrics.Tally.empty(geo.n_grids)
        self.current: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(metrics.read, name) for name in metrics.SERIES}
        )
        self.timeline = TimelinePlayer(self, timeline or Timeline())

    # ----------------------------------------------------------------- set-up
    def _build_population(self, full, keep: np.ndarray) -> None:
        p, geo = self.p, self.geography
        sd = p["map.risk_sd"]
        village_risk = self.streams.map.lognormal(-(sd**2) / 2, sd, full.n_villages)
        self.full_grid_risk = village_risk[
            full.grid_village
        ]  # drawn over the whole map: same at any subset
        self.grid_risk = self.full_grid_risk[keep]
        scale = p["population.scale"]
        if scale == 1.0:
            per_grid = geo.grid_population.copy()
        else:
            per_grid = largest_remainder(
                round(geo.grid_population.sum() * scale), geo.grid_population.astype(float)
            )
        self.population = build_population(
            residents_per_grid=per_grid,
            household_size=p["population.household_size"],
            trust_mean=p["population.trust_mean"],
            trust_sd=p["population.trust_sd"],
            risk_aversion_mean=p["population.risk_aversion_mean"],
            rng=self.streams.population,
        )
        self.residents_per_grid = per_grid
        self.residents = [Resident(self, i) for i in range(len(self.population))]
        self.households = np.maximum(geo.grid_population / p["population.household_size"], 1.0)

    def _build_staff(self, full, keep: np.ndarray) -> None:
        p, geo, rng = self.p, self.geography, self.streams.staff
        workers = allocate_grid_workers(
            full,
            total=p["grid_workers.total"],
            rule=p["grid_workers.allocation"],
            risk=self.full_grid_risk,
        )[keep]
        self.workers_per_grid = workers
        self.grid_workers = AgentSet(
            [
                GridWorker(self, cell=self.space[g], grid=g)
                for g in np.repeat(np.arange(geo.n_grids), workers)
            ],
            random=self.random,
        )
        sub_index = np.full(full.n_grids, -1)
        sub_index[keep] = np.arange(geo.n_grids)
        teams = [
            t for t in yi_police_teams(
                full,
                total=p["volunteer_police.total"],
                towns=town_set(p["volunteer_police.towns"], full.town_names, key="volunteer_police.towns"),
                team_size=p["volunteer_police.team_size"],
                areas_per_town=p["volunteer_police.areas_per_town"],
            )
            if full.town_names[t.town] in geo.town_names
        ]  # fmt: skip
        self.team_areas = [sub_index[t.area] for t in teams]
        volunteers = []
        for team, (area, t) in enumerate(zip(self.team_areas, teams, strict=True)):
            homes = area[rng.integers(len(area), size=t.members)]
            volunteers += [
                VolunteerPolice(self, cell=self.space[h], team=team, area=area) for h in homes
            ]
        self.volunteer_police = AgentSet(volunteers, random=self.random)

        office_towns = town_set(
            p["police.village_offices"], full.town_names, key="police.village_offices"
        )
        station = [np.flatnonzero(geo.grid_town == t)[np.argmax(geo.grid_population[geo.grid_town == t])]
                   for t in range(geo.n_towns)]  # fmt: skip
        officers = [PoliceOfficer(self, cell=self.space[station[t]], town=t)
                    for t in range(geo.n_towns) for _ in range(p["police.officers_per_town"])]  # fmt: skip
        self.village_office = np.zeros(geo.n_villages, dtype=bool)
        for v in range(geo.n_villages):
            if geo.town_names[geo.village_town[v]] in office_towns:
                grids = np.flatnonzero(geo.grid_village == v)
                top = grids[np.argmax(geo.grid_population[grids])]
                officers.append(
                    PoliceOfficer(
                        self, cell=self.space[top], town=int(geo.village_town[v]), village=v
                    )
                )
                self.village_office[v] = True
        self.police = AgentSet(officers, random=self.random)

        # Guardians always near a grid: its village officer, and station officers discounted by travel.
        grids_in_village = np.bincount(geo.grid_village, minlength=geo.n_villages)
        grids_in_town = np.bincount(geo.grid_town, minlength=geo.n_towns)
        self.officer_presence = self.village_office[geo.grid_village] / grids_in_village[
            geo.grid_village
        ] + (
            p["police.officers_per_town"] / grids_in_town[geo.grid_town] * np.exp(-geo.travel_hours)
        )
        self.trust_room = trust_room_villages(full, p["mediation.trust_rooms"])[
            np.unique(full.grid_village[keep])
        ]
        share = geo.grid_population.sum() / full.grid_population.sum()
        self.annual_cost = annual_cost(
            grid_workers=len(self.grid_workers), volunteers=len(self.volunteer_police), officers=len(self.police),
            trust_rooms=int(self.trust_room.sum()), supermarket=p["petition.supermarket"], population_share=share,
            costs={k.split(".")[1]: v for k, v in p.items() if k.startswith("costs.")},
        )  # fmt: skip

    def _build_institutions(self) -> None:
        p, geo = self.p, self.geography
        joint = p["mediation.three_tuning"] == "joint"
        scale = p["population.scale"]
        officers_in_town = np.bincount([o.town for o in self.police], minlength=geo.n_towns)
        self.ladder = [
            grid_rung(n_grids=geo.n_grids, skill=p["grid_workers.skill"], base=p["mediation.base_grid"],
                      bonus=np.zeros(geo.n_grids)),
            village_rung(grid_village=geo.grid_village, n_villages=geo.n_villages,
                         sessions_per_day=p["mediation.village_sessions_per_day"], scale=scale,
                         skill=p["mediation.village_skill"], base=p["mediation.base_village"],
                         trust_room=self.trust_room, trust_room_bonus=p["mediation.trust_room_bonus"],
                         joint_bonus=p["mediation.joint_bonus"] * joint),
            town_rung(grid_town=geo.grid_town, scale=scale,
                      hours_per_day=officers_in_town * p["police.hours_per_day"]
                      + p["mediation.town_centre_hours_per_day"],
                      skill=p["mediation.town_skill"], base=p["mediation.base_town"],
                      session_hours=p["police.session_hours"], travel_hours=geo.travel_hours,
                      village_office=self.village_office[geo.grid_village],
                      joint_bonus=p["mediation.joint_bonus"] * joint),
            petition_rung(n_grids=geo.n_grids, scale=scale,
                          sessions_per_day=p["petition.counters"] * p["petition.sessions_per_counter"],
                          skill=p["petition.skill"], base=p["mediation.base_petition"],
                          supermarket=p["petition.supermarket"],
                          supermarket_bonus=p["petition.supermarket_bonus"]),
        ]  # fmt: skip
        self.difficulty = type_difficulty(p["disputes.land_difficulty"])
        self.coef = {k: p[f"mediation.{k}_effect"] for k in ("skill", "trust", "intensity", "wait")}
        # Disputes per simulated resident per day, times the grid's risk.
        self.arrival_rate = (
            p["disputes.rate_per_1k"] / 1000 / 365 * self.residents_per_grid * self.grid_risk
        )

    # ----------------------------------------------------------------- timeline
    def intervene(self, settings: Mapping[str, Any]) -> None:
        """Change policy settings from now on: staff and institutions are rebuilt.

        Residents, their trust and the disputes (with their queues) carry on;
        staff on emergency duty for an event still running stay diverted.
        """
        for key in settings:
            if key.split(".")[0] in FIXED_SECTIONS:
                raise ParameterError(f"{key}: cannot change during a run")
        self.p = resolve(self.p | dict(settings))
        for agent in [*self.grid_workers, *self.volunteer_police, *self.police]:
            agent.remove()
        self._build_staff(self.district, self.keep)
        self._build_institutions()
        for event in self.timeline.active:
            self.timeline.divert(event)

    # ----------------------------------------------------------------- the day
    def step(self) -> None:
        """One day: the phases in their documented order."""
        self.today = self.steps - 1
        self.arrive_disputes()
        self.patrol_and_visit()
        self.drift()
        self.detect()
        self.mediate()
        self.escalate()
        self.act_out()
        self.update_trust()
        self.record()

    def arrive_disputes(self) -> None:
        """New disputes per grid (Poisson), their type, parties and intensity; dormant ones flare up.

        During a rainstorm extra damage disputes arrive (drawn from the events stream).
        """
        p, book, rng = self.p, self.book, self.streams.arrivals
        self._new_disputes(rng.poisson(self.arrival_rate), rng=rng)
        if self.damage_surge.any():
            surge = self.streams.events.poisson(self.damage_surge)
            self._new_disputes(surge, rng=self.streams.events, kind=TYPE_INDEX["damages"])
        dormant = book.in_state(State.DORMANT)  # lifecycle stream: arrivals stay in step
        flare = dormant[self.streams.lifecycle.random(len(dormant)) < p["disputes.flare_per_day"]]
        book.state[flare] = State.LATENT
        book.level[flare] = Level.LATENT
        book.intensity[flare] = np.minimum(book.intensity[flare] + 0.1, 1.0)

    def _new_disputes(
        self, counts: np.ndarray, *, rng: np.random.Generator, kind: int | None = None
    ) -> None:
        """Add ``counts[g]`` disputes in each grid g (of ``kind``, or of drawn types)."""
        p, pop = self.p, self.population
        new = draw_disputes(
            counts, rng=rng, grid_start=pop.grid_start, household=pop.household,
            residents_per_grid=self.residents_per_grid, group_share=p["disputes.group_share"],
            group_size_mean=p["disputes.group_size_mean"],
            initial_intensity=p["disputes.initial_intensity"], today=self.today, kind=kind,
        )  # fmt: skip
        if len(new["grid"]):
            self.book.add(len(new["grid"]), **new)
            np.add.at(pop.grievances, new["party_a"], 1)
            np.add.at(pop.grievances, new["party_b"][new["party_b"] >= 0], 1)

    def patrol_and_visit(self) -> None:
        """Staff step: grid workers visit households, Yi Police patrol their areas."""
        p = self.p
        self.visits[:] = 0.0
        self.patrol_hours[:] = 0.0
        self.visit_demand_left[:] = self.households / p["grid_workers.visit_cycle_days"]
        available = [w.grid for w in self.grid_workers if w.available]
        self.workers_available = np.bincount(available, minlength=self.geography.n_grids).astype(
            float
        )
        self._patrol_weights.clear()
        self.grid_workers.do("step")
        self.volunteer_police.shuffle_do("step")
        visits_per_day = p["grid_workers.visits_per_day"]
        self.tally.worker_capacity_visits += self.workers_available.sum() * visits_per_day
        sessions = visits_per_day / max(p["grid_workers.session_visits"], 1e-9)
        self.ladder[0].pool.rate = self.workers_available * sessions * p["population.scale"]
        self.guardians = self.patrol_hours / ACTIVE_HOURS + self.officer_presence

    def patrol_weights(self, team: int) -> np.ndarray | None:
        """Where a team's volunteers patrol today: uniform (None), hotspots, or open cases."""
        strategy = self.p["volunteer_police.strategy"]
        if strategy == "random":
            return None
        if team not in self._patrol_weights:
            area, book = self.team_areas[team], self.book
            states = (State.LATENT, State.QUEUED) if strategy == "hotspot" else (State.QUEUED,)
            ids = book.in_state(*states)
            load = np.bincount(book.grid[ids], minlength=self.geography.n_grids)[area].astype(float)
            if strategy == "hotspot":
                load += 3.0 * self.tally.incidents_by_grid[area]
            weights = load + 1.0
            self._patrol_weights[team] = weights / weights.sum()
        return self._patrol_weights[team]

    def drift(self) -> None:
        """Undetected disputes drift up or fade; waiting ones heat up; impatient ones move on."""
        p, book, rng = self.p, self.book, self.streams.lifecycle
        latent = book.in_state(State.LATENT)
        rise = p["disputes.drift_per_day"] * TYPE_DRIFT[book.kind[latent]]
        rise += (
            rng.normal(0.0, p["disputes.shock_sd"], len(latent))
            if p["disputes.shock_sd"] > 0
            else 0.0
        )
        book.intensity[latent] = np.clip(book.intensity[latent] + rise, 0.0, 1.0)
        fade = latent[rng.random(len(latent)) < p["disputes.fade_per_day"]]
        book.state[fade] = State.DORMANT
        queued = book.in_state(State.QUEUED)
        book.intensity[queued] = np.minimum(
            book.intensity[queued] + p["mediation.wait_drift_per_day"], 1.0
        )
        self._impatient = queued[self.today - book.ready[queued] > p["mediation.patience_days"]]

    def detect(self) -> None:
        """Visits, patrols and self-reports uncover latent disputes; the command centre triages them."""
        p, book, pop, rng = self.p, self.book, self.population, self.streams.detection
        ids = book.in_state(State.LATENT)
        if not len(ids):
            return
        g = book.grid[ids]
        reach = np.where(book.is_group[ids], np.minimum(book.n_parties[ids], 10), 1)
        seen_by_worker = (
            np.minimum(self.visits[g] / self.households[g], 1.0) * p["detection.visit_detect_prob"]
        )
        patrolled = (
            self.patrol_hours[g] * p["detection.households_per_patrol_hour"] / self.households[g]
        )
        seen_on_patrol = np.minimum(patrolled, 1.0) * p["detection.patrol_detect_prob"]
        room = np.where(
            self.trust_room[self.geography.grid_village[g]],
            p["mediation.trust_room_report_factor"],
            1.0,
        )
        intensity = book.intensity[ids]
        reports = (
            p["detection.self_report_per_day"]
            * pop.trust[book.party_a[ids]]
            * (0.5 + intensity)
            * room
        )
        missed = (
            (1 - seen_by_worker) ** reach
            * (1 - seen_on_patrol) ** reach
            * (1 - np.minimum(reports, 1.0))
        )
        found = ids[rng.random(len(ids)) < 1 - missed]
        if not len(found):
            return
        arrived = book.arrived[found]
        when = np.maximum(arrived, self.today) + rng.random(len(found)) * (
            self.today + 1 - np.maximum(arrived, self.today)
        )
        book.detected[found] = np.where(np.isnan(book.detected[found]), when, book.detected[found])
        level = triage(book.intensity[found], red=p["detection.red_intensity"])
        self._move(found, level, handoff=False)

    def mediate(self) -> None:
        """Each rung of the ladder holds the sessions its capacity allows; agreements resolve disputes."""
        book, pop, rng, today = self.book, self.population, self.streams.mediation, self.today
        self._failed = []
        for rung in self.ladder:
            waiting = book.waiting_at(rung.level, today)
            if not len(waiting):
                continue
            served = rung.serve(waiting, book.grid[waiting])
            if not len(served):
                continue
            g, a, b = book.grid[served], book.party_a[served], book.party_b[served]
            trust = np.where(b >= 0, (pop.trust[a] + pop.trust[np.maximum(b, 0)]) / 2, pop.trust[a])
            bonus = rung.bonus_of_grid[g].astype(float)
            if rung.level <= Level.VILLAGE:
                bonus += self.p["volunteer_police.assist_bonus"] * (self.patrol_hours[g] > 0)
            chance = success_probability(
                base=rung.base, skill=rung.skill, trust=trust, intensity=book.intensity[served],
                days_waited=today - np.floor(book.detected[served]),
                difficulty=self.difficulty[book.kind[served]] + self.p["disputes.group_difficulty"] * book.is_group[served],
                bonus=bonus, coef=self.coef,
            )  # fmt: skip
            agreed = rng.random(len(served)) < chance
            petition = rung.level == Level.DISTRICT
            self.tally.record_sessions(
                kinds=book.kind[served], agreed=agreed,
                first_petition=book.petition_sessions[served] == 0 if petition else None,
            )  # fmt: skip
            book.sessions[served] += 1
            if petition:
                book.petition_sessions[served] += 1
            if rung.level == Level.GRID:
                cost = self.p["grid_workers.session_visits"] / self.p["population.scale"]
                np.add.at(self.mediation_debt, g, cost)
            self._resolve(served[agreed])
            self._failed += served[~agreed].tolist()

    def escalate(self) -> None:
        """Parties whose mediation failed choose: act out, drop it, sue, skip levels or go one up."""
        p, book = self.p, self.book
        for i in self._failed:
            book.intensity[i] = min(book.intensity[i] + p["behaviour.fail_intensity"], 1.0)
            self._change_trust(np.array([i]), -p["behaviour.trust_loss"])
            level = Level(book.level[i])
            guard = arrest_probability(
                self.guardians[book.grid[i]], book.n_parties[i], p["police.deterrence_k"]
            )
            response = self.residents[book.party_a[i]].respond_to_failure(
                intensity=float(book.intensity[i]), level=level, arrest_prob=float(guard)
            )
            if response is Response.ACT_OUT:
                self._incident(np.array([i]))
            elif response is Response.DROP:
                book.state[i] = State.DORMANT
            elif response is Response.LITIGATE:
                self._move(np.array([i]), Level.BEYOND)
            elif response is Response.SKIP:
                self._move(np.array([i]), Level.DISTRICT)
            elif level == Level.DISTRICT:
                self._after_petition_failure(i)
            else:
                self._move(np.array([i]), level + 1)
        for i in self._impatient:  # waited longer than their patience: one level up (no session)
            if book.state[i] == State.QUEUED:
                self._change_trust(np.array([i]), -p["behaviour.trust_loss"] / 2)
                self._move(np.array([i]), min(book.level[i] + 1, Level.BEYOND))

    def act_out(self) -> None:
        """Epstein's rule, daily, for every open dispute: grievance minus deterred risk against T."""
        p, book, pop = self.p, self.book, self.population
        ids = book.in_state(State.LATENT, State.QUEUED)
        if not len(ids):
            return
        a, g = book.party_a[ids], book.grid[ids]
        acting = acts_out(
            intensity=book.intensity[ids], trust=pop.trust[a], risk_aversion=pop.risk_aversion[a],
            arrest_prob=arrest_probability(self.guardians[g], book.n_parties[ids], p["police.deterrence_k"]),
            threshold=p["behaviour.act_out_threshold"],
        )  # fmt: skip
        self._incident(ids[acting])

    def update_trust(self) -> None:
        """Apply today's trust changes of the parties (contacts with mediators, waiting)."""
        trust = self.population.trust
        for residents, delta in self._trust_delta:
            np.add.at(trust, residents, delta)
        if self._trust_delta:
            touched = np.concatenate([r for r, _ in self._trust_delta])
            trust[touched] = np.clip(trust[touched], 0.0, 1.0)
        self._trust_delta = []

    def record(self) -> None:
        """Compute the outcome metrics so far and collect the day's row."""
        self.tally.cost_days += self.annual_cost
        self.current = metrics.compute(self)
        self.datacollector.collect(self)

    # ----------------------------------------------------------------- helpers
    def _move(self, ids: np.ndarray, level, *, handoff: bool = True) -> None:
        """Queue disputes at ``level`` (L5 means passed up), after the hand-off delay if sequential."""
        book = self.book
        level = np.broadcast_to(np.asarray(level, dtype=np.int8), ids.shape)
        book.level[ids] = level
        book.max_level[ids] = np.maximum(book.max_level[ids], level)
        joint = self.p["mediation.three_tuning"] == "joint"
        delay = 0.0 if (not handoff or joint) else self.p["mediation.handoff_days"]
        book.ready[ids] = self.today + np.where(level <= Level.TOWN, delay, 1.0)
        book.state[ids] = np.where(level >= Level.BEYOND, State.PASSED_UP, State.QUEUED)
        beyond = ids[level >= Level.BEYOND]
        book.closed[beyond] = self.today + 1.0

    def _after_petition_failure(self, i: int) -> None:
        book, rng = self.book, self.streams.behaviour
        if rng.random() < self.p["petition.persistence"]:
            self._move(np.array([i]), Level.BEYOND)
        elif book.petition_sessions[i] < MAX_PETITION_SESSIONS:
            self._move(np.array([i]), Level.DISTRICT)
        else:
            book.state[i] = State.DORMANT

    def _resolve(self, ids: np.ndarray) -> None:
        book, pop, rng = self.book, self.population, self.streams.mediation
        if not len(ids):
            return
        book.state[ids] = State.RESOLVED
        book.closed[ids] = np.maximum(self.today + rng.random(len(ids)), book.detected[ids])
        chance = satisfaction_probability(
            base=self.p["behaviour.satisfaction_base"], trust=pop.trust[book.party_a[ids]],
            intensity=book.intensity[ids], days_open=book.closed[ids] - book.arrived[ids],
        )  # fmt: skip
        book.satisfied[ids] = rng.random(len(ids)) < chance
        gain = self.p["behaviour.trust_gain"]
        self._change_trust(ids, np.where(book.satisfied[ids], gain, -gain / 2))

    def _incident(self, ids: np.ndarray) -> None:
        if not len(ids):
            return
        self.book.state[ids] = State.INCIDENT
        self.book.closed[ids] = self.today + 0.5
        np.add.at(self.tally.incidents_by_grid, self.book.grid[ids], 1)

    def _change_trust(self, ids: np.ndarray, delta) -> None:
        """Queue a trust change for both parties of disputes ``ids`` (applied in update_trust)."""
        delta = np.broadcast_to(np.asarray(delta, dtype=float), ids.shape)
        a, b = self.book.party_a[ids], self.book.party_b[ids]
        self._trust_delta.append(
            (np.concatenate([a, b[b >= 0]]), np.concatenate([delta, delta[b >= 0]]))
        )
