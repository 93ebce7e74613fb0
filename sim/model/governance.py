"""GovernanceModel: the wiring of the district and the daily order of phases.

The district is built in :mod:`sim.model.construction`; one step is one day,
made of the phases of :mod:`sim.model.phases`, in this order::

    arrive_disputes -> patrol_and_visit -> drift -> detect -> mediate
      -> escalate -> act_out -> update_trust -> record

Residents do not step; only the parties to a dispute act. Staff work is
computed grid by grid in ``patrol_and_visit``, from where the staff agents are
(their rosters, which an agent's ``cell`` reads and writes). Per-grid and
per-dispute state lives in numpy arrays. The first ``run.warmup_days`` days are
not counted. A model is built for ``days`` measured days: Mesa's ``run_model()``
runs the warm-up and those days, then stops (``running`` is false).
Interventions and events (:mod:`sim.model.timeline`) are scheduled with Mesa's
``schedule_event`` and run between days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, cast

import mesa
import numpy as np
from mesa import DataCollector
from mesa.agentset import AgentSet
from mesa.discrete_space import Network
from scipy import sparse

from sim.model import metrics
from sim.model.agents import Population, Resident, build_population
from sim.model.checks import whole_argument
from sim.model.construction import (
    build_institutions,
    build_staff,
    make_residents,
    residents_per_grid,
)
from sim.model.disputes import DisputeBook
from sim.model.geography import Geography, simulated_map
from sim.model.mapcheck import check_against_map, grid_risk
from sim.model.parameters import ParameterError, resolve
from sim.model.phases import PHASES
from sim.model.space import adjacency_matrix
from sim.model.staffing import StaffingPlan
from sim.model.state import Day, Institutions, Staff
from sim.model.streams import MAX_SEED, Streams
from sim.model.tally import Period, Tally
from sim.model.timeline import FIXED_SECTIONS, MAX_DAYS, Timeline, TimelinePlayer


class GovernanceModel(mesa.Model):
    """Grassroots governance in Xinhui: residents, staff and mediation on the grid map.

    Args:
        params: dotted parameter overrides (``{"grid_workers.total": 2000}``); see
            :mod:`sim.model.parameters` for every key, its default and unit.
        rng: integer seed (0 to 2**63 - 1; numpy integers and whole-valued floats too);
            ``None`` draws one (kept in ``model.seed``).
        days: the measured days the run is built for (1 to 36,500; default 365, as
            :func:`sim.run`): its horizon is ``warmup + days`` steps, after which
            ``running`` is false, so Mesa's ``run_model()`` returns there (``step()`` and
            ``run_for`` go on past it if called). The timeline must fit in these days.
        timeline: interventions and events (:class:`sim.model.timeline.Timeline`) to schedule.
        residents: the Resident agents of an earlier model of the same map and
            ``population.scale`` to take over instead of making new ones (a warm start,
            :mod:`sim.runs.warm`); the earlier model must not be used again. The model is the
            same as a cold one: resident state lives in ``model.population``, drawn afresh.
        series: collect the daily time series (``model.datacollector``); ``False`` for
            evaluations that need only the measured period's and each year's metrics
            (``model.current``, ``metrics.yearly``), which are the same either way.

    The warm-up is not observed: ``datacollector`` gets its first row at the end of the first
    measured day (``day`` 1), and ``model.current`` is empty until then, so after
    ``run_model()`` the collector holds ``days`` rows, not ``warmup + days``.

    Everything the model holds is declared below (besides what Mesa's ``Model`` holds:
    ``agents``, ``time``, ``steps``, ``random``); the phases see it as
    :class:`sim.model.state.ModelState`.
    """

    # Settings, randomness and the clock
    p: dict[str, Any]  # the resolved parameters in force (an intervention changes them)
    seed: int
    streams: Streams  # one random stream per mechanism
    today: int  # day index of the step in progress (0-based, warm-up included)
    warmup: int  # days run before anything is counted
    days: int  # measured days the run is built for
    running: bool  # Mesa's flag: false once the horizon (warmup + days steps) is reached
    # The map
    district: Geography  # the whole map
    keep: np.ndarray  # which of its grids are simulated
    geography: Geography  # the simulated part
    space: Network  # Mesa's network of grid cells
    adjacency: sparse.csr_array  # its adjacency, what the spatial processes read
    # Residents (state in numpy arrays, indexed by resident)
    full_grid_risk: np.ndarray  # each grid's dispute risk, over the whole map
    grid_risk: np.ndarray  # the same, of the simulated grids
    residents_per_grid: np.ndarray  # simulated residents of each grid
    households: np.ndarray  # households of each grid (at full scale)
    population: Population
    residents: list[Resident]  # the Resident agents, by index into ``population``
    # Staff and institutions (rebuilt by an intervention)
    staff: Staff
    institutions: Institutions
    # Per-grid state of the day, indexed by grid
    visits: np.ndarray  # household visits made today
    patrol_hours: np.ndarray  # Yi Police patrol hours today
    guardians: np.ndarray  # police and patrols near, who deter acting out
    mediation_debt: np.ndarray  # grid workers' mediation time still to make up, in visits
    workers_available: np.ndarray  # grid workers not on emergency duty today
    damage_surge: np.ndarray  # extra damage disputes a day (set by a rainstorm event)
    tension: np.ndarray  # raised by incidents in the grid and adjacent grids, fades
    # Disputes, the day's hand-offs and the outcomes
    book: DisputeBook  # every dispute and claim of the run
    day: Day  # what today's phases hand each other (fresh each day)
    tally: Tally  # counters the metrics need beyond the book
    measured: Period  # the measured period: from the end of the warm-up
    year: Period  # the year in progress
    years: list[dict[str, float]]  # metrics of each completed year
    series: bool  # collect the daily time series
    datacollector: DataCollector  # the daily time series (with ``series``)
    timeline: TimelinePlayer
    _current: tuple[int, dict[str, float]]  # (steps when computed, metrics)

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        rng: int | None = None,
        timeline: Timeline | None = None,
        residents: Sequence[Resident] | None = None,
        series: bool = True,
        days: int = 365,
    ) -> None:
        p = resolve(params)
        check_against_map(p, timeline)
        days = whole_argument("days", days, low=1, high=MAX_DAYS)
        if timeline:
            timeline.check_days(days)
        if rng is None:
            seed = int(cast(int, np.random.SeedSequence().entropy) % 2**63)
        else:
            seed = whole_argument("rng", rng, low=0, high=MAX_SEED)
        super().__init__(rng=seed)
        self.p, self.seed, self.streams = p, seed, Streams.from_seed(seed)
        self.today = 0
        self.warmup, self.days = p["run.warmup_days"], days

        full, geo = simulated_map(p["map.file"], p["map.towns"])
        self.district, self.geography = full, geo
        self.keep = np.array([full.grid_ids.index(g) for g in geo.grid_ids])
        self.space = geo.network(random=self.random)
        self.adjacency = adjacency_matrix(self.space)

        self.full_grid_risk = grid_risk(full, sd=p["map.risk_sd"], rng=self.streams.map)
        self.grid_risk = self.full_grid_risk[self.keep]
        self.residents_per_grid = residents_per_grid(geo, p["population.scale"])
        self.households = np.maximum(geo.grid_population / p["population.household_size"], 1.0)
        self.population = build_population(
            residents_per_grid=self.residents_per_grid,
            household_size=p["population.household_size"],
            trust_mean=p["population.trust_mean"],
            trust_sd=p["population.trust_sd"],
            risk_aversion_mean=p["population.risk_aversion_mean"],
            rng=self.streams.population,
        )
        self.residents = make_residents(self, len(self.population), take_over=residents)

        self.staff = build_staff(self, full, self.keep)
        self.institutions = build_institutions(self)
        n = geo.n_grids
        self.visits, self.patrol_hours = np.zeros(n), np.zeros(n)
        self.guardians = self.staff.officer_presence.copy()  # as on a day without patrols
        self.mediation_debt, self.workers_available = np.zeros(n), np.zeros(n)
        self.damage_surge, self.tension = np.zeros(n), np.zeros(n)

        self.book = DisputeBook()
        self.day = Day()
        self.tally = Tally.empty(n)
        self.measured = self.year = Period(float(self.warmup), self.tally.copy())
        self.years = []
        self.series = series
        self._current = (-1, {})
        self.datacollector = DataCollector(
            model_reporters={name: partial(metrics.read, name) for name in metrics.SERIES}
        )
        self.timeline = TimelinePlayer(self, timeline or Timeline())

    @property
    def horizon(self) -> int:
        """Steps the run is built for: the warm-up and the measured ``days``."""
        return self.warmup + self.days

    @property
    def current(self) -> dict[str, float]:
        """Every metric over the measured period so far (empty during the warm-up)."""
        if self.steps <= self.warmup:
            return {}
        if self._current[0] != self.steps:
            self._current = (self.steps, metrics.measure(self))
        return self._current[1]

    # ------------------------------------------- staff, as the other layers read them
    @property
    def plan(self) -> StaffingPlan:
        return self.staff.plan

    @property
    def grid_workers(self) -> AgentSet:
        return self.staff.grid_workers

    @property
    def volunteer_police(self) -> AgentSet:
        return self.staff.volunteer_police

    @property
    def police(self) -> AgentSet:
        return self.staff.police

    @property
    def workers_per_grid(self) -> np.ndarray:
        return self.staff.workers_per_grid

    @property
    def trust_room(self) -> np.ndarray:
        return self.staff.trust_room

    @property
    def village_office(self) -> np.ndarray:
        return self.staff.village_office

    @property
    def annual_cost(self) -> float:
        return self.staff.annual_cost

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
        check_against_map(self.p, during_run=True)  # its plan replaces earlier staffing
        self.staff.remove_agents()
        self.staff = build_staff(self, self.district, self.keep)
        self.institutions = build_institutions(self)
        for event in self.timeline.active:
            self.timeline.divert(event)

    # ----------------------------------------------------------------- the day
    def step(self) -> None:
        """One day: the phases in their documented order, handing each other ``self.day``."""
        self.today = self.steps - 1
        self.day = Day()
        for phase in PHASES:
            phase(self)
        if self.steps >= self.horizon:
            self.running = False  # Mesa's run_model() returns here
