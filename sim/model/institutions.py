"""Mediation institutions: grid mediation (L1), village committees (L2), police and town
centres (L3), the district petition supermarket (L4), and the command centre's triage.

Each rung of the ladder is a :class:`Rung`: the units that serve it (grids,
villages, towns or the district), their daily capacity, their skill and the
bonuses that apply. Capacity is in sessions per day, or for the police in
hours (so travel by road and ferry eats into it). All capacities are
multiplied by ``population.scale`` so queues behave the same at any scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.disputes import Level


class CapacityPool:
    """Daily capacity of a set of mediation units, banked for at most a day.

    Each day a unit gains ``rate`` credit; a session costs credit (one session,
    or its hours). Unused credit carries over up to ``rate + max_cost``, so a
    unit whose daily rate is below one session still holds a session every
    few days (as happens at small population scales).
    """

    def __init__(self, rate: np.ndarray, *, max_cost: float = 1.0) -> None:
        self.rate = np.asarray(rate, dtype=float)
        self.max_cost = max_cost
        self.credit = np.zeros_like(self.rate)

    def refill(self) -> None:
        self.credit = np.minimum(self.credit + self.rate, self.rate + self.max_cost)

    def try_use(self, unit: int, cost: float = 1.0) -> bool:
        if self.credit[unit] >= cost:
            self.credit[unit] -= cost
            return True
        return False


@dataclass
class Rung:
    """One level of the ladder: who serves each grid, with what capacity, skill and bonus."""

    level: Level
    unit_of_grid: np.ndarray  # serving unit of each grid
    pool: CapacityPool
    skill: float
    base: float
    bonus_of_grid: np.ndarray  # logit bonus that applies in each grid (trust room, joint, one-stop)
    cost_of_grid: np.ndarray | None = None  # capacity used per session; None: one session
    claim_cost: float = 1.0  # capacity a direct claim's session uses (claimants come to the centre)

    def serve(self, ids: np.ndarray, grids: np.ndarray, *, claim: np.ndarray) -> np.ndarray:
        """The cases (oldest first) that get a session today, within each unit's capacity."""
        self.pool.refill()
        units = self.unit_of_grid[grids]
        unit_list = units.tolist()
        # The credit of the units serving these cases, as Python floats: the same arithmetic,
        # faster per case (and no conversion of the units without a case today).
        credit = dict(zip(unit_list, self.pool.credit[units].tolist(), strict=True))
        served = []
        if self.cost_of_grid is None and self.claim_cost == 1.0:  # every session costs 1
            for i, u in zip(ids.tolist(), unit_list, strict=True):
                if credit[u] >= 1.0:  # as CapacityPool.try_use, case by case, oldest first
                    credit[u] -= 1.0
                    served.append(i)
        else:
            costs = np.ones(len(ids)) if self.cost_of_grid is None else self.cost_of_grid[grids]
            costs = np.where(claim, self.claim_cost, costs)
            for i, u, c in zip(ids.tolist(), unit_list, costs.tolist(), strict=True):
                if credit[u] >= c:
                    credit[u] -= c
                    served.append(i)
        self.pool.credit[list(credit)] = list(credit.values())
        return np.array(served, dtype=np.int64)


def grid_rung(*, n_grids: int, skill: float, base: float, bonus: np.ndarray) -> Rung:
    """L1: grid workers mediate on the spot; capacity is set daily from the workers available."""
    return Rung(Level.GRID, np.arange(n_grids), CapacityPool(np.zeros(n_grids)), skill, base, bonus)


def village_rung(
    *,
    grid_village: np.ndarray,
    n_villages: int,
    sessions_per_day: float,
    scale: float,
    skill: float,
    base: float,
    trust_room: np.ndarray,
    trust_room_bonus: float,
    joint_bonus: float,
    village_office: np.ndarray,
    police_sessions_per_day: float,
    police_bonus: float,
) -> Rung:
    """L2: the village people's mediation committee, stronger with a trust room; with one
    village one police, the village officer mediates with it (more sessions, a bonus)."""
    rate = sessions_per_day + village_office * police_sessions_per_day
    pool = CapacityPool(np.asarray(rate, dtype=float) * scale)
    bonus = (
        trust_room[grid_village] * trust_room_bonus
        + village_office[grid_village] * police_bonus
        + joint_bonus
    )
    return Rung(Level.VILLAGE, grid_village, pool, skill, base, bonus)


def town_rung(
    *,
    grid_town: np.ndarray,
    hours_per_day: np.ndarray,
    scale: float,
    skill: float,
    base: float,
    session_hours: float,
    travel_hours: np.ndarray,
    village_office: np.ndarray,
    response_hours: float,
    joint_bonus: float,
) -> Rung:
    """L3: police mediation and the town centre; police travel (road, ferry) costs hours.

    With one village one police, the village officer is near: ``response_hours`` each way.
    """
    cost = session_hours + 2.0 * np.where(village_office, response_hours, travel_hours)
    pool = CapacityPool(hours_per_day * scale, max_cost=float(cost.max(initial=session_hours)))
    bonus = np.full(len(grid_town), joint_bonus)
    return Rung(Level.TOWN, grid_town, pool, skill, base, bonus, cost, session_hours)


def petition_rung(
    *,
    n_grids: int,
    sessions_per_day: float,
    scale: float,
    skill: float,
    base: float,
    supermarket: bool,
    supermarket_bonus: float,
) -> Rung:
    """L4: the district petition supermarket (one-stop) or, without it, the ordinary office."""
    pool = CapacityPool(np.array([sessions_per_day * scale]))
    bonus = np.full(n_grids, supermarket_bonus if supermarket else 0.0)
    return Rung(Level.DISTRICT, np.zeros(n_grids, dtype=np.int64), pool, skill, base, bonus)


def triage(intensity: np.ndarray, *, red: float) -> np.ndarray:
    """The command centre's triage of detected disputes.

    Red (intensity at or above ``red``) goes to police and the town centre
    (L3) now; the rest (orange, yellow) start with the grid worker (L1).
    """
    return np.where(intensity >= red, Level.TOWN, Level.GRID).astype(np.int8)


def village_first(
    level: np.ndarray,
    *,
    claim: np.ndarray,
    reported: np.ndarray,
    heard: np.ndarray,
    officer_here: np.ndarray,
    draw: np.ndarray,
    red_share: float,
    report_share: float,
) -> np.ndarray:
    """``level`` (the triage's) with the detected disputes that the village committee (L2)
    takes first, instead of the grid worker or the town: a yellow dispute its village
    officer heard of (``heard``: he mediates it with the committee), or that a party
    reported itself (``reported``) if ``draw < report_share`` (villagers take it to the
    committee or its trust room); a red dispute where a village officer works if
    ``draw < red_share`` (he mediates it with the committee instead of at the town). One
    uniform ``draw`` per case serves both draws: they apply to disjoint cases. Claims keep
    their route."""
    level = level.copy()
    dispute = ~claim
    red = dispute & (level == Level.TOWN) & officer_here & (draw < red_share)
    brought = heard | (reported & (draw < report_share))
    level[red | (dispute & (level == Level.GRID) & brought)] = Level.VILLAGE
    return level
