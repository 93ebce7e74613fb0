"""Spec files: the one reader of the TOML files that ask for many runs (sweeps, calibrations,
optimisations), and the checks their entries share.

:func:`load_spec` reads a file (a missing file or bad TOML is one line naming it), hands
its contents to the kind's parser, and puts the file's path before the parser's
:class:`~sim.model.parameters.ParameterError`, which names the entry: every error is one
line naming the file and the key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from sim.model.geography import MapDataError
from sim.model.parameters import ParameterError, flatten
from sim.runs.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    read_toml,
    with_paths_from,
)

# The entries every spec file may have: what :func:`base_scenario` reads, and a description.
BASE_ENTRIES = frozenset({"description", "scenario", "settings"})


@dataclass(frozen=True)
class SpecFile:
    """What every spec file gives: its name (the file's stem), its path once loaded, and the
    base scenario with the file's ``[settings]``."""

    name: str
    path: Path | None
    scenario: Scenario


def load_spec[Spec: SpecFile](path: Path, *, what: str, parse: Callable[..., Spec]) -> Spec:
    """The checked spec of the file at ``path``: ``parse(contents, name=, base_dir=)``, with
    ``path`` set. ``what`` names the kind of file in messages ("sweep file")."""
    data = read_toml(path, what=what)
    try:
        spec = parse(data, name=path.stem, base_dir=path.parent)
    except (ParameterError, MapDataError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    return replace(spec, path=path)


# Sane magnitudes of a study: generous, but a mistyped number is refused before anything runs
# rather than hanging or exhausting memory.
MAX_COUNT = 100_000  # replicates, samples, trials, candidates
MAX_RUNS = 1_000_000  # runs of one study (design points times replicates)


def whole(where: str, value: Any, low: int, high: int = MAX_COUNT) -> int:
    """``value`` if it is a whole number from ``low`` to ``high``, else a one-line error at
    ``where``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ParameterError(
            f"{where}: expected a whole number from {low} to {high:,}, got {value!r}"
        )
    return value


def number(where: str, value: Any, *, low: float | None = None, high: float | None = None) -> float:
    """``value`` as a float if it is a finite number (from ``low``, up to ``high``), else a
    one-line error."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and (isinstance(value, int) or np.isfinite(value))
    if not ok or (low is not None and value < low) or (high is not None and value > high):
        bound = f" >= {low:g}" if low is not None else ""
        bound += f" <= {high:g}" if high is not None else ""
        raise ParameterError(f"{where}: expected a finite number{bound}, got {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise ParameterError(f"{where}: {value!r} is too large") from None


def check_runs(where: str, runs: int) -> None:
    """Refuse a study of more than :data:`MAX_RUNS` runs."""
    if runs > MAX_RUNS:
        raise ParameterError(
            f"{where}: {runs:,} runs, more than the {MAX_RUNS:,} a study may ask for; "
            "use fewer samples, levels or replicates"
        )


def check_entries(data: Mapping[str, Any], allowed: AbstractSet[str]) -> None:
    """Raise :class:`ParameterError` for a top-level entry that is not ``allowed``."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ParameterError(f"{unknown[0]}: unknown entry (expected {', '.join(sorted(allowed))})")


def check_table(
    where: str, value: Any, allowed: set[str], required: AbstractSet[str] = frozenset()
) -> dict[str, Any]:
    """``value`` if it is a table of ``allowed`` entries with every ``required`` one."""
    if not isinstance(value, dict):
        raise ParameterError(f"{where}: expected a table")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ParameterError(
            f"{where}.{unknown[0]}: unknown entry (expected {', '.join(sorted(allowed))})"
        )
    missing = sorted(required - set(value))
    if missing:
        raise ParameterError(f"{where}: {missing[0]} is missing")
    return value


def base_scenario(data: Mapping[str, Any], *, base_dir: Path) -> Scenario:
    """The file's ``scenario`` (a name, or a path beside the file) with its ``[settings]``."""
    base = data.get("scenario", "baseline")
    if not isinstance(base, str):
        raise ParameterError(f"scenario: expected a scenario name or path, got {base!r}")
    local = base_dir / base
    try:
        scenario = load_scenario(local if local.suffix == ".toml" and local.exists() else base)
    except ScenarioError as exc:
        raise ParameterError(f"scenario: {exc}") from None
    try:
        return scenario.with_overrides(fixed_settings(data, base_dir=base_dir))
    except ScenarioError as exc:
        raise ParameterError(f"settings.{str(exc).removeprefix('--set ')}") from None


def fixed_settings(data: Mapping[str, Any], *, base_dir: Path) -> dict[str, Any]:
    """The file's ``[settings]`` (dotted keys), the same in every run, with a relative
    ``staffing.plan`` or ``map.file`` taken from the file's folder ``base_dir``."""
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise ParameterError("settings: expected a [settings] table")
    return with_paths_from(base_dir, flatten(settings))


def digest(parts: list[Any]) -> str:
    """The SHA-256 of what identifies a study's runs (``parts``, as JSON)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def derived_seeds(master: int, n: int) -> list[int]:
    """``n`` run seeds derived from a master seed (replicate r's seed never depends on n)."""
    return [
        int(np.random.SeedSequence(master, spawn_key=(r,)).generate_state(1)[0]) for r in range(n)
    ]
