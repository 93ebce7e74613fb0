"""Disputes: types, the escalation ladder, the dispute book and the lifecycle rules.

A dispute is a record, not an agent. All records live in :class:`DisputeBook`,
a set of numpy arrays indexed by dispute id, so the daily phases scan them
with array operations. The rules here are pure functions of arrays, used by
the model's phases and by the residents' own decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import overload

import numpy as np

from sim.model.streams import cumulative, draw_by_shares


class Level(IntEnum):
    """The escalation ladder (design section 3)."""

    LATENT = 0  # not yet detected
    GRID = 1  # L1 grid / neighbourhood mediation
    VILLAGE = 2  # L2 village mediation committee (trust room)
    TOWN = 3  # L3 police mediation and the town governance centre
    DISTRICT = 4  # L4 district petition supermarket (or letters-and-visits office)
    BEYOND = 5  # L5 beyond the district: skip-level petition, litigation ("passed up")


RUNGS = (Level.GRID, Level.VILLAGE, Level.TOWN, Level.DISTRICT)  # the levels that mediate


class State(IntEnum):
    """Where a dispute stands."""

    LATENT = 0  # undetected, intensity drifting
    QUEUED = 1  # waiting for, or in, mediation at its current level
    RESOLVED = 2  # agreement reached
    INCIDENT = 3  # a party acted out (violence, crime, group incident)
    DORMANT = 4  # dropped or faded; may flare up again
    PASSED_UP = 5  # went beyond the district (L5)
    LAPSED = 6  # dormant long enough to be over for good


type Values = np.ndarray | float  # a rule's argument: per dispute, or one party's

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


TYPE_CDF, CLAIM_CDF = cumulative(TYPE_SHARES), cumulative(CLAIM_SHARES)
TYPE_DRIFT = np.array([t.drift for t in DISPUTE_TYPES])
GROUP_TYPES = np.array([TYPE_INDEX["land"], TYPE_INDEX["business"]])  # land acq., wage arrears
FAMILY = TYPE_INDEX["family"]


def type_difficulty(land_difficulty: float, claim_difficulty: float = 0.0) -> np.ndarray:
    """Logit penalty of each type: land's from the parameter, claims' plus ``claim_difficulty``."""
    own = np.array([land_difficulty if t.name == "land" else t.difficulty for t in DISPUTE_TYPES])
    return own + claim_difficulty * IS_CLAIM_TYPE


class Column:
    """A column of the :class:`DisputeBook`, declared in its class body: the dtype and the
    value a row holds until it is set. ``book.<name>`` is the whole array (its capacity);
    ``book.view(name)`` the filled part (an attribute of the book itself: a plain read)."""

    def __init__(self, dtype: type[np.generic], fill: float) -> None:
        self.dtype, self.fill, self.name = dtype, fill, ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, book: None, owner: type) -> Column: ...
    @overload
    def __get__(self, book: DisputeBook, owner: type) -> np.ndarray: ...
    def __get__(self, book: DisputeBook | None, owner: type) -> Column | np.ndarray:
        return self if book is None else book.__dict__[self.name]

    def empty(self, capacity: int) -> np.ndarray:
        return np.full(capacity, self.fill, dtype=self.dtype)


class DisputeBook:
    """Every dispute of a run as columns of numpy arrays; row ``i`` is dispute ``i``.

    The columns are declared here, each with its dtype and fill value (:class:`Column`).
    """

    kind = Column(np.int8, 0)  # index into DISPUTE_TYPES
    grid = Column(np.int32, 0)
    party_a = Column(np.int64, -1)  # a resident (index into the model's Population)
    party_b = Column(np.int64, -1)  # -1 for a group dispute or a claim
    n_parties = Column(np.int32, 2)
    is_group = Column(np.bool_, False)
    intensity = Column(np.float64, 0.0)
    level = Column(np.int8, Level.LATENT)
    max_level = Column(np.int8, Level.LATENT)
    state = Column(np.int8, State.LATENT)
    arrived = Column(np.float64, np.nan)  # time of arising (day + fraction)
    detected = Column(np.float64, np.nan)  # time of detection
    closed = Column(np.float64, np.nan)  # time of the end state
    ready = Column(np.float64, np.nan)  # first day a session at the current level can be held
    sessions = Column(np.int16, 0)  # mediation sessions held
    petition_sessions = Column(np.int16, 0)  # L4 sessions held
    satisfied = Column(np.bool_, False)
    origin = Column(np.int8, Origin.DISPUTE)  # a dispute between residents, or a direct claim
    mediated = Column(np.float64, np.nan)  # time of the first mediation session
    reached_town = Column(np.float64, np.nan)  # time it first reached L3
    reached_district = Column(np.float64, np.nan)  # time it first reached L4 (a petition)
    found_by_staff = Column(np.bool_, False)  # found by a grid worker, patrol or officer
    formal_mediated = Column(np.float64, np.nan)  # time of its first session at L2-L4
    petition_concluded = Column(np.float64, np.nan)  # first L4 session, or left L4 before one
    petition_unanswered = Column(np.bool_, False)  # left L4 before its first session there

    @classmethod
    def columns(cls) -> dict[str, Column]:
        """The declared columns, in their order."""
        return {name: c for name, c in vars(cls).items() if isinstance(c, Column)}

    def __init__(self, capacity: int = 1024) -> None:
        self.size = 0
        self._capacity = capacity
        self.__dict__.update({name: c.empty(capacity) for name, c in self.columns().items()})
        self._live = np.zeros(0, dtype=np.int64)  # ids that were live when last looked at
        self._live_upto = 0  # ids from here on have not been looked at yet
        self._finished: list[np.ndarray] = []  # ids found final, not yet taken (take_finished)

    def __len__(self) -> int:
        return self.size

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(getattr(DisputeBook, name, None), Column):
            raise AttributeError(f"set rows of the column, not the column: book.{name}[ids] = ...")
        object.__setattr__(self, name, value)

    def add(self, n: int, **columns: np.ndarray) -> np.ndarray:
        """Append ``n`` disputes with the given column values; returns their ids."""
        if self.size + n > self._capacity:
            self._grow(max(2 * self._capacity, self.size + n))
        rows = slice(self.size, self.size + n)
        for name, values in columns.items():
            getattr(self, name)[rows] = values
        self.size += n
        return np.arange(rows.start, rows.stop)

    def _grow(self, capacity: int) -> None:
        for name, column in self.columns().items():
            new = column.empty(capacity)
            new[: self.size] = self.__dict__[name][: self.size]
            self.__dict__[name] = new
        self._capacity = capacity

    def view(self, name: str) -> np.ndarray:
        """The filled part of a column."""
        return self.__dict__[name][: self.size]

    def live(self, *, fresh: bool = True) -> np.ndarray:
        """Ids of the disputes not over yet (latent, queued or dormant), in ascending order;
        ``fresh=False``: perhaps with some finished since last looked at (to select live states).

        The daily phases look only at these, a small part of a long run's book:
        final states are never left, so a dispute found final is not looked at again.
        """
        if self._live_upto < self.size:
            self._live = np.concatenate([self._live, np.arange(self._live_upto, self.size)])
            self._live_upto = self.size
        ids = self._live
        if fresh and np.count_nonzero(live := IS_LIVE[self.state[ids]]) < len(ids):
            self._finished.append(ids[~live])
            ids = self._live = ids[live]
        return ids

    def take_finished(self, *, before: float) -> np.ndarray:
        """Ids of the disputes that reached a final state since the last call and closed
        before ``before`` (a case passed up today closes tomorrow: it waits for a later call).

        Each finished dispute is handed over once, in the order found; its row never changes
        again. The running metrics (:mod:`sim.model.ledger`) fold them in as they finish.
        """
        self.live()
        ids = np.concatenate([*self._finished, np.zeros(0, dtype=np.int64)])
        later = self.closed[ids] >= before  # NaN (lapsed: never closed) is not later
        self._finished = [ids[later]] if later.any() else []
        return ids[~later]

    def unfinished(self) -> np.ndarray:
        """Ids of the disputes not yet handed over by :meth:`take_finished`: the live ones
        and those finished but not taken yet (ascending within each part)."""
        return np.concatenate([self.live(), *self._finished])

    def in_state(self, *states: State) -> np.ndarray:
        """Ids of the disputes in any of ``states`` (live states only), ascending."""
        ids = self.live(fresh=False)
        return ids[_live_states(states)[self.state[ids]]]

    def waiting(self, day: float) -> dict[Level, np.ndarray]:
        """Ids queued at each rung of the ladder (L1-L4: a case is queued at no other level)
        and ready for a session by ``day``, oldest first."""
        ids = self.live()
        ids = ids[(self.state[ids] == State.QUEUED) & (self.ready[ids] <= day)]
        ids = ids[np.argsort(self.ready[ids], kind="stable")]  # ties: ascending ids
        levels = self.level[ids]
        return {level: ids[levels == level] for level in RUNGS}


@cache
def _live_states(states: tuple[State, ...]) -> np.ndarray:
    """A mask over the states marking ``states`` (live ones only), made once for each set."""
    if not all(IS_LIVE[s] for s in states):
        raise ValueError(f"in_state: {states} are not all live states")
    return np.isin(np.arange(len(State)), states)


def beta_mean_sd(mean: float, sd: float) -> tuple[float, float]:
    """The (a, b) of the beta distribution with this mean and standard deviation."""
    mean = min(max(mean, 1e-3), 1 - 1e-3)
    common = max(mean * (1 - mean) / max(sd, 1e-6) ** 2 - 1, 1e-3)
    return mean * common, (1 - mean) * common


@overload
def logistic(x: np.ndarray) -> np.ndarray: ...
@overload
def logistic(x: float) -> float: ...
def logistic(x: Values) -> Values:
    return 1.0 / (1.0 + np.exp(-x))


def act_out_chance(
    *,
    intensity: Values,
    trust: Values,
    risk_aversion: Values,
    arrest_prob: Values,
    threshold: float,
    spread: float,
) -> Values:
    """Daily chance a party acts out: Epstein's civil-violence rule, smoothed and bounded.

    Epstein acts when ``intensity * (1 - trust) - R * P > T``. Here the
    grievance ``intensity * (1 - trust)`` against ``T`` gives a chance
    ``logistic((grievance - T) / spread)`` (``spread = 0``: the sharp rule),
    and deterrence scales it by ``1 - R * P``: guardians near make acting out
    rarer, in proportion to the party's risk aversion, but never impossible.
    """
    net = intensity * (1.0 - trust) - threshold
    urge = np.where(net > 0, 1.0, 0.0) if spread <= 0 else logistic(net / spread)
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
    counts: np.ndarray,
    *,
    rng: np.random.Generator,
    grid_start: np.ndarray,
    household: np.ndarray,
    residents_per_grid: np.ndarray,
    group_share: float,
    group_size_mean: float,
    initial_intensity: float,
    today: int,
    kind: int | None = None,
) -> dict[str, np.ndarray]:
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
        kinds = draw_by_shares(rng, TYPE_CDF, n)
        if groups := np.count_nonzero(is_group):  # rng.choice(GROUP_TYPES, size=groups)'s draws
            kinds[is_group] = GROUP_TYPES[rng.integers(0, len(GROUP_TYPES), size=groups)]
    else:
        is_group, kinds = np.zeros(n, dtype=bool), np.full(n, kind)
    start, size = grid_start[grids], residents_per_grid[grids]
    party_a = start + (rng.random(n) * size).astype(np.int64)
    other = start + (rng.random(n) * size).astype(np.int64)
    last = len(household) - 1
    housemate = np.where(
        (party_a + 1 < start + size)
        & (household[np.minimum(party_a + 1, last)] == household[party_a]),
        party_a + 1,
        party_a - 1,
    )
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
        "kind": kinds,
        "grid": grids,
        "party_a": party_a,
        "party_b": party_b,
        "n_parties": n_parties,
        "is_group": is_group,
        "intensity": rng.beta(a, b, n),
        "arrived": today + rng.random(n),
    }
