"""The agents: residents, grid workers, volunteer police ("Yi Police") and community police.

Residents are Mesa agents but hold their state in the model's
:class:`Population` arrays and never step: they act only when party to a
dispute (event-driven), which keeps a 909,277-resident district fast. Staff
agents (a few thousand) sit on the grid cells and do not step either: their
day's work is computed grid by grid in arrays (visits, patrols). Where a grid
worker or a volunteer is, and its emergency duty, live in its :class:`Roster`
at its index; its ``cell`` reads and writes that entry, so moving the agent
the Mesa way changes where it works.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from random import Random

import numpy as np
from mesa import Agent, Model
from mesa.agentset import AgentSet
from mesa.discrete_space import Cell, CellAgent, FixedAgent, Network

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
    grid, household, start = _layout(
        np.asarray(residents_per_grid, dtype=np.int64).tobytes(), float(household_size)
    )
    return Population(
        grid=grid,
        household=household,
        trust=(trust := beta_draws(rng, trust_mean, trust_sd, n)),
        trust_base=trust.copy(),
        risk_aversion=beta_draws(rng, risk_aversion_mean, 0.2, n),
        grievances=np.zeros(n, dtype=np.int16),
        grid_start=start,
    )


@lru_cache(maxsize=2)
def _layout(counts: bytes, household_size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The home grid and household of each resident, and where each grid's residents start,
    for ``counts`` residents per grid (int64 bytes): the same for every model of a map and
    scale, so made once (read only: the models of a process share them)."""
    residents_per_grid = np.frombuffer(counts, dtype=np.int64)
    n = int(residents_per_grid.sum())
    grid = np.repeat(np.arange(len(residents_per_grid), dtype=np.int32), residents_per_grid)
    start = np.concatenate([[0], np.cumsum(residents_per_grid)])
    local = np.arange(n) - start[grid]
    households_per_grid = np.ceil(residents_per_grid / household_size).astype(np.int64)
    household_start = np.concatenate([[0], np.cumsum(households_per_grid)])
    household = household_start[grid] + (local / household_size).astype(np.int64)
    for array in (grid, household, start):
        array.flags.writeable = False
    return grid, household, start


class Response(Enum):
    """What a party does after a failed mediation."""

    ACT_OUT = "act out"
    DROP = "drop"
    ESCALATE = "escalate"
    SKIP = "skip levels"
    LITIGATE = "go to court"


class Home:
    """The model of the residents made together (``size`` of them, in one batch or one by one):
    one record for all of them, so that handing them to the next model of a warm start is one
    assignment (``home.model = model``), not one for each of 909,277 residents."""

    def __init__(self, model: Model, size: int) -> None:
        self.model, self.size = model, size


class Resident(Agent):
    """A resident of a grid: a party to disputes, who chooses what to do after a failed mediation.

    One agent per simulated resident (909,277 at full scale; ``population.scale`` samples
    fewer). Its state (home grid, household, trust, risk aversion) lives in
    ``model.population`` at ``index``, drawn afresh by every model, and the daily phases read
    those arrays for all residents at once; the agent is where a party's own choice is made
    (:meth:`respond_to_failure`, in ``escalate``) and what a Mesa user sees of the residents
    (``model.agents_by_type[Resident]``, ``model.residents[i]``, ``resident.trust``).
    Residents never step and sit on no cell: they do not move, and cells listing some
    1,400 residents each would cost at every staff move; the home grid is ``grid``.
    They are entered in Mesa's registry in one batch, with the ids Mesa would give them
    (:func:`sim.model.construction.make_residents`), and a warm start hands them on to the
    next model of the same map and scale.
    """

    _home: Home  # the model it belongs to, shared with the residents made with it

    def __init__(self, model: Model, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def model(self) -> Model:
        return self._home.model

    @model.setter
    def model(self, model: Model) -> None:
        """Set once, as Mesa's ``Agent.__init__`` sets it: a resident moves to another model
        only with all the residents made with it (a warm start: their ``Home``'s ``model``)."""
        if "_home" in self.__dict__:
            raise AttributeError("a resident moves to another model with its batch only")
        self._home = Home(model, 1)

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


class Roster:
    """Staff agents of one kind, by index, and where each of them is: what the daily phases read.

    ``grid[i]`` is the grid (the cell ``coordinate``) of agent ``i``, -1 when it is off the
    map (removed); ``diverted_until[i]`` the time up to which it is on emergency duty. An
    agent's ``cell`` reads and writes its entry (:meth:`place`), so a move through Mesa
    (``agent.cell = cell``, ``agent.move_to(cell)``) changes where it works from the next
    day on; :meth:`move` moves many at once (the day's patrols). Either way the cells' agent
    lists (``cell.agents``) follow. ``members`` holds the agents on the map.
    """

    def __init__(self, space: Network, grid: np.ndarray, *, random: Random | None) -> None:
        self.space = space
        self.n_grids = len(space.all_cells)
        self._cells = [space[g] for g in range(self.n_grids)]  # the cell of each grid, by index
        # Cells without a capacity hold their agents in a plain list (Mesa's Cell._agents) and
        # say whether they are empty in a plain flag (Cell._empty, behind Cell.empty)
        self._unbounded = all(
            c.capacity is None and isinstance(c._agents, list) and type(c).empty is Cell.empty
            for c in self._cells
        )
        self.grid = np.array(grid, dtype=np.int64)
        self.diverted_until = np.full(len(self.grid), -1.0)
        self.agents: list[StaffAgent] = []  # by index, as they are made
        self.members = AgentSet([], random=random)

    def __len__(self) -> int:
        return len(self.grid)

    def cell_of(self, index: int) -> Cell | None:
        """The cell of agent ``index`` (None: off the map)."""
        grid = int(self.grid[index])
        return None if grid < 0 else self._cells[grid]

    def available(self, time: float) -> np.ndarray:
        """Which agents can work at ``time``: on the map and not on emergency duty."""
        return (self.grid >= 0) & (self.diverted_until < time)

    def per_grid(self, which: np.ndarray | None = None) -> np.ndarray:
        """How many agents are in each grid (of ``which``, a mask; all on the map by default)."""
        grid = self.grid if which is None else self.grid[which]
        return np.bincount(grid[grid >= 0], minlength=self.n_grids)

    def enlist(self, agent: StaffAgent) -> None:
        """Take on the agent made with the next index, in the cell of its grid."""
        if agent.index != len(self.agents) or agent.index >= len(self.grid):
            raise ValueError(
                f"staff agent {agent.index}: the roster of {len(self.grid)} takes index "
                f"{len(self.agents)} next (staff come from the plan: change its settings)"
            )
        self.agents.append(agent)
        cell = self.cell_of(agent.index)
        if cell is not None:
            cell.add_agent(agent)
            self.members.add(agent)

    def place(self, index: int, cell: Cell | None) -> None:
        """Put agent ``index`` in ``cell`` (None: off the map); a cell of another space is refused."""
        old = self.cell_of(index)
        if cell is old:
            return
        agent = self.agents[index]
        if cell is not None:
            where = cell.coordinate
            if not (isinstance(where, int | np.integer) and 0 <= where < self.n_grids) or (
                self.space[int(where)] is not cell
            ):
                raise ValueError(f"{cell!r} is not a cell of this model's map")
            cell.add_agent(agent)
            self.members.add(agent)
        if old is not None:
            old.remove_agent(agent)
        if cell is None:
            self.members.discard(agent)
        self.grid[index] = -1 if cell is None else int(cell.coordinate)

    def move(self, index: np.ndarray, to: np.ndarray) -> None:
        """Agents ``index`` (on the map) to grids ``to``, at once."""
        moved = to != self.grid[index]
        index, to = index[moved], to[moved]
        cells, agents = self._cells, self.agents
        moves = zip(index.tolist(), self.grid[index].tolist(), to.tolist(), strict=True)
        if self._unbounded:  # Cell.add_agent and remove_agent without a capacity, inlined
            for i, old, new in moves:
                agent = agents[i]
                cells[new]._agents.append(agent)
                cells[new]._empty = False
                lost = cells[old]._agents
                lost.remove(agent)
                cells[old]._empty = not lost
        else:
            for i, old, new in moves:
                agent = agents[i]
                cells[new].add_agent(agent)
                cells[old].remove_agent(agent)
        self.grid[index] = to


class StaffAgent(CellAgent):
    """A staff agent whose place and emergency duty are its :class:`Roster`'s entries at ``index``.

    It does not step: the day's work of all staff of its kind is computed grid by grid
    from the roster's arrays (:func:`sim.model.phases.patrol_and_visit`).
    """

    def __init__(self, model: Model, *, roster: Roster, index: int) -> None:
        super().__init__(model)
        self.roster, self.index = roster, index
        roster.enlist(self)

    @property
    def cell(self) -> Cell | None:
        """The cell of its grid (None: off the map, as after ``remove()``)."""
        return self.roster.cell_of(self.index)

    @cell.setter
    def cell(self, cell: Cell | None) -> None:
        self.roster.place(self.index, cell)

    @property
    def diverted_until(self) -> float:
        """On emergency duty (rainstorm, campaign) up to this time."""
        return float(self.roster.diverted_until[self.index])

    @diverted_until.setter
    def diverted_until(self, time: float) -> None:
        self.roster.diverted_until[self.index] = time


class GridWorker(StaffAgent):
    """A grid worker: visits households of its grid each day and mediates small disputes on the spot.

    Posted in its grid by the staffing plan; moving it (``worker.cell = cell``) posts it in
    another grid, whose visits and L1 capacity it then adds to (and mutual aid lends from).
    """

    @property
    def grid(self) -> int:
        """The grid where it is posted (-1: off the map)."""
        return int(self.roster.grid[self.index])


class VolunteerPolice(StaffAgent):
    """A Yi Police volunteer: unpaid, in a team that patrols an area of its town some hours a week.

    A patrol walks from the volunteer's grid (its home grid, then the grid it last patrolled)
    to that grid or an adjacent one of the same patrol area, by the patrol strategy
    (:func:`patrol`), and counts its hours there: detection and deterrence read them. Moving
    the agent (``volunteer.cell = cell``) makes its next patrol start from that cell.
    ``area`` (its team's grids) says which events divert it.
    """

    def __init__(
        self, model: Model, *, roster: Roster, index: int, team: int, area: np.ndarray
    ) -> None:
        super().__init__(model, roster=roster, index=index)
        self.team = team
        self.area = area


def patrol(model: Model) -> None:
    """Today's Yi Police patrols: who goes out, where they walk, the hours they add per grid.

    Each volunteer on the map and not on emergency duty goes out with the chance of a shift;
    it walks from its grid in ``staff.yi_police`` and is moved (array and cell) where it goes.
    """
    staff, rng = model.staff, model.streams.staff
    yi_police = staff.yi_police
    shift_chance = model.p["volunteer_police.patrol_hours_per_week"] / (7 * PATROL_SHIFT_HOURS)
    out = np.flatnonzero(
        yi_police.available(model.time) & (rng.random(len(yi_police)) < shift_chance)
    )
    if not len(out):
        return
    to = staff.patrol_routes.step(yi_police.grid[out], weights=patrol_weights(model), rng=rng)
    yi_police.move(out, to)
    model.patrol_hours += np.bincount(to, minlength=len(model.patrol_hours)) * PATROL_SHIFT_HOURS


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
    """A community police officer, at the town station or (one village one police) in a village office.

    Fixed to its cell (Mesa refuses a move): the police near each grid (``officer_presence``)
    and the town rung's capacity come from the stations and village offices of the plan.
    """

    def __init__(self, model: Model, *, cell, town: int, village: int = -1) -> None:
        super().__init__(model)
        self.cell = cell
        self.town = town
        self.village = village  # -1: at the town station

    @property
    def in_village_office(self) -> bool:
        return self.village >= 0
