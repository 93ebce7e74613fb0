"""The 11 town seats lie in grids of their own town, and a town's grids cover its whole zone.

Yamen's seat once lay in a part of its town zone (an exclave the map builder pins around
the seat) that no grid covered: in its town, in no grid. ``tools/make_map.py`` gives such
parts to a grid (``cover_zone``).
"""

from __future__ import annotations

import json

import numpy as np
import pyproj
import pytest
import shapely
import shapely.geometry

from sim.model.geography import DATA, DEFAULT_MAP, load_district_table
from tools.make_map import PART_M2, cover_zone

to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
TOWNS = load_district_table()


def utm(geometry: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geometry, lambda xy: np.column_stack(to_utm.transform(*xy.T)))


def features(name: str) -> list[tuple[dict, shapely.Geometry]]:
    data = json.loads((DATA / name).read_text(encoding="utf-8"))
    return [(f["properties"], shapely.geometry.shape(f["geometry"])) for f in data["features"]]


GRIDS = features(DEFAULT_MAP)


def test_there_are_11_seats():
    assert len(TOWNS) == 11


@pytest.mark.parametrize("town", TOWNS, ids=lambda t: t.name)
def test_each_seat_lies_in_a_grid_of_its_town(town):
    seat = shapely.Point(town.centre)
    holding = [(p["grid_id"], p["town"]) for p, g in GRIDS if g.covers(seat)]
    assert holding, f"{town.name}'s seat lies in no grid"
    assert {t for _, t in holding} == {town.name}, holding


@pytest.mark.parametrize("town", TOWNS, ids=lambda t: t.name)
def test_a_towns_grids_cover_its_zone(town):
    [zone] = [utm(g) for p, g in features("xinhui_towns.geojson") if p["town"] == town.name]
    grids = shapely.union_all([utm(g) for p, g in GRIDS if p["town"] == town.name])
    left = zone.difference(grids)
    parts = getattr(left, "geoms", [left])
    assert max((p.area for p in parts), default=0.0) < PART_M2


def test_cover_zone_gives_an_exclave_to_the_nearest_grid_and_a_gap_to_its_neighbour():
    zone = shapely.union(shapely.box(0, 0, 100, 100), shapely.box(150, 0, 200, 50))  # exclave
    shapes = [shapely.box(0, 0, 50, 100), shapely.box(50, 0, 90, 100)]  # a gap 90-100
    covered = cover_zone(shapes, zone)
    assert covered[0] is shapes[0]  # untouched
    assert covered[1].covers(shapely.box(50, 0, 100, 100))
    assert covered[1].covers(shapely.Point(175, 25))
    assert shapely.union_all(covered).equals(zone)
