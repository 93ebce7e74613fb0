"""The district table (``sim/data/district.csv``): the 11 town-level units of Xinhui and their
published figures, with sources. Defaults that name places (where the news report's
programmes run) read them from here, never from the code.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

DATA = resources.files("sim") / "data"


@dataclass(frozen=True)
class Town:
    """One town-level unit (a town or the Huicheng subdistrict) of the district table."""

    name: str
    name_zh: str
    kind: str
    area_km2: float
    residents: int
    communities: int
    villages: int
    centre: tuple[float, float]
    fixed_grids: int | None  # a published grid count (Muzhou 35), else None: by population
    trust_room_villages: int  # villages with a trust room in the published account
    ferry_hours: float  # ferry time to the town's furthest village (Muzhou 1.5 h), else 0
    source: str

    @property
    def village_units(self) -> int:
        """Village-level units: communities (社区) plus administrative villages (村)."""
        return self.communities + self.villages


@cache
def load_district_table() -> tuple[Town, ...]:
    """The 11 town-level units of Xinhui with their published figures."""
    with (DATA / "district.csv").open(encoding="utf-8") as fh:
        return tuple(
            Town(
                name=row["town"],
                name_zh=row["name_zh"],
                kind=row["kind"],
                area_km2=float(row["area_km2"]),
                residents=int(row["residents"]),
                communities=int(row["communities"]),
                villages=int(row["villages"]),
                centre=(float(row["centre_lon"]), float(row["centre_lat"])),
                fixed_grids=int(row["fixed_grids"]) if row["fixed_grids"] else None,
                trust_room_villages=int(row["trust_room_villages"] or 0),
                ferry_hours=float(row["ferry_hours"] or 0),
                source=row["source"],
            )
            for row in csv.DictReader(fh)
        )


def towns_with(programme: str) -> list[str]:
    """The towns whose ``programme`` column is 1 in the district table (the article's places)."""
    with (DATA / "district.csv").open(encoding="utf-8") as fh:
        return [row["town"] for row in csv.DictReader(fh) if row[programme] == "1"]


CJK = re.compile(r"[\u4e00-\u9fff]")


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` for the closest of ``known``, or nothing. A Chinese name of two
    or three characters with one wrong (睦州 for 睦洲) is as close as half its characters."""
    cutoff = 0.5 if CJK.search(str(name)) else 0.6
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=cutoff)
    return f" (did you mean {close[0]!r}?)" if close else ""
