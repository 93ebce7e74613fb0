"""GovernanceModel in Mesa's own SolaraViz, with the project's grid map and a Mesa chart.

    solara run examples/solaraviz.py

Mesa's controls drive the model: **Step** runs one day, **▶** plays, **Reset** builds a new model
from the parameters on the left (seed, measured days). Play stops at the run's horizon (the
warm-up and the measured days, ``GovernanceModel(days=)``). The first ``run.warmup_days`` days
are the warm-up: the map shows them, the chart starts after them (the DataCollector records the
measured days only). The project's own app (``govsim app``) does more; this file shows how the
model fits Mesa's conventions. The model never imports this: only examples and ``sim/viz`` do.
"""

from __future__ import annotations

import numpy as np
from mesa.visualization import SolaraViz, make_plot_component

from sim import GovernanceModel
from sim.model.metrics import grid_outcomes
from sim.viz.map import GridMap
from sim.viz.shapes import shapes_for

# The whole district at 5% scale (about 45,000 residents) with a 30-day warm-up: quick to build.
PARAMS = {"population.scale": 0.05, "run.warmup_days": 30}
MODEL_PARAMS = {
    "params": PARAMS,  # fixed: the dotted parameters of sim/model/parameters.py
    "rng": {"type": "SliderInt", "value": 1, "label": "Seed", "min": 1, "max": 100, "step": 1},
    "days": {
        "type": "SliderInt",
        "value": 365,
        "label": "Measured days",
        "min": 30,
        "max": 730,
        "step": 5,
    },
}


def open_disputes_map(model: GovernanceModel):
    """The project's grid map (sim/viz/map.py), coloured by open disputes per 1,000 residents."""
    grids = grid_outcomes(model)
    per_1k = grids["open_disputes"] / np.maximum(grids["residents"], 1) * 1000
    day = model.steps - model.warmup
    return GridMap(
        shapes=shapes_for(model.geography),
        values=per_1k,
        metric="open_disputes",
        limits=(0.0, max(float(per_1k.max()), 1.0)),
        title=f"Day {day}" if day > 0 else f"Warm-up, day {model.steps} of {model.warmup}",
        day=day,
    )


model = GovernanceModel(PARAMS, rng=1, days=365)
page = SolaraViz(
    model,
    components=[
        open_disputes_map,  # a plain function: SolaraViz redraws it after every step
        make_plot_component({"open_disputes": "tab:blue"}),  # a row per measured day
    ],
    model_params=MODEL_PARAMS,
    name="Xinhui grassroots governance (Mesa SolaraViz)",
)
