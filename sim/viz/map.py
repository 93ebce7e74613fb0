"""The live choropleth of the grids: an SVG drawn in the browser from outlines sent once."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import solara

from sim.labels import label as table_label
from sim.viz.language import DEFAULT_LANGUAGE, app_text, map_metric_kind, shown
from sim.viz.session import MAP_METRICS
from sim.viz.shapes import MapShapes, colours, legend_stops


@solara.component_vue("grid_map.vue")
def _GridMapView(
    paths: list,
    names: list,
    town_paths: list,
    town_labels: list,
    width: float,
    height: float,
    colors: list,
    values: list,
    vmin: float,
    vmax: float,
    stops: list,
    scale_bar: list,
    title: str,
    label: str,
    unit: str,
    day: int,
    selected: int,
    event_select: Callable[[int], None] | None = None,
):
    pass


def map_metric_name(metric: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The name of a map metric (a key of :data:`MAP_METRICS`) in ``lang``."""
    return shown(map_metric_kind(metric), metric, lang, english=MAP_METRICS[metric][0])


def _finite(values: np.ndarray) -> list[float | None]:
    return [round(float(v), 4) if np.isfinite(v) else None for v in values]


@solara.component
def GridMap(
    *,
    shapes: MapShapes,
    values: np.ndarray,
    metric: str,
    limits: tuple[float, float],
    title: str,
    day: int,
    selected: int = -1,
    on_select: Callable[[int], None] | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> solara.Element:
    """The grids coloured by ``values`` (one per grid) of ``metric`` on the scale ``limits``.

    The outlines in ``shapes`` are sent to the browser once; a redraw sends
    only the colours and values, and a change of ``lang`` only the names.
    Clicking a grid calls ``on_select(index)``.
    """
    unit = table_label("unit", MAP_METRICS[metric][1], lang)
    vmin, vmax = limits
    return _GridMapView(
        paths=list(shapes.grid_paths),
        names=list(shapes.names(lang)),
        town_paths=list(shapes.town_paths),
        town_labels=[[table_label("town", name, lang), x, y] for name, x, y in shapes.town_labels],
        width=shapes.width,
        height=shapes.height,
        colors=colours(values, vmin=vmin, vmax=vmax),
        values=_finite(values),
        vmin=vmin,
        vmax=vmax,
        stops=legend_stops(),
        scale_bar=list(shapes.scale_bar),
        title=title,
        label=map_metric_name(metric, lang),
        unit=unit,
        day=day,
        selected=selected,
        event_select=on_select,
    )


@solara.component
def GridDetails(
    *, name: str, figures: dict[str, float], lang: str = DEFAULT_LANGUAGE
) -> solara.Element:
    """The figures of one grid (the one clicked on the map)."""
    title = app_text("grid", lang, name=name)
    with solara.Card(title=title, classes=["govsim-grid-details"]) as card:
        rows = [
            f"| {map_metric_name(k, lang)} | {v:.2f} | {table_label('unit', MAP_METRICS[k][1], lang)} |"
            for k, v in figures.items()
            if k in MAP_METRICS
        ]
        header = " | ".join(app_text(k, lang) for k in ("figure", "value", "unit"))
        solara.Markdown(f"| {header} |\n|---|---|---|\n" + "\n".join(rows))
    return card


@solara.component
def PlaceDetails(
    *, name: str, figures: dict[str, dict[str, float]], lang: str = DEFAULT_LANGUAGE
) -> solara.Element:
    """The clicked grid's village-level unit beside its town and the whole district
    (``figures``: :meth:`sim.viz.session.Run.places`), over the measured days so far."""
    with solara.Card(title=name, classes=["govsim-place-details"]) as card:
        columns = ("village", "town", "district")
        header = " | ".join(
            [app_text("figure", lang), *(app_text(f"place_{c}", lang) for c in columns)]
        )
        rows = []
        for figure in figures["village"]:
            cells = [_place_value(figure, figures[c][figure]) for c in columns]
            rows.append(
                f"| {table_label('term', 'place_' + figure, lang)} | " + " | ".join(cells) + " |"
            )
        solara.Markdown(f"| {header} |\n|---|---:|---:|---:|\n" + "\n".join(rows))
    return card


def _place_value(figure: str, value: float) -> str:
    if not np.isfinite(value):
        return "–"
    if figure == "escalation_rate":
        return f"{value:.1%}"
    if figure.endswith(("_per_1k", "_per_10k", "_per_100k")) or figure == "annual_cost_wan_yuan":
        return f"{value:,.1f}"
    return f"{value:,.0f}"
