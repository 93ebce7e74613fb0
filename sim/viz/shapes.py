"""The grid map as SVG: grid and town outlines projected once, colours computed per redraw.

A redraw of the live map sends only one colour and one value per grid to the
browser; the outlines (:class:`MapShapes`) are built once per map and cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely

from sim.labels import label
from sim.model.geography import KM_PER_DEG_LON_EQUATOR, Geography

WIDTH = 600.0  # SVG user units across the map
MISSING = "#cccccc"  # grids without a finite value


@dataclass(frozen=True)
class MapShapes:
    """Outlines of a map in SVG coordinates (y down), with names for tooltips and labels."""

    width: float
    height: float
    grid_paths: tuple[str, ...]
    grid_names: tuple[str, ...]  # "grid id, village, town" in English
    town_paths: tuple[str, ...]
    town_labels: tuple[tuple[str, float, float], ...]  # name, x, y
    scale_bar: tuple[float, str] = (0.0, "")  # length in SVG units, and its label ("10 km")
    grid_names_zh: tuple[
        str, ...
    ] = ()  # "grid id，村，镇" in Chinese (English where a name has none)

    def names(self, lang: str) -> tuple[str, ...]:
        """The grids' names in ``lang``."""
        return self.grid_names_zh if lang == "zh" and self.grid_names_zh else self.grid_names


def _path(rings: list[np.ndarray]) -> str:
    return " ".join(
        "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + "Z" for ring in rings if len(ring)
    )


def _boundary_rings(geometry: shapely.Geometry) -> list[np.ndarray]:
    parts = getattr(geometry, "geoms", [geometry])
    return [np.asarray(p.exterior.coords) for p in parts if not p.is_empty]


def _scale_bar(width: float, scale: float) -> tuple[float, str]:
    """A round number of kilometres, about a fifth of the map's width, in SVG units."""
    km_per_unit = KM_PER_DEG_LON_EQUATOR / scale  # x is lon * cos(lat) * scale
    km = next(k for k in (50, 20, 10, 5, 2, 1, 0.5) if k <= width * km_per_unit / 4)
    return float(round(km / km_per_unit, 1)), f"{km:g} km"


def build_shapes(geo: Geography, *, width: float = WIDTH) -> MapShapes:
    """Project ``geo`` to SVG units: equirectangular, x scaled by cos(mean latitude)."""
    rings = [ring for grid in geo.polygons for ring in grid]
    points = np.concatenate(rings)
    aspect = np.cos(np.radians(points[:, 1].mean()))
    lon0, lat1 = points[:, 0].min(), points[:, 1].max()
    span = (points[:, 0].max() - lon0) * aspect
    scale = width / span if span > 0 else 1.0
    height = (lat1 - points[:, 1].min()) * scale

    def project(ring: np.ndarray) -> np.ndarray:
        ring = np.asarray(ring, dtype=float)
        return np.column_stack([(ring[:, 0] - lon0) * aspect * scale, (lat1 - ring[:, 1]) * scale])

    grid_paths = tuple(_path([project(r) for r in grid]) for grid in geo.polygons)
    names = tuple(
        f"{gid}, {geo.village_names[v]}, {geo.town_names[geo.grid_town[i]]}"
        for i, gid in enumerate(geo.grid_ids)
        for v in [geo.grid_village[i]]
    )
    names_zh = tuple(
        f"{gid}，{geo.village_names_zh[v] or geo.village_names[v]}，"
        f"{label('town', geo.town_names[geo.grid_town[i]], 'zh')}"
        for i, gid in enumerate(geo.grid_ids)
        for v in [geo.grid_village[i]]
    )
    town_paths, town_labels = [], []
    for t, name in enumerate(geo.town_names):
        members = np.flatnonzero(geo.grid_town == t)
        polygons = [shapely.Polygon(project(r)) for i in members for r in geo.polygons[i]]
        merged = shapely.union_all([p.buffer(0.3) for p in polygons]).buffer(-0.3).simplify(0.4)
        town_paths.append(_path(_boundary_rings(merged)))
        x, y = project(np.average(geo.centroids[members], axis=0)[None, :])[0]
        town_labels.append((name, round(float(x), 1), round(float(y), 1)))
    return MapShapes(
        width=round(width, 1),
        height=round(float(height), 1),
        grid_paths=grid_paths,
        grid_names=names,
        grid_names_zh=names_zh,
        town_paths=tuple(town_paths),
        town_labels=tuple(town_labels),
        scale_bar=_scale_bar(width, scale),
    )


_SHAPES: dict[tuple[str, tuple[str, ...]], MapShapes] = {}  # by map source and grid ids


def shapes_for(geo: Geography) -> MapShapes:
    """:func:`build_shapes` of ``geo``, built once per map (the same source and grids)."""
    key = (geo.source, tuple(geo.grid_ids))
    if key not in _SHAPES:
        _SHAPES[key] = build_shapes(geo)
    return _SHAPES[key]


@lru_cache(maxsize=4)
def palette(name: str = "viridis", n: int = 256) -> tuple[str, ...]:
    """``n`` hex colours of a matplotlib colour map."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps[name].resampled(n)
    return tuple(to_hex(cmap(i)) for i in range(n))


def colours(values: np.ndarray, *, vmin: float, vmax: float) -> list[str]:
    """A hex colour per value on the scale ``vmin``..``vmax`` (grey where not finite)."""
    ramp = palette()
    values = np.asarray(values, dtype=float)
    span = vmax - vmin if vmax > vmin else 1.0
    index = np.clip(((values - vmin) / span * (len(ramp) - 1)).round(), 0, len(ramp) - 1)
    finite = np.isfinite(values)
    return [ramp[int(i)] if ok else MISSING for i, ok in zip(index, finite, strict=True)]


def legend_stops(n: int = 8) -> list[str]:
    """Colours for a CSS gradient of the legend."""
    ramp = palette()
    return [ramp[round(i * (len(ramp) - 1) / (n - 1))] for i in range(n)]
