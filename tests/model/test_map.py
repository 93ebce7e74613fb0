"""The shipped map is the real Xinhui where the facts are real (outline, seats, villages) and
keeps the published figures where the boundaries are approximate (areas, grid counts)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pyproj
import shapely
import shapely.geometry

from sim.model.geography import DATA, DEFAULT_MAP, load_district_table, load_geography

PUBLISHED_KM2 = 1354.7  # zh.wikipedia 新会区
to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)


def utm(geometry: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geometry, lambda xy: np.column_stack(to_utm.transform(*xy.T)))


def shapes(name: str) -> list[tuple[dict, shapely.Geometry]]:
    data = json.loads((DATA / name).read_text(encoding="utf-8"))
    return [(f["properties"], shapely.geometry.shape(f["geometry"])) for f in data["features"]]


def test_the_outline_has_the_published_area_within_2_percent():
    [(_, outline)] = shapes("xinhui_outline.geojson")
    assert abs(utm(outline).area / 1e6 / PUBLISHED_KM2 - 1) < 0.02


def test_each_seat_is_in_its_own_town_zone_of_its_published_share_within_10_percent():
    towns = load_district_table()
    zones = {p["town"]: g for p, g in shapes("xinhui_towns.geojson")}
    [(_, outline)] = shapes("xinhui_outline.geojson")
    total = sum(t.area_km2 for t in towns)
    for town in towns:
        zone = zones[town.name]
        assert zone.contains(shapely.Point(town.centre)), town.name
        share = town.area_km2 / total * utm(outline).area / 1e6
        assert abs(utm(zone).area / 1e6 / share - 1) < 0.10, town.name


def test_640_grids_muzhou_35_and_the_234_official_villages_inside_the_outline():
    geo = load_geography()
    assert geo.n_grids == 640
    assert int((geo.grid_town == geo.town_names.index("Muzhou")).sum()) == 35
    with (DATA / "villages.csv").open(encoding="utf-8") as fh:
        official = list(csv.DictReader(fh))
    assert len(official) == geo.n_villages == 234
    assert sum(u["kind"] == "village" for u in official) == 199
    grids = shapes(DEFAULT_MAP)
    on_map = {(p["village_code"], p["village_zh"], p["village"], p["town"]) for p, _ in grids}
    assert on_map == {(u["code"], u["name_zh"], u["name"], u["town"]) for u in official}
    assert all(u["code"].startswith("440705") and len(u["code"]) == 12 for u in official)
    [(_, outline)] = shapes("xinhui_outline.geojson")
    inside = outline.buffer(1e-5)
    assert all(inside.contains(g) for _, g in grids)
