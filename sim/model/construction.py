"""Building the district: residents, staff (grid workers, Yi Police, police), the ladder.

``build_staff`` and ``build_institutions`` return the model's :class:`~sim.model.state.Staff`
and :class:`~sim.model.state.Institutions`; they run again when an intervention changes
policy during a run (residents and disputes carry on). They read the model as
:class:`~sim.model.state.ModelState`, so that this module does not import the model's.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Sequence
from itertools import islice

import numpy as np
from mesa import Model
from mesa.agentset import AgentSet

from sim.model.agents import GridWorker, Home, PoliceOfficer, Resident, Roster, VolunteerPolice
from sim.model.disputes import type_difficulty
from sim.model.geography import Geography, largest_remainder
from sim.model.institutions import grid_rung, petition_rung, town_rung, village_rung
from sim.model.mapcheck import staffing_plan
from sim.model.places import Places
from sim.model.space import PatrolRoutes
from sim.model.staffing import (
    StaffingPlan,
    annual_cost,
    workers_in_grids,
    yi_police_teams,
)
from sim.model.state import Institutions, ModelState, Staff


def residents_per_grid(geo: Geography, scale: float) -> np.ndarray:
    """Simulated residents of each grid: its population times ``population.scale``, rounded
    so that the total is the district's times the scale."""
    if scale == 1.0:
        return geo.grid_population.copy()
    return largest_remainder(
        round(geo.grid_population.sum() * scale), geo.grid_population.astype(float)
    )


def make_residents(
    model: Model, n: int, *, take_over: Sequence[Resident] | None = None
) -> list[Resident]:
    """``n`` Resident agents, registered with ``model`` in one batch, or ``take_over``'s
    (what they are for: :class:`~sim.model.agents.Resident`).

    Mesa registers agents one at a time (``Agent.__init__`` calls
    ``Model.register_agent``, which emits a signal and logs each one): for
    909,277 residents that is ~2.5 s, ten times the cost of making the
    objects. Here the residents are made and entered in the model's agent
    registry (``model.agents``, ``model.agents_by_type[Resident]``) as a
    batch, with the unique ids Mesa would give them, so the model is the one
    ``Resident(model, i)`` for each ``i`` would build (a test checks it).

    ``take_over``: the residents of an earlier model with the same map and
    scale (a warm start, :mod:`sim.runs.warm`). They move to ``model`` all at
    once (their shared :class:`~sim.model.agents.Home`), keep their ids, and the
    earlier model must not be used again. Resident state
    lives in ``model.population``, drawn afresh, so a warm model equals a
    cold one.
    """
    if Resident._datasets or model.agents:
        # Mesa's data registry tracks Residents, or agents came first: the usual way
        return [Resident(model, i) for i in range(n)]
    if take_over is not None and len(take_over) != n:
        raise ValueError(f"cannot take over {len(take_over)} residents for a model of {n}")
    was_enabled = gc.isenabled()
    gc.disable()  # ~900,000 objects kept, not garbage: a collection would walk them for nothing
    try:
        if take_over is not None:  # made by this function: ids and indices are already right
            residents = list(take_over)
            known = _registered(residents)
            home = residents[0]._home if residents else Home(model, 0)
            if home.size != n or residents[-1]._home is not home:  # not made in one batch
                home = Home(model, n)
                for resident in residents:
                    resident.__dict__["_home"] = home
            home.model = model  # all of them at once
        else:
            known, home = None, Home(model, n)
            residents = [Resident.__new__(Resident) for _ in range(n)]
            for i, resident in enumerate(residents):
                resident.__dict__.update(_home=home, unique_id=i + 1, pos=None, index=i)
        register_in_batch(model, Resident, residents, known=known)
        if known is None:
            _to_oldest_generation()
    finally:
        if was_enabled:
            gc.enable()
    return residents


def _to_oldest_generation() -> None:
    """Move every object the garbage collector tracks into its oldest generation at once.

    New residents (and their dicts: ~1.8 million objects) would otherwise be walked by the
    next collection of the youngest generation and again by the next of the middle one
    (~0.3 s in all) before they reach the oldest, where they belong: they live as long as
    the model. ``gc.freeze`` then ``gc.unfreeze`` moves them there without walking them;
    nothing is collected or kept alive that would not be otherwise (objects frozen before,
    such as the few hundred the interpreter freezes as it starts, go to the oldest generation
    too: still alive, collectable again).
    """
    gc.freeze()
    gc.unfreeze()


def _registered(residents: list[Resident]) -> tuple[dict, dict] | None:
    """The earlier model's registries of exactly ``residents`` in their order: of its
    residents, and of all its agents with the others (its staff, entered after the residents)
    taken out; or None. The earlier model is left with an empty registry of all agents; its
    registry of residents is the later model's (an AgentSet of it a user holds still lists them)."""
    if not residents:
        return None
    earlier = residents[0].model
    by_kind = getattr(earlier, "_agents_by_type", {}).get(Resident)
    known = getattr(by_kind, "_agents", None)
    everyone = getattr(getattr(earlier, "_all_agents", None), "_agents", None)
    if not isinstance(known, dict) or not isinstance(everyone, dict):
        return None
    staff = len(everyone) - len(residents)  # entered after the residents
    if len(known) != len(residents) or staff < 0:
        return None
    first, last = residents[0], residents[-1]
    if next(iter(known)) is not first or next(reversed(known)) is not last:
        return None
    if (
        next(iter(everyone)) is not first
        or next(islice(reversed(everyone), staff, None)) is not last
    ):
        return None
    for agent in list(islice(reversed(everyone), staff)):  # checked first: nothing half done
        del everyone[agent]  # a few thousand staff: cheaper than copying 909,277 residents
    earlier._all_agents._agents = {}  # its registry of residents: one dict with the later model's
    return known, everyone


def register_in_batch(
    model: Model, kind: type, agents: list, *, known: tuple[dict, dict] | None = None
) -> None:
    """Enter ``agents`` (ids 1..n, the model's first agents) in Mesa's registry, as
    ``Model.register_agent`` would one by one (the registry's storage is Mesa's own).
    ``known``: registry dicts of the same agents in the same order, of their kind and of all
    agents (an earlier model's, which is not used again), taken over rather than copied."""
    if known is not None:
        of_kind = type(model.agents)([], random=model.random)
        of_kind._agents, model.agents._agents = known
    else:
        of_kind = type(model.agents)(agents, random=model.random)
        model.agents._agents.update(of_kind._agents)  # a copy of the same keys: no rehashing
    model._agents_by_type[kind] = of_kind
    model.agent_id_counter += len(agents)


def build_staff(model: ModelState, full: Geography, keep: np.ndarray) -> Staff:
    """Grid workers, Yi Police and police of the simulated towns under the plan in force
    (``full``: the whole map; ``keep``: its grids simulated), placed on the model's cells:
    grid workers and volunteers through their rosters (``Staff.workers``, ``Staff.yi_police``)."""
    p, geo = model.p, model.geography
    plan = staffing_plan(full, p, model.full_grid_risk)
    simulated = np.zeros(full.n_villages, dtype=bool)  # units with a grid simulated: only theirs
    simulated[full.grid_village[keep]] = True  # are shared out (a unit's grids are its own)
    workers = workers_in_grids(
        full,
        np.where(simulated, plan.grid_workers, 0),
        rule=p["grid_workers.allocation"],
        risk=model.full_grid_risk,
    )[keep]
    if plan.grid_workers.sum() > 0 and workers.sum() == 0:
        warnings.warn(
            f"grid_workers.total = {p['grid_workers.total']} is for the whole district: the "
            "simulated towns' share rounds to 0 grid workers",
            stacklevel=2,
        )
    grid_workers = Roster(
        model.space, np.repeat(np.arange(geo.n_grids), workers), random=model.random
    )
    for i in range(len(grid_workers)):
        GridWorker(model, roster=grid_workers, index=i)
    yi_police, grid_area = _yi_police(model, full, keep, plan)
    police, village_office = _police(model, full, keep, plan)

    # Guardians always near a grid: its village officer, and station officers discounted by travel.
    grids_in_village = np.bincount(geo.grid_village, minlength=geo.n_villages)
    grids_in_town = np.bincount(geo.grid_town, minlength=geo.n_towns)
    in_village = (
        village_office[geo.grid_village]
        * p["police.village_officer_guardians"]
        / grids_in_village[geo.grid_village]
    )
    from_station = (
        p["police.officers_per_town"] / grids_in_town[geo.grid_town] * np.exp(-geo.travel_hours)
    )
    trust_room = plan.trust_room[np.unique(full.grid_village[keep])]
    cost = annual_cost(
        grid_workers=len(grid_workers),
        volunteers=len(yi_police),
        officers=len(police),
        trust_rooms=int(trust_room.sum()),
        supermarket=p["petition.supermarket"],
        population_share=geo.grid_population.sum() / full.grid_population.sum(),
        costs={k.split(".")[1]: v for k, v in p.items() if k.startswith("costs.")},
    )
    return Staff(
        plan=plan,
        workers=grid_workers,
        yi_police=yi_police,
        patrol_routes=PatrolRoutes.within(model.adjacency, grid_area),
        police=police,
        village_office=village_office,
        officer_presence=in_village + from_station,
        trust_room=trust_room,
        annual_cost=cost,
    )


def _yi_police(
    model: ModelState, full: Geography, keep: np.ndarray, plan: StaffingPlan
) -> tuple[Roster, np.ndarray]:
    """The Yi Police of the simulated towns, in teams each patrolling an area: their roster
    (each volunteer at its home grid) and each grid's area (named by its first grid; -1: none)."""
    p, geo = model.p, model.geography
    sub_index = np.full(full.n_grids, -1)
    sub_index[keep] = np.arange(geo.n_grids)
    all_teams = yi_police_teams(
        full,
        plan.volunteer_police,
        team_size=p["volunteer_police.team_size"],
        areas_per_town=p["volunteer_police.areas_per_town"],
        rng=model.streams.staff,
    )
    teams = [t for t in all_teams if full.town_names[t.town] in geo.town_names]
    grid_area = np.full(geo.n_grids, -1)
    areas = [sub_index[team.area] for team in teams]
    for area in areas:
        grid_area[area] = area[0]
    homes = [sub_index[team.homes] for team in teams]
    roster = Roster(
        model.space,
        np.concatenate(homes) if homes else np.zeros(0, dtype=np.int64),
        random=model.random,
    )
    for number, (area, home) in enumerate(zip(areas, homes, strict=True)):
        for _ in home:
            VolunteerPolice(model, roster=roster, index=len(roster.agents), team=number, area=area)
    return roster, grid_area


def _police(
    model: ModelState, full: Geography, keep: np.ndarray, plan: StaffingPlan
) -> tuple[AgentSet, np.ndarray]:
    """Community police: ``police.officers_per_town`` at each town's station
    (``Geography.station``, from which the map's travel times are measured), and one in
    each village with a village office; and the offices."""
    p, geo = model.p, model.geography
    officers = [
        PoliceOfficer(model, cell=model.space[int(geo.station[t])], town=t)
        for t in range(geo.n_towns)
        for _ in range(p["police.officers_per_town"])
    ]
    village_office = plan.village_office[np.unique(full.grid_village[keep])]
    for v in np.flatnonzero(village_office):
        grids = np.flatnonzero(geo.grid_village == v)
        top = grids[np.argmax(geo.grid_population[grids])]
        town = int(geo.village_town[v])
        officers.append(PoliceOfficer(model, cell=model.space[top], town=town, village=int(v)))
    return AgentSet(officers, random=model.random), village_office


def centre_hours(model: ModelState) -> np.ndarray:
    """Mediation hours a day of each simulated town's comprehensive-governance centre."""
    p, geo = model.p, model.geography
    hours = np.full(geo.n_towns, p["mediation.town_centre_hours_per_day"], dtype=float)
    by_town = Places(model.district).town_table(
        p["mediation.town_centre_hours_by_town"], key="mediation.town_centre_hours_by_town"
    )
    for t, h in by_town.items():
        name = model.district.town_names[t]
        if name in geo.town_names:
            hours[geo.town_names.index(name)] = h
    return hours


def build_institutions(model: ModelState) -> Institutions:
    """The mediation ladder for the model's staff (``model.staff``), and the rates of arrival."""
    p, geo, staff = model.p, model.geography, model.staff
    joint_bonus = p["mediation.joint_bonus"] * (p["mediation.three_tuning"] == "joint")
    scale = p["population.scale"]
    officers_in_town = np.bincount([o.town for o in staff.police], minlength=geo.n_towns)
    ladder = [
        grid_rung(
            n_grids=geo.n_grids,
            skill=p["grid_workers.skill"],
            base=p["mediation.base_grid"],
            bonus=np.zeros(geo.n_grids),
        ),
        village_rung(
            grid_village=geo.grid_village,
            n_villages=geo.n_villages,
            sessions_per_day=p["mediation.village_sessions_per_day"],
            scale=scale,
            skill=p["mediation.village_skill"],
            base=p["mediation.base_village"],
            trust_room=staff.trust_room,
            trust_room_bonus=p["mediation.trust_room_bonus"],
            joint_bonus=joint_bonus,
            village_office=staff.village_office,
            police_sessions_per_day=p["police.village_sessions_per_day"],
            police_bonus=p["police.village_mediation_bonus"],
        ),
        town_rung(
            grid_town=geo.grid_town,
            scale=scale,
            hours_per_day=officers_in_town * p["police.hours_per_day"] + centre_hours(model),
            skill=p["mediation.town_skill"],
            base=p["mediation.base_town"],
            session_hours=p["police.session_hours"],
            travel_hours=geo.travel_hours,
            village_office=staff.village_office[geo.grid_village],
            response_hours=p["police.village_response_hours"],
            joint_bonus=joint_bonus,
        ),
        petition_rung(
            n_grids=geo.n_grids,
            scale=scale,
            sessions_per_day=p["petition.counters"] * p["petition.sessions_per_counter"],
            skill=p["petition.skill"],
            base=p["mediation.base_petition"],
            supermarket=p["petition.supermarket"],
            supermarket_bonus=p["petition.supermarket_bonus"],
        ),
    ]
    return Institutions(
        ladder=ladder,
        difficulty=type_difficulty(p["disputes.land_difficulty"], p["claims.difficulty"]),
        coef={k: p[f"mediation.{k}_effect"] for k in ("skill", "trust", "intensity", "wait")},
        # Disputes per simulated resident per day, times the grid's risk.
        arrival_rate=(
            p["disputes.rate_per_1k"] / 1000 / 365 * model.residents_per_grid * model.grid_risk
        ),
        claim_rate=p["claims.rate_per_10k"] / 10_000 / 365 * model.residents_per_grid,
    )
