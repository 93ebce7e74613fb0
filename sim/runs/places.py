"""Tables of one run by place and by subject: what ``towns.csv``, ``villages.csv`` and
``petitions.csv`` hold (one model in, data frames out)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.model import metrics
from sim.model.disputes import DISPUTE_TYPES, IS_CLAIM_TYPE
from sim.model.district import load_district_table
from sim.model.governance import GovernanceModel
from sim.model.staffing import annual_cost

PLACE_COUNTS = (
    "disputes",
    "detected",
    "escalations",
    "claims",
    "claims_detected",
    "petitions",
    "incidents",
    *metrics.FLOW_ENDS,
)
PLACE_RATES = {  # rate: (count, per residents, or the share of another count)
    "disputes_per_1k": ("disputes", 1_000),
    "petitions_per_10k": ("petitions", 10_000),
    "incidents_per_100k": ("incidents", 100_000),
}


def officers_by_grid(model: GovernanceModel) -> np.ndarray:
    """Community police officers posted in each grid: the town stations' officers in the
    station's grid, a village office's officer in its grid (where their cells are)."""
    grids = [o.cell.coordinate for o in model.staff.police if o.cell is not None]
    return np.bincount(np.asarray(grids, dtype=np.int64), minlength=model.geography.n_grids)


def place_tables(
    model: GovernanceModel, ids: Mapping[str, Any] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Results by town and by village-level unit over the measured period: ``towns.csv`` and
    ``villages.csv`` rows.

    Each row: ``ids``, the unit (town; or code, village, village_zh, town), its
    residents (simulated), grids, staff (grid workers, Yi Police, trust rooms,
    village police offices, officers: a village office's and the town station's where the
    station is) and their annual cost in wan yuan (the petition supermarket's shared by
    population), the counts of
    :func:`sim.model.metrics.place_counts`, and ``escalation_rate`` (escalations over
    detected disputes), ``disputes_per_1k``, ``petitions_per_10k``, ``incidents_per_100k``
    (a year, per resident).
    """
    geo, p, plan = model.geography, model.p, model.plan
    units = np.unique(model.district.grid_village[model.keep])  # on the whole map
    by_grid = metrics.place_counts(model)
    officers = officers_by_grid(model)
    years = max(model.today + 1.0 - model.measured.start, 1.0) / 365.0
    costs = {k.split(".")[1]: v for k, v in p.items() if k.startswith("costs.")}
    share = geo.grid_population / max(model.district.grid_population.sum(), 1)

    def sums(index: np.ndarray, n: int) -> dict[str, np.ndarray]:
        staff = {
            "residents": np.bincount(index, model.residents_per_grid, n).astype(np.int64),
            "grids": np.bincount(index, minlength=n),
            "grid_workers": np.bincount(index, model.workers_per_grid, n).astype(np.int64),
            "officers": np.bincount(index, officers, n).astype(np.int64),
        }
        return staff | {k: np.bincount(index, v, n).astype(np.int64) for k, v in by_grid.items()}

    village = pd.DataFrame(sums(geo.grid_village, geo.n_villages))
    village["volunteer_police"] = plan.volunteer_police[units]
    village["trust_rooms"] = model.trust_room.astype(np.int64)
    village["village_offices"] = model.village_office.astype(np.int64)
    village["supermarket_share"] = np.bincount(geo.grid_village, share, geo.n_villages)
    town = pd.DataFrame(sums(geo.grid_town, geo.n_towns))
    for column in ("volunteer_police", "trust_rooms", "village_offices", "supermarket_share"):
        town[column] = np.bincount(geo.village_town, village[column], geo.n_towns)
    for table in (village, town):
        table["annual_cost_wan_yuan"] = annual_cost(  # the model's cost, place by place
            grid_workers=table["grid_workers"],
            volunteers=table["volunteer_police"],
            officers=table["officers"],
            trust_rooms=table["trust_rooms"],
            supermarket=p["petition.supermarket"],
            population_share=table["supermarket_share"],
            costs=costs,
        )
        table["escalation_rate"] = table["escalations"] / table["detected"].where(
            table["detected"] > 0
        )
        for rate, (count, per) in PLACE_RATES.items():
            table[rate] = (
                table[count] / table["residents"].where(table["residents"] > 0) * per / years
            )
    zh = {t.name: t.name_zh for t in load_district_table()}
    town.insert(0, "town", geo.town_names)
    town.insert(1, "town_zh", [zh.get(t, "") for t in geo.town_names])
    village.insert(0, "code", geo.village_codes)
    village.insert(1, "village", geo.village_names)
    village.insert(2, "village_zh", geo.village_names_zh)
    village.insert(3, "town", [geo.town_names[t] for t in geo.village_town])
    order = [
        "residents",
        "grids",
        "grid_workers",
        "volunteer_police",
        "trust_rooms",
        "village_offices",
        "officers",
        "annual_cost_wan_yuan",
        *PLACE_COUNTS,
        "escalation_rate",
        *PLACE_RATES,
    ]
    town = town[["town", "town_zh", *order]]  # (drops the supermarket shares)
    village = village[["code", "village", "village_zh", "town", *order]]
    prefix = pd.DataFrame(dict(ids or {}), index=range(1))

    def with_ids(table: pd.DataFrame) -> pd.DataFrame:
        if not ids:
            return table
        return pd.concat([pd.concat([prefix] * len(table), ignore_index=True), table], axis=1)

    return with_ids(town), with_ids(village)


def petition_table(model: GovernanceModel, ids: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Petitions (cases that reached L4 in the measured period) by origin and subject.

    A row per case type: ``origin`` (``dispute`` between residents, or direct
    ``claim``), ``subject`` (the type), ``petitions``, ``petitions_per_10k`` (a
    year) and ``share`` of all the run's petitions.
    """
    counts = metrics.petitions_by_type(model)
    years = max(model.today + 1.0 - model.measured.start, 1.0) / 365.0
    residents = max(len(model.population), 1)
    table = pd.DataFrame(
        {
            "origin": ["claim" if claim else "dispute" for claim in IS_CLAIM_TYPE],
            "subject": [t.name for t in DISPUTE_TYPES],
            "petitions": counts,
            "petitions_per_10k": counts / residents * 10_000 / years,
            "share": counts / max(counts.sum(), 1),
        }
    )
    return pd.concat([pd.DataFrame(dict(ids or {}), index=table.index), table], axis=1)
