"""The timeline rules of sim/model/timeline.py: parsing, when things happen, who is diverted,
the surge of damage disputes; played on a hand-built stand-in for the model."""

from types import SimpleNamespace

import numpy as np
import pytest

from sim.model.parameters import ParameterError
from sim.model.timeline import (
    EVENT_FIELDS,
    EVENT_KINDS,
    KIND_DEFAULTS,
    Event,
    Intervention,
    Timeline,
    TimelinePlayer,
)

TOWNS = ["Muzhou", "Sanjiang"]


def test_events_take_the_defaults_of_their_kind():
    timeline = Timeline.parse(
        events=[{"kind": "rainstorm", "day": 4}, {"kind": "campaign", "day": 2, "note": "flu"}]
    )
    storm, campaign = timeline.events
    assert storm == Event(kind="rainstorm", day=4, days=3, towns="all", grid_worker_share=0.5,
                          volunteer_share=0.7, extra_damage_per_1k=0.05)  # fmt: skip
    assert campaign == Event(kind="campaign", day=2, days=30, towns="all", grid_worker_share=0.5,
                             volunteer_share=0.0, extra_damage_per_1k=0.0, note="flu")  # fmt: skip
    assert storm.end == 7 and campaign.end == 32
    assert set(EVENT_KINDS) == set(KIND_DEFAULTS) == {"rainstorm", "campaign"}
    assert {f: p.default for f, p in EVENT_FIELDS.items()}["days"] == 3


def test_interventions_are_settings_from_a_day_on():
    timeline = Timeline.parse(
        interventions=[{"day": 30, "note": "rooms", "mediation": {"trust_rooms": 40}}]
    )
    assert timeline.interventions == (Intervention(30, {"mediation.trust_rooms": 40}, "rooms"),)
    assert bool(timeline) and not Timeline() and not Timeline.parse()
    assert timeline.to_dict() == {
        "interventions": [{"day": 30, "settings": {"mediation.trust_rooms": 40}, "note": "rooms"}],
        "events": [],
    }
    storm = Timeline.parse(events=[{"kind": "rainstorm", "day": 4, "towns": ["Muzhou"]}])
    assert storm.to_dict()["events"] == [
        {"kind": "rainstorm", "day": 4, "days": 3, "towns": ["Muzhou"], "grid_worker_share": 0.5,
         "volunteer_share": 0.7, "extra_damage_per_1k": 0.05, "note": ""}
    ]  # fmt: skip
    assert Timeline.parse(events=storm.to_dict()["events"]) == storm  # a round trip
    with pytest.raises(ParameterError, match=r"interventions\[0\]\.note: expected a string"):
        Timeline.parse(interventions=[{"day": 3, "note": 5, "mediation": {"trust_rooms": 4}}])
    with pytest.raises(ParameterError, match=r"map\.towns: cannot change during a run"):
        Timeline.parse(interventions=[{"day": 3, "map": {"towns": ["Muzhou"]}}])
    with pytest.raises(ParameterError, match=r"run\.warmup_days: cannot change"):
        Timeline.parse(interventions=[{"day": 3, "run": {"warmup_days": 5}}])
    with pytest.raises(ParameterError, match=r"events\[0\]\.day: missing"):
        Timeline.parse(events=[{"kind": "rainstorm"}])


def test_errors_name_the_entry_and_list_what_is_expected():
    with pytest.raises(ParameterError) as kind:
        Timeline.parse(events=[{"kind": "flood", "day": 1}])
    assert str(kind.value) == "events[0].kind: expected one of rainstorm, campaign, got 'flood'"
    with pytest.raises(ParameterError) as field:
        Timeline.parse(events=[{"kind": "campaign", "day": 1, "length": 3}])
    assert str(field.value) == (
        "events[0].length: unknown field (expected one of kind, day, days, towns, "
        "grid_worker_share, volunteer_share, extra_damage_per_1k, note)"
    )
    with pytest.raises(ParameterError) as table:
        Timeline.parse(interventions={"day": 3})
    assert str(table.value) == "interventions: expected a list of [[interventions]] tables"
    with pytest.raises(ParameterError, match=r"^events: expected a list of \[\[events\]\] tables"):
        Timeline.parse(events=[{"kind": "rainstorm", "day": 1}, "rainstorm"])
    assert Timeline.parse(interventions=[{"day": 3, "petition": {"counters": 4}}]).interventions[
        0
    ].note == ""  # fmt: skip


def test_check_days_refuses_anything_on_or_after_the_last_day():
    timeline = Timeline.parse(
        interventions=[{"day": 9, "mediation": {"trust_rooms": 4}}],
        events=[{"kind": "rainstorm", "day": 5}],
    )
    timeline.check_days(10)
    with pytest.raises(ParameterError, match=r"interventions\[0\]\.day: day 9 is past the end"):
        timeline.check_days(9)
    events = Timeline.parse(
        events=[{"kind": "rainstorm", "day": 1}, {"kind": "rainstorm", "day": 5}]
    )
    with pytest.raises(ParameterError, match=r"events\[1\]\.day: day 5 is past the end of the run"):
        events.check_days(5)


# ----------------------------------------------------------------- playing a timeline
class StandIn:
    """What a TimelinePlayer uses of a model: its map, staff, stream and schedule."""

    def __init__(self, warmup: int = 10) -> None:
        self.warmup = warmup
        geo = SimpleNamespace(town_names=TOWNS, grid_town=np.array([0, 0, 1]), n_grids=3, n_towns=2,
                              town_population=lambda: np.array([3000, 4000]))  # fmt: skip
        self.geography = self.district = geo
        self.residents_per_grid = np.array([1000, 2000, 4000])
        self.grid_workers = [SimpleNamespace(grid=g, diverted_until=-1.0) for g in
                             [0, 0, 1, 1, 2, 2, 2, 2]]  # fmt: skip
        self.volunteer_police = [SimpleNamespace(area=np.array([a]), diverted_until=-1.0)
                                 for a in [0, 1, 1, 2, 2]]  # fmt: skip
        self.streams = SimpleNamespace(events=np.random.default_rng(1))
        self.damage_surge = np.zeros(3)
        self.p = {"volunteer_police.emergency_damage_relief": 0.0}
        self.time = 0.0
        self.scheduled: list[tuple[float, object]] = []
        self.settings: list[dict] = []

    def schedule_event(self, callback, *, at: float) -> None:
        self.scheduled.append((at, callback))

    def intervene(self, settings) -> None:
        self.settings.append(settings)

    def play(self) -> None:
        for _, callback in sorted(self.scheduled, key=lambda x: x[0]):
            callback()


def test_interventions_and_events_are_scheduled_after_the_warm_up():
    model = StandIn(warmup=10)
    timeline = Timeline.parse(
        interventions=[{"day": 30, "mediation": {"trust_rooms": 40}}],
        events=[{"kind": "rainstorm", "day": 5, "days": 4}],
    )
    player = TimelinePlayer(model, timeline)
    assert sorted(at for at, _ in model.scheduled) == [15.0, 19.0, 40.0]
    assert player.offset == 10.0 and player.active == []
    model.play()
    assert model.settings == [{"mediation.trust_rooms": 40}]
    assert player.active == []


def test_an_event_diverts_its_share_of_staff_in_its_towns_until_it_ends():
    model = StandIn(warmup=10)
    storm = Timeline.parse(events=[{"kind": "rainstorm", "day": 5, "days": 4, "towns": ["Sanjiang"],
                                    "grid_worker_share": 0.5, "volunteer_share": 1.0}]).events[0]  # fmt: skip
    player = TimelinePlayer(model, Timeline(events=(storm,)))
    player.start(storm)
    assert player.active == [storm]
    away = [w.diverted_until for w in model.grid_workers]
    assert away[:4] == [-1.0] * 4  # Muzhou's stay
    assert sorted(away[4:]) == [-1.0, -1.0, 19.0, 19.0]  # half of Sanjiang's, to 10 + 5 + 4
    assert [v.diverted_until for v in model.volunteer_police] == [-1.0, -1.0, -1.0, 19.0, 19.0]


def test_staff_on_longer_duty_stay_on_it():
    model = StandIn(warmup=10)
    storm = Timeline.parse(events=[{"kind": "rainstorm", "day": 5, "days": 4, "towns": ["Sanjiang"],
                                    "grid_worker_share": 1.0}]).events[0]  # fmt: skip
    for worker, until in zip(model.grid_workers[4:], [30.0, 12.0, 19.5, -1.0], strict=True):
        worker.diverted_until = until
    TimelinePlayer(model, Timeline(events=(storm,))).start(storm)
    assert [w.diverted_until for w in model.grid_workers[4:]] == [30.0, 19.0, 19.5, 19.0]


def test_a_campaign_in_every_town_diverts_half_the_grid_workers_and_no_volunteer():
    model = StandIn(warmup=0)
    campaign = Timeline.parse(events=[{"kind": "campaign", "day": 1, "days": 10}]).events[0]
    player = TimelinePlayer(model, Timeline(events=(campaign,)))
    player.start(campaign)
    away = np.array([w.diverted_until for w in model.grid_workers])
    assert (away == 11.0).sum() == 4 and (away == -1.0).sum() == 4
    assert all(v.diverted_until == -1.0 for v in model.volunteer_police)
    assert model.damage_surge.tolist() == [0.0, 0.0, 0.0]


def test_a_rainstorm_brings_extra_damage_disputes_while_it_lasts():
    model = StandIn()
    a, b = Timeline.parse(events=[
        {"kind": "rainstorm", "day": 1, "towns": ["Muzhou"], "extra_damage_per_1k": 0.5},
        {"kind": "rainstorm", "day": 2, "extra_damage_per_1k": 0.1},
    ]).events  # fmt: skip
    player = TimelinePlayer(model, Timeline(events=(a, b)))
    player.start(a)
    assert model.damage_surge.tolist() == pytest.approx([0.5, 1.0, 0.0])  # per 1,000 a day
    player.start(b)
    assert model.damage_surge.tolist() == pytest.approx([0.6, 1.2, 0.4])
    player.end(a)
    assert model.damage_surge.tolist() == pytest.approx([0.1, 0.2, 0.4])
    player.end(b)
    assert model.damage_surge.tolist() == [0.0, 0.0, 0.0] and player.active == []


def test_yi_police_on_emergency_duty_lower_the_storms_damage_disputes():
    def surge(share: float, relief: float = 0.5) -> np.ndarray:
        model = StandIn()
        model.p = {"volunteer_police.emergency_damage_relief": relief}
        storm = Timeline.parse(events=[{"kind": "rainstorm", "day": 1, "volunteer_share": share,
                                        "extra_damage_per_1k": 0.5}]).events[0]  # fmt: skip
        player = TimelinePlayer(model, Timeline(events=(storm,)))
        player.start(storm)
        assert player.on_emergency_duty().sum() == round(share * 5)  # of the 5 volunteers
        return model.damage_surge

    full = [0.5, 1.0, 2.0]  # per 1,000 a day, no relief
    assert surge(1.0, relief=0.0).tolist() == pytest.approx(full)
    # Muzhou: 3 volunteers per 3,000 residents (1 per 1,000); Sanjiang: 2 per 4,000.
    assert surge(1.0).tolist() == pytest.approx(
        [0.5 * np.exp(-0.5), 1.0 * np.exp(-0.5), 2.0 * np.exp(-0.25)]
    )
    assert surge(0.0).tolist() == pytest.approx(full)  # none on duty: no relief
    less = [surge(share).sum() for share in (0.0, 0.4, 0.7, 1.0)]
    assert (np.diff(less) < 0).all()


def test_an_unknown_town_in_an_event_is_refused_when_played():
    timeline = Timeline.parse(events=[{"kind": "rainstorm", "day": 1, "towns": ["Atlantis"]}])
    with pytest.raises(ParameterError, match=r"events\[0\]\.towns: unknown town 'Atlantis'"):
        TimelinePlayer(StandIn(), timeline)


def test_yi_police_whose_duty_has_ended_give_no_relief_to_a_storm_still_raging():
    model = StandIn(warmup=10)
    model.p = {"volunteer_police.emergency_damage_relief": 0.5}
    first, second = Timeline.parse(events=[
        {"kind": "rainstorm", "day": 1, "days": 4, "towns": ["Muzhou"], "volunteer_share": 1.0,
         "extra_damage_per_1k": 0.0},
        {"kind": "rainstorm", "day": 2, "days": 10, "volunteer_share": 0.0,
         "extra_damage_per_1k": 0.5},
    ]).events  # fmt: skip
    player = TimelinePlayer(model, Timeline(events=(first, second)))
    player.start(first)
    player.start(second)
    assert player.on_emergency_duty().tolist() == [3, 0]  # Muzhou's 3, until 10 + 1 + 4
    model.time = 14.5
    assert player.on_emergency_duty().tolist() == [3, 0]
    model.time = 15.0  # the first storm ends: its volunteers are back, as a roster reads them
    player.end(first)
    assert player.on_emergency_duty().tolist() == [0, 0]
    assert model.damage_surge.tolist() == pytest.approx([0.5, 1.0, 2.0])  # no relief


def test_relief_in_a_town_of_one_resident_is_per_1000_of_that_one():
    model = StandIn()
    model.geography.town_population = lambda: np.array([1, 4000])
    model.p = {"volunteer_police.emergency_damage_relief": 0.001}
    storm = Timeline.parse(events=[{"kind": "rainstorm", "day": 1, "towns": ["Muzhou"],
                                    "volunteer_share": 1.0, "extra_damage_per_1k": 0.5}]).events[0]  # fmt: skip
    TimelinePlayer(model, Timeline(events=(storm,))).start(storm)
    # 3 on duty for 1 resident: 3,000 per 1,000 residents, times the relief 0.001
    assert model.damage_surge.tolist() == pytest.approx([0.5 * np.exp(-3), 1.0 * np.exp(-3), 0.0])
