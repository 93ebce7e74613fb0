"""What changes during a run, and when: interventions and events.

An **intervention** changes policy settings from a given day on ("open trust
rooms in every village in year 2")::

    [[interventions]]
    day = 365
    note = "trust rooms in every village from year 2"
    mediation.trust_rooms = 234

An **event** takes staff off their usual work for some days: a ``rainstorm``
(the article's heavy rainfall) diverts grid workers and Yi Police to
emergency duty and brings extra damage disputes; an epidemic ``campaign``
diverts grid workers::

    [[events]]
    kind = "rainstorm"
    day = 160
    days = 5
    towns = ["Muzhou", "Sanjiang"]

Days count as in the daily time series, after the warm-up
(``run.warmup_days``): ``day = 365`` acts after 365 measured days, that is
from the first day of year 2; ``day = 0`` from the start of the measured
period. Population and map settings are fixed for a run and cannot be changed
by an intervention.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.geography import town_set
from sim.model.parameters import SCHEMA, TOWN_LIST, Parameter, ParameterError, flatten

if TYPE_CHECKING:
    from mesa import Model

MAX_DAYS = 36_500  # measured days of one run: a century, beyond any policy question
FIXED_SECTIONS = ("population", "map", "run")  # built once: an intervention cannot change them

EVENT_KINDS = {
    "rainstorm": "heavy rainfall: grid workers and Yi Police on emergency duty, more damage disputes",
    "campaign": "an epidemic campaign: grid workers diverted to it",
}


# Fields of an [[events]] entry; defaults per kind below. [assumption] all of them.
_EVENT_FIELDS = (
    Parameter(
        "day", 0, "day", "day the event starts (after this many simulated days)", 0, MAX_DAYS
    ),
    Parameter("days", 3, "days", "how long staff are diverted", 1, 3650),
    Parameter("towns", "all", "towns", 'towns hit ("all" or a list of names)', kind=TOWN_LIST),
    Parameter("grid_worker_share", 0.5, "share", "share of grid workers diverted", 0.0, 1.0),
    Parameter("volunteer_share", 0.7, "share", "share of Yi Police diverted", 0.0, 1.0),
    Parameter(
        "extra_damage_per_1k",
        0.05,
        "per 1,000 residents per day",
        "extra damage disputes while the event lasts",
        0.0,
        10.0,
    ),
    Parameter("note", "", "text", "what the event stands for"),
)
EVENT_FIELDS: dict[str, Parameter] = {p.key: p for p in _EVENT_FIELDS}
KIND_DEFAULTS = {
    "rainstorm": {},
    "campaign": {"days": 30, "volunteer_share": 0.0, "extra_damage_per_1k": 0.0},
}


@dataclass(frozen=True)
class Intervention:
    """Settings (dotted keys) that take effect after ``day`` simulated days."""

    day: int
    settings: dict[str, Any]
    note: str = ""


@dataclass(frozen=True)
class Event:
    """Staff diverted in some towns for ``days`` days from ``day`` on, and extra damage disputes."""

    kind: str
    day: int
    days: int
    towns: str | list[str]
    grid_worker_share: float
    volunteer_share: float
    extra_damage_per_1k: float
    note: str = ""

    @property
    def end(self) -> int:
        return self.day + self.days


@dataclass(frozen=True)
class Timeline:
    """A scenario's interventions and events, in the order the file gives them."""

    interventions: tuple[Intervention, ...] = field(default=())
    events: tuple[Event, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.interventions or self.events)

    @classmethod
    def parse(cls, interventions: Any = (), events: Any = ()) -> Timeline:
        """From the ``interventions`` and ``events`` lists of a scenario file; errors name the entry."""
        return cls(
            tuple(
                _intervention(i, e) for i, e in enumerate(_entries("interventions", interventions))
            ),
            tuple(_event(i, e) for i, e in enumerate(_entries("events", events))),
        )

    def check_days(self, days: int) -> None:
        """Raise :class:`ParameterError` if anything is set to happen after the run ends."""
        scheduled: dict[str, tuple[Intervention | Event, ...]] = {
            "interventions": self.interventions,
            "events": self.events,
        }
        for name, items in scheduled.items():
            for i, item in enumerate(items):
                if item.day >= days:
                    raise ParameterError(
                        f"{name}[{i}].day: day {item.day} is past the end of the run ({days} days)"
                    )

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "interventions": [asdict(i) for i in self.interventions],
            "events": [asdict(e) for e in self.events],
        }


def _entries(name: str, value: Any) -> list[dict]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, dict) for v in value):
        raise ParameterError(f"{name}: expected a list of [[{name}]] tables")
    return list(value)


def _day(where: str, entry: dict) -> int:
    if "day" not in entry:
        raise ParameterError(f"{where}.day: missing (the day it happens)")
    try:
        return EVENT_FIELDS["day"].check(entry["day"])
    except ParameterError as exc:
        raise ParameterError(f"{where}.{exc}") from None


def _intervention(i: int, entry: dict) -> Intervention:
    where = f"interventions[{i}]"
    day = _day(where, entry)
    note = entry.get("note", "")
    if not isinstance(note, str):
        raise ParameterError(f"{where}.note: expected a string, got {note!r}")
    try:
        settings = flatten({k: v for k, v in entry.items() if k not in ("day", "note")})
        for key, value in settings.items():
            if key.split(".")[0] in FIXED_SECTIONS:
                raise ParameterError(f"{key}: cannot change during a run")
            settings[key] = SCHEMA[key].check(value)
    except ParameterError as exc:
        raise ParameterError(f"{where}.{exc}") from None
    if not settings:
        raise ParameterError(
            f"{where}: changes nothing (add settings such as mediation.trust_rooms = 234)"
        )
    return Intervention(day, settings, note)


def _event(i: int, entry: dict) -> Event:
    where = f"events[{i}]"
    kind = entry.get("kind")
    if kind not in EVENT_KINDS:
        raise ParameterError(
            f"{where}.kind: expected one of {', '.join(EVENT_KINDS)}, got {kind!r}"
        )
    _day(where, entry)
    values = {k: p.default for k, p in EVENT_FIELDS.items()} | KIND_DEFAULTS[kind]
    for key, value in entry.items():
        if key == "kind":
            continue
        if key not in EVENT_FIELDS:
            raise ParameterError(
                f"{where}.{key}: unknown field (expected one of kind, {', '.join(EVENT_FIELDS)})"
            )
        try:
            values[key] = EVENT_FIELDS[key].check(value)
        except ParameterError as exc:
            raise ParameterError(f"{where}.{exc}") from None
    return Event(kind=kind, **values)


class TimelinePlayer:
    """A timeline playing out in one model.

    Interventions and events are scheduled with Mesa's ``schedule_event`` at
    time ``warmup + day`` (after ``day`` measured days, before the next). Mesa holds callbacks
    weakly, so this object, which the model keeps, holds them. Events divert
    staff (``diverted_until``) and set the model's ``damage_surge``.
    """

    def __init__(self, model: Model, timeline: Timeline) -> None:
        for i, event in enumerate(timeline.events):
            town_set(event.towns, model.district.town_names, key=f"events[{i}].towns")
        self.model, self.timeline = model, timeline
        self.active: list[Event] = []
        self._callbacks = [
            (partial(model.intervene, c.settings), c.day) for c in timeline.interventions
        ]
        for event in timeline.events:
            self._callbacks += [
                (partial(self.start, event), event.day),
                (partial(self.end, event), event.end),
            ]
        self.offset = float(model.warmup)
        for callback, day in self._callbacks:
            model.schedule_event(callback, at=self.offset + day)

    def start(self, event: Event) -> None:
        """An event begins: divert staff in its towns, start its surge of damage disputes."""
        self.active.append(event)
        self.divert(event)
        self._set_damage_surge()

    def end(self, event: Event) -> None:
        """An event ends (its staff come back by themselves when their duty ends)."""
        self.active.remove(event)
        self._set_damage_surge()

    def divert(self, event: Event) -> None:
        """Put the event's share of grid workers and Yi Police in its towns on emergency duty
        (off patrol; the Yi Police lower the storm's damage: :meth:`_set_damage_surge`)."""
        model, hit = self.model, self._grids(event)
        staff = (
            ([w for w in model.grid_workers if hit[w.grid]], event.grid_worker_share),
            ([v for v in model.volunteer_police if hit[v.area[0]]], event.volunteer_share),
        )
        for agents, share in staff:
            chosen = model.streams.events.permutation(len(agents))[: round(share * len(agents))]
            for k in chosen:
                agents[k].diverted_until = max(agents[k].diverted_until, self.offset + event.end)

    def _grids(self, event: Event) -> np.ndarray:
        geo = self.model.geography
        towns = town_set(event.towns, geo.town_names, key="events.towns") & set(geo.town_names)
        return np.isin(geo.grid_town, [geo.town_names.index(t) for t in towns])

    def _set_damage_surge(self) -> None:
        """The extra damage disputes a day of each grid, while events last: the event's rate,
        lowered in each town by its Yi Police on emergency duty (pumping water, cordons,
        traffic): times ``exp(-volunteer_police.emergency_damage_relief * on duty per 1,000
        residents)``."""
        model, geo = self.model, self.model.geography
        surge = np.zeros(geo.n_grids)
        if self.active:
            relief = model.p["volunteer_police.emergency_damage_relief"]
            per_town = np.maximum(geo.town_population(), 1) / 1000
            lowered = np.exp(-relief * self.on_emergency_duty() / per_town)[geo.grid_town]
            for event in self.active:
                per_resident = event.extra_damage_per_1k / 1000
                surge += self._grids(event) * per_resident * model.residents_per_grid * lowered
        model.damage_surge = surge

    def on_emergency_duty(self) -> np.ndarray:
        """Yi Police on emergency duty now, by the town of their team's area."""
        model, geo = self.model, self.model.geography
        areas = [v.area[0] for v in model.volunteer_police if v.diverted_until > model.time]
        return np.bincount(geo.grid_town[np.array(areas, dtype=np.int64)], minlength=geo.n_towns)
