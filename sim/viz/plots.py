"""Outcome curves over time (interventions marked), KPI cards, the year-by-year table and the
table of differences between policies A and B."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd
import solara

from sim.labels import label
from sim.model.metrics import METRICS, SHARES
from sim.model.timeline import Intervention
from sim.output.figures import SHARED_MARK, intervention_label
from sim.output.tables import fmt
from sim.viz.language import DEFAULT_LANGUAGE, app_text, shown
from sim.viz.session import KEY_METRICS, Session

RUN_STYLE = {"A": ("#1f77b4", ""), "B": ("#d62728", "5,3")}  # colour, dash of each policy
MAX_POINTS = 400  # points per curve sent to the browser (longer runs are thinned)
MARK_CHARACTERS = 22  # intervention labels on the small charts are cut to this length


@solara.component_vue("line_chart.vue")
def LineChart(title: str, unit: str, series: list, marks: list = []):  # noqa: B006 (a Vue prop)
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


def curve_marks(
    interventions: dict[str, Sequence[Intervention]], *, lang: str = DEFAULT_LANGUAGE
) -> list[dict]:
    """Each run's interventions (``{"A": [...], "B": [...]}``) as dashed markers for LineChart.

    A marker has the run's colour (and its name in compare mode); an
    intervention both runs have is one grey marker. The chart shows a marker
    once the curves reach its day.
    """
    found: dict[tuple[int, str], tuple[Intervention, list[str]]] = {}
    for name, items in interventions.items():
        for item in items:
            found.setdefault((item.day, item.note), (item, []))[1].append(name)
    marks = []
    compare = len(interventions) > 1
    for key in sorted(found):
        item, names = found[key]
        shared = compare and len(names) == len(interventions)
        text = (
            intervention_label(item, characters=MARK_CHARACTERS)
            if item.note.strip()
            else app_text("intervention_day", lang, day=item.day)
        )
        marks.append(
            {
                "x": item.day,
                "label": f"{names[0]}: {text}" if compare and not shared else text,
                "title": item.note or text,
                "color": SHARED_MARK if shared else RUN_STYLE[names[0]][0],
            }
        )
    return marks


def metric_name(metric: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A metric's title on cards and curves: its code spelt out in English, the table's in Chinese."""
    english = metric.replace("_", " ").replace("per 1k", "per 1,000")
    return shown("metric", metric, lang, english=english)


@solara.component
def MetricPlots(
    *,
    series: dict[str, pd.DataFrame],
    interventions: dict[str, Sequence[Intervention]] | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> solara.Element:
    """The key outcome metrics over time, one small chart each; A solid, B dashed; the
    interventions of each run's scenario as dashed vertical markers."""
    marks = curve_marks(interventions or {}, lang=lang)
    with solara.Row(style={"flex-wrap": "wrap", "gap": "8px"}) as row:
        for metric, unit in KEY_METRICS.items():
            with solara.Div(style={"width": "320px"}):
                curves = curve_series(series, metric, lang=lang)
                LineChart(
                    title=metric_name(metric, lang),
                    unit=label("unit", unit, lang),
                    series=curves,
                    marks=marks,
                )
    return row


def format_value(value: float, unit: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A metric value for a card: shares as percentages, other values with one decimal."""
    if value is None or not math.isfinite(value):
        return label("term", "not_available", lang)
    return f"{value:.1%}" if unit == "share" else f"{value:,.1f}"


def table_value(
    value: float, metric: str, *, difference: bool = False, lang: str = DEFAULT_LANGUAGE
) -> str:
    """A value in a table, as the cards show it: shares in percent (differences in percentage
    points), other metrics to 4 significant digits, as in every report table."""
    if value is None or not math.isfinite(value):
        return label("term", "not_available", lang)
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
                        prefix + format_value(values[metric], unit, lang),
                        style={"font-size": "20px", "font-weight": "600", "display": "block"},
                        classes=[f"govsim-kpi-{metric}"],
                    )
                solara.Text(label("unit", unit, lang), style={"font-size": "11px", "color": "#777"})
    return row


def year_name(year: int, days: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """``Year 2``, or ``Year 2 (so far, 40 days)`` while the year is not complete."""
    if days >= 365:
        return app_text("year", lang, n=year)
    return app_text("year_so_far", lang, n=year, days=days)


@solara.component
def YearTable(*, years: dict[str, pd.DataFrame], lang: str = DEFAULT_LANGUAGE) -> solara.Element:
    """The key metrics of each simulated year so far (``{"A": run.years(), ...}``), as the cards
    show them: a row per year (and policy, in compare mode)."""
    compare = len(years) > 1
    first = f"| {app_text('policy_column', lang)} " if compare else ""
    names = " | ".join(metric_name(metric, lang) for metric in KEY_METRICS)
    lines = [f"{first}| | {names} |", "|---" * (compare + 1) + "|---:" * len(KEY_METRICS) + "|"]
    rows = [(name, row) for name, table in years.items() for row in table.itertuples(index=False)]
    for name, row in sorted(rows, key=lambda item: (item[1].year, item[0])):
        values = " | ".join(format_value(getattr(row, m), u) for m, u in KEY_METRICS.items())
        policy = f"| {name} " if compare else ""
        lines.append(f"{policy}| {year_name(row.year, row.days, lang)} | {values} |")
    with solara.Div(classes=["govsim-years"]) as div:
        solara.Markdown(f"**{app_text('by_year', lang)}**")
        if len(lines) > 2:
            solara.Markdown("\n".join(lines))
    return div


@solara.component
def DifferencesTable(*, differences: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> solara.Element:
    """Each metric for A and B and B - A (same seed: common random numbers)."""
    lines = [f"| {label('term', 'metric', lang)} | A | B | B - A |", "|---|---:|---:|---:|"]
    for row in differences.itertuples(index=False):
        a, b = (table_value(v, row.metric, lang=lang) for v in (row.A, row.B))
        diff = table_value(row[3], row.metric, difference=True, lang=lang)
        name = shown("metric", row.metric, lang, english=row.metric)
        lines.append(f"| {name} | {a} | {b} | {diff} |")
    with solara.Div(classes=["govsim-differences"]) as div:
        solara.Markdown("\n".join(lines))
        solara.Text(
            app_text("differences_note", lang, n=len(METRICS)),
            style={"font-size": "12px", "color": "#666"},
        )
    return div


@solara.component
def CostTable(*, costs: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> solara.Element:
    """Compare mode: cases a year under A and B, averted by B, and the cost per case averted."""
    change = costs["cost_change_wan_yuan"].iloc[0]
    lines = [
        f"| {label('term', 'case', lang)} | A | B | {app_text('averted', lang)} | "
        f"{app_text('cost_per_case', lang)} |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in costs.itertuples(index=False):
        per = (
            f"{row.cost_per_case_wan_yuan:,.1f}" if np.isfinite(row.cost_per_case_wan_yuan) else "–"
        )
        lines.append(
            f"| {label('term', 'case_' + row.case, lang)} | {row.A:,.0f} | {row.B:,.0f} | "
            f"{row.averted:+,.0f} | {per} |"
        )
    with solara.Div(classes=["govsim-costs"]) as div:
        solara.Markdown("\n".join(lines))
        solara.Text(
            app_text("costs_note", lang, change=f"{change:+,.0f}"),
            style={"font-size": "12px", "color": "#666"},
        )
    return div


def flow_png(flows: pd.DataFrame, *, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The flow picture of the report (:func:`sim.output.flow.flow_figure`) as a PNG."""
    import io

    from sim.output.flow import flow_figure

    buffer = io.BytesIO()
    flow_figure(flows, lang=lang).savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


FLOW_EVERY = 10  # while a run plays, the flow picture is drawn again every this many days


@solara.component
def FlowPicture(
    *, session: Session, day: int, playing: bool = False, lang: str = DEFAULT_LANGUAGE
) -> solara.Element:
    """Where the cases of the measured days so far stand: arisen, detected, settled at each
    rung, passed up, incidents, dropped, still open; A beside B in compare mode. Drawing takes
    a good part of a second, so it is drawn in a thread of its own (the page shows the last
    picture meanwhile, and the buttons answer at once), and while the run plays it is drawn
    every :data:`FLOW_EVERY` days."""
    shown_day = day - day % FLOW_EVERY if playing else day
    flows = solara.use_memo(session.flows, [session, shown_day])
    last = solara.use_ref(cast(bytes | None, None))

    def draw() -> bytes | None:
        return flow_png(flows, lang=lang) if flows["mean"].notna().any() else None

    drawing = solara.use_thread(
        draw, dependencies=[session, shown_day, lang], intrusive_cancel=False
    )
    if drawing.state == solara.ResultState.FINISHED:
        last.current = drawing.value
    png = last.current if shown_day > 0 else None
    with solara.Div(classes=["govsim-flow"], style={"max-width": "720px"}) as div:
        if png is not None:
            solara.Image(png, classes=["govsim-flow-picture"])
        solara.Text(app_text("flow_note", lang), style={"font-size": "12px", "color": "#666"})
    return div
