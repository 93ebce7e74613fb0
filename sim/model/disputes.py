"""Disputes: types, the escalation ladder, the dispute book and the lifecycle rules.

A dispute is a record, not an agent. All records live in :class:`DisputeBook`,
a set of numpy arrays indexed by dispute id, so the daily phases scan them
with array operations. The rules here are pure functions of arrays, used by
the model's phases and by the residents' own decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

import numpy as np


class Level(IntEnum):
    """The escalation ladder (design section 3)."""

    LATENT = 0  # not yet detected
    GRID = 1  # L1 grid / neighbourhood mediation
    VILLAGE = 2  # L2 village mediation committee (trust room)
    TOWN = 3  # L3 police mediation and the town governance centre
    DISTRICT = 4  # L4 district petition supermarket (or letters-and-visits office)
    BEYOND = 5  # L5 beyond the district: skip-level petition, litigation ("passed up")


class State(IntEnum):
    """Where a dispute stands."""

    LATENT = 0  # undetected, intensity drifting
    QUEUED = 1  # waiting for, or in, mediation at its current level
    RESOLVED = 2  # agreement reached
    INCIDENT = 3  # a party acted out (violence, crime, group incident)
    DORMANT = 4  # dropped or faded; may flare up again
    PASSED_UP = 5  # went beyond the district (L5)
    LAPSED = 6  # dormant long enough to be over for good


OPEN_STATES = (State.LATENT, State.QUEUED)
IS_OPEN = np.isin(np.arange(len(State)), OPEN_STATES)  # IS_OPEN[state]: faster than np.isin
# Not over yet: open, or dormant (may flare up). The other states are final: nothing leaves them.
IS_LIVE = np.isin(np.arange(len(State)), (*OPEN_STATES, State.DORMANT))


class Origin(IntEnum):
    """Where a case comes from."""

    DISPUTE = 0  # a dispute between residents (the people's-mediation ladder)
    CLAIM = 1  # a direct claim against an employer, the government or a service


@dataclass(frozen=True)
class DisputeType:
    """A type of case: its share of disputes (or of direct claims), its drift and extra difficulty."""

    name: str
    share: float  # of disputes between residents: China Statistical Yearbook 2001, by type
    drift: float  # multiplier of disputes.drift_per_day [assumption]
    difficulty: float  # logit penalty on mediation success [assumption]; land uses a parameter
    claim_share: float = (
        0.0  # of direct claims: petition subjects of one county, 2024 (weak source)
    )


DISPUTE_TYPES: tuple[DisputeType, ...] = (
    DisputeType("family", 0.388, 1.0, 0.3),
    DisputeType("neighbour", 0.147, 1.2, 0.0),
    DisputeType("land", 0.106, 1.5, np.nan),  # housing / homestead / land: disputes.land_difficulty
    DisputeType("business", 0.099, 1.0, 0.5),
    DisputeType("debt", 0.090, 1.0, 0.5),
    DisputeType("damages", 0.073, 0.8, 0.2),
    DisputeType("other", 0.099, 1.0, 0.3),
    # Direct claims against employers, the government or services (claims.difficulty is added).
    DisputeType("land_acquisition", 0.0, 1.2, 0.5, 0.268),  # natural resources, land, agriculture
    DisputeType("law_litigation", 0.0, 1.0, 0.5, 0.154),  # complaints about law enforcement, courts
    DisputeType("labour", 0.0, 1.0, -0.5, 0.149),  # wage arrears, social security
    DisputeType("housing", 0.0, 1.0, 0.0, 0.143),  # urban construction and housing
    DisputeType("public_services", 0.0, 1.0, -0.5, 0.063),  # civil affairs, public services
    DisputeType("other_claim", 0.0, 1.0, 0.0, 0.223),
)
TYPE_INDEX = {t.name: i for i, t in enumerate(DISPUTE_TYPES)}
TYPE_SHARES = np.array([t.share for t in DISPUTE_TYPES]) / sum(t.share for t in DISPUTE_TYPES)
CLAIM_SHARES = np.array([t.claim_share for t in DISPUTE_TYPES]) / sum(
    t.claim_share for t in DISPUTE_TYPES
)
IS_CLAIM_TYPE = CLAIM_SHARES > 0
TYPE_DRIFT = np.array([t.drift for t in DISPUTE_TYPES])
GROUP_TYPES = np.array(
    [TYPE_INDEX["land"], TYPE_INDEX["business"]]
)  # land acquisition, wage arrears
FAMILY = TYPE_INDEX["family"]
LAND = TYPE_INDEX["land"]


def type_difficulty(land_difficulty: float, claim_difficulty: float = 0.0) -> np.ndarray:
    """Logit penalty of each type: land's from the parameter, claims' plus ``claim_difficulty``."""
    own = np.array([land_difficulty if t.name == "land" else t.difficulty for t in DISPUTE_TYPES])
    return own + claim_difficulty * IS_CLAIM_TYPE


class DisputeBook:
    """Every dispute of a run as columns of numpy arrays; row ``i`` is dispute ``i``."""

    COLUMNS: ClassVar[dict[str, tuple[type, float]]] = {
        "kind": (np.int8, 0),
        "grid": (np.int32, 0),
        "party_a": (np.int64, -1),
        "party_b": (np.int64, -1),  # -1 for a group dispute
        "n_parties": (np.int32, 2),
        "is_group": (np.bool_, False),
        "intensity": (np.float64, 0.0),
        "level": (np.int8, Level.LATENT),
        "max_level": (np.int8, Level.LATENT),
        "state": (np.int8, State.LATENT),
        "arrived": (np.float64, np.nan),  # time of arising (day + fraction)
        "detected": (np.float64, np.nan),  # time of detection
        "closed": (np.float64, np.nan),  # time of the end state
        "ready": (np.float64, np.nan),  # first day a session at the current level can be held
        "sessions": (np.int16, 0),  # mediation sessions held
        "petition_sessions": (np.int16, 0),  # L4 sessions held
        "satisfied": (np.bool_, False),
        "origin": (np.int8, 0),  # Origin: a dispute between residents, or a direct claim
        "mediated": (np.float64, np.nan),  # time of the first mediation session
        "reached_town": (np.float64, np.nan),  # time it first reached L3
        "reached_district": (np.float64, np.nan),  # time it first reached L4 (a petition)
        "found_by_staff": (np.bool_, False),  # detected by a grid worker or a patrol (not reported)
    }

    def __init__(self, capacity: int = 1024) -> None:
        self.size = 0
        self._capacity = capacity
        self._live = np.zeros(0, dtype=np.int64)  # ids that were live when last looked at
        self._live_upto = 0  # ids from here on have not been looked at yet
        for name, (dtype, fill) in self.COLUMNS.items():
            setattr(self, name, np.full(capacity, fill, dtype=dtype))

    def __len__(self) -> int:
        return self.size

    def add(self, n: int, **columns: np.ndarray) -> np.ndarray:
        """Append ``n`` disputes with the given column values; returns their ids."""
        if self.size + n > self._capacity:
            self._grow(max(2 * self._capacity, self.size + n))
        ids = np.arange(self.size, self.size + n)
        for name, values in columns.items():
            getattr(self, name)[ids] = values
        self.size += n
        return ids

    def _grow(self, capacity: int) -> None:
        for name, (dtype, fill) in self.COLUMNS.items():
            old = getattr(self, name)
            new = np.full(capacity, fill, dtype=dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)
        self._capacity = capacity

    def view(self, name: str) -> np.ndarray:
        """The filled part of a column."""
        return getattr(self, name)[: self.size]

    def live(self) -> np.ndarray:
        """Ids of the disputes not over yet (latent, queued or dormant), in ascending order.

        The daily phases look only at these, a small part of a long run's book:
        final states are never left, so a dispute found final is not looked at again.
        """
        ids = np.concatenate([self._live, np.arange(self._live_upto, self.size)])
        self._live = ids[IS_LIVE[self.state[ids]]]
        self._live_upto = self.size
        return self._live

    def in_state(self, *states: State) -> np.ndarray:
        """Ids of the disputes in any of ``states`` (live states only), ascending."""
        if not all(IS_LIVE[s] for s in states):
            raise ValueError(f"in_state: {states} are not all live states")
        ids = self.live()
        return ids[np.isin(self.state[ids], states)]

    def waiting_at(self, level: Level, day: float) -> np.ndarray:
        """Ids queued at ``level`` and ready for a session by ``day``, oldest first."""
        ids = self.live()
        ids = ids[
            (self.state[ids] == State.QUEUED)
            & (self.level[ids] == level)
            & (self.ready[ids] <= day)
        ]
        return ids[np.argsort(self.ready[ids], kind="stable")]


def beta_mean_sd(mean: float, sd: float) -> tuple[float, float]:
    """The (a, b) of the beta distribution with this mean and standard deviation."""
    mean = min(max(mean, 1e-3), 1 - 1e-3)
    common = max(mean * (1 - mean) / max(sd, 1e-6) ** 2 - 1, 1e-3)
    return mean * common, (1 - mean) * common


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def arrest_probability(
    guardians: np.ndarray, parties: np.ndarray, *, k: float, ceiling: float
) -> np.ndarray:
    """Perceived arrest probability ``P = ceiling * (1 - exp(-k * guardians / parties))``.

    Epstein's form, capped at ``ceiling`` < 1: however many guardians are near,
    some parties still think they will get away with it (or do not think at all).
    """
    return ceiling * (1.0 - np.exp(-k * guardians / np.maximum(parties, 1)))


def act_out_chance(
    *, intensity: np.ndarray, trust: np.ndarray, risk_aversion: np.ndarray,
    arrest_prob: np.ndarray, threshold: float, spread: float,
) -> np.ndarray:  # fmt: skip
    """Daily chance a party acts out: Epstein's civil-violence rule, smoothed and bounded.

    Epstein acts when ``intensity * (1 - trust) - R * P > T``. Here the
    grievance ``intensity * (1 - trust)`` against ``T`` gives a chance
    ``logistic((grievance - T) / spread)`` (``spread = 0``: the sharp rule),
    and deterrence scales it by ``1 - R * P``: guardians near make acting out
    rarer, in proportion to the party's risk aversion, but never impossible.
    """
    net = intensity * (1.0 - trust) - threshold
    urge = (net > 0).astype(float) if spread <= 0 else logistic(net / spread)
    return urge * (1.0 - risk_aversion * arrest_prob)


def success_probability(
    *,
    base: np.ndarray | float,
    skill: np.ndarray | float,
    trust: np.ndarray,
    intensity: np.ndarray,
    days_waited: np.ndarray,
    difficulty: np.ndarray,
    bonus: np.ndarray | float,
    coef: dict[str, float],
) -> np.ndarray:
    """Chance a mediation session ends in agreement (a logistic function, design section 3).

    Catching a dispute early (low intensity, little waiting) is what makes
    grassroots work pay; ``coef`` holds the ``mediation.*_effect`` parameters.
    """
    logit = (
        base
        + coef["skill"] * skill
        + coef["trust"] * trust
        - coef["intensity"] * intensity
        - coef["wait"] * days_waited / 30.0
        - difficulty
        + bonus
    )
    return logistic(logit)


def satisfaction_probability(
    *, base: float, trust: np.ndarray, intensity: np.ndarray, days_open: np.ndarray
) -> np.ndarray:
    """Chance the parties are satisfied with a resolution: quick, fair, trusted settlements satisfy."""
    return logistic(base + 2.0 * (trust - 0.5) - 2.0 * intensity - days_open / 60.0)


def draw_disputes(
    counts: np.ndarray, *, rng: np.random.Generator, grid_start: np.ndarray,
    household: np.ndarray, residents_per_grid: np.ndarray, group_share: float,
    group_size_mean: float, initial_intensity: float, today: int, kind: int | None = None,
) -> dict[str, np.ndarray]:  # fmt: skip
    """New disputes, ``counts[g]`` in grid g: the columns of :meth:`DisputeBook.add`.

    Types follow the yearbook shares (group disputes are land acquisition or
    wage arrears), or are all ``kind``. Parties are residents of the grid
    (residents are stored grid by grid from ``grid_start``); a family dispute
    stays in the household (the next or previous member); a group dispute has
    one represented resident and ``n_parties`` of 3 or more.
    """
    n = int(counts.sum())
    grids = np.repeat(np.arange(len(counts)), counts)
    if kind is None:
        is_group = rng.random(n) < group_share
        kinds = rng.choice(len(DISPUTE_TYPES), size=n, p=TYPE_SHARES)
        kinds[is_group] = rng.choice(GROUP_TYPES, size=int(is_group.sum()))
    else:
        is_group, kinds = np.zeros(n, dtype=bool), np.full(n, kind)
    start, size = grid_start[grids], residents_per_grid[grids]
    party_a = start + (rng.random(n) * size).astype(np.int64)
    other = start + (rng.random(n) * size).astype(np.int64)
    last = len(household) - 1
    housemate = np.where(
        (party_a + 1 < start + size) & (household[np.minimum(party_a + 1, last)] == household[party_a]),
        party_a + 1, party_a - 1,
    )  # fmt: skip
    same_home = (
        (kinds == FAMILY)
        & (housemate >= start)
        & (household[np.maximum(housemate, 0)] == household[party_a])
    )
    party_b = np.where(same_home, housemate, other)
    party_b = np.where(party_b == party_a, -1, party_b)
    party_b[is_group] = -1
    n_parties = np.where(is_group, 3 + rng.poisson(max(group_size_mean - 3, 0), n), 2)
    n_parties[~is_group & (party_b < 0)] = 1
    a, b = beta_mean_sd(initial_intensity, 0.12)
    return {
        "kind": kinds, "grid": grids, "party_a": party_a, "party_b": party_b,
        "n_parties": n_parties, "is_group": is_group, "intensity": rng.beta(a, b, n),
        "arrived": today + rng.random(n),
    }  # fmt: skip
