"""Figures of results: the grid map, the daily metrics of scenarios, and their differences.

Figures are built as :class:`matplotlib.figure.Figure` objects without pyplot,
so drawing needs no display, changes no global backend and leaks no figure
managers; :func:`figure_data_uri` turns one into an embeddable PNG.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.labels import label as table_label
from sim.model.geography import DEFAULT_MAP, KM_PER_DEG_LON_EQUATOR
from sim.model.metrics import METRICS
from sim.output.fonts import use_cjk_font
from sim.runs.folders import save_figure
from sim.runs.statistics import mean_ci

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.model.geography import Geography
    from sim.model.timeline import Intervention
    from sim.runs.replicates import RunResult

KEY_METRICS = (
    "escalation_rate",
    "resolved_in_village_share",
    "resolved_in_town_share",
    "petitions_per_10k",
    "incidents_per_100k",
    "mean_days_to_resolution",
)
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
SHARED_MARK = "#444444"  # an intervention every scenario has (same day and note)
YEAR_TICKS = 12  # at most this many year ticks on a time axis
MARK_CHARACTERS = 32  # intervention labels on a chart are cut to this length


def metric_name(metric: str, lang: str = "en") -> str:
    """A chart's name of a metric: its meaning in English, the label table's name in Chinese."""
    return METRICS.get(metric, metric) if lang == "en" else table_label("metric", metric, lang)


def order_name(metric: str, lang: str = "en") -> str:
    """A metric on a chart's axis: its code in English, its name in Chinese."""
    return metric if lang == "en" else table_label("metric", metric, lang)


def wrap_text(text: str, width: int, lang: str) -> str:
    """Wrap ``text`` at ``width`` characters (Chinese has no spaces: half as many, anywhere)."""
    if lang == "en":
        return textwrap.fill(text, width)
    step = width // 2
    return "\n".join(text[i : i + step] for i in range(0, len(text), step))


def plain(text: str) -> str:
    """``text`` shown as is: a ``$`` from data must not start matplotlib's math mode."""
    return str(text).replace("$", r"\$")


def new_figure(*, figsize: tuple[float, float]) -> Figure:
    """A figure (no pyplot) whose text can be Chinese: :func:`sim.output.fonts.use_cjk_font`."""
    from matplotlib.figure import Figure

    use_cjk_font()
    return Figure(figsize=figsize, layout="constrained")


def figure_data_uri(fig: Figure, *, dpi: int = 100) -> str:
    """The figure as a ``data:image/png;base64,...`` URI for an ``<img src>``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def shared_limits(arrays: Sequence[np.ndarray]) -> tuple[float, float]:
    """One colour scale (min, max over the finite values of all arrays) for several maps."""
    finite = [a[np.isfinite(a)] for a in (np.asarray(x, dtype=float) for x in arrays)]
    values = np.concatenate(finite) if finite else np.array([])
    if len(values) == 0:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    return (low, high) if high > low else (low, low + 1.0)


def map_figure(
    geo: Geography,
    values: np.ndarray | None = None,
    *,
    label: str = "town",
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
    figsize: tuple[float, float] = (8.0, 8.0),
    lang: str = "en",
) -> Figure:
    """The grid map coloured by town, or by ``values`` per grid on the scale ``vmin``..``vmax``.

    Give several maps the same ``vmin``/``vmax`` (see :func:`shared_limits`) to
    compare them by colour. Grids whose value is not finite are drawn grey. ``lang``
    names the towns, the axes and the default title (``en`` or ``zh``).
    """
    term = partial(table_label, "term", lang=lang)
    from matplotlib import colormaps, patheffects
    from matplotlib.collections import PolyCollection

    polygons = [ring for rings in geo.polygons for ring in rings]
    owner = np.repeat(np.arange(geo.n_grids), [len(r) for r in geo.polygons])
    colour = (geo.grid_town if values is None else np.asarray(values, dtype=float))[owner]
    cmap = colormaps["tab20" if values is None else "viridis"].with_extremes(bad="#cccccc")
    fig = new_figure(figsize=figsize)
    ax = fig.add_subplot()
    array = np.ma.masked_invalid(colour.astype(float))
    collection = PolyCollection(polygons, array=array, cmap=cmap, edgecolor="white", linewidth=0.3)
    if values is not None:
        collection.set_clim(vmin, vmax)
    ax.add_collection(collection)
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]  # readable on any colour
    for t, name in enumerate(geo.town_names):
        x, y = np.average(geo.centroids[geo.grid_town == t], axis=0)
        ax.annotate(
            table_label("town", name, lang),
            (x, y),
            ha="center",
            fontsize=9,
            weight="bold" if lang == "en" else "normal",  # the CJK font has no bold face here
            color="black",
            path_effects=halo,
        )
    if values is not None:
        fig.colorbar(collection, ax=ax, shrink=0.7, label=label)
    ax.autoscale()
    ax.set_aspect(1 / np.cos(np.radians(geo.centroids[:, 1].mean())))
    _scale_bar(ax, geo)
    if title is None:
        shipped = (
            term("chart_map_title").format(grids=geo.n_grids) + f"\n({term('chart_map_label')})"
        )
        title = shipped if Path(geo.source).name == DEFAULT_MAP else geo.source
    ax.set_title(plain(title))
    ax.set_xlabel(term("chart_longitude"))
    ax.set_ylabel(term("chart_latitude"))
    return fig


def _scale_bar(ax, geo: Geography) -> None:
    """A bar of a round number of kilometres (about a fifth of the map's width), bottom left."""
    lat = float(geo.centroids[:, 1].mean())
    km_per_lon = KM_PER_DEG_LON_EQUATOR * np.cos(np.radians(lat))
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    width_km = (x1 - x0) * km_per_lon
    km = next(k for k in (50, 20, 10, 5, 2, 1, 0.5) if k <= width_km / 4)
    x, y = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([x, x + km / km_per_lon], [y, y], color="black", lw=3, solid_capstyle="butt")
    ax.annotate(
        f"{km:g} km",
        (x + km / km_per_lon / 2, y),
        xytext=(0, 4),
        textcoords="offset points",
        ha="center",
        fontsize=8,
    )


def draw_map(
    geo: Geography,
    out: Path,
    values: np.ndarray | None = None,
    label: str = "town",
    lang: str = "en",
) -> None:
    """A PNG (or ``.pdf``, ``.svg``) of the grid map, coloured by town or by ``values`` per
    grid, with town names; marked as govsim's (:data:`MAP_CREATOR`), written atomically."""
    fig = map_figure(geo, values, label=label, lang=lang)
    save_figure(fig, Path(out), creator=MAP_CREATOR)


MAP_CREATOR = "govsim map"  # in the metadata of every map govsim draws


def daily_mean_ci(result: RunResult, metric: str, *, level: float = 0.95) -> pd.DataFrame:
    """Per day: the mean of ``metric`` over replicates and its t interval (``low``, ``high``).

    The interval is nan with one replicate.
    """
    series = result.timeseries[result.timeseries["metric"] == metric]
    by_day = series.pivot(index="day", columns="run", values="value")
    stats = np.array([mean_ci(row, level) for row in by_day.to_numpy()], dtype=float)
    mean, half = stats.reshape(-1, 2).T
    return pd.DataFrame(
        {"day": by_day.index.to_numpy(), "mean": mean, "low": mean - half, "high": mean + half}
    )


def intervention_label(intervention: Intervention, *, characters: int = MARK_CHARACTERS) -> str:
    """A short label for an intervention on a time axis: its note (cut short), or its day."""
    note = " ".join(str(intervention.note).split())
    if not note:
        return f"day {intervention.day}"
    if len(note) <= characters:
        return note
    cut = note[: characters - 1]
    if note[len(cut)] != " " and " " in cut[characters // 2 :]:  # end at a word (not in Chinese)
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def intervention_marks(results: Sequence[RunResult]) -> list[tuple[int, str, str]]:
    """(day, label, colour) of every scenario's interventions, once each.

    An intervention of one scenario has that scenario's line colour; one that
    every scenario has (same day and label) is drawn once, in dark grey.
    """
    found: dict[tuple[int, str], list[int]] = {}
    for i, result in enumerate(results):
        for intervention in result.scenario.timeline.interventions:
            found.setdefault((intervention.day, intervention_label(intervention)), []).append(i)
    return [
        (
            day,
            text,
            SHARED_MARK if len(owners) == len(results) > 1 else COLOURS[owners[0] % len(COLOURS)],
        )
        for (day, text), owners in sorted(found.items())
    ]


def mark_interventions(ax, marks: Sequence[tuple[int, str, str]]) -> None:
    """Each (day, label, colour) as a dashed vertical line at that day, labelled at the top."""
    for day, text, colour in marks:
        ax.axvline(day, color=colour, ls="--", lw=1.0, alpha=0.8, gid="intervention")
        ax.annotate(
            plain(text),
            (day, 1.0),
            xycoords=ax.get_xaxis_transform(),
            xytext=(2, -3),
            textcoords="offset points",
            rotation=90,
            ha="left",
            va="top",
            fontsize=6.5,
            color=colour,
            alpha=0.9,
            gid="intervention",
        )


def timeseries_figure(
    results: Sequence[RunResult],
    *,
    metrics: Sequence[str] = KEY_METRICS,
    columns: int = 3,
    lang: str = "en",
) -> Figure:
    """Small multiples of ``metrics`` by day: a line per scenario, a shaded 95% band over runs.

    The band is cut to the range a metric can take (at least 0; at most 1 for shares).
    Every chart marks the scenarios' interventions (:func:`intervention_marks`).
    ``lang`` names the metrics and the axes.
    """
    rows = -(-len(metrics) // columns)
    fig = new_figure(figsize=(4.2 * columns, 3.1 * rows + 0.5))
    axes = fig.subplots(rows, columns, squeeze=False, sharex=True).ravel()
    marks = intervention_marks(results)
    for ax, metric in zip(axes, metrics, strict=False):
        # Every metric is at least 0 and a share at most 1: the band stays in that range.
        top = 1.0 if "share of" in METRICS.get(metric, "") else None
        for i, result in enumerate(results):
            colour = COLOURS[i % len(COLOURS)]
            daily = daily_mean_ci(result, metric)
            ax.plot(
                daily["day"],
                daily["mean"],
                color=colour,
                lw=1.6,
                label=plain(result.scenario.name),
            )
            if np.isfinite(daily["low"]).any():
                low, high = daily["low"].clip(0, top), daily["high"].clip(0, top)
                ax.fill_between(daily["day"], low, high, color=colour, alpha=0.2, lw=0)
        mark_interventions(ax, marks)
        ax.set_title(wrap_text(metric_name(metric, lang), 42, lang), fontsize=9)
        ax.set_ylabel(metric if lang == "en" else "", fontsize=8)  # in Chinese the title names it
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    last = max((int(r.timeseries["day"].max()) for r in results if len(r.timeseries)), default=0)
    for ax in axes[-columns:]:
        time_axis(ax, last, lang=lang)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncols=min(len(labels), 4), fontsize=9)
    return fig


def time_axis(ax, last_day: int, *, lang: str = "en") -> None:
    """The x axis of a chart by day: in days up to two years; over a longer run, a tick at
    each year's end labelled with the year (every few years past a dozen)."""
    if last_day <= 2 * 365:
        ax.set_xlabel(table_label("term", "chart_day", lang))
        return
    step = -(-last_day // (365 * YEAR_TICKS))
    years = range(0, last_day // 365 + 1, step)
    ax.set_xticks([365 * y for y in years], [str(y) for y in years])
    ax.set_xlabel(table_label("term", "chart_year", lang))


def relative_differences(differences: pd.DataFrame) -> pd.DataFrame:
    """``differences`` with the difference and its CI in % of the reference mean (nan if 0)."""
    reference = differences["reference_mean"].abs().where(lambda m: m > 0)
    return differences.assign(
        relative=differences["difference"] / reference * 100,
        relative_low=differences["ci_low"] / reference * 100,
        relative_high=differences["ci_high"] / reference * 100,
    )


def differences_figure(differences: pd.DataFrame, *, lang: str = "en") -> Figure:
    """Each metric's difference from the reference scenario, in % of its mean, with 95% CIs.

    Significant differences are filled and dark; the others hollow and faint.
    Metrics whose reference mean is 0 or unknown have no relative difference, and metrics
    with too few cases (fewer than 3 paired runs with a value) no interval: both are left
    blank with a note, rather than drawn as noise. ``lang`` names the metrics and notes.
    """
    term = partial(table_label, "term", lang=lang)
    table = relative_differences(differences)
    if "too_few" in table:
        few = table["too_few"].fillna(False).astype(bool)
        table.loc[few, ["relative", "relative_low", "relative_high"]] = np.nan
    order = [m for m in METRICS if m in set(table["metric"])]
    order += [m for m in dict.fromkeys(table["metric"]) if m not in order]
    scenarios = list(dict.fromkeys(table["scenario"]))
    fig = new_figure(figsize=(8.5, 0.32 * len(order) * max(1, len(scenarios) * 0.7) + 1.4))
    ax = fig.add_subplot()
    step = 0.7 / max(len(scenarios), 1)
    # The reference scenario is the first line of the time series: skip its colour.
    for s, scenario in enumerate(scenarios):
        colour = COLOURS[(s + 1) % len(COLOURS)]
        part = table[table["scenario"] == scenario].set_index("metric").reindex(order)
        x = part["relative"].to_numpy(dtype=float)
        low = x - part["relative_low"].to_numpy(dtype=float)
        high = part["relative_high"].to_numpy(dtype=float) - x
        y = np.arange(len(order)) + (s - (len(scenarios) - 1) / 2) * step
        significant = part["significant"].fillna(False).astype(bool).to_numpy()
        for mask, faint in ((significant, False), (~significant, True)):
            if not mask.any():
                continue
            ax.errorbar(
                x[mask],
                y[mask],
                xerr=[low[mask], high[mask]],
                fmt="o",
                color=colour,
                alpha=0.45 if faint else 1.0,
                mfc="white" if faint else colour,
                capsize=3,
                label=f"{plain(scenario)} ({term('chart_not_significant' if faint else 'chart_significant')})",
            )
    unknown = table.groupby("metric")["relative"].apply(lambda r: r.isna().all())
    few_of = (
        table.groupby("metric")["too_few"].all() if "too_few" in table else pd.Series(dtype=bool)
    )
    for i, metric in enumerate(order):
        if unknown.get(metric, False):
            ax.text(
                0.01,
                i,
                term("chart_too_few") if few_of.get(metric, False) else term("chart_no_relative"),
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=7,
                color="grey",
            )
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(np.arange(len(order)), [order_name(m, lang) for m in order], fontsize=8)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    reference = plain(str(table["reference"].iloc[0]) if len(table) else term("chart_reference"))
    ax.set_xlabel(term("chart_difference_axis").format(reference=reference))
    ax.legend(fontsize=8, loc="best")
    return fig
