"""A robust search's runs: a trial in each plausible parameter set, and its means set by set.

Each set has its own seeds (a set drawn twice is run again on other seeds), the same for every
trial and for the base scenario; :mod:`sim.runs.optimise.robust` checks the file's sets.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sim.model.parameters import resolve
from sim.runs.runner import RunSpec, point_runs
from sim.runs.specfile import derived_seeds
from sim.runs.statistics import mean_metrics

if TYPE_CHECKING:
    from sim.runs.ensemble import World
    from sim.runs.optimise.spec import Optimisation


def in_set(optimisation: Optimisation, settings: dict[str, Any], world: World) -> dict[str, Any]:
    """What a trial with ``settings`` sets in ``world`` on top of the base scenario's defaults:
    its settings, and the set's values of the parameters that neither the base scenario, the
    file's ``[settings]`` nor the trial sets (those stand)."""
    mine = optimisation.scenario.overrides | settings
    return settings | {k: v for k, v in world.values.items() if k not in mine}


def set_seeds(optimisation: Optimisation) -> list[list[int]]:
    """The seeds of each set's runs: ``replicates`` per set, derived from the search seed, the
    first set's the search seeds; other from set to set (a set drawn twice is run again on
    other seeds), the same for every trial and the base (common random numbers)."""
    r = optimisation.replicates
    seeds = derived_seeds(optimisation.seed, r * optimisation.sets)
    return [seeds[i : i + r] for i in range(0, len(seeds), r)]


def set_runs(optimisation: Optimisation, settings: dict[str, Any], trial: int) -> list[RunSpec]:
    """The runs of one trial in every plausible set, set after set, each set on its seeds
    (:func:`set_seeds`): ``replicates`` runs per set, numbered on from ``trial``."""
    runs: list[RunSpec] = []
    worlds = optimisation.worlds()
    for w, (world, seeds) in enumerate(zip(worlds, set_seeds(optimisation), strict=True)):
        params = resolve(optimisation.scenario.params | in_set(optimisation, settings, world))
        for spec in point_runs(
            trial,
            params,
            seeds=seeds,
            days=optimisation.days,
            timeline=optimisation.scenario.timeline,
        ):
            run_id = (trial * len(worlds) + w) * optimisation.replicates + spec.replicate
            runs.append(replace(spec, run_id=run_id, ids={"set": world.set}))
    return runs


def set_means(
    optimisation: Optimisation, metrics: list[dict[str, float]]
) -> list[dict[str, float]]:
    """The metric means within each set of a trial's runs (in the order of :func:`set_runs`)."""
    r = optimisation.replicates
    return [mean_metrics(metrics[i : i + r]) for i in range(0, len(metrics), r)]


def by_set(optimisation: Optimisation, means: list[dict[str, float]]) -> dict[str, list[float]]:
    """The robust constraints' metrics, set by set: metric -> its mean in each set."""
    return {c.metric: [m[c.metric] for m in means] for c in optimisation.robust}


def no_worse(
    optimisation: Optimisation, trial: dict[str, list[float]], base: dict[str, list[float]]
) -> dict[str, float]:
    """For each robust constraint's metric, the share of sets in which the trial is no worse
    than the base scenario."""
    return {c.metric: c.share(trial[c.metric], base[c.metric]) for c in optimisation.robust}
