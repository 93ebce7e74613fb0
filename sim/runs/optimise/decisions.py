"""What a policy search decides and how it judges: variables, constraints and objectives.

Declared objects that check themselves, in the manner of EMA Workbench's levers and
outcomes: a :class:`Variable` turns an Optuna trial's draws into a parameter setting, a
:class:`Bound` says how far a metric is beyond a constraint, an :class:`Objective` which way
is better. :mod:`sim.runs.optimise.spec` reads them from an optimisation file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.geography import largest_remainder
from sim.model.mapcheck import plan_of
from sim.model.parameters import SCHEMA


@dataclass(frozen=True)
class Variable:
    """One decision: a key of the schema and the values a trial may give it.

    ``kind`` is ``towns`` (a town table: one whole number per town in
    ``places``, within ``low``..``high``, or ``low`` each and a fixed
    ``total``), ``number``, ``choice`` (one of ``choices``) or ``subset``
    (each of ``places`` in or out).
    """

    key: str
    kind: str
    low: float | None = None
    high: float | None = None
    total: int | None = None
    choices: tuple[Any, ...] = ()
    places: tuple[str, ...] = ()
    relative: tuple[float, float] | None = None  # with total: each town's factor on today's
    today: tuple[int, ...] = ()  # a town table's staff in the base scenario, by place

    @property
    def lowest(self) -> float:
        """``low``, which a town table or a number has."""
        if self.low is None:
            raise ValueError(f"{self.key}: a {self.kind} variable has no low")
        return self.low

    @property
    def highest(self) -> float:
        """``high``, which a number and a town table without a total have."""
        if self.high is None:
            raise ValueError(f"{self.key}: a {self.kind} variable has no high")
        return self.high

    def names(self) -> list[str]:
        """The search's parameter names for this variable (one per town or place)."""
        if self.kind in ("towns", "subset"):
            return [f"{self.key}:{p}" for p in self.places]
        return [self.key]

    def suggest(self, trial: Any) -> dict[str, Any]:
        """Draw this variable's search parameters from an Optuna trial."""
        drawn: dict[str, Any] = {}
        for name in self.names():
            if self.kind == "towns" and self.relative is not None:
                drawn[name] = trial.suggest_float(name, *self.relative, log=True)
            elif self.kind == "towns" and self.total is not None:
                drawn[name] = trial.suggest_float(name, 0.0, 1.0)  # a share of the rest
            elif self.kind == "towns" or (self.kind == "number" and self._whole):
                drawn[name] = trial.suggest_int(name, int(self.lowest), int(self.highest))
            elif self.kind == "number":
                drawn[name] = trial.suggest_float(name, self.lowest, self.highest)
            elif self.kind == "choice":
                drawn[name] = trial.suggest_categorical(name, list(self.choices))
            else:
                drawn[name] = trial.suggest_categorical(name, [False, True])
        return drawn

    def setting(self, drawn: dict[str, Any]) -> Any:
        """The parameter value of drawn search parameters (a town table, a number, a list)."""
        if self.kind == "towns":
            values = [drawn[n] for n in self.names()]
            if self.total is None:
                return dict(zip(self.places, (int(v) for v in values), strict=True))
            # low each, and the rest by the drawn shares
            weights = np.maximum(np.array(values, dtype=float), 1e-9)
            if self.relative is not None:  # factors on today's numbers
                weights = weights * np.maximum(np.array(self.today, dtype=float), 1e-9)
            counts = largest_remainder(self.total, weights, minimum=int(self.lowest))
            return dict(zip(self.places, (int(v) for v in counts), strict=True))
        if self.kind == "subset":
            return [p for p, n in zip(self.places, self.names(), strict=True) if drawn[n]]
        return drawn[self.key]

    def drawn_for(self, value: Any, today: dict[str, int]) -> dict[str, Any] | None:
        """The search parameters that give the base scenario's setting (``value``; a town
        table's ``today``: each town's staff), or None when the variable cannot express it."""
        names = self.names()
        if self.kind == "towns":
            counts = [today[p] for p in self.places]
            if self.relative is not None:
                fits = sum(counts) == self.total and self.relative[0] <= 1 <= self.relative[1]
                return dict.fromkeys(names, 1.0) if fits else None
            if self.total is not None:
                top = max(counts)
                if sum(counts) != self.total or min(counts) < self.lowest or top == 0:
                    return None
                return {n: c / top for n, c in zip(names, counts, strict=True)}
            if not all(self.lowest <= c <= self.highest for c in counts):
                return None
            return dict(zip(names, counts, strict=True))
        if self.kind == "subset":  # only when today's places are all among the variable's
            chosen = set(value) if isinstance(value, list) else set()
            if (value != "none" and not isinstance(value, list)) or chosen - set(self.places):
                return None
            return {n: p in chosen for n, p in zip(names, self.places, strict=True)}
        if self.kind == "choice":
            return {self.key: value} if value in self.choices else None
        return {self.key: value} if self.lowest <= value <= self.highest else None

    @property
    def _whole(self) -> bool:
        return SCHEMA[self.key].type_name == "int"


@dataclass(frozen=True)
class Bound:
    """A constraint: a metric's mean over a trial's runs at most, or at least, ``value``."""

    metric: str
    at_most: float | None = None
    at_least: float | None = None

    def excess(self, value: float) -> float:
        """How far ``value`` is beyond the bound (<= 0 is within it; NaN counts as far)."""
        if value != value:  # NaN: a share without cases
            return 1e9
        if self.at_most is not None:
            return value - self.at_most
        if self.at_least is None:
            raise ValueError(f"{self.metric}: a bound needs at_most or at_least")
        return self.at_least - value

    def __str__(self) -> str:
        return (
            f"{self.metric} <= {self.at_most:g}"
            if self.at_most is not None
            else f"{self.metric} >= {self.at_least:g}"
        )


@dataclass(frozen=True)
class Robust:
    """A constraint over plausible parameter sets: in at least ``in_share`` of the sets the
    trial's mean of ``metric`` within the set is no worse than the base scenario's mean within
    the same set (same seeds). ``better`` is the metric's direction
    (:data:`sim.model.metrics.BETTER`: -1 when less is better)."""

    metric: str
    in_share: float
    better: int

    def share(self, trial: Sequence[float], base: Sequence[float]) -> float:
        """The share of sets in which ``trial`` (its mean in each set) is no worse than
        ``base`` (the base scenario's, set by set); a set where either is NaN (no cases to
        measure) is not counted as no worse."""
        pairs = list(zip(trial, base, strict=True))
        if not pairs:
            raise ValueError(f"{self.metric}: no parameter sets to compare")
        fine = sum(1 for t, b in pairs if t == t and b == b and self.better * (t - b) >= 0)
        return fine / len(pairs)

    def excess(self, share: float) -> float:
        """How far the share of sets no worse falls short of ``in_share`` (<= 0: met)."""
        return self.in_share - share

    def __str__(self) -> str:
        return f"{self.metric} no worse than base in >= {self.in_share:g} of sets"


Constraint = Bound | Robust


@dataclass(frozen=True)
class Objective:
    metric: str
    direction: str  # "minimise" | "maximise"

    @property
    def sign(self) -> float:
        """+1 when smaller is better, -1 when larger is."""
        return 1.0 if self.direction == "minimise" else -1.0


def town_staff(params: dict[str, Any], seed: int) -> dict[str, dict[str, int]]:
    """The staff of each town under ``params`` (the seed's map): for each town table's key,
    town name -> grid workers or Yi Police."""
    plan, full = plan_of(params, seed)
    staff = {
        "grid_workers.by_town": plan.grid_workers,
        "volunteer_police.by_town": plan.volunteer_police,
    }
    return {
        key: dict(
            zip(
                full.town_names,
                (int(c) for c in np.bincount(full.village_town, per_unit, minlength=full.n_towns)),
                strict=True,
            )
        )
        for key, per_unit in staff.items()
    }
