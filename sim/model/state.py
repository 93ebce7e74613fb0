"""The state of a :class:`~sim.model.governance.GovernanceModel`, as typed records.

- :class:`Staff`: grid workers, Yi Police and police, where they are (their rosters) and what they cost
  (made by :func:`sim.model.construction.build_staff`, again at an intervention);
- :class:`Institutions`: the mediation ladder and the rates of arrival
  (:func:`sim.model.construction.build_institutions`, again at an intervention);
- :class:`Day`: what one day's phases hand each other (made fresh each day);
- :class:`ModelState`: what the phases, the construction functions and the metrics see of
  the model. ``GovernanceModel`` declares the same attributes in its class body (a test
  checks that they agree); the phases are typed against this protocol so that they need not
  import the module that runs them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from mesa import DataCollector
from mesa.agentset import AgentSet
from mesa.discrete_space import Network
from scipy import sparse

from sim.model.agents import Population, Resident, Roster, StaffAgent
from sim.model.disputes import DisputeBook
from sim.model.geography import Geography
from sim.model.institutions import Rung
from sim.model.space import PatrolRoutes
from sim.model.staffing import StaffingPlan
from sim.model.streams import Streams
from sim.model.tally import Period, Tally


@dataclass
class Staff:
    """The staff of the simulated towns under the plan in force.

    Where each grid worker and volunteer is, and its emergency duty, live in its roster
    (:class:`~sim.model.agents.Roster`): the agents' ``cell`` reads and writes it, and the
    phases read it through the properties below.
    """

    plan: StaffingPlan  # the plan over the whole map
    workers: Roster  # the GridWorker agents by index: where each is posted, its emergency duty
    yi_police: Roster  # the VolunteerPolice agents by index: where each is, its emergency duty
    patrol_routes: PatrolRoutes  # where a patrol may go next, within its team's area
    police: AgentSet  # the PoliceOfficer agents (town stations and village offices)
    village_office: np.ndarray  # per simulated village unit: one village one police
    officer_presence: np.ndarray  # per grid: police always near (guardians without patrols)
    trust_room: np.ndarray  # per simulated village unit: a trust room
    annual_cost: float  # yearly cost of the plan in the simulated towns, wan yuan

    @property
    def grid_workers(self) -> AgentSet:
        """The GridWorker agents on the map."""
        return self.workers.members

    @property
    def worker_grid(self) -> np.ndarray:
        """Each grid worker's grid (by the worker's index; -1: off the map)."""
        return self.workers.grid

    @property
    def worker_diverted_until(self) -> np.ndarray:
        """Each grid worker on emergency duty up to this time."""
        return self.workers.diverted_until

    @property
    def workers_per_grid(self) -> np.ndarray:
        """Grid workers posted in each grid now."""
        return self.workers.per_grid()

    @property
    def volunteer_police(self) -> AgentSet:
        """The VolunteerPolice agents on the map."""
        return self.yi_police.members

    @property
    def volunteers(self) -> list[StaffAgent]:
        """The Yi Police by index (as the ``volunteer_*`` arrays)."""
        return self.yi_police.agents

    @property
    def volunteer_grid(self) -> np.ndarray:
        """The grid of each volunteer: where it last patrolled (-1: off the map)."""
        return self.yi_police.grid

    @property
    def volunteer_diverted_until(self) -> np.ndarray:
        """Each volunteer on emergency duty up to this time."""
        return self.yi_police.diverted_until

    @property
    def volunteers_per_grid(self) -> np.ndarray:
        """Yi Police in each grid now."""
        return self.yi_police.per_grid()

    def remove_agents(self) -> None:
        """Take every staff agent off the model and the map (an intervention rebuilds the staff)."""
        for agent in [*self.workers.agents, *self.yi_police.agents, *self.police]:
            agent.remove()


@dataclass
class Institutions:
    """The mediation ladder (L1-L4) and the rates of arrival it faces."""

    ladder: list[Rung]  # grid, village, town, district, in that order
    difficulty: np.ndarray  # logit penalty of each dispute type
    coef: dict[str, float]  # the mediation.*_effect parameters, by name (skill, trust, ...)
    arrival_rate: np.ndarray  # disputes a day expected in each grid
    claim_rate: np.ndarray  # direct claims a day expected in each grid
    # The rungs' constants side by side (made once: a rung's bonuses, base and skill do not
    # change after it is built), read for every session: indexed by rung (level - L1).
    bonus: np.ndarray = field(init=False)  # logit bonus, by rung and grid
    base: np.ndarray = field(init=False)  # base logit, by rung
    skill: np.ndarray = field(init=False)  # staff skill, by rung

    def __post_init__(self) -> None:
        self.bonus = np.stack([r.bonus_of_grid for r in self.ladder]).astype(float)
        self.base = np.array([r.base for r in self.ladder])
        self.skill = np.array([r.skill for r in self.ladder])


def _no_ids() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass
class Day:
    """What one day's phases hand each other (``GovernanceModel.step`` makes it fresh)."""

    impatient: np.ndarray = field(default_factory=_no_ids)  # from drift: queued too long
    failed: list[int] = field(default_factory=list)  # from mediate: sessions without agreement
    # Queued by mediate and escalate, applied by update_trust: (residents, change of trust).
    trust_changes: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)


class ModelState(Protocol):
    """What the daily phases, the construction functions and the metrics read and write of the model
    (see :class:`~sim.model.governance.GovernanceModel` for what each holds)."""

    p: dict[str, Any]
    streams: Streams
    today: int
    geography: Geography
    district: Geography
    space: Network
    adjacency: sparse.csr_array
    full_grid_risk: np.ndarray
    grid_risk: np.ndarray
    residents_per_grid: np.ndarray
    households: np.ndarray
    population: Population
    residents: list[Resident]
    staff: Staff
    institutions: Institutions
    visits: np.ndarray
    patrol_hours: np.ndarray
    guardians: np.ndarray
    mediation_debt: np.ndarray
    workers_available: np.ndarray
    damage_surge: np.ndarray
    tension: np.ndarray
    book: DisputeBook
    day: Day
    tally: Tally
    warmup: int
    measured: Period
    year: Period
    years: list[dict[str, float]]
    series: bool
    datacollector: DataCollector

    @property
    def current(self) -> dict[str, float]: ...  # every metric over the measured period so far

    @property
    def time(self) -> float: ...  # Mesa's model time

    @property
    def random(self) -> random.Random: ...  # Mesa's random generator (agent sets shuffle with it)
