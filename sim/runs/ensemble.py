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
from dataclasses import dataclass
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
    """One plausible parameter set: its number in the posterior file and its values."""

    set: int
    values: dict[str, float]


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

    def draw(self, k: int, seed: int) -> list[World]:
        """``k`` sets drawn by weight (systematic resampling, from ``seed``), heaviest first."""
        from sim.runs.calibrate.posterior import systematic_resample

        weights = self.table["ensemble_weight"].to_numpy(dtype=float)
        picks = sorted(systematic_resample(weights / weights.sum(), k, np.random.default_rng(seed)))
        rows = self.table.iloc[picks]
        return [
            World(set=int(row["set"]), values={key: float(row[key]) for key in self.keys})
            for _, row in rows.iterrows()
        ]


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
    (``overrides``)."""
    return params | {k: v for k, v in world.values.items() if k not in overrides}


def worlds_of_runs(worlds: list[World], runs_per_set: int) -> list[World]:
    """The world of each run: every drawn set ``runs_per_set`` times, in order."""
    return [world for world in worlds for _ in range(runs_per_set)]


def ensemble_record(ensemble: Ensemble, worlds: list[World], runs_per_set: int) -> dict[str, Any]:
    """What the manifest says of runs in plausible sets: the file, its hash, the sets drawn,
    the runs in each and the rule by which a set's values apply."""
    return {
        "posterior": str(ensemble.path),
        "sha256": ensemble.sha256,
        "sets": [w.set for w in worlds],
        "runs_per_set": runs_per_set,
        "parameters": ensemble.keys,
        "rule": "a set's values replace the defaults of its parameters, except those a scenario "
        "sets itself (its value stands); the runs of a set share their seeds across scenarios",
    }


def sets_table(worlds: list[World]) -> pd.DataFrame:
    """The ``sets`` table: one row per distinct set drawn, how many times, and its values."""
    import pandas as pd

    draws: dict[int, int] = {}
    for world in worlds:
        draws[world.set] = draws.get(world.set, 0) + 1
    first = {w.set: w for w in reversed(worlds)}
    return pd.DataFrame([{"set": s, "draws": n} | first[s].values for s, n in draws.items()])
