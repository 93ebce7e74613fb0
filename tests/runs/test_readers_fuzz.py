"""Property-based tests of the readers of ``sim/runs``: any file is taken or refused in one line.

Scenario TOML files, ``--set`` assignments, and sweep, calibration and optimisation files:
Hypothesis writes files, valid and broken (valid files with entries changed, dropped or
added; values of the wrong type, non-finite, huge or numpy-made; junk lines; unquoted
Chinese keys), and each reader must return its checked object or raise
:class:`ScenarioError` with one line naming the file: never another exception and never a
hang (a deadline on each example; reading runs nothing). The classes of input are listed
in docs/TESTING.md, "Property-based tests of the readers". Under the CI profile
(derandomized) each reader gets at least 1,000 examples in one run.
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.parameters import SCHEMA
from sim.runs.calibrate.spec import load_calibration
from sim.runs.optimise.spec import load_optimisation
from sim.runs.scenario import ScenarioError, load_scenario, parse_set
from sim.runs.sweep.spec import load_sweep

_counter = itertools.count()
TOWNS = ["Muzhou", "睦洲", "Huicheng", "Atlantis", ""]
KEYS = sorted(SCHEMA)


def fuzz(examples: int) -> settings:
    """``examples`` generated inputs, none of which may hang: each has a deadline."""
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=60),  # a hang fails; a slow moment on a shared machine does not
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        database=None,
    )


def one_line(exc: BaseException, path: Path | None = None) -> str:
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text, text
    if path is not None:
        assert str(path) in text or "--set" in text, text
    return text


NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 2, 0.5, 1e20, 99_999_999_999, 2000.0, 1994.04, 365, 36_501]),
)
SCALARS = st.one_of(
    st.booleans(),
    NUMBERS,
    st.text(max_size=10),
    st.sampled_from(["all", "none", "baseline", "risk", "grid", "lhs", "sobol", "morris", *TOWNS]),
    st.sampled_from(["escalation_rate", "annual_cost_wan_yuan", "minimise", "maximise"]),
    st.sampled_from(KEYS),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from([*TOWNS, "low", "high", "key"]) | st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)  # fmt: skip


def toml(value: Any) -> str:
    """``value`` as a TOML value (floats as TOML writes nan and inf; tables inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {toml(v)}" for k, v in value.items()) + " }"  # fmt: skip


def document(data: dict[str, Any]) -> str:
    """A TOML file of ``data``: top-level values first, tables and arrays of tables after."""
    lines, tables = [], []
    for key, value in data.items():
        name = json.dumps(key, ensure_ascii=False)
        if isinstance(value, dict):
            tables.append(f"[{name}]")
            tables += [f"{json.dumps(k, ensure_ascii=False)} = {toml(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                tables.append(f"[[{name}]]")
                tables += [
                    f"{json.dumps(k, ensure_ascii=False)} = {toml(v)}" for k, v in item.items()
                ]
        else:
            lines.append(f"{name} = {toml(value)}")
    return "\n".join(lines + tables) + "\n"


JUNK_LINES = st.sampled_from(
    ["睦洲 = 5", "[grid_workers.by_town]\n睦洲 = 5", "key = ", "= 1", "[[", "a = 1\na = 2",
     "x = \"unterminated", "\x00", "[settings]\npopulation.scale = nan"]
) | st.text(max_size=20)  # fmt: skip


@st.composite
def mutated(draw, base: dict[str, Any]) -> str:
    """The file of ``base`` with entries changed, dropped or added, or junk lines added."""
    data = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.integers(0, 3))
        if action == 0 and data:  # change a top-level entry
            data[draw(st.sampled_from(sorted(data)))] = draw(VALUES)
        elif action == 1 and data:  # drop one
            data.pop(draw(st.sampled_from(sorted(data))))
        elif action == 2:  # change an entry inside a table or array of tables
            tables = [k for k, v in data.items() if isinstance(v, dict | list) and v]
            if tables:
                table = data[draw(st.sampled_from(tables))]
                if isinstance(table, list):
                    table = table[draw(st.integers(0, len(table) - 1))]
                if isinstance(table, dict):
                    keys = [*sorted(table), "low", "high", "total", "at_most", "ensemble"]
                    table[draw(st.sampled_from(keys))] = draw(VALUES)
        else:  # a new entry
            data[draw(st.sampled_from(["extra", "days", "seed", "replicates"]))] = draw(VALUES)
    text = document(data)
    if draw(st.integers(0, 6)) == 0:
        text += draw(JUNK_LINES) + "\n"
    return text


def expect_read_or_refused(read, folder: Path, text: str) -> None:
    path = folder / f"file{next(_counter)}.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        read(path)
    except ScenarioError as exc:
        one_line(exc, path)


# ------------------------------------------------------------------------- scenarios
SCENARIO = {
    "description": "fuzz",
    "extends": "baseline",
    "grid_workers": {"total": 1200, "allocation": "risk", "by_town": {"Muzhou": 40}},
    "mediation": {"trust_rooms": 20},
    "population": {"scale": 0.1},
    "interventions": [{"day": 30, "grid_workers.total": 1500}],
    "events": [{"kind": "rainstorm", "day": 60, "days": 3, "towns": "all"}],
}


@fuzz(1000)
@given(data=st.data())
def test_any_scenario_file_is_loaded_or_refused_in_one_line(tmp_path, data):
    text = data.draw(mutated(SCENARIO))
    if data.draw(st.integers(0, 3)) == 0:  # a section's value replaced
        section = data.draw(st.sampled_from(["grid_workers", "police", "petition", "map"]))
        key = data.draw(st.sampled_from([k for k in KEYS if k.startswith(section)]))
        text += f"[{section}]\n{key.split('.', 1)[1]} = {toml(data.draw(VALUES))}\n"
    expect_read_or_refused(load_scenario, tmp_path, text)


# ---------------------------------------------------------------------------------- --set
@fuzz(1000)
@given(
    key=st.sampled_from(KEYS) | st.text(max_size=12),
    value=VALUES.map(toml) | st.text(max_size=20) | JUNK_LINES,
    separator=st.sampled_from(["=", "=", "=", "", " = "]),
)
def test_any_set_assignment_is_taken_or_refused_in_one_line(key, value, separator):
    if key in ("map.file", "staffing.plan"):
        value = json.dumps(f"/nonexistent/{value}")
    base = load_scenario("baseline")
    try:
        base.with_overrides(dict([parse_set(f"{key}{separator}{value}")]))
    except ScenarioError as exc:
        one_line(exc)


# ------------------------------------------------------------------- sweep, calibration
SWEEP = {
    "description": "fuzz",
    "scenario": "baseline",
    "days": 30,
    "replicates": 2,
    "seed": 1,
    "settings": {"population.scale": 0.01},
    "design": {"method": "lhs", "samples": 4},
    "levers": {"grid_workers.total": [500, 1000], "grid_workers.allocation": ["equal", "risk"]},
    "uncertainties": {"disputes.rate_per_1k": {"low": 8, "high": 20}},
}


@fuzz(1000)
@given(data=st.data())
def test_any_sweep_file_is_loaded_or_refused_in_one_line(tmp_path, data):
    expect_read_or_refused(load_sweep, tmp_path, data.draw(mutated(SWEEP)))


CALIBRATION = {
    "scenario": "baseline",
    "days": 30,
    "replicates": 2,
    "seed": 11,
    "settings": {"population.scale": 0.01},
    "search": {"screen": 4, "polish": 2, "good_within": 2.0, "profile": 0.1},
    "check": {"replicates": 2, "scale": 0.01, "years": 1},
    "free": {"disputes.rate_per_1k": {"low": 6.0, "high": 20.0}},
    "targets": [
        {"metric": "mediated_per_1k", "value": 8.5, "interval": [6.0, 11.0], "source": "x"},
        {"metric": "escalation_rate", "value": 0.1, "interval": [0.05, 0.2], "weight": 2.0},
    ],
}


@fuzz(1000)
@given(data=st.data())
def test_any_calibration_file_is_loaded_or_refused_in_one_line(tmp_path, data):
    expect_read_or_refused(load_calibration, tmp_path, data.draw(mutated(CALIBRATION)))


OPTIMISATION = {
    "description": "fuzz",
    "scenario": "baseline",
    "settings": {"population.scale": 0.01},
    "search": {"trials": 3, "replicates": 1, "days": 30, "seed": 1},
    "variables": [
        {"key": "grid_workers.by_town", "towns": ["Muzhou", "Huicheng"], "low": 5, "total": 100},
        {"key": "mediation.trust_rooms", "low": 0, "high": 50},
        {"key": "grid_workers.allocation", "choices": ["equal", "risk"]},
    ],
    "constraints": [{"metric": "annual_cost_wan_yuan", "at_most": 8130}],
    "objectives": [{"metric": "escalation_rate", "direction": "minimise"}],
    "verify": {"replicates": 2, "fits": 0, "plans": 1},
}


@fuzz(1000)
@given(data=st.data())
def test_any_optimisation_file_is_loaded_or_refused_in_one_line(tmp_path, data):
    expect_read_or_refused(load_optimisation, tmp_path, data.draw(mutated(OPTIMISATION)))


# A robust search: its sets, its posterior and a constraint over the sets.
ROBUST = OPTIMISATION | {
    "search": {"trials": 3, "replicates": 1, "days": 30, "seed": 1, "sets": 4},
    "constraints": [
        {"metric": "annual_cost_wan_yuan", "at_most": 8130},
        {"metric": "escalation_rate", "no_worse_than": "base", "in_share": 0.9},
    ],
}


@fuzz(300)
@given(data=st.data())
def test_any_robust_optimisation_file_is_loaded_or_refused_in_one_line(tmp_path, data):
    expect_read_or_refused(load_optimisation, tmp_path, data.draw(mutated(ROBUST)))
