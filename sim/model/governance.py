"""GovernanceModel: the wiring of the district and the daily order of phases.

The district is built in :mod:`sim.model.construction`; one step is one day,
made of the phases of :mod:`sim.model.phases`, in this order::

    arrive_disputes -> patrol_and_visit -> drift -> detect -> mediate
      -> escalate -> act_out -> update_trust -> record

Residents do not step; only the parties to a dispute act. Staff work is
computed grid by grid in ``patrol_and_visit``. Per-grid and per-dispute state
lives in numpy arrays. The first ``run.warmup_days`` days are not counted.
Interventions and events (:mod:`sim.model.timeline`) are scheduled with Mesa's
``schedule_event`` and run between days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import mesa
import numpy as np

from sim.model import metrics
from sim.model.agents import Resident
from sim.model.construction import (
    build_institutions,
    build_population,
    build_staff,
    check_against_map,
)
from sim.model.disputes import DisputeBook
from sim.model.geography import simulated_map
from sim.model.parameters import ParameterError, resolve
from sim.model.phases import PHASES
from sim.model.space import adjacency_matrix
from sim.model.streams import Streams
from sim.model.timeline import FIXED_SECTIONS, Timeline, TimelinePlayer


class GovernanceModel(mesa.Model):
    """Grassroots governance in Xinhui: residents, staff and mediation on the grid map.

    Args:
        params: dotted parameter overrides (``{"grid_workers.total": 2000}``); see
            :mod:`sim.model.parameters` for every key, its default and unit.
        rng: integer seed; ``None`` draws one (kept in ``model.seed``).
        timeline: interventions and events (:class:`sim.model.timeline.Timeline`) to schedule.
        residents: the Resident agents of an earlier model of the same map and
            ``population.scale`` to take over instead of making new ones (a warm start,
            :mod:`sim.runs.warm`); the earlier model must not be used again. The model is the
            same as a cold one: resident state lives in ``model.population``, drawn afresh.
        series: collect the daily time series (``model.datacollector``); ``False`` for
            evaluations that need only the measured period's and each year's metrics
            (``model.current``, ``metrics.yearly``), which are the same either way.
    """

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        rng: int | None = None,
        timeline: Timeline | None = None,
        residents: Sequence[Resident] | None = None,
        series: bool = True,
    ) -> None:
        p = resolve(params)
        check_against_map(p, timeline)
        seed = int(np.random.SeedSequence().entropy % 2**63) if rng is None else int(rng)
        super().__init__(rng=seed)
        self.p, self.seed, self.streams = p, seed, Streams.from_seed(seed)
        self.today = 0  # day index of the step in progress (0-based, warm-up included)
        self.warmup = p["run.warmup_days"]  # days run before anything is counted

        full, geo = simulated_map(p["map.file"], p["map.towns"])
        self.geography = geo
        keep = np.array([full.grid_ids.index(g) for g in geo.grid_ids])
        self.space = geo.network(random=self.random)
        self.adjacency = adjacency_matrix(self.space)  # what the spatial processes read
        self.district, self.keep = full, keep  # the whole map, and which of its grids are simulated

        build_population(self, full, keep, take_over=residents)
        build_staff(self, full, keep)
        build_institutions(self)
        n = geo.n_grids
        self.visits, self.patrol_hours, self.mediation_debt = np.zeros(n), np.zeros(n), np.zeros(n)
        self.workers_available = np.zeros(n)
        self.damage_surge = np.zeros(n)  # extra damage disputes per day (rainstorm)
        self.tension = np.zeros(n)  # raised by incidents in the grid and adjacent grids
        self._trust_delta: list[tuple[np.ndarray, np.ndarray]] = []
        self._failed: list[int] = []
        self._impatient: np.ndarray = np.zeros(0, dtype=np.int64)
        self.book = DisputeBook()
        self.tally = metrics.Tally.empty(geo.n_grids)
        self.measured = self.year = metrics.Period(float(self.warmup), self.tally.copy())
        self.years: list[dict[str, float]] = []  # metrics of each completed year
        self.series = series
        self._current: tuple[int, dict[str, float]] = (-1, {})  # (steps when computed, metrics)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(metrics.read, name) for name in metrics.SERIES}
        )
        self.timeline = TimelinePlayer(self, timeline or Timeline())

    @property
    def current(self) -> dict[str, float]:
        """Every metric over the measured period so far (empty during the warm-up)."""
        if self.steps <= self.warmup:
            return {}
        if self._current[0] != self.steps:
            self._current = (self.steps, metrics.measure(self))
        return self._current[1]

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
        check_against_map(self.p)
        for agent in [*self.grid_workers, *self.volunteer_police, *self.police]:
            agent.remove()
        build_staff(self, self.district, self.keep)
        build_institutions(self)
        for event in self.timeline.active:
            self.timeline.divert(event)

    # ----------------------------------------------------------------- the day
    def step(self) -> None:
        """One day: the phases in their documented order."""
        self.today = self.steps - 1
        for phase in PHASES:
            phase(self)
