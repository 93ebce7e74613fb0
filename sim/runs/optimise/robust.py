"""A robust search: every trial in the same plausible parameter sets, judged set by set.

With ``[search] sets = K`` an optimisation's trials each run their seeds in each of ``K``
parameter sets drawn once, by weight, from the calibration's posterior ensemble
(:mod:`sim.runs.ensemble`): the same sets and the same seeds for every trial and for the
base scenario (common random numbers). A :class:`~sim.runs.optimise.decisions.Robust`
constraint compares the trial's mean within each set with the base scenario's mean within the
same set. Each set has its own seeds (a set drawn twice is run again on other seeds), and they
are the same for every trial. Here: the checks of ``search.sets`` and ``search.posterior``, the runs of a trial in
the sets, and the means set by set.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.model.metrics import BETTER
from sim.model.parameters import ParameterError, resolve
from sim.runs.optimise.decisions import Constraint, Robust
from sim.runs.runner import RunSpec, point_runs
from sim.runs.specfile import derived_seeds, number, whole
from sim.runs.statistics import mean_metrics

if TYPE_CHECKING:
    from sim.runs.ensemble import World
    from sim.runs.optimise.spec import Optimisation

MAX_SETS = 1000  # plausible parameter sets of a robust search


@cache
def drawn_sets(path: Path, k: int, seed: int) -> tuple[World, ...]:
    """``k`` sets drawn by weight from the posterior at ``path`` with ``seed`` (read once)."""
    from sim.runs.ensemble import load_ensemble

    return tuple(load_ensemble(path).draw(k, seed=seed))


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_robust(where: str, spec: dict[str, Any], metric: str) -> Robust:
    """A ``no_worse_than = "base"`` constraint, checked: a metric with a direction and an
    ``in_share`` above 0 and at most 1 (default 1: every set)."""
    if spec["no_worse_than"] != "base":
        raise ParameterError(
            f'{where}.no_worse_than: expected "base" (the base scenario), '
            f"got {spec['no_worse_than']!r}"
        )
    if metric not in BETTER:
        raise ParameterError(
            f"{where}.metric: {metric} has no direction (better higher or lower) to judge "
            f"no worse by; use one of {', '.join(sorted(BETTER))}"
        )
    share = number(f"{where}.in_share", spec.get("in_share", 1.0))
    if not 0 < share <= 1:
        raise ParameterError(f"{where}.in_share: {share:g} is not a share above 0 and at most 1")
    return Robust(metric, float(share), BETTER[metric])


def parse_sets(
    search: dict[str, Any], constraints: list[Constraint], keys: list[str], base_dir: Path
) -> tuple[int, Path | None]:
    """``search.sets`` (0 to 1000) and the posterior they are drawn from, checked; refused where
    they cannot take effect (a robust constraint without sets, a posterior without sets) and
    where a variable is a parameter the posterior varies (the set would replace the plan)."""
    from sim.runs.ensemble import POSTERIOR_FILE, load_ensemble

    sets = whole("search.sets", search.get("sets", 0), 0, MAX_SETS)
    robust = [i for i, c in enumerate(constraints) if isinstance(c, Robust)]
    if not sets:
        if robust:
            raise ParameterError(
                f"constraints[{robust[0]}]: no_worse_than needs plausible parameter sets; "
                f"set search.sets (1 to {MAX_SETS})"
            )
        if "posterior" in search:
            raise ParameterError("search.posterior: has no effect without search.sets; set both")
        return 0, None
    given = search.get("posterior")
    if given is not None and (not isinstance(given, str) or not given):
        raise ParameterError(f"search.posterior: expected a file path, got {given!r}")
    path = (base_dir / given).resolve() if given else POSTERIOR_FILE
    try:
        ensemble = load_ensemble(path)
    except ParameterError as exc:
        raise ParameterError(f"search.posterior: {exc}") from None
    for i, key in enumerate(keys):
        if key in ensemble.keys:
            raise ParameterError(
                f"variables[{i}].key: {key} is a parameter the posterior varies across the "
                "plausible sets; search it without search.sets, or leave it out"
            )
    return sets, path


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
