"""What a run counts beyond the dispute book (:class:`Tally`), and the periods it is measured
over (:class:`Period`, with the running counts of the cases finished in it): the state
:mod:`sim.model.metrics` computes the outcomes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.model.disputes import DISPUTE_TYPES, IS_CLAIM_TYPE, TYPE_INDEX
from sim.model.ledger import Running


@dataclass
class Tally:
    """Counters the metrics need beyond the dispute book."""

    sessions: int
    agreements: int
    petition_first_sessions: int
    petition_first_agreements: int
    worker_busy_visits: float
    worker_capacity_visits: float
    cost_days: float  # the yearly cost of the policy in force, summed over the days run
    incidents_by_grid: np.ndarray
    sessions_by_type: np.ndarray  # indexed by dispute type (sim.model.disputes.DISPUTE_TYPES)
    agreements_by_type: np.ndarray

    def copy(self) -> Tally:
        values: dict[str, Any] = {
            k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(self).items()
        }
        return Tally(**values)

    def minus(self, earlier: Tally) -> Tally:
        """What was counted since ``earlier`` (a copy taken then)."""
        values: dict[str, Any] = {k: v - vars(earlier)[k] for k, v in vars(self).items()}
        return Tally(**values)

    @classmethod
    def empty(cls, n_grids: int) -> Tally:
        n_types = len(DISPUTE_TYPES)
        zeros = np.zeros(n_grids, dtype=np.int64)
        return cls(
            0,
            0,
            0,
            0,
            0.0,
            0.0,
            0.0,
            zeros,
            np.zeros(n_types, np.int64),
            np.zeros(n_types, np.int64),
        )

    def failure_rate_by_type(self) -> dict[str, float]:
        """Share of sessions that failed, by dispute type."""
        return {
            t.name: share(s - a, s)
            for t, s, a in zip(
                DISPUTE_TYPES, self.sessions_by_type, self.agreements_by_type, strict=True
            )
        }

    def land_failure_ratio(self) -> float:
        """Failure rate of land (and housing) sessions over that of every other type."""
        land = TYPE_INDEX["land"]
        failures = self.sessions_by_type - self.agreements_by_type
        others = (np.arange(len(failures)) != land) & ~IS_CLAIM_TYPE
        rate_land = share(failures[land], self.sessions_by_type[land])
        rate_others = share(failures[others].sum(), self.sessions_by_type[others].sum())
        return share(rate_land, rate_others) if np.isfinite(rate_land) else float("nan")

    def record_sessions(
        self,
        *,
        kinds: np.ndarray,
        agreed: np.ndarray,
        claim: np.ndarray,
        first_petition: np.ndarray | None = None,
    ) -> None:
        """Count sessions and agreements by type; ``sessions`` and ``agreements`` count those
        of disputes between residents (people's mediation), ``first_petition`` marks first L4
        sessions of any case."""
        self.sessions += len(claim) - int(np.count_nonzero(claim))
        self.agreements += int(np.count_nonzero(agreed & ~claim))
        self.sessions_by_type += np.bincount(kinds, minlength=len(self.sessions_by_type))
        self.agreements_by_type += np.bincount(
            kinds[agreed], minlength=len(self.agreements_by_type)
        )
        if first_petition is not None:
            self.petition_first_sessions += int(np.count_nonzero(first_petition))
            self.petition_first_agreements += int(np.count_nonzero(first_petition & agreed))


def share(part: float, whole: float) -> float:
    """``part / whole`` as a float, NaN if ``whole`` is 0."""
    return float(part / whole) if whole else float("nan")


@dataclass(frozen=True)
class Period:
    """A measured period: the time it starts, the tally at that time, and the running counts
    of the cases finished since (:class:`sim.model.ledger.Running`, filled by
    :func:`sim.model.metrics.settle`)."""

    start: float
    tally: Tally
    finished: Running = field(default_factory=Running, compare=False)
