"""What the dispute book's metrics count (:class:`Cohort`, :class:`Counts`), and the running
counts of the finished cases (:class:`Running`).

A day's metrics must cost what the live cases cost, not what the history costs. A case is
*finished* once it is in a final state (resolved, incident, passed up, lapsed): its row never
changes again. The book hands every finished case over once
(:meth:`~sim.model.disputes.DisputeBook.take_finished`) to each open measuring window
(the measured period, the year in progress: :class:`~sim.model.tally.Period`), whose
:class:`Running` record folds their counts, as of the window's own start, in when the window is
next read (a finished case's counts do not depend on when they are made: its times all lie
before the end of the day it was handed over). A window's metrics are then its
running counts plus the counts of the cases not finished yet
(:meth:`~sim.model.disputes.DisputeBook.unfinished`, about a thousand in the whole district), the numbers
that counting every row of the book since day 0 gives (:func:`sim.model.metrics.compute`);
``tests/model/test_ledger.py`` checks it over seeds and windows.

A case finished before a window starts has all its times before that start, so it counts for
nothing in the window: a window that starts empty and folds in what finishes after its start
misses nothing.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field, fields

import numpy as np

from sim.model.disputes import IS_OPEN, DisputeBook, Level, Origin, State

ALL = slice(None)  # every row of the book
P90 = 0.9  # np.percentile(values, 90) reads the quantile 90 / 100


@dataclass(frozen=True)
class Cohort:
    """The cases that arose in a window [start, end), as masks over the dispute book.

    ``arose``: disputes between residents that arose in the window; ``detected``: of
    them, those detected before ``end``; ``settled``: of them, those whose detection is
    settled at ``end`` (detected, or no longer latent: faded, lapsed); ``claims`` and
    ``claims_detected`` the same for direct claims. Each share's numerator is a subset
    of its denominator, both from one cohort, so that a share cannot exceed 1 (a flow
    of detections in a window may include cases that arose before it; a flow of
    arrivals does not). ``end`` is the end of today: the book's states are read as now.
    """

    arose: np.ndarray
    detected: np.ndarray
    settled: np.ndarray
    claims: np.ndarray
    claims_detected: np.ndarray

    @classmethod
    def of(
        cls, book: DisputeBook, *, start: float, end: float, rows: np.ndarray | slice = ALL
    ) -> Cohort:
        """The cohort among the cases ``rows`` (ids; all by default), masks over them."""
        arrived = book.view("arrived")[rows]
        arose = (arrived >= start) & (arrived < end)
        detected = arose & (book.view("detected")[rows] < end)  # NaN (never detected) is False
        dispute = book.view("origin")[rows] == Origin.DISPUTE
        settled = detected | (arose & (book.view("state")[rows] != State.LATENT))
        return cls(
            arose & dispute,
            detected & dispute,
            settled & dispute,
            arose & ~dispute,
            detected & ~dispute,
        )


@dataclass
class Counts:
    """The whole numbers behind the book's metrics, over some cases, in a window [start, end).

    Cohort counts (of the disputes between residents, or the claims, that arose in the
    window; :class:`Cohort`) and flows (events in the window).
    """

    arose: int = 0  # disputes that arose in the window
    detected: int = 0  # of them, detected before the end
    settled: int = 0  # of them, detection settled at the end (detected, or no longer latent)
    resolved_grid: int = 0  # of the detected, resolved at L1
    resolved_village: int = 0  # ... at L1-L2
    resolved_town: int = 0  # ... at L1-L3
    escalated: int = 0  # of the detected, reached L3
    passed_up: int = 0  # of the detected, passed up (L5)
    petitions: int = 0  # cases that reached L4 in the window
    petition_claims: int = 0  # of them, direct claims
    resolved: int = 0  # cases resolved in the window
    satisfied: int = 0  # of them, with satisfied parties
    incidents: int = 0  # cases ended in an incident in the window
    incidents_unmediated: int = 0  # of them, never mediated
    mediated: int = 0  # disputes first mediated in the window
    claims: int = 0  # direct claims that arose in the window
    claims_detected: int = 0  # of them, detected before the end
    claims_resolved_in_town: int = 0  # of those, resolved at L1-L3 by the end
    claims_found_by_staff: int = 0  # of those, found by grid workers or patrols
    formal_mediated: int = 0  # disputes first mediated at L2-L4 (people's mediation) in the window
    formal_resolved: int = 0  # of them, resolved at L2-L4 before the end
    petitions_due: int = 0  # cases that reached L4 in the window, concluded or overdue at the end
    petitions_on_time: int = 0  # of them, answered within the limit of reaching L4
    open: int = 0  # cases open (latent or queued) now

    @classmethod
    def of(
        cls,
        book: DisputeBook,
        rows: np.ndarray | slice,
        *,
        start: float,
        end: float,
        petition_limit: float,
    ) -> tuple[Counts, np.ndarray, np.ndarray]:
        """The counts of the cases ``rows`` (ids, or ``slice(None)`` for all) in [start, end),
        with the days from arising to resolution of the disputes resolved in the window
        (``took``) and from arising to detection of those detected in it (``lag``).
        ``petition_limit``: days from reaching L4 within which a petition is on time."""
        return cls.of_parts(book, rows, start=start, end=end, petition_limit=petition_limit)[0]

    @classmethod
    def of_parts(
        cls,
        book: DisputeBook,
        *parts: np.ndarray | slice,
        start: float,
        end: float,
        petition_limit: float,
    ) -> list[tuple[Counts, np.ndarray, np.ndarray]]:
        """:meth:`of` for each of ``parts`` (ids; a slice only as the one part), the columns
        read and the cases marked once for all of them."""
        ids = [part for part in parts if not isinstance(part, slice)]
        if len(parts) > 1 and len(ids) < len(parts):
            raise ValueError("Counts.of_parts: a slice of rows only as the one part")
        rows = parts[0] if len(parts) == 1 else np.concatenate(ids)

        def col(name: str) -> np.ndarray:
            return book.view(name)[rows]

        def within(t: np.ndarray) -> np.ndarray:
            return (t >= start) & (t < end)

        arrived, detected_at, closed_at, state = (
            col("arrived"),
            col("detected"),
            col("closed"),
            col("state"),
        )
        dispute = col("origin") == Origin.DISPUTE
        claim = ~dispute
        # The cohort (Cohort.of), from the columns gathered once.
        arose = within(arrived)
        detected = arose & (detected_at < end)  # NaN (never detected) is False
        cohort = detected & dispute
        claims_found = detected & claim
        reached, concluded = col("reached_district"), col("petition_concluded")
        petitions = within(reached)
        formal = within(col("formal_mediated")) & dispute
        concluded_by_end = concluded < end  # NaN (not concluded) is False
        due = petitions & (concluded_by_end | (reached + petition_limit < end))
        level = col("level")
        closed = within(closed_at)
        incidents = closed & (state == State.INCIDENT)
        resolved = closed & (state == State.RESOLVED)
        cohort_resolved = cohort & resolved
        marks = {
            "arose": arose & dispute,
            "detected": cohort,
            "settled": (detected | (arose & (state != State.LATENT))) & dispute,
            "escalated": cohort & (col("reached_town") < end),
            "petitions": petitions,
            "petition_claims": petitions & claim,
            "mediated": within(col("mediated")) & dispute,
            "claims": arose & claim,
            "claims_detected": claims_found,
            "claims_found_by_staff": claims_found & col("found_by_staff"),
            "formal_mediated": formal,
            "formal_resolved": formal
            & resolved_by(closed_at, state, end)
            & (level >= Level.VILLAGE)
            & (level <= Level.DISTRICT),
            "petitions_due": due,
            "petitions_on_time": due
            & concluded_by_end
            & ~col("petition_unanswered")
            & (concluded - reached <= petition_limit),
            "open": IS_OPEN[state],
            "resolved_grid": cohort_resolved & (level == Level.GRID),
            "resolved_village": cohort_resolved & (level <= Level.VILLAGE),
            "resolved_town": cohort_resolved & (level <= Level.TOWN),
            "passed_up": cohort & closed & (state == State.PASSED_UP),
            "resolved": resolved,
            "satisfied": col("satisfied") & resolved,
            "incidents": incidents,
            "incidents_unmediated": incidents & (col("sessions") == 0),
            "claims_resolved_in_town": claims_found & resolved & (level <= Level.TOWN),
        }
        table = np.array(list(marks.values()))  # a row for each count, a column for each case
        took, took_marks = closed_at - arrived, resolved & dispute
        lag, lag_marks = detected_at - arrived, within(detected_at) & dispute
        out, at = [], 0
        for part in parts:
            cases = slice(at, at := at + (len(arrived) if isinstance(part, slice) else len(part)))
            numbers = table[:, cases].sum(axis=1).tolist()
            counts = cls(**dict(zip(marks, numbers, strict=True)))
            out.append((counts, took[cases][took_marks[cases]], lag[cases][lag_marks[cases]]))
        return out

    def __add__(self, other: Counts) -> Counts:
        mine, theirs = vars(self), vars(other)
        return Counts(**{name: mine[name] + theirs[name] for name in _COUNTS})


_COUNTS = tuple(f.name for f in fields(Counts))  # the fields of Counts, in their order


def resolved_by(closed_at: np.ndarray, state: np.ndarray, end: float) -> np.ndarray:
    """The cases resolved before ``end``."""
    return (closed_at < end) & (state == State.RESOLVED)


SCALE = 1200  # exact sums count units of 2**-SCALE (the smallest float64 is 2**-1074)


def exact_sum(values: np.ndarray) -> int:
    """The exact sum of float64 ``values``, as a whole number of units of ``2**-SCALE``: a
    sum that does not depend on the order or the batches the values come in."""
    if not len(values):
        return 0
    if len(values) <= 1024:  # the usual day's batch: whole days and multiples of 2**-53
        days = np.floor(values)
        parts = (values - days) * 2.0**53  # exact: a power of two
        if (parts == np.floor(parts)).all() and days.min() >= 0 and days.max() < 2**40:
            units = (int(days.sum()) << 53) + int(parts.astype(np.int64).sum())
            return units << (SCALE - 53)
    mantissa, exponent = np.frexp(values)  # value = mantissa * 2**exponent, exactly
    whole = (mantissa * 2.0**53).astype(np.int64)  # exact: 53 bits
    low = exponent.min()
    total = 0
    for bits, part in ((26, whole >> 26), (0, whole & (2**26 - 1))):  # halves sum exactly
        sums = np.bincount(exponent - low, weights=part)  # whole numbers < 2**53: exact
        for offset in np.flatnonzero(sums):
            total += int(sums[offset]) << int(offset + low - 53 + bits + SCALE)
    return total


@dataclass(frozen=True)
class Summary:
    """How many values, their mean (exact, rounded once) and their 90th percentile; NaN when none."""

    n: int
    mean: float
    p90: float = math.nan

    @classmethod
    def of(cls, values: np.ndarray) -> Summary:
        if not len(values):
            return cls(0, math.nan, math.nan)
        mean = exact_sum(values) / (len(values) << SCALE)
        return cls(len(values), mean, float(np.percentile(values, 90)))


class RunningValues:
    """Values added batch by batch: their count, their exact sum (:func:`exact_sum`) and,
    with ``quantile``, their 90th percentile, kept in two heaps (the lowest values and the
    rest) at O(log n) a value."""

    def __init__(self, *, quantile: bool) -> None:
        self.n, self._sum = 0, 0
        self._quantile = quantile
        self._low: list[float] = []  # the lowest values, negated (a max-heap)
        self._high: list[float] = []  # the others (a min-heap)

    def add(self, values: np.ndarray) -> None:
        if not len(values):
            return
        self.n += len(values)
        self._sum += exact_sum(values)
        if self._quantile:
            self._insert(values.tolist())

    def _insert(self, values: list[float]) -> None:
        low, high = self._low, self._high
        for x in values:
            if low and x <= -low[0]:
                heapq.heappush(low, -x)
            else:
                heapq.heappush(high, x)
        keep = math.floor((self.n - 1) * P90) + 1  # the values up to numpy's lower index
        while len(low) > keep:
            heapq.heappush(high, -heapq.heappop(low))
        while len(low) < keep:
            heapq.heappush(low, -heapq.heappop(high))

    def values(self) -> np.ndarray:
        """Every value added (in no particular order)."""
        return np.array([-x for x in self._low] + self._high, dtype=float)

    def p90(self) -> float:
        """``np.percentile`` of the values at 90 (its linear method, to the last bit)."""
        if not self.n:
            return math.nan
        virtual = (self.n - 1) * P90
        gamma = virtual - math.floor(virtual)
        below = -self._low[0]
        above = self._high[0] if self._high else below
        diff = above - below
        return above - diff * (1 - gamma) if gamma >= 0.5 else below + diff * gamma

    def summary(self, extra: np.ndarray) -> Summary:
        """The summary of the values added and of ``extra`` (not added)."""
        n = self.n + len(extra)
        if not n:
            return Summary(0, math.nan, math.nan)
        mean = (self._sum + exact_sum(extra)) / (n << SCALE)
        if not self._quantile:
            return Summary(n, mean)
        if len(extra):
            every = np.concatenate([self.values(), extra])
            return Summary(n, mean, float(np.percentile(every, 90)))
        return Summary(n, mean, self.p90())


@dataclass
class Running:
    """A window's running counts of the cases finished since it started."""

    counts: Counts = field(default_factory=Counts)
    took: RunningValues = field(default_factory=lambda: RunningValues(quantile=True))
    lag: RunningValues = field(default_factory=lambda: RunningValues(quantile=False))
    waiting: list[np.ndarray] = field(default_factory=list)  # finished ids not folded in yet

    def add(self, finished: np.ndarray) -> None:
        """Take the cases ``finished`` (final, and closed before the end of today); they are
        folded in at the next :meth:`with_unfinished` (a year's window: once, at its end)."""
        self.waiting.append(finished)

    def with_unfinished(
        self, book: DisputeBook, *, start: float, end: float, petition_limit: float
    ) -> tuple[Counts, Summary, Summary]:
        """The window's counts and summaries: the finished cases' plus the unfinished ones'.
        The cases taken since the last call are folded in first; both are counted in one pass."""
        finished = np.concatenate([*self.waiting, np.zeros(0, dtype=np.int64)])
        self.waiting = []
        (done, took, lag), (counts, took_open, lag_open) = Counts.of_parts(
            book, finished, book.unfinished(), start=start, end=end, petition_limit=petition_limit
        )
        self.counts = self.counts + done
        self.took.add(took)
        self.lag.add(lag)
        return self.counts + counts, self.took.summary(took_open), self.lag.summary(lag_open)
