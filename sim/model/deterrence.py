"""Deterrence: how the guardians near a grid (police, village officers, Yi Police on patrol)
make a party expect arrest, the ``R * P`` of Epstein's rule (:func:`sim.model.disputes.act_out_chance`)."""

from __future__ import annotations

import numpy as np

DETERRENCE_FORMS = ("saturating", "exponential")


def arrest_probability(
    guardians: np.ndarray,
    parties: np.ndarray,
    *,
    k: float,
    ceiling: float,
    form: str = "saturating",
) -> np.ndarray:
    """Perceived arrest probability from the guardians near, per party: ``x = k * guardians / parties``.

    ``saturating`` (the default): ``P = ceiling * x / (1 + x)``, diminishing but never zero
    returns: each added guardian raises P by ``ceiling * k / parties / (1 + x)**2`` > 0, so a
    second guardian still counts where the first already patrols (hot-spot patrols deter
    less per added minute, Koper 1995, but more presence still deters, Braga et al. 2019).
    ``exponential``: Epstein's ``P = ceiling * (1 - exp(-x))``, whose returns vanish (at
    x = 10 the next guardian adds 1e-5). ``ceiling`` < 1 is the asymptote, never reached:
    however many guardians are near, some parties think they will get away with it.
    """
    x = k * guardians / np.maximum(parties, 1)
    if form == "exponential":
        return ceiling * (1.0 - np.exp(-x))
    return ceiling * x / (1.0 + x)
