import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.parameters import SCHEMA, SECTIONS, defaults
from sim.runs.scenario import ScenarioError, load_scenario


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


scalars = st.one_of(
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["all", "none", "equal", "risk", "joint", "rainstorm", "campaign"]),
)
values = st.one_of(
    scalars, st.lists(st.sampled_from(["Muzhou", "Daze", "Atlantis", 3]), max_size=3)
)
known_keys = st.sampled_from(sorted(SCHEMA))
TOWNS = ["Muzhou", "Daze", "Huicheng"]


def valid_value(key: str) -> st.SearchStrategy:
    """Values the schema accepts for ``key`` (the fuzzer mixes them with arbitrary ones)."""
    p = SCHEMA[key]
    if p.type_name == "bool":
        return st.booleans()
    if p.choices:
        return st.sampled_from(p.choices)
    if p.type_name == "str":
        return st.just(p.default)  # a path: the default (empty) keeps the shipped map
    if p.type_name in ("int", "float"):
        low, high = p.low if p.low is not None else -1e6, p.high if p.high is not None else 1e6
        if p.type_name == "int":
            return st.integers(int(low), int(high))
        return st.floats(low, high)
    return st.one_of(st.sampled_from(["all", "none"]), st.lists(st.sampled_from(TOWNS), min_size=1))


valid_settings = known_keys.flatmap(lambda k: valid_value(k).map(lambda v: (k, v)))
any_keys = st.one_of(known_keys, st.from_regex(r"[a-z_]{1,8}\.[a-z_]{1,10}", fullmatch=True))
events = st.fixed_dictionaries(
    {"kind": st.sampled_from(["rainstorm", "campaign", "flood"]), "day": st.integers(-5, 500)},
    optional={
        "days": st.integers(-1, 40),
        "towns": values,
        "grid_worker_share": st.floats(-1, 2),
        "extra_damage_per_1k": scalars,
        "colour": scalars,
    },
)
interventions = st.fixed_dictionaries(
    {}, optional={"day": st.one_of(st.integers(-5, 500), scalars), "note": scalars}
).flatmap(lambda entry: st.dictionaries(any_keys, values, max_size=3).map(lambda s: (entry, s)))


def scenario_text(settings_, extends, timeline_events, timeline_interventions) -> str:
    lines = [f"extends = {toml_value(extends)}"] if extends is not None else []
    by_section: dict[str, dict] = {}
    for key, value in settings_.items():
        section, name = key.split(".", 1)
        by_section.setdefault(section, {})[name] = value
    for entry in timeline_events:
        lines.append("[[events]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in entry.items()]
    for entry, changes in timeline_interventions:
        lines.append("[[interventions]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in entry.items()]
        lines += [f"{k} = {toml_value(v)}" for k, v in changes.items()]
    for section, table in by_section.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def load_or_scenario_error(text: str):
    """Load a scenario from ``text``: it must load, or fail with a ScenarioError naming the file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            return load_scenario(path)
        except ScenarioError as exc:
            assert "fuzz.toml" in str(exc) or "scenario file not found" in str(exc)
            assert "\n" not in str(exc).strip()
            return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    settings_=st.one_of(
        st.lists(valid_settings, max_size=6).map(dict),
        st.dictionaries(any_keys, values, max_size=6),
    ),
    extends=st.sampled_from([None, "baseline", "muzhou", "nowhere", 5]),
    timeline_events=st.lists(events, max_size=2),
    timeline_interventions=st.lists(interventions, max_size=2),
)
def test_fuzzed_scenario_files_load_valid_or_raise_a_scenario_error(
    settings_, extends, timeline_events, timeline_interventions
):
    text = scenario_text(settings_, extends, timeline_events, timeline_interventions)
    scenario = load_or_scenario_error(text)
    if scenario is not None:  # everything it holds passed the schema's checks
        for key, value in scenario.params.items():
            assert SCHEMA[key].check(value) == value
        assert set(scenario.overrides) <= set(SCHEMA)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_escapes_as_another_exception(text):
    load_or_scenario_error(text)


def test_a_child_overrides_its_parent_and_replaces_its_events(tmp_path):
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = "rainstorm"\ndescription = "mine"\n'
        '[[events]]\nkind = "campaign"\nday = 3\n[grid_workers]\ntotal = 1500\n'
    )
    scenario = load_scenario(child)
    assert scenario.params["grid_workers.total"] == 1500
    assert scenario.params["volunteer_police.total"] == 800  # from baseline, two levels up
    assert [e.kind for e in scenario.timeline.events] == ["campaign"]
    assert scenario.description == "mine"
    assert scenario.sha256 != load_scenario("rainstorm").sha256


def test_hash_follows_the_resolved_settings_and_timeline():
    base = load_scenario("baseline")
    assert base.sha256 == load_scenario("baseline").sha256
    # Setting a value to its default is the same experiment; a different value is not.
    assert base.with_overrides({"petition.supermarket": True}).sha256 == base.sha256
    assert base.with_overrides({"petition.supermarket": False}).sha256 != base.sha256
    rainstorm = load_scenario("rainstorm")
    assert rainstorm.params == base.params and rainstorm.sha256 != base.sha256


def test_budget_neutral_swap_costs_what_baseline_costs():
    from sim.model.governance import GovernanceModel

    costs = [
        GovernanceModel(load_scenario(name).params | {"population.scale": 0.01}, rng=1).annual_cost
        for name in ("baseline", "budget_neutral_swap")
    ]
    assert costs[0] == pytest.approx(costs[1])


@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_can_be_written_in_a_scenario_file(section, tmp_path):
    key = next(k for k in SCHEMA if k.startswith(f"{section}."))
    path = tmp_path / "one.toml"
    path.write_text(f"[{section}]\n{key.split('.', 1)[1]} = {toml_value(defaults()[key])}\n")
    assert load_scenario(path).params[key] == defaults()[key]
