"""Agent-based simulation of grassroots governance in Xinhui District (Jiangmen, Guangdong)."""

from sim.experiments import RunResult, run, run_scenario, simulate
from sim.geography import Geography, MapDataError, load_geography
from sim.metrics import METRICS
from sim.model import GovernanceModel
from sim.parameters import PARAMETERS, ParameterError
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.timeline import Event, Intervention, Timeline

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
