"""The agents: residents, grid workers, volunteer police ("Yi Police") and community police.

Residents are Mesa agents but hold their state in the model's
:class:`Population` arrays and never step: they act only when party to a
dispute (event-driven), which keeps a 909,277-resident district fast. Staff
agents (a few thousand) sit on the grid cells; their day's work is computed
grid by grid in arrays (visits, patrols), with each agent's own state (its
emergency duty, a volunteer's last grid) in the model's arrays at its index.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
from mesa import Agent, Model
from mesa.discrete_space import CellAgent, FixedAgent

from sim.model.disputes import Level, State, act_out_chance, beta_mean_sd

PATROL_SHIFT_HOURS = 4.0  # [assumption] one Yi Police patrol shift


@dataclass
class Population:
    """Per-resident state, indexed by resident (residents are sorted by home grid)."""

    grid: np.ndarray  # home grid
    household: np.ndarray  # household id (unique in the district)
    trust: np.ndarray  # trust in local mediation, 0-1
    trust_base: np.ndarray  # the trust a resident returns to as experiences fade
    risk_aversion: np.ndarray  # Epstein's R, 0-1
    grievances: np.ndarray  # disputes this resident has been party to
    grid_start: np.ndarray  # residents of grid g are grid_start[g]:grid_start[g + 1]

    def __len__(self) -> int:
        return len(self.grid)


def beta_draws(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    """``n`` draws from the beta distribution with this mean and standard deviation."""
    if sd <= 0:
        return np.full(n, min(max(mean, 0.0), 1.0))
    return rng.beta(*beta_mean_sd(mean, sd), n)


def build_population(
    *,
    residents_per_grid: np.ndarray,
    household_size: float,
    trust_mean: float,
    trust_sd: float,
    risk_aversion_mean: float,
    rng: np.random.Generator,
) -> Population:
    """Residents of each grid, grouped into households of about ``household_size``."""
    n = int(residents_per_grid.sum())
    grid = np.repeat(np.arange(len(residents_per_grid), dtype=np.int32), residents_per_grid)
    start = np.concatenate([[0], np.cumsum(residents_per_grid)])
    local = np.arange(n) - start[grid]
    households_per_grid = np.ceil(residents_per_grid / household_size).astype(np.int64)
    household_start = np.concatenate([[0], np.cumsum(households_per_grid)])
    household = household_start[grid] + (local / household_size).astype(np.int64)
    return Population(
        grid=grid,
        household=household,
        trust=(trust := beta_draws(rng, trust_mean, trust_sd, n)),
        trust_base=trust.copy(),
        risk_aversion=beta_draws(rng, risk_aversion_mean, 0.2, n),
        grievances=np.zeros(n, dtype=np.int16),
        grid_start=start,
    )


class Response(Enum):
    """What a party does after a failed mediation."""

    ACT_OUT = "act out"
    DROP = "drop"
    ESCALATE = "escalate"
    SKIP = "skip levels"
    LITIGATE = "go to court"


class Resident(Agent):
    """A resident of a grid. State lives in ``model.population`` at ``index``."""

    def __init__(self, model: Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def grid(self) -> int:
        return int(self.model.population.grid[self.index])

    @property
    def trust(self) -> float:
        return float(self.model.population.trust[self.index])

    @property
    def risk_aversion(self) -> float:
        return float(self.model.population.risk_aversion[self.index])

    def respond_to_failure(self, *, intensity: float, level: Level, arrest_prob: float) -> Response:
        """After a failed mediation: act out (Epstein's rule, smoothed), drop it, sue, skip levels or go one up.

        After a failure at town level some parties go to court (L5); low
        trust makes a party skip straight to a petition (L4) from L1-L2.
        """
        m = self.model
        chance = act_out_chance(
            intensity=intensity,
            trust=self.trust,
            risk_aversion=self.risk_aversion,
            arrest_prob=arrest_prob,
            threshold=m.p["behaviour.act_out_threshold"],
            spread=m.p["behaviour.act_out_spread"],
        )
        if m.streams.acting.random() < chance:
            return Response.ACT_OUT
        if m.streams.behaviour.random() < m.p["behaviour.drop_prob"] * (1.0 - intensity):
            return Response.DROP
        if level == Level.TOWN and m.streams.behaviour.random() < m.p["behaviour.litigation_share"]:
            return Response.LITIGATE
        if level <= Level.VILLAGE and self.trust < m.p["behaviour.skip_trust"]:
            return Response.SKIP
        return Response.ESCALATE


class GridWorker(FixedAgent):
    """A grid worker: visits households of one grid each day and mediates small disputes on the spot.

    The day's work of all grid workers is computed grid by grid, in arrays
    (:func:`sim.model.phases.patrol_and_visit`); an agent's own state (its
    emergency duty) lives in ``model.staff.worker_diverted_until`` at ``index``.
    """

    def __init__(self, model: Model, *, cell, grid: int, index: int) -> None:
        super().__init__(model)
        self.cell = cell
        self.grid = grid
        self.index = index

    @property
    def diverted_until(self) -> float:
        """On emergency duty (rainstorm, campaign) up to this time."""
        return float(self.model.staff.worker_diverted_until[self.index])

    @diverted_until.setter
    def diverted_until(self, time: float) -> None:
        self.model.staff.worker_diverted_until[self.index] = time


class VolunteerPolice(CellAgent):
    """A Yi Police volunteer: unpaid, in a team that patrols an area of its town some hours a week.

    A patrol walks from the volunteer's last grid to an adjacent grid of the
    area (or stays), by the patrol strategy (:func:`patrol`). State lives in
    ``model.staff``'s ``volunteer_*`` arrays at ``index``.
    """

    def __init__(self, model: Model, *, cell, team: int, area: np.ndarray, index: int) -> None:
        super().__init__(model)
        self.cell = cell
        self.team = team
        self.area = area
        self.index = index

    @property
    def diverted_until(self) -> float:
        return float(self.model.staff.volunteer_diverted_until[self.index])

    @diverted_until.setter
    def diverted_until(self, time: float) -> None:
        self.model.staff.volunteer_diverted_until[self.index] = time


def patrol(model: Model) -> None:
    """Today's Yi Police patrols: who goes out, where they walk, the hours they add per grid."""
    staff, rng = model.staff, model.streams.staff
    shift_chance = model.p["volunteer_police.patrol_hours_per_week"] / (7 * PATROL_SHIFT_HOURS)
    n = len(staff.volunteer_grid)
    out = np.flatnonzero(
        (staff.volunteer_diverted_until < model.time) & (rng.random(n) < shift_chance)
    )
    if not len(out):
        return
    to = staff.patrol_routes.step(staff.volunteer_grid[out], weights=patrol_weights(model), rng=rng)
    staff.volunteer_grid[out] = to
    np.add.at(model.patrol_hours, to, PATROL_SHIFT_HOURS)
    for i, grid in zip(out, to, strict=True):
        staff.volunteers[i].cell = model.space[int(grid)]


def patrol_weights(model: Model) -> np.ndarray | None:
    """How strongly patrols are drawn to each grid: evenly (None), hotspots, or open cases."""
    strategy = model.p["volunteer_police.strategy"]
    if strategy == "random":
        return None
    book = model.book
    states = (State.LATENT, State.QUEUED) if strategy == "hotspot" else (State.QUEUED,)
    load = np.bincount(book.grid[book.in_state(*states)], minlength=model.geography.n_grids)
    load = load.astype(float)
    if strategy == "hotspot":
        load += 3.0 * model.tally.incidents_by_grid
    return load + 1.0


class PoliceOfficer(FixedAgent):
    """A community police officer, at the town station or (one village one police) in a village office."""

    def __init__(self, model: Model, *, cell, town: int, village: int = -1) -> None:
        super().__init__(model)
        self.cell = cell
        self.town = town
        self.village = village  # -1: at the town station

    @property
    def in_village_office(self) -> bool:
        return self.village >= 0
