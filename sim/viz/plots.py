"""Outcome curves over time, KPI cards and the table of differences between policies A and B."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import solara

from sim.labels import label
from sim.model.metrics import METRICS, SHARES
from sim.output.tables import fmt
from sim.viz.language import DEFAULT_LANGUAGE, app_text, shown
from sim.viz.session import KEY_METRICS

RUN_STYLE = {"A": ("#1f77b4", ""), "B": ("#d62728", "5,3")}  # colour, dash of each policy
MAX_POINTS = 400  # points per curve sent to the browser (longer runs are thinned)


@solara.component_vue("line_chart.vue")
def LineChart(title: str, unit: str, series: list):
    pass


def _thin(frame: pd.DataFrame) -> pd.DataFrame:
    if len(frame) <= MAX_POINTS:
        return frame
    keep = np.unique(np.linspace(0, len(frame) - 1, MAX_POINTS).round().astype(int))
    return frame.iloc[keep]


def _values(column: pd.Series) -> list[float | None]:
    return [None if not math.isfinite(v) else round(float(v), 5) for v in column]


def curve_series(
    series: dict[str, pd.DataFrame], metric: str, *, lang: str = DEFAULT_LANGUAGE
) -> list[dict]:
    """The curves of ``metric`` for each run (``{"A": daily frame, "B": ...}``), for LineChart."""
    curves = []
    for name, frame in series.items():
        colour, dash = RUN_STYLE[name]
        thin = _thin(frame)
        curves.append(
            {
                "name": app_text("policy_curve", lang, name=name),
                "color": colour,
                "dash": dash,
                "x": [int(d) for d in thin["day"]] if len(thin) else [],
                "y": _values(thin[metric].astype(float)) if len(thin) else [],
            }
        )
    return curves


def metric_name(metric: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A metric's title on cards and curves: its code spelt out in English, the table's in Chinese."""
    english = metric.replace("_", " ").replace("per 1k", "per 1,000")
    return shown("metric", metric, lang, english=english)


@solara.component
def MetricPlots(*, series: dict[str, pd.DataFrame], lang: str = DEFAULT_LANGUAGE) -> solara.Element:
    """The key outcome metrics over time, one small chart each; A solid, B dashed."""
    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}) as row:
        for metric, unit in KEY_METRICS.items():
            with solara.Div(style={"width": "320px"}):
                curves = curve_series(series, metric, lang=lang)
                LineChart(title=metric_name(metric, lang), unit=unit, series=curves)
    return row


def format_value(value: float, unit: str) -> str:
    """A metric value for a card: shares as percentages, other values with one decimal."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.1%}" if unit == "share" else f"{value:,.1f}"


def table_value(value: float, metric: str, *, difference: bool = False) -> str:
    """A value in a table, as the cards show it: shares in percent (differences in percentage
    points), other metrics to 4 significant digits, as in every report table."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if metric not in SHARES:
        return ("+" if difference and value > 0 else "") + fmt(value)
    if difference:
        return f"{value * 100:+.2g} pp" if abs(value) < 0.001 else f"{value * 100:+.1f} pp"
    return f"{value:.1%}"


@solara.component
def KpiCards(
    *, current: dict[str, dict[str, float]], lang: str = DEFAULT_LANGUAGE
) -> solara.Element:
    """A card per key metric with its current value for each run."""
    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}) as row:
        for metric, unit in KEY_METRICS.items():
            with solara.Card(
                style={"min-width": "170px", "padding": "4px"}, classes=["govsim-kpi"]
            ):
                solara.Text(metric_name(metric, lang), style={"font-size": "12px", "color": "#555"})
                for name, values in current.items():
                    prefix = f"{name}: " if len(current) > 1 else ""
                    solara.Text(
                        prefix + format_value(values[metric], unit),
                        style={"font-size": "20px", "font-weight": "600", "display": "block"},
                        classes=[f"govsim-kpi-{metric}"],
                    )
                solara.Text(unit, style={"font-size": "11px", "color": "#777"})
    return row


@solara.component
def DifferencesTable(*, differences: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> solara.Element:
    """Each metric for A and B and B - A (same seed: common random numbers)."""
    lines = [f"| {label('term', 'metric', lang)} | A | B | B - A |", "|---|---:|---:|---:|"]
    for row in differences.itertuples(index=False):
        a, b = (table_value(v, row.metric) for v in (row.A, row.B))
        diff = table_value(row[3], row.metric, difference=True)
        name = shown("metric", row.metric, lang, english=row.metric)
        lines.append(f"| {name} | {a} | {b} | {diff} |")
    with solara.Div(classes=["govsim-differences"]) as div:
        solara.Markdown("\n".join(lines))
        solara.Text(
            app_text("differences_note", lang, n=len(METRICS)),
            style={"font-size": "12px", "color": "#666"},
        )
    return div
