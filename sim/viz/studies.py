"""Finished policy searches (``govsim optimise`` folders) for the app: their trials as points
of a cost-escalation chart, and a trial's plan as a policy to run beside the base scenario.

Plain Python with no Solara, like :mod:`sim.viz.session`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from sim.model.parameters import ParameterError
from sim.runs.datafiles import has_table, read_table
from sim.runs.folders import kind_of
from sim.runs.specfile import fixed_settings
from sim.viz.session import Policy

STUDY_ROOT = Path("results") / "optimise"  # where govsim optimise writes by default
X, Y = "annual_cost_wan_yuan", "escalation_rate"


def find_studies(root: Path = STUDY_ROOT) -> list[Path]:
    """The folders under ``root`` that a finished or partial ``govsim optimise`` wrote."""
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and kind_of(p) == "optimise" and (p / "trials.csv").exists()
    )


@dataclass(frozen=True)
class Study:
    """A policy search's folder: its base scenario, its trials and the plans it recommends."""

    folder: Path
    scenario: str  # the base scenario (a name under scenarios/, or a path)
    trials: pd.DataFrame  # the complete trials of trials.csv
    frontier: tuple[int, ...]  # trial numbers on the frontier
    chosen: tuple[int, ...]  # trial numbers of the recommended plans (verified)
    fixed: dict[str, Any] = field(default_factory=dict)  # the file's [settings], every trial's

    def points(self) -> list[dict[str, Any]]:
        """One point per complete trial with both values (an escalation rate needs cases):
        trial, x (annual cost), y (escalation rate), whether it is within the constraints, on
        the frontier, recommended."""
        return [
            {
                "trial": int(r.trial),
                "x": round(float(getattr(r, X)), 3),
                "y": round(float(getattr(r, Y)), 6),
                "feasible": bool(r.feasible),
                "frontier": int(r.trial) in self.frontier,
                "chosen": int(r.trial) in self.chosen,
            }
            for r in self.trials.itertuples()
            if math.isfinite(getattr(r, X)) and math.isfinite(getattr(r, Y))
        ]

    def settings(self, trial: int) -> dict[str, Any]:
        """The parameter settings of ``trial``'s plan."""
        return json.loads(self.trials.set_index("trial").at[trial, "settings"])

    def policies(self, trial: int, *, like: Policy) -> tuple[Policy, Policy]:
        """The base scenario with the search's ``[settings]`` (A: today, as the search ran it)
        and ``trial``'s plan on it (B: the trial's settings, as in its plan file), at
        ``like``'s scale and seed (the app's scale replaces the search's)."""
        scale = {k: v for k, v in like.overrides.items() if k == "population.scale"}
        base = replace(like, scenario=self.scenario, overrides=self.fixed | scale)
        return base, replace(base, overrides=self.fixed | scale | self.settings(trial))


TRIAL_COLUMNS = ("trial", "state", "settings", "feasible", X, Y)


def _file(folder: Path, stem: str) -> Path:
    """The file of the table ``stem`` that :func:`read_table` reads (its CSV, else Parquet)."""
    return folder / (f"{stem}.csv" if (folder / f"{stem}.csv").is_file() else f"{stem}.parquet")


def _table(folder: Path, stem: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """The search's table ``stem`` (CSV or Parquet) with ``columns``, whole-numbered ``trial``;
    else ValueError, one line naming the file."""
    path = _file(folder, stem)
    try:
        table = read_table(folder, stem)
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        ValueError,
        OSError,
    ):
        raise ValueError(f"{path}: not a readable table") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: no column {missing[0]!r} (not written by govsim optimise)")
    if not pd.api.types.is_integer_dtype(table["trial"]):
        raise ValueError(f"{path}: trial: expected whole numbers")
    return table


def _complete_trials(folder: Path) -> pd.DataFrame:
    """The complete trials of the search's ``trials`` table, checked: a file edited by hand or
    by another program is one line (ValueError), never an error in the page."""
    table = _table(folder, "trials", TRIAL_COLUMNS)
    path = _file(folder, "trials")
    trials = table[table["state"] == "complete"].reset_index(drop=True)
    for column in (X, Y):
        if not pd.api.types.is_numeric_dtype(trials[column]):
            raise ValueError(f"{path}: {column}: expected numbers")
    if not trials["feasible"].isin([True, False]).all():
        raise ValueError(f"{path}: feasible: expected True or False")
    for row, text in zip(trials["trial"], trials["settings"], strict=True):
        try:
            settings = json.loads(text)
        except (TypeError, ValueError):
            settings = None
        if not isinstance(settings, dict):
            raise ValueError(f"{path}: trial {row}: settings: expected a JSON table")
    return trials


def load_study(folder: Path) -> Study:
    """Read a ``govsim optimise`` folder (ValueError, one line, when it is not one)."""
    folder = Path(folder)
    if kind_of(folder) != "optimise" or not has_table(folder, "trials"):
        raise ValueError(f"{folder}: not a folder of govsim optimise (no manifest or trials.csv)")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    trials = _complete_trials(folder)
    frontier = _table(folder, "frontier", ("trial",)) if has_table(folder, "frontier") else None
    on_front = (
        tuple(int(t) for t in frontier["trial"]) if frontier is not None and len(frontier) else ()
    )
    plans = sorted((folder / "plans").glob("plan_trial_*.toml"))
    chosen = tuple(int(p.stem.rsplit("_", 1)[1]) for p in plans)
    scenario = str(manifest.get("file_contents", {}).get("scenario", "baseline"))
    if scenario.endswith(".toml") and manifest.get("file"):  # a path from the file's folder
        scenario = str(Path(manifest["file"]).parent / scenario)
    contents = manifest.get("file_contents", {})
    where = Path(manifest["file"]).parent if manifest.get("file") else folder
    try:
        fixed = fixed_settings(contents, base_dir=where)
    except ParameterError as exc:
        raise ValueError(f"{folder / 'manifest.json'}: settings: {exc}") from None
    return Study(
        folder=folder,
        scenario=scenario,
        trials=trials,
        frontier=on_front,
        chosen=chosen,
        fixed=fixed,
    )
