"""Numpy scalars as designs give them (EMA Workbench's ``IntegerParameter`` passes ``np.int64``,
SALib samples ``np.float64``): every reader of a parameter's value, and ``sim.run``'s ``days`` and
``seed``, takes them wherever it takes the Python type, and gives the same run. Whole-valued
floats are whole numbers; a fraction is refused in one line."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.model.checks import whole_argument
from sim.model.parameters import (
    PARAMETERS,
    PLACE_LIST,
    TOWN_AMOUNTS,
    TOWN_COUNTS,
    TOWN_LIST,
    ParameterError,
    resolve,
)

TINY = {"map.towns": ["Muzhou"], "population.scale": 0.05, "run.warmup_days": 10}
INTEGERS = (np.int64, np.int32, np.int16, np.uint32)
FLOATS = (np.float64, np.float32)


def keys_of(kind: str) -> list[str]:
    return [p.key for p in PARAMETERS if p.type_name == kind]


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(
        x == y or (math.isnan(x) and math.isnan(y))
        for x, y in zip(a.values(), b.values(), strict=True)
    )


def test_the_schema_has_every_kind_these_tests_cover():
    kinds = {p.type_name for p in PARAMETERS}
    assert kinds == {
        "int",
        "float",
        "bool",
        "str",
        TOWN_LIST,
        PLACE_LIST,
        TOWN_COUNTS,
        TOWN_AMOUNTS,
    }


@pytest.mark.parametrize("numpy_type", [*INTEGERS, *FLOATS, float])
@pytest.mark.parametrize("key", keys_of("int"))
def test_every_whole_number_parameter_takes_numpy_integers_and_whole_valued_floats(key, numpy_type):
    default = resolve()[key]
    value = resolve({key: numpy_type(default)})[key]
    assert value == default and type(value) is int


@pytest.mark.parametrize("numpy_type", [np.float64, np.float32, float])
@pytest.mark.parametrize("key", keys_of("int"))
def test_a_fraction_for_a_whole_number_parameter_is_refused_in_one_line(key, numpy_type):
    with pytest.raises(ParameterError, match=rf"^{key}: expected a whole number, got 1\.5$"):
        resolve({key: numpy_type(1.5)})


@pytest.mark.parametrize("numpy_type", [*FLOATS, np.int64, np.int32])
@pytest.mark.parametrize("key", keys_of("float"))
def test_every_number_parameter_takes_numpy_floats_and_integers(key, numpy_type):
    default = resolve()[key]
    given = numpy_type(round(default)) if numpy_type in INTEGERS else numpy_type(default)
    value = resolve({key: given})[key]
    assert type(value) is float
    assert value == pytest.approx(float(given), rel=1e-12)
    assert value == pytest.approx(default, rel=1e-6) or numpy_type in INTEGERS


@pytest.mark.parametrize("key", keys_of("bool"))
def test_a_switch_takes_numpy_bools_and_refuses_numbers(key):
    for flag in (True, False):
        value = resolve({key: np.bool_(flag)})[key]
        assert value is flag
    with pytest.raises(ParameterError, match=rf"^{key}: expected true or false"):
        resolve({key: np.int64(1)})


@pytest.mark.parametrize("key", keys_of("str"))
def test_a_choice_takes_numpy_strings_and_gives_back_python_ones(key):
    parameter = next(p for p in PARAMETERS if p.key == key)
    for choice in parameter.choices or (parameter.default,):
        value = resolve({key: np.str_(choice)})[key]
        assert value == choice and type(value) is str


def test_town_lists_take_numpy_arrays_and_strings():
    assert resolve({"map.towns": np.array(["Muzhou", "Da'ao"])})["map.towns"] == ["Muzhou", "Da'ao"]
    for word in ("all", "none"):
        value = resolve({"volunteer_police.towns": np.str_(word)})["volunteer_police.towns"]
        assert value == word and type(value) is str


def test_place_lists_take_numpy_integer_codes():
    value = resolve({"mediation.trust_room_villages": [np.int64(440705001001)]})
    assert value["mediation.trust_room_villages"] == ["440705001001"]


@pytest.mark.parametrize("numpy_type", [*INTEGERS, *FLOATS])
def test_town_tables_take_numpy_numbers_and_refuse_fractions_of_a_person(numpy_type):
    counts = resolve({"grid_workers.add": {np.str_("Muzhou"): numpy_type(12)}})
    assert counts["grid_workers.add"] == {"Muzhou": 12}
    assert type(counts["grid_workers.add"]["Muzhou"]) is int
    hours = resolve({"mediation.town_centre_hours_by_town": {"Muzhou": numpy_type(6)}})
    assert hours["mediation.town_centre_hours_by_town"] == {"Muzhou": 6.0}
    if numpy_type in FLOATS:
        with pytest.raises(ParameterError, match=r"^grid_workers\.add\.Muzhou: expected a whole"):
            resolve({"grid_workers.add": {"Muzhou": numpy_type(2.5)}})


@pytest.mark.parametrize("numpy_type", [*INTEGERS, *FLOATS, float])
def test_days_and_seeds_take_numpy_integers_and_whole_valued_floats(numpy_type):
    assert whole_argument("days", numpy_type(30), low=1, high=36_500) == 30
    assert type(whole_argument("seed", numpy_type(7), low=0, high=2**63 - 1)) is int


@pytest.mark.parametrize(
    "value", [np.float64(2.5), np.float32(0.5), np.bool_(True), np.float64("nan"), np.int64(-1)]
)
def test_days_refuse_fractions_bools_nan_and_negatives_in_one_line(value):
    with pytest.raises(ParameterError, match=r"^days: expected a whole number from 1 to 36,500"):
        whole_argument("days", value, low=1, high=36_500)


def test_a_run_from_numpy_values_is_the_run_from_python_values():
    python = {
        "grid_workers.total": 1500,
        "police.hours_per_day": 3.0,
        "petition.supermarket": False,
        "grid_workers.allocation": "risk",
        "volunteer_police.add": {"Muzhou": 40},
    }
    numpy = {
        "grid_workers.total": np.float64(1500.0),
        "police.hours_per_day": np.float32(3.0),
        "petition.supermarket": np.bool_(False),
        "grid_workers.allocation": np.str_("risk"),
        "volunteer_police.add": {"Muzhou": np.int32(40)},
    }
    plain = sim.run(TINY | python, days=20, seed=3)
    assert same(sim.run(TINY | numpy, days=np.int64(20), seed=np.uint32(3)), plain)
    assert same(sim.run(TINY | numpy, days=np.float64(20.0), seed=np.float32(3.0)), plain)
    default = sim.run(TINY, days=20, seed=3)
    assert default["annual_cost_wan_yuan"] != plain["annual_cost_wan_yuan"]  # the values act


def test_the_model_takes_numpy_days_and_seeds_too():
    a = sim.GovernanceModel(TINY, rng=np.int64(4), days=np.float64(5.0))
    b = sim.GovernanceModel(TINY, rng=4, days=5)
    assert (a.seed, a.days) == (b.seed, b.days) == (4, 5)
    assert type(a.seed) is int and type(a.days) is int
    with pytest.raises(ParameterError, match=r"^rng: expected a whole number from 0"):
        sim.GovernanceModel(TINY, rng=np.float64(4.5))
