"""The state of a :class:`~sim.model.governance.GovernanceModel`, as typed records.

- :class:`Staff`: grid workers, Yi Police and police, where they are and what they cost
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

from sim.model.agents import Population, Resident, VolunteerPolice
from sim.model.disputes import DisputeBook
from sim.model.geography import Geography
from sim.model.institutions import Rung
from sim.model.space import PatrolRoutes
from sim.model.staffing import StaffingPlan
from sim.model.streams import Streams
from sim.model.tally import Period, Tally


@dataclass
class Staff:
    """The staff of the simulated towns under the plan in force; agents' own state by index."""

    plan: StaffingPlan  # the plan over the whole map
    workers_per_grid: np.ndarray  # grid workers posted in each grid
    worker_grid: np.ndarray  # each grid worker's grid (by the worker's index)
    worker_diverted_until: np.ndarray  # each grid worker on emergency duty up to this time
    grid_workers: AgentSet  # the GridWorker agents
    volunteers: list[VolunteerPolice]  # the Yi Police, by index (as the volunteer_* arrays)
    volunteer_grid: np.ndarray  # the grid where each volunteer last patrolled
    volunteer_diverted_until: np.ndarray  # each volunteer on emergency duty up to this time
    volunteer_police: AgentSet  # the same VolunteerPolice agents, as Mesa's AgentSet
    patrol_routes: PatrolRoutes  # where a patrol may go next, within its team's area
    police: AgentSet  # the PoliceOfficer agents (town stations and village offices)
    village_office: np.ndarray  # per simulated village unit: one village one police
    officer_presence: np.ndarray  # per grid: police always near (guardians without patrols)
    trust_room: np.ndarray  # per simulated village unit: a trust room
    annual_cost: float  # yearly cost of the plan in the simulated towns, wan yuan


@dataclass
class Institutions:
    """The mediation ladder (L1-L4) and the rates of arrival it faces."""

    ladder: list[Rung]  # grid, village, town, district, in that order
    difficulty: np.ndarray  # logit penalty of each dispute type
    coef: dict[str, float]  # the mediation.*_effect parameters, by name (skill, trust, ...)
    arrival_rate: np.ndarray  # disputes a day expected in each grid
    claim_rate: np.ndarray  # direct claims a day expected in each grid


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
