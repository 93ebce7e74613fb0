"""The district: towns, villages, the 640 smart grids, their adjacency and travel times.

The district table (``sim/data/district.csv``) holds the town-level facts of
design section 2 with their sources. The grid map is a GeoJSON file of grid
polygons with the properties ``grid_id``, ``town``, ``village`` and
``population`` (optionally ``village_kind``, ``village_zh``, ``village_code``
and ``ferry_hours``), in WGS84 lon/lat or in the CRS its ``crs`` member names.
The shipped map (``sim/data/xinhui_grids.geojson``, built by
``tools/make_map.py``): the district outline and the town seats are real, the
234 village committees and communities are the official list (NBS codes);
town, village and grid boundaries are approximate. A user
may load another map with :func:`load_geography` or ``map.file``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import shapely
import shapely.validation

from sim.model.district import DATA, Town, did_you_mean, load_district_table
from sim.model.mapfile import (
    MapDataError,
    check_population,
    feature_error,
    parse_feature,
    read_features,
    utm_projection,
)
from sim.model.parameters import ParameterError

if TYPE_CHECKING:
    from mesa.discrete_space import Network

DEFAULT_MAP = "xinhui_grids.geojson"
TOTAL_GRIDS = 640  # smart grids in the district (news report 2022-06-30)
KM_PER_DEG_LON_EQUATOR = 111.32
ROAD_KMH = 30.0  # [assumption] mean police road speed, including detours


def largest_remainder(total: int, weights: np.ndarray, minimum: np.ndarray | int = 0) -> np.ndarray:
    """Split ``total`` whole units in proportion to ``weights``, each share at least ``minimum``.

    Shares whose proportional quota falls below their minimum are fixed at the
    minimum and the rest is shared again among the others (Hamilton's method).

    >>> largest_remainder(10, np.array([1.0, 1.0, 2.0])).tolist()
    [2, 3, 5]
    >>> largest_remainder(5, np.array([1.0, 100.0]), minimum=2).tolist()
    [2, 3]
    """
    weights = np.asarray(weights, dtype=float)
    minimum = np.broadcast_to(np.asarray(minimum, dtype=np.int64), weights.shape).copy()
    if minimum.sum() > total:
        raise ValueError(f"cannot give {minimum.sum()} minimum units out of {total}")
    fixed = np.zeros(weights.shape, dtype=bool)
    while True:
        free = ~fixed
        remaining = total - minimum[fixed].sum()
        w = np.where(free, weights, 0.0)
        quota = (
            remaining * w / w.sum()
            if w.sum() > 0
            else np.where(free, remaining / max(free.sum(), 1), 0)
        )
        below = free & (quota < minimum)
        if not below.any():
            break
        fixed |= below
    shares = np.where(fixed, minimum, np.floor(quota)).astype(np.int64)
    leftover = total - shares.sum()
    remainder = np.where(fixed, -1.0, quota - np.floor(quota))
    # Stable order: ties go to the earlier entry, so results are reproducible.
    shares[np.argsort(-remainder, kind="stable")[:leftover]] += 1
    return shares


def grids_per_town(towns: list[Town], total: int = TOTAL_GRIDS) -> dict[str, int]:
    """640 grids over the towns: published counts as they are (Muzhou 35), the rest by
    population, at least one per village-level unit."""
    fixed = {t.name: t.fixed_grids for t in towns if t.fixed_grids is not None}
    others = [t for t in towns if t.name not in fixed]
    shares = largest_remainder(
        total - sum(fixed.values()),
        np.array([t.residents for t in others], dtype=float),
        minimum=np.array([t.village_units for t in others]),
    )
    return fixed | {t.name: int(n) for t, n in zip(others, shares, strict=True)}


@dataclass
class Geography:
    """The grids of the simulated district as arrays indexed by grid (0..n_grids-1)."""

    grid_ids: list[str]
    town_names: list[str]
    grid_town: np.ndarray
    village_names: list[str]
    village_town: np.ndarray
    village_is_community: np.ndarray
    grid_village: np.ndarray
    grid_population: np.ndarray
    grid_area_km2: np.ndarray
    centroids: np.ndarray  # (n_grids, 2) lon, lat
    travel_hours: np.ndarray  # police travel from the town station to the grid (road + ferry)
    station: np.ndarray  # per town: the grid of its police station (``police_stations``)
    edges: list[tuple[int, int]]
    polygons: list[list[np.ndarray]] = field(repr=False)  # exterior rings per grid (lon, lat)
    source: str = ""
    village_names_zh: list[str] = field(default_factory=list)  # "" where the map has none
    village_codes: list[str] = field(default_factory=list)  # NBS codes, "" where none

    @property
    def n_grids(self) -> int:
        return len(self.grid_ids)

    @property
    def n_villages(self) -> int:
        return len(self.village_names)

    @property
    def n_towns(self) -> int:
        return len(self.town_names)

    def town_population(self) -> np.ndarray:
        """Residents per town at full scale."""
        return np.bincount(self.grid_town, self.grid_population, self.n_towns).astype(np.int64)

    def network(self, random=None) -> Network:
        """The grid adjacency as a Mesa ``Network`` whose cells sit at the grid centroids."""
        from mesa.discrete_space import Network  # Mesa (and pandas) load with the model only

        graph = nx.Graph()
        graph.add_nodes_from(range(self.n_grids))
        graph.add_edges_from(self.edges)
        layout = {i: tuple(self.centroids[i]) for i in range(self.n_grids)}
        return Network(graph, random=random, layout=layout)

    def subset(self, towns: list[str]) -> Geography:
        """The same map restricted to ``towns`` (grids, villages and towns renumbered)."""
        unknown = sorted(set(towns) - set(self.town_names))
        if unknown:
            raise MapDataError(
                f"map.towns: unknown town {unknown[0]!r}; the map has {', '.join(self.town_names)}"
            )
        town_keep = [self.town_names.index(t) for t in self.town_names if t in towns]
        grid_keep = np.flatnonzero(np.isin(self.grid_town, town_keep))
        village_keep = np.unique(self.grid_village[grid_keep])
        town_map = np.full(self.n_towns, -1)
        town_map[town_keep] = np.arange(len(town_keep))
        village_map = np.full(self.n_villages, -1)
        village_map[village_keep] = np.arange(len(village_keep))
        grid_map = np.full(self.n_grids, -1)
        grid_map[grid_keep] = np.arange(len(grid_keep))
        edges = [
            (int(grid_map[a]), int(grid_map[b]))
            for a, b in self.edges
            if grid_map[a] >= 0 and grid_map[b] >= 0
        ]
        return Geography(
            grid_ids=[self.grid_ids[i] for i in grid_keep],
            town_names=[self.town_names[i] for i in town_keep],
            grid_town=town_map[self.grid_town[grid_keep]],
            village_names=[self.village_names[i] for i in village_keep],
            village_names_zh=[self.village_names_zh[i] for i in village_keep],
            village_codes=[self.village_codes[i] for i in village_keep],
            village_town=town_map[self.village_town[village_keep]],
            village_is_community=self.village_is_community[village_keep],
            grid_village=village_map[self.grid_village[grid_keep]],
            grid_population=self.grid_population[grid_keep],
            grid_area_km2=self.grid_area_km2[grid_keep],
            centroids=self.centroids[grid_keep],
            travel_hours=self.travel_hours[grid_keep],
            station=grid_map[self.station[town_keep]],
            edges=edges,
            polygons=[self.polygons[i] for i in grid_keep],
            source=self.source,
        )


def police_stations(grid_town: np.ndarray, population: np.ndarray, n_towns: int) -> np.ndarray:
    """Each town's police station: the grid index of its most populous grid (the first of ties)."""
    return np.array(
        [
            np.flatnonzero(grid_town == t)[np.argmax(population[grid_town == t])]
            for t in range(n_towns)
        ],
        dtype=np.int64,
    )


@cache
def _load(path: Path) -> Geography:
    features = read_features(path)
    props, geoms, seen = [], [], set()
    for i, feature in enumerate(features):
        p, g = parse_feature(path, i, feature)
        gid = str(p["grid_id"])
        if gid in seen:
            raise feature_error(path, i, feature, "duplicate grid_id")
        seen.add(gid)
        props.append(p)
        geoms.append(g)

    english = {t.name_zh: t.name for t in load_district_table()}  # a map may name towns in Chinese
    for p in props:
        p["town"] = english.get(str(p["town"]), str(p["town"]))
    town_names = list(dict.fromkeys(str(p["town"]) for p in props))
    village_keys = list(dict.fromkeys((str(p["town"]), str(p["village"])) for p in props))
    village_index = {key: i for i, key in enumerate(village_keys)}
    kinds = {(str(p["town"]), str(p["village"])): p.get("village_kind", "village") for p in props}
    first: dict[tuple[str, str], dict] = {}  # the first grid's properties of each village
    for p in props:
        first.setdefault((str(p["town"]), str(p["village"])), p)
    grid_town = np.array([town_names.index(str(p["town"])) for p in props])
    grid_village = np.array([village_index[(str(p["town"]), str(p["village"]))] for p in props])

    centroids = np.array([(g.centroid.x, g.centroid.y) for g in geoms])
    metric = shapely.transform(np.array(geoms, dtype=object), utm_projection(centroids))
    areas = shapely.area(metric) / 1e6  # km²
    centres_m = shapely.get_coordinates(shapely.centroid(metric))

    population = np.array([int(p["population"]) for p in props], dtype=np.int64)
    check_population(path, population)
    ferry = np.array([float(p.get("ferry_hours", 0.0)) for p in props])
    station = police_stations(grid_town, population, len(town_names))
    delta = (centres_m - centres_m[station[grid_town]]) / 1000  # km
    travel = np.hypot(delta[:, 0], delta[:, 1]) / ROAD_KMH + ferry

    tree = shapely.STRtree(geoms)
    left, right = tree.query([g.buffer(1e-6) for g in geoms], predicate="intersects")
    edges = sorted({(int(a), int(b)) for a, b in zip(left, right, strict=True) if a < b})

    def rings(g: shapely.Geometry) -> list[np.ndarray]:
        parts = g.geoms if g.geom_type == "MultiPolygon" else [g]
        return [np.asarray(part.exterior.coords) for part in parts]

    return Geography(
        grid_ids=[str(p["grid_id"]) for p in props],
        town_names=town_names,
        grid_town=grid_town,
        village_names=[v for _, v in village_keys],
        village_names_zh=[str(first[k].get("village_zh", "")) for k in village_keys],
        village_codes=[str(first[k].get("village_code", "")) for k in village_keys],
        village_town=np.array([town_names.index(t) for t, _ in village_keys]),
        village_is_community=np.array([kinds[k] == "community" for k in village_keys]),
        grid_village=grid_village,
        grid_population=population,
        grid_area_km2=areas,
        centroids=centroids,
        travel_hours=travel,
        station=station,
        edges=edges,
        polygons=[rings(g) for g in geoms],
        source=str(path),
    )


def default_map_path() -> Path:
    """The shipped 640-grid map (real outline and seats, approximate boundaries)."""
    return Path(str(DATA / DEFAULT_MAP))


def town_set(value: str | list[str], town_names: list[str], *, key: str) -> set[str]:
    """The towns named by a town-list parameter ("all", "none" or a list of names, in English
    or Chinese as in the district table)."""
    if value == "all":
        return set(town_names)
    if value == "none":
        return set()
    english = {t.name_zh: t.name for t in load_district_table()}
    value = [english.get(name, name) for name in value]
    unknown = sorted(set(value) - set(town_names))
    if unknown:
        known = [*town_names, *(zh for zh, en in english.items() if en in town_names)]
        raise ParameterError(
            f"{key}: unknown town {unknown[0]!r}{did_you_mean(unknown[0], known)}; expected "
            f"some of {', '.join(town_names)}"
        )
    return set(value)


def simulated_map(
    map_file: str | Path = "", towns: str | list[str] = "all"
) -> tuple[Geography, Geography]:
    """The whole map and the part a run simulates, from the ``map.file`` and ``map.towns`` settings."""
    full = load_geography(map_file or None)
    if towns == "all":
        return full, full
    chosen = sorted(town_set(towns, full.town_names, key="map.towns"))  # English names
    if not chosen:
        raise ParameterError('map.towns: "none" leaves nothing to simulate')
    return full, full.subset(chosen)


def map_sha256(path: str | Path | None = None) -> str:
    """SHA-256 of a map file's bytes (the shipped map by default): the map a run really used."""
    file = Path(path).resolve() if path else default_map_path()
    try:
        return _file_sha256(file, file.stat().st_mtime_ns)
    except OSError as exc:
        raise MapDataError(f"{file}: cannot read the map ({exc.strerror})") from None


@cache
def _file_sha256(file: Path, mtime_ns: int) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


def load_geography(path: str | Path | None = None, towns: list[str] | None = None) -> Geography:
    """Load a grid map (the shipped one by default), optionally restricted to ``towns``.

    Raises :class:`MapDataError` naming the file and feature when the map cannot be used.
    """
    geography = _load(Path(path).resolve() if path else default_map_path())
    return geography.subset(towns) if towns else geography
