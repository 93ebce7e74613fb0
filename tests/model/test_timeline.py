import numpy as np
import pytest

import sim
from sim.model.disputes import TYPE_INDEX
from sim.model.parameters import ParameterError
from sim.model.timeline import Timeline

SMALL = {"population.scale": 0.2, "run.warmup_days": 0}  # days count from the start


def run_days(days: int, *, timeline: Timeline | None = None, params=SMALL, seed: int = 3):
    """A model stepped day by day, with what the tests look at recorded each day."""
    model = sim.GovernanceModel(params, rng=seed, timeline=timeline)
    daily = []
    for _ in range(days):
        model.run_for(1)
        workers_in = np.bincount(
            model.geography.grid_town, model.workers_available, minlength=model.geography.n_towns
        )
        daily.append({"workers_by_town": workers_in, "patrol_hours": model.patrol_hours.sum()})
    return model, daily


@pytest.mark.parametrize(
    ("interventions", "events", "message"),
    [
        ([{"mediation": {"trust_rooms": 5}}], [], "interventions[0].day: missing"),
        ([{"day": 3, "population": {"scale": 0.5}}], [], "population.scale: cannot change"),
        ([{"day": 3, "mediation": {"trust_romos": 5}}], [], "did you mean 'mediation.trust_rooms'"),
        ([{"day": 3, "mediation": {"trust_rooms": -1}}], [], "interventions[0].mediation.trust_"),
        ([{"day": 3}], [], "interventions[0]: changes nothing"),
        ([{"day": -2, "petition": {"supermarket": False}}], [], "day: -2 is out of range"),
        ([], [{"kind": "earthquake", "day": 3}], "events[0].kind: expected one of rainstorm"),
        ([], [{"kind": "rainstorm", "day": 3, "lenght": 4}], "events[0].lenght: unknown field"),
        ([], [{"kind": "campaign", "day": 3, "grid_worker_share": 1.5}], "1.5 is out of range"),
        ([], [{"kind": "rainstorm", "day": 3, "towns": 7}], "events[0].towns: expected"),
        ([], "rainstorm", "events: expected a list of [[events]] tables"),
    ],
)
def test_bad_timeline_entries_name_the_entry_and_field(interventions, events, message):
    with pytest.raises(ParameterError) as caught:
        Timeline.parse(interventions, events)
    assert message in str(caught.value)


def test_a_day_past_the_end_of_the_run_is_an_error():
    timeline = Timeline.parse(events=[{"kind": "rainstorm", "day": 30}])
    timeline.check_days(31)
    with pytest.raises(ParameterError, match=r"events\[0\].day: day 30 is past the end"):
        timeline.check_days(30)
    with pytest.raises(ParameterError, match="past the end"):
        sim.simulate(SMALL, days=10, seed=1, timeline=timeline)


def test_an_unknown_town_in_an_event_is_caught_when_the_model_is_built():
    timeline = Timeline.parse(events=[{"kind": "rainstorm", "day": 3, "towns": ["Atlantis"]}])
    with pytest.raises(ParameterError, match=r"events\[0\].towns: unknown town 'Atlantis'"):
        sim.GovernanceModel(SMALL, rng=1, timeline=timeline)


def test_rainstorm_diverts_the_share_of_staff_in_its_towns_for_its_days():
    storm = Timeline.parse(
        events=[
            {
                "kind": "rainstorm",
                "day": 10,
                "days": 4,
                "towns": ["Muzhou", "Huicheng"],
                "grid_worker_share": 0.5,
                "volunteer_share": 1.0,
            }
        ]
    )
    model, calm = run_days(20)
    _, stormy = run_days(20, timeline=storm)
    towns = model.geography.town_names
    hit = np.isin(towns, ["Muzhou", "Huicheng"])
    for day in range(20):
        before, during = calm[day]["workers_by_town"], stormy[day]["workers_by_town"]
        if 10 <= day < 14:  # days 11-14 of the run: the four days after day 10
            assert during[hit].sum() == before[hit].sum() - round(0.5 * before[hit].sum())
            assert during[hit].min() > 0  # chosen across the towns hit, not all from one
            assert np.array_equal(during[~hit], before[~hit])
            assert stormy[day]["patrol_hours"] == 0  # every Yi Police (all in Muzhou) diverted
        else:
            assert np.array_equal(during, before)
    assert calm[12]["patrol_hours"] > 0


def test_rainstorm_brings_the_stated_extra_damage_disputes():
    """Extra damage disputes = rate x residents x days, within 4 Poisson SDs, for each of 3 seeds."""
    days, rate = 6, 0.2  # per 1,000 residents per day
    storm = Timeline.parse(
        events=[{"kind": "rainstorm", "day": 0, "days": days, "extra_damage_per_1k": rate}]
    )
    calm_grids = SMALL | {"space.tension_per_incident": 0.0}  # incidents do not move arrivals
    for seed in (1, 2, 3):
        calm, _ = run_days(days, seed=seed, params=calm_grids)
        stormy, _ = run_days(days, timeline=storm, seed=seed, params=calm_grids)
        damages = [np.sum(m.book.view("kind") == TYPE_INDEX["damages"]) for m in (calm, stormy)]
        expected = rate / 1000 * len(stormy.population) * days
        assert abs(damages[1] - damages[0] - expected) < 4 * np.sqrt(expected)
        # The regular arrivals use their own random stream: the calm run's disputes all recur.
        assert len(stormy.book) - len(calm.book) == damages[1] - damages[0]


def test_intervention_changes_nothing_before_its_day_and_the_policy_after():
    change = Timeline.parse([{"day": 15, "mediation": {"trust_rooms": 234}}])
    before = sim.simulate(SMALL, days=40, seed=5)
    after = sim.simulate(SMALL, days=40, seed=5, timeline=change)
    a = before.datacollector.get_model_vars_dataframe()
    b = after.datacollector.get_model_vars_dataframe()
    assert a.iloc[:15].equals(b.iloc[:15])  # days 1-15 identical (common random numbers)
    assert not a.iloc[15:].equals(b.iloc[15:])
    assert before.trust_room.sum() == 15 and after.trust_room.sum() == 234
    assert after.p["mediation.trust_rooms"] == 234
    # Cost is the mean over the run of the yearly cost in force: 15 days of 15 rooms, 25 of 234.
    room = after.p["costs.trust_room"]
    extra = (234 - 15) * room * 25 / 40
    assert after.current["annual_cost_wan_yuan"] == pytest.approx(
        before.current["annual_cost_wan_yuan"] + extra
    )


def test_intervention_keeps_staff_diverted_by_a_running_event():
    timeline = Timeline.parse(
        [{"day": 6, "grid_workers": {"total": 2000}}],
        [{"kind": "campaign", "day": 4, "days": 6, "grid_worker_share": 1.0}],
    )
    model = sim.GovernanceModel(SMALL, rng=2, timeline=timeline)
    available = []
    for _ in range(12):
        model.run_for(1)
        available.append(model.workers_available.sum())
    assert available[3] == 1000 and available[4:10] == [0] * 6 and available[10] == 2000
    assert len(model.grid_workers) == 2000


def test_intervene_refuses_population_and_map_settings():
    model = sim.GovernanceModel(SMALL | {"map.towns": ["Muzhou"]}, rng=1)
    with pytest.raises(ParameterError, match=r"map\.towns: cannot change during a run"):
        model.intervene({"map.towns": ["Daze"]})


def test_odd_event_table_matches_the_event_defaults():
    from pathlib import Path

    from sim.model.timeline import EVENT_FIELDS, KIND_DEFAULTS

    text = (Path(__file__).parents[2] / "docs" / "ODD.md").read_text(encoding="utf-8")
    for key, field in EVENT_FIELDS.items():
        if key in ("day", "note"):
            continue
        cells = [KIND_DEFAULTS[kind].get(key, field.default) for kind in ("rainstorm", "campaign")]
        shown = [f'`"{c}"`' if isinstance(c, str) else str(c) for c in cells]
        assert f"| `{key}` | {shown[0]} | {shown[1]} | {field.unit} |" in text, key


def test_days_of_interventions_and_events_count_after_the_warm_up():
    timeline = Timeline.parse(
        [{"day": 6, "grid_workers": {"total": 2000}}],
        [{"kind": "campaign", "day": 2, "days": 2, "grid_worker_share": 1.0}],
    )
    model = sim.GovernanceModel(SMALL | {"run.warmup_days": 30}, rng=2, timeline=timeline)
    available = []
    for _ in range(40):
        model.run_for(1)
        available.append(model.workers_available.sum())
    assert available[:32] == [1000] * 32  # the warm-up and the first two measured days
    assert available[32:34] == [0, 0] and available[34:36] == [1000] * 2
    assert available[36:] == [2000] * 4
    series = model.datacollector.get_model_vars_dataframe()
    assert series["day"].tolist() == list(range(1, 11))  # only measured days are recorded
