import json
import random

import numpy as np
import pytest

from sim.model.geography import (
    MapDataError,
    grids_per_town,
    largest_remainder,
    load_district_table,
    load_geography,
)
from sim.model.governance import GovernanceModel


@pytest.fixture(scope="module")
def geo():
    return load_geography()


def test_district_has_640_grids_in_11_towns_with_muzhou_35(geo):
    assert geo.n_grids == 640
    assert geo.n_towns == 11
    counts = dict(zip(geo.town_names, np.bincount(geo.grid_town), strict=True))
    assert counts["Muzhou"] == 35
    assert sum(counts.values()) == 640


def test_resident_counts_match_the_district_table(geo):
    table = {t.name: t.residents for t in load_district_table()}
    assert dict(zip(geo.town_names, geo.town_population().tolist(), strict=True)) == table
    assert geo.grid_population.sum() == 909_277  # 2020 census


def test_every_village_unit_owns_a_grid_and_counts_match_the_table(geo):
    units = {t.name: t.village_units for t in load_district_table()}
    per_town = np.bincount(geo.village_town, minlength=geo.n_towns)
    assert dict(zip(geo.town_names, per_town.tolist(), strict=True)) == units
    assert set(np.unique(geo.grid_village)) == set(range(geo.n_villages))


def test_grid_allocation_is_by_population_with_minimums():
    towns = load_district_table()
    counts = grids_per_town(towns)
    assert counts["Muzhou"] == 35 and sum(counts.values()) == 640
    for t in towns:
        assert counts[t.name] >= t.village_units
    # Huicheng holds most residents and so most grids.
    assert max(counts, key=counts.get) == "Huicheng"


def test_largest_remainder_respects_total_and_minimum():
    shares = largest_remainder(100, np.array([1.0, 2.0, 97.0]), minimum=5)
    assert shares.sum() == 100 and shares.min() >= 5
    with pytest.raises(ValueError):
        largest_remainder(3, np.ones(4), minimum=1)


def test_adjacency_is_connected_and_feeds_a_mesa_network(geo):
    import networkx as nx

    graph = nx.Graph(geo.edges)
    assert nx.is_connected(graph) and graph.number_of_nodes() == 640
    network = geo.network(random=random.Random(0))
    assert len(network.all_cells) == 640
    cell = network[0]
    assert np.allclose(cell.position, geo.centroids[0])
    assert {c.coordinate for c in cell.neighborhood} == set(graph.neighbors(0))


def test_muzhou_ferries_make_the_furthest_village_about_90_minutes(geo):
    muzhou = geo.subset(["Muzhou"])
    assert muzhou.n_grids == 35 and muzhou.n_villages == 16
    assert 1.2 <= muzhou.travel_hours.max() <= 2.0


def test_unknown_town_is_rejected(geo):
    with pytest.raises(MapDataError, match="Atlantis"):
        geo.subset(["Atlantis"])


def _square(x, y, size=0.01):
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]],
    }


def _feature(grid_id, x, **props):
    base = {"grid_id": grid_id, "town": "T", "village": "V1", "population": 100}
    return {"type": "Feature", "properties": base | props, "geometry": _square(x, 22.0)}


def _write(tmp_path, features):
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_a_user_map_loads_with_adjacency(tmp_path):
    path = _write(tmp_path, [_feature("a", 113.0), _feature("b", 113.01), _feature("c", 113.05)])
    geo = load_geography(path)
    assert geo.n_grids == 3 and geo.grid_population.sum() == 300
    assert geo.edges == [(0, 1)]


def test_a_feature_without_population_is_named(tmp_path):
    bad = _feature("b", 113.01)
    del bad["properties"]["population"]
    path = _write(tmp_path, [_feature("a", 113.0), bad])
    with pytest.raises(
        MapDataError, match=r"feature 1 \(grid_id='b'\): missing property 'population'"
    ):
        load_geography(path)


def test_a_self_intersecting_polygon_is_rejected(tmp_path):
    bowtie = _feature("bow", 113.0)
    bowtie["geometry"]["coordinates"] = [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]
    with pytest.raises(MapDataError, match=r"bow.*invalid geometry"):
        load_geography(_write(tmp_path, [bowtie]))


@pytest.mark.parametrize(
    ("text", "reason"),
    [("{not json", "not a readable GeoJSON"), ('{"type": "Feature"}', "FeatureCollection")],
)
def test_unreadable_map_files_are_rejected(tmp_path, text, reason):
    path = tmp_path / "bad.geojson"
    path.write_text(text)
    with pytest.raises(MapDataError, match=reason):
        load_geography(path)


def test_towns_are_matched_in_english_or_chinese(tmp_path):
    """A map whose towns are named in Chinese is the same district: same trust-room villages."""
    import json

    from sim.model.geography import DATA, DEFAULT_MAP, simulated_map
    from sim.model.staffing import trust_room_villages

    zh = {t.name: t.name_zh for t in load_district_table()}
    data = json.loads((DATA / DEFAULT_MAP).read_text(encoding="utf-8"))
    for feature in data["features"]:
        feature["properties"]["town"] = zh[feature["properties"]["town"]]
    chinese = tmp_path / "zh.geojson"
    chinese.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    english_map, chinese_map = load_geography(), load_geography(chinese)
    assert chinese_map.town_names == english_map.town_names
    rooms = trust_room_villages(english_map, 15)
    assert rooms.tolist() == trust_room_villages(chinese_map, 15).tolist()
    muzhou = english_map.town_names.index("Muzhou")
    assert (english_map.village_town[rooms] == muzhou).all()  # the article's 15 villages
    _, alone = simulated_map("", ["睦洲"])
    assert alone.town_names == ["Muzhou"] and alone.n_grids == 35


def test_a_map_in_another_crs_is_reprojected_on_load(tmp_path):
    """A GeoJSON in UTM 49N metres with its crs member is the same district in lon/lat."""
    import json

    import pyproj
    import shapely

    from sim.model.geography import DATA, DEFAULT_MAP

    to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
    data = json.loads((DATA / DEFAULT_MAP).read_text(encoding="utf-8"))
    for feature in data["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        moved = shapely.transform(geom, lambda xy: np.column_stack(to_utm.transform(*xy.T)))
        feature["geometry"] = shapely.geometry.mapping(moved)
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32649"}}
    utm = tmp_path / "utm.geojson"
    utm.write_text(json.dumps(data))
    original, reprojected = load_geography(), load_geography(utm)
    assert reprojected.edges == original.edges
    assert np.allclose(reprojected.grid_area_km2, original.grid_area_km2, rtol=1e-3)
    assert np.allclose(reprojected.centroids, original.centroids, atol=1e-6)


def test_a_shapefile_or_geopackage_in_metres_loads_as_the_same_district(tmp_path):
    """Planners' GIS departments hand out shapefiles: with the gis extra they load, reprojected."""
    import json

    import pyproj
    import pytest
    import shapely

    raw = pytest.importorskip("pyogrio.raw", reason="the gis extra (pyogrio) is not installed")
    from sim.model.geography import DATA, DEFAULT_MAP

    to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
    data = json.loads((DATA / DEFAULT_MAP).read_text(encoding="utf-8"))
    geoms = [shapely.transform(shapely.geometry.shape(f["geometry"]),
                               lambda xy: np.column_stack(to_utm.transform(*xy.T)))
             for f in data["features"]]  # fmt: skip
    names = ["grid_id", "town", "village", "village_kind", "population", "ferry_hours"]
    columns = [np.array([f["properties"][n] for f in data["features"]]) for n in names]
    original = load_geography()
    for suffix in (".gpkg", ".shp"):
        path = tmp_path / f"grids{suffix}"
        raw.write(path, np.array(shapely.to_wkb(geoms)), columns, names,
                  geometry_type="MultiPolygon", crs="EPSG:32649", promote_to_multi=True)  # fmt: skip
        loaded = load_geography(path)
        assert loaded.edges == original.edges and loaded.grid_ids == original.grid_ids
        assert np.allclose(loaded.grid_area_km2, original.grid_area_km2, rtol=1e-3)
        assert (loaded.village_is_community == original.village_is_community).all()
        assert np.allclose(loaded.travel_hours, original.travel_hours, atol=1e-3)  # ferries kept


def test_each_town_station_is_its_most_populous_grid(geo):
    for t in range(geo.n_towns):
        grids = np.flatnonzero(geo.grid_town == t)
        assert geo.station[t] == grids[np.argmax(geo.grid_population[grids])]
    # Travel is measured from the station: no road time to the station's own grid (a ferry
    # may remain where the station's grid lies across the water from the road).
    assert np.count_nonzero(geo.travel_hours[geo.station]) < geo.n_towns / 2
    # A map of some towns keeps each town's station, renumbered.
    part = geo.subset(["Muzhou", "Huicheng"])
    for name in part.town_names:
        whole, sub = geo.town_names.index(name), part.town_names.index(name)
        assert part.grid_ids[part.station[sub]] == geo.grid_ids[geo.station[whole]]


def test_police_officers_sit_at_their_town_station():
    model = GovernanceModel({"population.scale": 0.01, "map.towns": ["Muzhou"]}, rng=1)
    geo = model.geography
    at_station = [o for o in model.police if o.village == -1]
    assert at_station
    assert {o.cell.coordinate for o in at_station} == {int(geo.station[0])}


def test_a_broken_geometry_in_a_map_in_metres_is_refused_naming_its_feature(tmp_path):
    """Reprojection meets the broken geometry first: it is refused as in lon/lat, in one line."""
    import json

    from sim.model.geography import DATA, DEFAULT_MAP, MapDataError

    data = json.loads((DATA / DEFAULT_MAP).read_text(encoding="utf-8"))
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32649"}}
    square = [[[0, 0], [1, 0], [1, 1], [0, 0]]]
    data["features"][2]["geometry"] = {"type": "MultiPolygon", "coordinates": [square, []]}
    broken = tmp_path / "broken.geojson"
    broken.write_text(json.dumps(data))
    with pytest.raises(MapDataError, match=r"broken\.geojson: feature 2 .*bad geometry") as err:
        load_geography(broken)
    assert "\n" not in str(err.value)
