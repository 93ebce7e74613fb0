"""Warm starts: many evaluations in one process build the district once.

Making 909,277 Resident agents is most of the cost of building a model. A
process that runs one evaluation after another (a sweep's, a calibration's or
an optimisation's worker) keeps the residents of its last model and hands
them to the next model of the same map and scale, which takes them over
(:class:`~sim.model.governance.GovernanceModel` ``residents=``). Everything
else (staff, institutions, disputes, trust, the random streams) is built
afresh from the parameters and the seed, so a warm evaluation gives exactly
what a cold one gives.

:func:`sim.runs.runner.warm_model` runs a model this way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.model.agents import Resident
from sim.model.governance import GovernanceModel
from sim.model.parameters import resolve

# This process's spare residents: the key of the map and scale they were made for, and them.
_spare: dict[tuple, list[Resident]] = {}


def district_key(params: Mapping[str, Any]) -> tuple:
    """What the residents of a model depend on: the map, its simulated towns and the scale."""
    p = resolve(params)
    return (str(p["map.file"]), tuple(p["map.towns"]), p["population.scale"])


def take(params: Mapping[str, Any] | None) -> list[Resident] | None:
    """This process's spare residents if they fit a model of ``params`` (they are handed
    over: a second call gets None), else None."""
    return _spare.pop(district_key(params or {}), None)


def keep(model: GovernanceModel) -> None:
    """Keep ``model``'s residents for the next model of this process (one district at a
    time); ``model`` must not be used after."""
    _spare.clear()
    _spare[district_key(model.p)] = model.residents


def forget() -> None:
    """Drop this process's spare residents (their memory is freed with the last model)."""
    _spare.clear()
