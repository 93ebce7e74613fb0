"""A robust search: every trial in the same plausible parameter sets, judged set by set.

With ``[search] sets = K`` an optimisation's trials each run their seeds in each of ``K``
parameter sets drawn once, by weight, from the calibration's posterior ensemble
(:mod:`sim.runs.ensemble`): the same sets and the same seeds for every trial and for the
base scenario (common random numbers), as ``govsim compare --sets`` runs scenarios. A
:class:`~sim.runs.optimise.decisions.Robust` constraint compares the trial's mean within each
set with the base scenario's mean within the same set. Here: the checks of ``search.sets``,
``search.posterior`` and the constraint, and the sets drawn; the runs in the sets are
:mod:`sim.runs.optimise.sets`.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.model.metrics import BETTER
from sim.model.parameters import ParameterError
from sim.runs.optimise.decisions import Constraint, Robust
from sim.runs.specfile import number, whole

if TYPE_CHECKING:
    from sim.runs.ensemble import World

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
