"""What the web app runs: one policy (or two, A and B, on the same seed) stepped day by day.

Plain Python with no Solara, so the app's logic is tested without a browser:
the Solara components in :mod:`sim.viz` only read a :class:`Session` and call
its methods. Exports (CSV, PNG) are built here too.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.model.governance import GovernanceModel
from sim.model.metrics import METRICS, SERIES, grid_outcomes
from sim.model.timeline import MAX_DAYS, Intervention
from sim.runs.comparisons import AVERTED
from sim.runs.places import PLACE_RATES, place_tables
from sim.runs.runner import year_table
from sim.runs.scenario import Scenario, load_scenario

DEFAULT_SCENARIO = "baseline"
APP_OVERRIDES: dict[str, Any] = {"population.scale": 0.1}  # the app opens at the interactive scale
DEFAULT_SEED = 1

# Per-grid metrics of the map: label, unit. Counts are shown per 1,000 simulated residents.
MAP_METRICS: dict[str, tuple[str, str]] = {
    "open_disputes": ("open disputes", "per 1,000 residents"),
    "escalations": ("escalations (reached L3 or higher)", "per 1,000 residents, since day 0"),
    "incidents": ("acting-out incidents", "per 1,000 residents, since day 0"),
    "staff_per_1k": ("staff (grid workers and police)", "per 1,000 residents"),
    "trust": ("mean trust in local mediation", "0-1"),
}
PER_1K = ("open_disputes", "escalations", "incidents")
# The outcome curves and KPI cards, with units (names from sim.model.metrics.METRICS).
KEY_METRICS: dict[str, str] = {
    "escalation_rate": "share",
    "resolved_in_village_share": "share",
    "resolved_in_town_share": "share",
    "petitions_per_10k": "per 10,000 residents a year",
    "incidents_per_100k": "per 100,000 residents a year",
    "mean_days_to_resolution": "days",
}


@dataclass(frozen=True)
class Policy:
    """A scenario, the settings changed on top of it, and the seed."""

    scenario: str = DEFAULT_SCENARIO
    overrides: dict[str, Any] = field(default_factory=lambda: dict(APP_OVERRIDES))
    seed: int = DEFAULT_SEED

    def resolved(self) -> Scenario:
        """The scenario with the overrides applied and checked against the schema."""
        return load_scenario(self.scenario).with_overrides(self.overrides)

    def params(self) -> dict[str, Any]:
        return self.resolved().params


class Run:
    """One model of one policy, stepped on demand, after its warm-up (``run.warmup_days``).

    The warm-up runs when the model is built, so day 0 is the start of the
    measured period, as in ``govsim run``. Reads and steps hold ``lock``, so a
    page drawn while the play loop steps never sees a day half done.
    """

    def __init__(self, policy: Policy, *, name: str, lock: threading.RLock | None = None) -> None:
        scenario = policy.resolved()
        self.policy, self.name, self.scenario = policy, name, scenario
        self.lock = lock or threading.RLock()
        self.model = GovernanceModel(  # open-ended: the app steps it as long as it is asked
            scenario.params, rng=policy.seed, timeline=scenario.timeline, days=MAX_DAYS
        )
        if self.model.warmup:
            self.model.run_for(self.model.warmup)

    @property
    def day(self) -> int:
        """Measured days simulated so far (after the warm-up)."""
        return int(self.model.time) - self.model.warmup

    @property
    def interventions(self) -> tuple[Intervention, ...]:
        """The interventions of the run's scenario (each has a ``day`` and a ``note``)."""
        return self.scenario.timeline.interventions

    def step(self, days: int = 1) -> None:
        with self.lock:
            self.model.run_for(days)

    def current(self) -> dict[str, float]:
        """The latest value of every metric (NaN before the first day)."""
        with self.lock:
            if self.day == 0:
                return {name: float("nan") for name in SERIES}
            return dict(self.model.current)

    def series(self) -> pd.DataFrame:
        """The daily series: one row per measured day, columns ``day`` (1, 2, ...),
        ``open_disputes`` and metrics."""
        with self.lock:
            if self.day == 0:
                return pd.DataFrame(columns=list(SERIES))
            table = self.model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return table.astype({"day": int})

    def years(self) -> pd.DataFrame:
        """The metrics of each simulated year so far: ``year``, ``days`` (measured days in it) and
        every metric; the last year is partial until it has 365 days. Empty on day 0."""
        with self.lock:
            if self.day == 0:
                return pd.DataFrame(columns=["year", "days", *METRICS])
            return year_table(self.model)

    def places(self, grid: int) -> dict[str, dict[str, float]]:
        """The figures of grid ``grid``'s village-level unit, of its town and of the district
        (:data:`PLACE_FIGURES`, over the measured days so far): ``{"village": {...}, ...}``."""
        with self.lock:
            towns, villages = place_tables(self.model)
            geo, years = self.model.geography, max(self.day, 1) / 365.0
        district = towns[list(PLACE_SUMS)].sum()
        district["escalation_rate"] = (
            district["escalations"] / district["detected"] if district["detected"] else np.nan
        )
        for rate, (count, per) in PLACE_RATES.items():
            district[rate] = district[count] / max(district["residents"], 1) * per / years
        rows = {
            "village": villages.iloc[geo.grid_village[grid]],
            "town": towns.iloc[geo.grid_town[grid]],
            "district": district,
        }
        return {k: {f: float(row[f]) for f in PLACE_FIGURES} for k, row in rows.items()}

    def flow(self) -> dict[str, float]:
        """The flow of the cases through the ladder so far (:mod:`sim.output.flow`): each stage
        per 1,000 residents a year, over the measured days (NaN on day 0)."""
        from sim.output.flow import COUNTS, FLOW_STAGES, stage_rates

        with self.lock:
            if self.day == 0:
                return dict.fromkeys(FLOW_STAGES, float("nan"))
            towns, _ = place_tables(self.model)
            days = self.day
        return stage_rates(towns[list(COUNTS)].sum(), days=days)

    def grids(self) -> dict[str, np.ndarray]:
        """Per-grid outcomes, with counts per 1,000 simulated residents."""
        with self.lock:
            raw = grid_outcomes(self.model)
        residents = np.maximum(raw["residents"], 1)
        return {
            name: raw[name] / residents * 1000 if name in PER_1K else np.asarray(raw[name], float)
            for name in MAP_METRICS
        } | {"residents": raw["residents"]}


# The figures of a village, its town and the district on the grid card: (unit, is a count).
PLACE_SUMS = (
    "residents",
    "grid_workers",
    "volunteer_police",
    "trust_rooms",
    "village_offices",
    "annual_cost_wan_yuan",
    "disputes",
    "detected",
    "escalations",
    "claims",
    "petitions",
    "incidents",
)
PLACE_FIGURES = (*PLACE_SUMS, "escalation_rate", *PLACE_RATES)


class Session:
    """The runs the app shows: policy A alone, or A and B on the same seed.

    Methods hold a lock, so the play loop (a thread) and button clicks do not
    step a model at the same time.
    """

    def __init__(self, policies: list[Policy]) -> None:
        if not 1 <= len(policies) <= 2:
            raise ValueError(f"a session runs one or two policies, got {len(policies)}")
        self.lock = threading.RLock()
        self.runs = [Run(p, name=n, lock=self.lock) for p, n in zip(policies, "AB", strict=False)]

    @property
    def day(self) -> int:
        return self.runs[0].day

    @property
    def geography(self):
        return self.runs[0].model.geography

    def step(self, days: int = 1) -> None:
        with self.lock:
            for run in self.runs:
                run.step(days)

    def timeseries(self) -> pd.DataFrame:
        """Daily series of every run, stacked: ``policy``, ``scenario``, ``seed``, ``day``, metrics."""
        with self.lock:
            frames = [
                r.series().assign(policy=r.name, scenario=r.scenario.name, seed=r.policy.seed)
                for r in self.runs
            ]
        table = pd.concat(frames, ignore_index=True)
        return table[["policy", "scenario", "seed", *SERIES]]

    def years(self) -> pd.DataFrame:
        """Each run's metrics year by year, stacked: ``policy``, ``scenario``, ``seed``, ``year``,
        ``days``, metrics."""
        with self.lock:
            frames = [
                r.years().assign(policy=r.name, scenario=r.scenario.name, seed=r.policy.seed)
                for r in self.runs
            ]
        table = pd.concat(frames, ignore_index=True)
        return table[["policy", "scenario", "seed", "year", "days", *METRICS]]

    def summary(self) -> pd.DataFrame:
        """One row per run: the policy, its settings that differ from the scenario file, metrics now."""
        rows = []
        with self.lock:
            for r in self.runs:
                settings = "; ".join(f"{k}={v}" for k, v in sorted(r.policy.overrides.items()))
                current = r.current()
                rows.append(
                    {"policy": r.name, "scenario": r.scenario.name, "seed": r.policy.seed}
                    | {"settings": settings, "day": r.day}
                    | {name: current[name] for name in METRICS}
                )
        return pd.DataFrame(rows)

    def differences(self) -> pd.DataFrame:
        """Compare mode: each metric for A and B and the difference B - A."""
        if len(self.runs) < 2:
            raise ValueError("differences need two policies (compare mode)")
        a, b = (r.current() for r in self.runs)
        return pd.DataFrame(
            [
                {"metric": m, "A": a[m], "B": b[m], "B - A": b[m] - a[m], "meaning": METRICS[m]}
                for m in METRICS
            ]
        )

    def flows(self) -> pd.DataFrame:
        """Each run's flow (:meth:`Run.flow`) as :func:`sim.output.flow.flow_table` gives it:
        ``scenario`` (the policy, A or B), ``stage``, ``mean``; one run: no interval."""
        with self.lock:
            rows = [
                {"scenario": r.name, "stage": stage, "mean": value, "n": 1}
                for r in self.runs
                for stage, value in r.flow().items()
            ]
        return pd.DataFrame(rows).assign(low=np.nan, high=np.nan)

    def costs(self) -> pd.DataFrame:
        """Compare mode: for escalations, incidents and petitions, the cases a year under A and B
        (district counts at full scale), those averted by B, the change in annual cost and
        the cost per case averted (none when B averts none). One pair of runs: no interval."""
        if len(self.runs) < 2:
            raise ValueError("costs need two policies (compare mode)")
        counts, costs = [], []
        with self.lock:
            for r in self.runs:
                towns, _ = place_tables(r.model)
                years = max(r.day, 1) / 365.0
                counts.append(towns[list(AVERTED)].sum() / r.model.p["population.scale"] / years)
                costs.append(r.model.annual_cost)
        change = costs[1] - costs[0]
        rows = []
        for case in AVERTED:
            averted = counts[0][case] - counts[1][case]
            rows.append(
                {
                    "case": case,
                    "A": counts[0][case],
                    "B": counts[1][case],
                    "averted": averted,
                    "cost_change_wan_yuan": change,
                    "cost_per_case_wan_yuan": change / averted if averted > 0 else np.nan,
                }
            )
        return pd.DataFrame(rows)

    def map_png(self, metric: str, *, run: int = 0) -> bytes:
        """The map of ``metric`` for one run, as a PNG (matplotlib, same scale as the app)."""
        from sim.output.figures import map_figure, shared_limits

        label, unit = MAP_METRICS[metric]
        with self.lock:
            values = [r.grids()[metric] for r in self.runs]
            chosen = self.runs[run]
            title = f"{chosen.name}: {chosen.scenario.name}, day {chosen.day}"
            vmin, vmax = shared_limits(values)
            fig = map_figure(
                chosen.model.geography,
                values[run],
                label=f"{label} ({unit})",
                vmin=vmin,
                vmax=vmax,
                title=title,
            )
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90)
        return buffer.getvalue()


def csv_bytes(table: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV."""
    return table.to_csv(index=False).encode("utf-8")
