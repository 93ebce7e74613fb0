"""Statements of docs/ODD.md that the code can check, so the description cannot drift from the model.

The parameter table (section 8) is checked in tests/model/test_parameters.py and the event table
(7.13) in tests/model/test_timeline.py; these are the daily phases (3), the police travel times
(2.2) and what the model reads from the district table (6).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import shape

import sim
from sim.model.parameters import SCHEMA
from sim.model.phases import PHASES

ROOT = Path(__file__).resolve().parents[1]
ODD = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")


def section(number: str) -> str:
    """The text of section ``number`` ("2.2", "3", "6") of the ODD, up to the next heading."""
    match = re.search(rf"^#+ {re.escape(number)}\.? .*?$(.*?)(?=^#+ )", ODD, re.M | re.S)
    assert match, f"no section {number} in docs/ODD.md"
    return match.group(1)


def test_the_daily_phases_are_listed_in_the_order_the_model_runs_them():
    listed = re.findall(r"^\d+\. `(\w+)`:", section("3"), re.M)
    assert listed == [phase.__name__ for phase in PHASES]


def test_travel_times_are_utm_distances_from_the_most_populous_grid_at_the_stated_speed():
    """Recomputed from the map file as section 2.2 says: polygons projected to UTM 49N, the
    straight line between centroids, the road speed of the formula, plus the ferry time."""
    text = section("2.2")
    assert "UTM" in text and "EPSG:32649" in text and "equirectangular" not in text
    [speed] = re.findall(r"travel_hours_g = distance_km\(centroid_g, station of t\(g\)\) / (\d+) km/h "
                         r"\+ ferry_hours_g", text)  # fmt: skip
    features = json.loads((ROOT / "sim/data/xinhui_grids.geojson").read_text(encoding="utf-8"))
    props = [f["properties"] for f in features["features"]]
    utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
    centres = np.array([
        shapely.transform(shape(f["geometry"]), lambda xy: np.column_stack(utm.transform(*xy.T)))
        .centroid.coords[0] for f in features["features"]
    ]) / 1000  # km  # fmt: skip
    town = np.array([p["town"] for p in props])
    population = np.array([p["population"] for p in props])
    station = {t: np.flatnonzero(town == t)[np.argmax(population[town == t])] for t in set(town)}
    distance = np.array(
        [np.linalg.norm(centres[g] - centres[station[t]]) for g, t in enumerate(town)]
    )
    expected = distance / float(speed) + np.array([p["ferry_hours"] for p in props])

    geography = sim.load_geography()
    assert geography.grid_ids == [p["grid_id"] for p in props]
    np.testing.assert_allclose(geography.travel_hours, expected, rtol=1e-9, atol=1e-9)
    assert distance.max() > 10  # km: a real spread of distances, not all zero


@pytest.mark.parametrize(("key", "column"), [("volunteer_police.towns", "yi_police"),
                                             ("police.village_offices", "village_police")])  # fmt: skip
def test_defaults_that_name_places_come_from_the_district_table(key, column):
    # "`volunteer_police.towns` is the towns whose column `yi_police` is 1"
    assert re.search(rf"`{re.escape(key)}` [^;`]*column `{column}` is 1", section("6"))
    with (ROOT / "sim/data/district.csv").open(encoding="utf-8") as fh:
        named = [row["town"] for row in csv.DictReader(fh) if row[column] == "1"]
    assert named and SCHEMA[key].default == named
