"""Agent-based simulation of grassroots governance in Xinhui District (Jiangmen, Guangdong)."""

from sim.experiments import run, simulate
from sim.geography import Geography, MapDataError, load_geography
from sim.metrics import METRICS
from sim.model import GovernanceModel
from sim.parameters import PARAMETERS, ParameterError

__all__ = [
    "METRICS",
    "PARAMETERS",
    "Geography",
    "GovernanceModel",
    "MapDataError",
    "ParameterError",
    "load_geography",
    "run",
    "simulate",
]
