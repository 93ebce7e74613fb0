"""Generate the schematic 640-grid map of Xinhui, ``sim/data/xinhui_grids.geojson``.

    python tools/make_map.py            # rewrite the shipped map

The map is schematic: the number of grids per town (Muzhou 35, the rest by
population with at least one per village-level unit), the villages and the
populations follow the district table; the shapes are a power diagram of the
town centres inside a rough outline of the district (areas in proportion to
the published town areas) cut into grids by k-means. It is reproducible: a
fixed seed, no input but ``sim/data/district.csv``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
import shapely.affinity
from scipy.cluster.vq import kmeans2

from sim.model.geography import (
    DATA,
    DEFAULT_MAP,
    Town,
    grids_per_town,
    km_per_degree,
    largest_remainder,
    load_district_table,
)

SEED = 20220630  # the date of the news report
# A rough outline of the district (lon, lat), clockwise from the north-west.
OUTLINE = [
    (112.80, 22.56), (112.93, 22.61), (113.06, 22.62), (113.22, 22.55), (113.25, 22.44),
    (113.20, 22.30), (113.13, 22.16), (113.03, 22.14), (112.96, 22.24), (112.83, 22.33),
    (112.78, 22.45),
]  # fmt: skip
DISTRICT_KM2 = 1354.7  # district area (zh.wikipedia 新会区)
COMMUNITY_WEIGHT = 3.0  # [assumption] an urban community has ~3x the residents of a village
MUZHOU_FURTHEST_FERRY_HOURS = 1.5  # furthest village 1.5 h away (news report 2022-06-30)


def town_regions(towns: list[Town], rng: np.random.Generator) -> list[shapely.Polygon]:
    """Cut the outline into towns: a power diagram balanced to the published areas."""
    outline = shapely.Polygon(OUTLINE)
    kx, ky = km_per_degree(22.4)
    # Scale the hand-drawn outline to the district's published area.
    outline = shapely.affinity.scale(
        outline, *[np.sqrt(DISTRICT_KM2 / (outline.area * kx * ky))] * 2
    )
    minx, miny, maxx, maxy = outline.bounds
    step = 0.0025
    ii, jj = np.meshgrid(np.arange(int((maxx - minx) / step)), np.arange(int((maxy - miny) / step)))
    index = np.column_stack([ii.ravel(), jj.ravel()])
    pts = (minx, miny) + (index + 0.5) * step
    inside = shapely.contains_xy(outline, pts[:, 0], pts[:, 1])
    index, pts = index[inside], pts[inside]
    centres = np.array([t.centre for t in towns])
    target = np.array([t.area_km2 for t in towns])
    target = target / target.sum() * len(pts)
    d2 = ((pts[:, None, :] - centres[None, :, :]) * (kx, ky)) ** 2
    d2 = d2.sum(axis=2)
    weight = np.zeros(len(towns))
    for _ in range(400):
        owner = np.argmin(d2 - weight, axis=1)
        counts = np.bincount(owner, minlength=len(towns))
        weight += 2.0 * (1 - counts / target)
    regions = []
    for t in range(len(towns)):
        # Union the raster cells in integer coordinates (exact shared edges), then scale.
        cells = [shapely.box(i, j, i + 1, j + 1) for i, j in index[owner == t]]
        region = shapely.unary_union(cells)
        region = shapely.affinity.affine_transform(region, [step, 0, 0, step, minx, miny])
        region = region.simplify(step / 4)
        if region.geom_type == "MultiPolygon":  # keep the main piece; stray cells join a neighbour
            region = max(region.geoms, key=lambda g: g.area)
        regions.append(region)
    return regions


def grid_shapes(region: shapely.Polygon, n: int, rng: np.random.Generator) -> list[shapely.Polygon]:
    """Cut a town into ``n`` grids of similar area (k-means centres, Voronoi cells)."""
    minx, miny, maxx, maxy = region.bounds
    sample = rng.uniform((minx, miny), (maxx, maxy), size=(60 * n + 600, 2))
    sample = sample[shapely.contains_xy(region, sample[:, 0], sample[:, 1])]
    centres, _ = kmeans2(
        sample, sample[rng.choice(len(sample), n, replace=False)], iter=30, seed=rng
    )
    cells = shapely.voronoi_polygons(shapely.MultiPoint(centres), extend_to=region)
    shapes = []
    for c in centres:
        point = shapely.Point(c)
        cell = next(g for g in cells.geoms if g.contains(point))
        piece = cell.intersection(region)
        if piece.geom_type != "Polygon":
            piece = max(piece.geoms, key=lambda g: g.area)
        shapes.append(shapely.set_precision(piece, 1e-6))
    # Snake order (bands of latitude, alternating direction): neighbours in the list are near.
    order = sorted(
        range(n),
        key=lambda i: (
            band := int((maxy - centres[i][1]) / max((maxy - miny) / max(1, round(n**0.5)), 1e-9)),
            centres[i][0] * (1 if band % 2 == 0 else -1),
        ),
    )
    return [shapes[i] for i in order]


def village_plan(
    town: Town, n_grids: int, rng: np.random.Generator
) -> list[tuple[str, str, int, int]]:
    """(name, kind, residents, grids) for each village-level unit of a town."""
    kinds = ["community"] * town.communities + ["village"] * town.villages
    weight = np.array([COMMUNITY_WEIGHT if k == "community" else 1.0 for k in kinds])
    weight *= rng.lognormal(0.0, 0.3, len(kinds))
    residents = largest_remainder(town.residents, weight)
    grids = largest_remainder(n_grids, residents.astype(float), minimum=1)
    names = [f"{town.name} C{i + 1:02d}" for i in range(town.communities)]
    names += [f"{town.name} V{i + 1:02d}" for i in range(town.villages)]
    return list(zip(names, kinds, residents.tolist(), grids.tolist(), strict=True))


def build() -> dict:
    rng = np.random.default_rng(SEED)
    towns = load_district_table()
    counts = grids_per_town(towns)
    features = []
    for town, region in zip(towns, town_regions(towns, rng), strict=True):
        n = counts[town.name]
        shapes = iter(grid_shapes(region, n, rng))
        centre = shapely.Point(town.centre)
        villages = village_plan(town, n, rng)
        far = max(region.hausdorff_distance(centre), 1e-9)
        for name, kind, residents, grids in villages:
            grid_pop = largest_remainder(residents, np.ones(grids))
            for pop in grid_pop:
                shape = next(shapes)
                ferry = 0.0
                if town.name == "Muzhou":
                    # Muzhou's villages are linked by ferries: the further, the longer.
                    ferry = round(
                        MUZHOU_FURTHEST_FERRY_HOURS * shape.centroid.distance(centre) / far, 2
                    )
                features.append(
                    {
                        "type": "Feature",
                        "properties": {
                            "grid_id": f"G{len(features) + 1:03d}",
                            "town": town.name,
                            "village": name,
                            "village_kind": kind,
                            "population": int(pop),
                            "ferry_hours": ferry,
                        },
                        "geometry": shapely.geometry.mapping(shape),
                    }
                )
    return {
        "type": "FeatureCollection",
        "name": "Xinhui District smart grids (SCHEMATIC: counts and populations from the "
        "district table, shapes generated by tools/make_map.py)",
        "features": features,
    }


def main() -> None:
    out = Path(str(DATA / DEFAULT_MAP))
    collection = build()
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(collection['features'])} grids, {len(text) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
