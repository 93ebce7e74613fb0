"""Agent-based simulation of grassroots governance in Xinhui District (Jiangmen, Guangdong)."""

from sim.model.geography import Geography, MapDataError, load_geography
from sim.model.governance import GovernanceModel
from sim.model.metrics import METRICS
from sim.model.parameters import PARAMETERS, ParameterError
from sim.model.timeline import Event, Intervention, Timeline
from sim.runs.replicates import RunResult, run_scenario
from sim.runs.runner import run, simulate
from sim.runs.scenario import Scenario, ScenarioError, load_scenario

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
