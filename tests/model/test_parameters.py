import pytest

from sim.model.parameters import PARAMETERS, SCHEMA, ParameterError, defaults, resolve

FIXED_KEYS = [
    "population.scale",
    "map.towns",
    "grid_workers.total",
    "grid_workers.allocation",
    "volunteer_police.total",
    "police.village_offices",
    "mediation.trust_rooms",
    "mediation.three_tuning",
    "petition.supermarket",
]


def test_the_contract_keys_exist():
    assert set(FIXED_KEYS) <= set(SCHEMA)


def test_every_parameter_is_documented_and_its_default_is_valid():
    for p in PARAMETERS:
        assert p.unit and p.doc and p.source, p.key
        assert p.check(p.default) == p.default


def test_unknown_key_suggests_the_closest():
    with pytest.raises(
        ParameterError,
        match=r"grid_workers.totl: unknown parameter \(did you mean 'grid_workers.total'",
    ):
        resolve({"grid_workers.totl": 3})


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("grid_workers.total", -1, "out of range"),
        ("grid_workers.total", 2.5, "whole number"),
        ("population.scale", 0.0, "out of range"),
        ("petition.supermarket", "yes", "true or false"),
        ("grid_workers.allocation", "random", "one of equal, population, risk"),
        ("map.towns", "Muzhou", "list of town names"),
        ("disputes.rate_per_1k", True, "a number"),
    ],
)
def test_bad_values_name_the_key_and_reason(key, value, reason):
    with pytest.raises(ParameterError, match=f"{key}: .*{reason}"):
        resolve({key: value})


def test_resolve_does_not_share_mutable_defaults():
    first = defaults()
    first["volunteer_police.towns"].append("Huicheng")
    assert defaults()["volunteer_police.towns"] == ["Muzhou"]


def test_the_odd_document_lists_every_parameter_as_the_schema_has_it():
    """docs/ODD.md section 8 is the schema's table (regenerate: python tools/odd_parameters.py --write)."""
    from tools.odd_parameters import ODD, table

    assert table() in ODD.read_text(encoding="utf-8")
    assert all(f"| `{p.key}` |" in table() for p in PARAMETERS)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
@pytest.mark.parametrize("key", ["grid_workers.total", "disputes.rate_per_1k"])
def test_non_finite_numbers_are_refused(key, value):
    """Found by the scenario fuzzer: an infinite whole number used to crash the check."""
    with pytest.raises(ParameterError, match=f"{key}: expected a finite number"):
        resolve({key: value})
