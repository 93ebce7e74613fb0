"""Agent-based simulation of grassroots governance in Xinhui District (Jiangmen, Guangdong).

The public names below are imported when first used, so that ``import sim.cli`` (the
``govsim`` command) can take its signals before the model's libraries load.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model.geography import Geography, MapDataError, load_geography
    from sim.model.governance import GovernanceModel
    from sim.model.metrics import METRICS
    from sim.model.parameters import PARAMETERS, ParameterError
    from sim.model.timeline import Event, Intervention, Timeline
    from sim.runs.replicates import RunResult, run_scenario
    from sim.runs.runner import run, simulate
    from sim.runs.scenario import Scenario, ScenarioError, load_scenario

_HOMES = {
    "sim.model.geography": ["Geography", "MapDataError", "load_geography"],
    "sim.model.governance": ["GovernanceModel"],
    "sim.model.metrics": ["METRICS"],
    "sim.model.parameters": ["PARAMETERS", "ParameterError"],
    "sim.model.timeline": ["Event", "Intervention", "Timeline"],
    "sim.runs.replicates": ["RunResult", "run_scenario"],
    "sim.runs.runner": ["run", "simulate"],
    "sim.runs.scenario": ["Scenario", "ScenarioError", "load_scenario"],
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "METRICS",
    "PARAMETERS",
    "Event",
    "Geography",
    "GovernanceModel",
    "Intervention",
    "MapDataError",
    "ParameterError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Timeline",
    "load_geography",
    "load_scenario",
    "run",
    "run_scenario",
    "simulate",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
