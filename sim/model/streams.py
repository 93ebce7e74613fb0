"""The random streams of a run: one seed, one independent stream per mechanism.

``numpy.random.SeedSequence(seed).spawn`` gives each mechanism its own
generator, so that switching a policy on (which changes how many draws, say,
mediation makes) does not reshuffle the draws of arrivals or events: scenario
differences on the same seed are then sharp (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

MAX_SEED = 2**63 - 1  # the largest seed a run takes (--seed, sim.run, a study's seed)


@dataclass(frozen=True)
class Streams:
    """Independent random streams, one per mechanism (common random numbers across policies)."""

    map: np.random.Generator
    population: np.random.Generator
    arrivals: np.random.Generator
    lifecycle: np.random.Generator
    detection: np.random.Generator
    mediation: np.random.Generator
    behaviour: np.random.Generator
    staff: np.random.Generator
    events: np.random.Generator  # added after the others: adding it left them unchanged
    claims: np.random.Generator  # arrivals of direct claims
    acting: np.random.Generator  # who acts out

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        children = np.random.SeedSequence(seed).spawn(len(fields(cls)))
        return cls(*(np.random.default_rng(s) for s in children))


def cumulative(shares: np.ndarray) -> np.ndarray:
    """Cumulative shares for :func:`draw_by_shares`, made as ``Generator.choice`` makes them."""
    cdf = shares.cumsum()
    cdf /= cdf[-1]
    return cdf


def draw_by_shares(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """``n`` categories drawn by the cumulative shares ``cdf``: the draws (one uniform each) and
    the numbers of ``rng.choice(len(shares), size=n, p=shares)``, without checking the shares
    again on every call (tests/model/test_rules_disputes.py compares them)."""
    return np.searchsorted(cdf, rng.random(n), side="right")
