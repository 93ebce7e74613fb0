"""Reading a grid map file: GeoJSON features checked one by one, any CRS to WGS84 lon/lat.

Errors are :class:`MapDataError`, one line naming the file and the feature.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pyproj
import shapely
import shapely.geometry
import shapely.validation

from sim.model.checks import one_line

REQUIRED_PROPERTIES = ("grid_id", "town", "village", "population")
# Sane magnitudes: generous for any district, small enough that a model fits in memory.
MAX_GRID_POPULATION = 1_000_000  # residents of one grid (Xinhui's largest: 2,105)
MAX_POPULATION = 10_000_000  # residents of a whole map (Xinhui: 909,277)
MAX_FERRY_HOURS = 24.0  # extra travel to a grid's police station by ferry
OPTIONAL_PROPERTIES = ("village_kind", "village_zh", "village_code", "ferry_hours")


class MapDataError(ValueError):
    """A map file or district table that cannot be used; the message names the feature
    (always one line)."""

    def __init__(self, message: object = "") -> None:
        super().__init__(one_line(message))


# What shapely raises for a geometry it cannot read (a ring too short, a polygon without rings
# in a MultiPolygon, coordinates of the wrong depth or type, nesting too deep).
BAD_GEOMETRY = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    RecursionError,
    shapely.errors.ShapelyError,
)


def utm_projection(lonlat: np.ndarray):
    """A function from lon/lat (WGS84) to metres in the UTM zone of these points' middle
    (Xinhui: zone 49N, EPSG:32649), for ``shapely.transform``."""
    lon, lat = np.asarray(lonlat, dtype=float).mean(axis=0)
    zone = int((lon + 180) // 6) % 60 + 1
    epsg = (32600 if lat >= 0 else 32700) + zone
    transformer = _transformer("EPSG:4326", f"EPSG:{epsg}")

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    return project


@cache
def _transformer(source: str, target: str) -> pyproj.Transformer:
    """A lon/lat-ordered transformer (made once: pyproj takes tens of ms to make one)."""
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


@cache
def _is_wgs84(name: str) -> bool | None:
    """Whether the coordinate system ``name`` is WGS84 lon/lat (CRS84 or EPSG:4326); None if
    pyproj does not know it (the answer is kept: a failed look-up is slow)."""
    try:
        source = pyproj.CRS.from_user_input(name)
    except pyproj.exceptions.CRSError:
        return None
    return source.equals(pyproj.CRS("OGC:CRS84")) or source.equals(pyproj.CRS("EPSG:4326"))


def feature_error(path: Path, index: int, feature: dict, reason: str) -> MapDataError:
    """The error of one feature: the file, its index and grid_id, and the reason."""
    props = feature.get("properties") or {}
    name = (
        f" (grid_id={props['grid_id']!r})" if isinstance(props, dict) and "grid_id" in props else ""
    )
    return MapDataError(f"{path}: feature {index}{name}: {reason}")


GIS_SUFFIXES = (".shp", ".gpkg")  # read with the gis extra (pyogrio)


def read_features(path: Path) -> list[dict]:
    """The features of a GeoJSON file (or, with the gis extra, a Shapefile or GeoPackage)."""
    if path.suffix.lower() in GIS_SUFFIXES:
        return _read_gis(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MapDataError(f"{path}: map file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise MapDataError(f"{path}: not a readable GeoJSON file ({exc})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise MapDataError(f"{path}: expected a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise MapDataError(f"{path}: the FeatureCollection has no features")
    crs = data.get("crs")
    if crs is None:
        return features
    return _to_wgs84(path, features, crs)


def _read_gis(path: Path) -> list[dict]:
    """A Shapefile or GeoPackage as GeoJSON-like features, in its own CRS reprojected to lon/lat."""
    try:
        from pyogrio import raw
        from pyogrio.errors import DataSourceError
    except ImportError:
        raise MapDataError(
            f"{path}: reading {path.suffix} maps needs the gis extra (pip install 'xinhui-govsim[gis]')"
        ) from None
    if not path.exists():
        raise MapDataError(f"{path}: map file not found")
    if path.suffix.lower() == ".shp":
        for part in (".dbf", ".shx"):
            if not any(path.with_suffix(s).exists() for s in (part, part.upper())):
                raise MapDataError(
                    f"{path}: no {path.with_suffix(part).name} beside it (a Shapefile is "
                    f"several files: copy the {part} file of the same name into {path.parent})"
                )
    try:
        meta, _, geometry, values = raw.read(path)
    except (DataSourceError, OSError, RuntimeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise MapDataError(f"{path}: not a readable {path.suffix} map ({reason})") from None
    if not len(meta["fields"]):
        raise MapDataError(
            f"{path}: the map has no attributes (each feature needs "
            f"{', '.join(REQUIRED_PROPERTIES)})"
        )
    # Shapefiles cut field names to 10 characters (village_kind -> village_ki): restore them.
    full = {name[:10]: name for name in (*REQUIRED_PROPERTIES, *OPTIONAL_PROPERTIES)}
    names = [full.get(name, name) for name in meta["fields"]]
    features = [
        {
            "type": "Feature",
            "properties": {
                n: (v.item() if hasattr(v, "item") else v) for n, v in zip(names, row, strict=True)
            },
            "geometry": _geometry(wkb),
        }
        for wkb, row in zip(geometry, zip(*values, strict=True), strict=True)
    ]
    if not features:
        raise MapDataError(f"{path}: the map has no features")
    crs = meta.get("crs")
    return features if not crs else _to_wgs84(path, features, {"properties": {"name": crs}})


def _geometry(wkb: bytes | None) -> dict | None:
    """A feature's geometry as GeoJSON, or None when it has none or it cannot be read
    (:func:`parse_feature` then names the feature)."""
    try:
        geom = shapely.from_wkb(wkb) if wkb is not None else None
    except shapely.errors.ShapelyError:
        return None
    return shapely.geometry.mapping(geom) if geom is not None else None


def _to_wgs84(path: Path, features: list[dict], crs: object) -> list[dict]:
    """Features of a map whose ``crs`` member names another system, reprojected to lon/lat."""
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    wgs84 = _is_wgs84(name) if isinstance(name, str) else None
    if wgs84 is None:
        raise MapDataError(f"{path}: crs: unknown coordinate reference system {name!r}")
    if wgs84:
        return features
    try:
        transformer = _transformer(name, "EPSG:4326")
    except pyproj.exceptions.ProjError as exc:
        raise MapDataError(
            f"{path}: crs: cannot convert {name!r} to longitude and latitude ({exc})"
        ) from None

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    moved = []
    for feature in features:
        try:
            geom = shapely.transform(shapely.geometry.shape(feature["geometry"]), project)
        except BAD_GEOMETRY:
            moved.append(feature)  # reported with its index by parse_feature
            continue
        moved.append(feature | {"geometry": shapely.geometry.mapping(geom)})
    return moved


def _finite(value: object) -> bool:
    """Whether ``value`` is a finite number (JSON allows NaN and Infinity; bool is not a number)."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value))
    )


def check_population(path: Path, population: np.ndarray) -> None:
    """Refuse a map whose residents add up to more than :data:`MAX_POPULATION`."""
    total = int(population.sum())
    if total > MAX_POPULATION:
        raise MapDataError(
            f"{path}: population adds up to {total:,}, more than the {MAX_POPULATION:,} a map "
            "may hold (Xinhui has 909,277 residents); check the population property"
        )


def parse_feature(path: Path, index: int, feature: dict) -> tuple[dict, shapely.Geometry]:
    props = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(props, dict):
        raise feature_error(path, index, {}, "no properties")
    for key in REQUIRED_PROPERTIES:
        if key not in props or props[key] in (None, ""):
            raise feature_error(path, index, feature, f"missing property {key!r}")
    pop = props["population"]
    if not _finite(pop) or not 0 <= pop <= MAX_GRID_POPULATION or pop != int(pop):
        raise feature_error(
            path,
            index,
            feature,
            f"population must be a whole number from 0 to {MAX_GRID_POPULATION:,}, got {pop!r}",
        )
    ferry = props.get("ferry_hours", 0.0)
    if not _finite(ferry) or not 0 <= ferry <= MAX_FERRY_HOURS:
        raise feature_error(
            path,
            index,
            feature,
            f"ferry_hours must be a number from 0 to {MAX_FERRY_HOURS:g}, got {ferry!r}",
        )
    kind = props.get("village_kind", "village")
    if kind not in ("village", "community"):
        raise feature_error(
            path, index, feature, f"village_kind must be village or community, got {kind!r}"
        )
    try:
        geom = shapely.geometry.shape(feature["geometry"])
    except BAD_GEOMETRY as exc:
        raise feature_error(path, index, feature, f"bad geometry ({exc})") from None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise feature_error(
            path, index, feature, f"geometry must be a Polygon, got {geom.geom_type}"
        )
    if geom.is_empty or not geom.is_valid:
        reason = "empty" if geom.is_empty else shapely.validation.explain_validity(geom)
        raise feature_error(path, index, feature, f"invalid geometry: {reason}")
    x0, y0, x1, y1 = geom.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise feature_error(
            path,
            index,
            feature,
            f"coordinates ({x0:.6g}, {y0:.6g}) are not longitude and latitude in degrees "
            "(in metres, or swapped?): give the map in WGS84, longitude first",
        )
    return props, geom
