"""Plausible worlds: parameter sets drawn by weight from the calibration's posterior ensemble
(``docs/calibration/posterior/posterior.csv``), so that a comparison carries what we do not
know about the parameters as well as the noise between seeds.

A comparison over the ensemble draws ``K`` sets (systematic resampling by
``ensemble_weight``: a heavy set may be drawn twice) and runs every scenario ``R`` times in
each, on seeds that differ from set to set and are shared by the scenarios within a set
(common random numbers). A set's values replace the defaults of its parameters in every
scenario, except where a scenario sets such a parameter itself: there the scenario's value
stands (a planner's "what if" on that parameter).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.parameters import SCHEMA, ParameterError, resolve

if TYPE_CHECKING:  # pandas loads when an ensemble is read, not when the command line starts
    import pandas as pd

POSTERIOR = Path(__file__).resolve().parents[2] / "docs" / "calibration" / "posterior"
POSTERIOR_FILE = POSTERIOR / "posterior.csv"  # shipped: the default ensemble
DEFAULT_SETS = 10  # plausible parameter sets of a comparison (``--sets``)
RUNS_PER_SET = 2  # runs of each scenario in each set (``--replicates`` with sets)
IDS = ("set", "ensemble_weight", "importance_weight")


@dataclass(frozen=True)
class World:
    """One plausible parameter set: its number in the posterior file, its values, and the
    what-if factors drawn for it (each multiplies its parameter's value in every scenario)."""

    set: int
    values: dict[str, float]
    factors: dict[str, float] = field(default_factory=dict)
    draw: int = 0  # its place among the sets drawn for a comparison (0, 1, ...)


@dataclass(frozen=True)
class WhatIf:
    """A planner's what-if range: ``key``'s value in every scenario multiplied by a factor
    drawn from ``low`` to ``high`` for each set (``--what-if disputes.rate_per_1k=1:1.33``)."""

    key: str
    low: float
    high: float


MAX_FACTOR = 10.0


def parse_what_if(text: str) -> WhatIf:
    """``KEY=LOW:HIGH`` (factors, ``0 < LOW <= HIGH <= 10``) on a number parameter; anything
    else is a :class:`ParameterError` in one line."""
    key, _, rest = text.partition("=")
    key = key.strip()
    low_text, _, high_text = rest.partition(":")
    where = f"--what-if {text}"
    if key not in SCHEMA:
        raise ParameterError(f"{where}: unknown parameter {key!r}")
    if type(SCHEMA[key].default) not in (int, float):
        raise ParameterError(f"{where}: {key} is not a number, so no factor can scale it")
    try:
        low, high = float(low_text), float(high_text or low_text)
    except ValueError:
        raise ParameterError(
            f"{where}: expected KEY=LOW:HIGH, two factors such as 1:1.33"
        ) from None
    if not 0 < low <= high <= MAX_FACTOR:
        raise ParameterError(f"{where}: the factors must satisfy 0 < LOW <= HIGH <= {MAX_FACTOR:g}")
    return WhatIf(key, low, high)


@dataclass(frozen=True)
class Ensemble:
    """The posterior ensemble read from ``path``: a row per distinct set, its weight and values."""

    path: Path
    sha256: str
    table: pd.DataFrame  # set, ensemble_weight, one column per parameter

    @property
    def keys(self) -> list[str]:
        """The parameters the ensemble gives values for."""
        return [c for c in self.table.columns if c in SCHEMA]

    def draw(self, k: int, seed: int, what_if: Sequence[WhatIf] = ()) -> list[World]:
        """``k`` sets drawn by weight (systematic resampling, from ``seed``), heaviest first,
        each with a factor for each ``what_if`` range (a Latin hypercube over the ranges)."""
        from scipy.stats import qmc

        from sim.runs.calibrate.posterior import systematic_resample

        rng = np.random.default_rng(seed)
        weights = self.table["ensemble_weight"].to_numpy(dtype=float)
        picks = sorted(systematic_resample(weights / weights.sum(), k, rng))
        rows = self.table.iloc[picks]
        cube = qmc.LatinHypercube(d=len(what_if), seed=rng).random(k) if what_if else None
        worlds = []
        for i, (_, row) in enumerate(rows.iterrows()):
            factors = {}
            if cube is not None:
                factors = {
                    w.key: w.low + (w.high - w.low) * cube[i, j] for j, w in enumerate(what_if)
                }
            values = {key: float(row[key]) for key in self.keys}
            worlds.append(World(set=int(row["set"]), values=values, factors=factors, draw=i))
        return worlds


def load_ensemble(path: Path | str | None = None) -> Ensemble:
    """The ensemble in ``path`` (default :data:`POSTERIOR_FILE`), checked: a ``set`` and an
    ``ensemble_weight`` column, weights that are numbers >= 0 with a positive sum, and values
    every parameter accepts. Anything else is a :class:`ParameterError` in one line."""
    import pandas as pd

    path = Path(path) if path is not None else POSTERIOR_FILE
    try:
        data = path.read_bytes()
        table = pd.read_csv(path, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ParameterError(f"{path}: cannot read the posterior ensemble ({exc})") from None
    missing = [c for c in ("set", "ensemble_weight") if c not in table.columns]
    if missing:
        raise ParameterError(f"{path}: not a posterior ensemble (no column {', '.join(missing)})")
    weights = pd.to_numeric(table["ensemble_weight"], errors="coerce").to_numpy(dtype=float)
    if len(table) == 0 or not np.all(np.isfinite(weights) & (weights >= 0)) or weights.sum() <= 0:
        raise ParameterError(f"{path}: ensemble_weight must be numbers >= 0 with a sum above 0")
    keys = [c for c in table.columns if c in SCHEMA]
    if not keys:
        raise ParameterError(f"{path}: no column names a parameter")
    sets = pd.to_numeric(table["set"], errors="coerce")
    if sets.isna().any() or (sets != sets.round()).any() or sets.duplicated().any():
        raise ParameterError(f"{path}: set must be distinct whole numbers")
    for row, values in enumerate(table[keys].to_dict("records"), start=2):
        try:
            resolve(values)
        except ParameterError as exc:
            raise ParameterError(f"{path}: row {row}: {exc}") from None
    table = table[[*[c for c in IDS if c in table.columns], *keys]].assign(
        set=sets.astype(int), ensemble_weight=weights
    )
    return Ensemble(path=path, sha256=hashlib.sha256(data).hexdigest(), table=table)


def in_world(params: dict[str, Any], overrides: dict[str, Any], world: World) -> dict[str, Any]:
    """``params`` with ``world``'s values, except those of the keys the scenario sets itself
    (``overrides``); then each what-if factor multiplies its key's value (rounded for a whole
    number)."""
    found = params | {k: v for k, v in world.values.items() if k not in overrides}
    for key, factor in world.factors.items():
        value = found[key] * factor
        found[key] = round(value) if type(SCHEMA[key].default) is int else value
    return found


def worlds_of_runs(worlds: list[World], runs_per_set: int) -> list[World]:
    """The world of each run: every drawn set ``runs_per_set`` times, in order."""
    return [world for world in worlds for _ in range(runs_per_set)]


def ensemble_record(
    ensemble: Ensemble, worlds: list[World], runs_per_set: int, what_if: Sequence[WhatIf] = ()
) -> dict[str, Any]:
    """What the manifest says of runs in plausible sets: the file, its hash, the sets drawn,
    the runs in each and the rule by which a set's values apply."""
    return {
        "posterior": str(ensemble.path),
        "sha256": ensemble.sha256,
        "sets": [w.set for w in worlds],
        "runs_per_set": runs_per_set,
        "parameters": ensemble.keys,
        "what_if": [{"key": w.key, "low": w.low, "high": w.high} for w in what_if],
        "rule": "a set's values replace the defaults of its parameters, except those a scenario "
        "sets itself (its value stands); then each what-if factor multiplies its parameter's value "
        "in every scenario; the runs of a set share their seeds across scenarios",
    }


def sets_table(worlds: list[World]) -> pd.DataFrame:
    """The ``sets`` table: one row per draw, its set's number, values and what-if factors."""
    import pandas as pd

    return pd.DataFrame(
        [
            {"draw": w.draw, "set": w.set}
            | w.values
            | {f"factor:{k}": v for k, v in w.factors.items()}
            for w in worlds
        ]
    )


def check_worlds(scenarios: Sequence[Any], worlds: Sequence[World]) -> None:
    """Every scenario's parameters in every world are valid (a what-if factor may push a value
    out of its range): a :class:`ParameterError` in one line naming the world, before any run."""
    for scenario in scenarios:
        for world in worlds:
            try:
                resolve(in_world(scenario.params, scenario.overrides, world))
            except ParameterError as exc:
                factors = ", ".join(f"{k} x{v:.3g}" for k, v in world.factors.items())
                raise ParameterError(
                    f"{scenario.name} in parameter set {world.set} ({factors or 'no factors'}): {exc}"
                ) from None


def is_ensemble(path: Path | str) -> bool:
    """Whether the CSV file at ``path`` is a posterior ensemble (its header names
    ``ensemble_weight``), not a table of good fits."""
    with open(path, encoding="utf-8-sig") as file:
        return "ensemble_weight" in file.readline().strip().split(",")
