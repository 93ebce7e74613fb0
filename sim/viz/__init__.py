"""The Solara web app: live grid map, schema-driven policy controls, curves, compare mode.

Only this package imports Solara; the model never imports it. ``app.py`` at the
repository root serves :func:`Page` (``solara run app.py``, ``govsim app``).
"""

from sim.viz.controls import CONTROL_KEYS, ParameterControl, PolicyControls
from sim.viz.map import GridMap
from sim.viz.page import Page
from sim.viz.plots import KpiCards, LineChart, MetricPlots
from sim.viz.session import MAP_METRICS, Policy, Run, Session

__all__ = [
    "CONTROL_KEYS",
    "MAP_METRICS",
    "GridMap",
    "KpiCards",
    "LineChart",
    "MetricPlots",
    "Page",
    "ParameterControl",
    "Policy",
    "PolicyControls",
    "Run",
    "Session",
]
