"""The app's page: controls, run buttons, KPI cards, years, the flow of the cases through the
ladder, live map(s), curves, differences (and how sure over plausible parameter sets), exports."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import cast

import solara

from sim.labels import translate
from sim.output.figures import shared_limits
from sim.viz.controls import PolicyControls, one_line
from sim.viz.language import DEFAULT_LANGUAGE, LANGUAGES, app_text
from sim.viz.map import GridDetails, GridMap, PlaceDetails, map_metric_name
from sim.viz.plausible import DEFAULT_DAYS, PlausibleSets
from sim.viz.plots import (
    CostTable,
    DifferencesTable,
    FlowPicture,
    KpiCards,
    MetricPlots,
    YearTable,
)
from sim.viz.search import StudyPicker
from sim.viz.session import MAP_METRICS, Policy, Session, csv_bytes
from sim.viz.shapes import shapes_for

REDRAW_SECONDS = 0.25  # while playing, redraw at most this often (steps in between are batched)
SPEEDS = (1, 2, 5, 10, 20, 50)  # days per second


def play_loop(
    *,
    session: Session,
    speed: int,
    cancel: threading.Event,
    redraw: Callable[[], None],
    drawn: threading.Event,
    paused: threading.Event | None = None,
) -> None:
    """Step ``session`` at ``speed`` days a second until ``cancel`` or ``paused`` (set by the Pause
    button itself, so the run stops at once, not when the page has drawn the click). Redraw at
    most every 0.25 s, and only once the page has shown the last redraw (``drawn`` is set): on a
    slow or busy machine redraws never queue up behind the page."""
    last = time.perf_counter()
    while not cancel.is_set() and not (paused is not None and paused.is_set()):
        started = time.perf_counter()
        session.step(1)
        if drawn.is_set() and time.perf_counter() - last >= REDRAW_SECONDS:
            drawn.clear()
            redraw()
            last = time.perf_counter()
        cancel.wait(max(0.0, 1.0 / speed - (time.perf_counter() - started)))
    redraw()


@solara.component
def RunButtons(
    *,
    session: Session,
    day: int,
    playing: solara.Reactive[bool],
    speed: solara.Reactive[int],
    redraw: Callable[[], None],
    on_reset: Callable[[], None],
    on_pause: Callable[[], None] = lambda: None,
    lang: str = DEFAULT_LANGUAGE,
) -> solara.Element:
    """Step, run 30 days, play/pause, speed, reset, and the ``day`` reached. A step that fails
    says so in one line under the buttons; the page and the days run stay. Pause calls
    ``on_pause`` before the page is drawn again."""
    failed, set_failed = solara.use_state("")

    def play_or_pause() -> None:
        if playing.value:
            on_pause()
        playing.set(not playing.value)

    def step(days: int) -> None:
        try:
            session.step(days)
        except Exception as exc:  # the error boundary of a step: one line, never a traceback
            set_failed(one_line(exc))
        else:
            set_failed("")
        redraw()

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}) as row:
        solara.Button(
            app_text("step", lang),
            on_click=lambda: step(1),
            disabled=playing.value,
            color="primary",
        )
        solara.Button(app_text("run_30", lang), on_click=lambda: step(30), disabled=playing.value)
        solara.Button(
            app_text("pause" if playing.value else "play", lang),
            on_click=play_or_pause,
            icon_name="mdi-pause" if playing.value else "mdi-play",
        )
        solara.ToggleButtonsSingle(value=speed, values=list(SPEEDS))
        solara.Text(app_text("days_per_second", lang))
        solara.Button(app_text("reset", lang), on_click=on_reset, icon_name="mdi-restart")
        solara.Text(
            app_text("day", lang, day=day), classes=["govsim-day"], style={"font-size": "20px"}
        )
        if failed:
            solara.Error(translate(failed, lang), classes=["govsim-run-error"])
    return row


@solara.component
def Exports(*, session: Session, metric: str, lang: str = DEFAULT_LANGUAGE) -> solara.Element:
    """Downloads: the summary and the daily series as CSV, each map as PNG."""
    with solara.Row(style={"flex-wrap": "wrap"}) as row:
        solara.FileDownload(
            lambda: csv_bytes(session.summary()),
            filename="govsim-summary.csv",
            label=app_text("summary_csv", lang),
            mime_type="text/csv",
        )
        solara.FileDownload(
            lambda: csv_bytes(session.timeseries()),
            filename="govsim-timeseries.csv",
            label=app_text("timeseries_csv", lang),
            mime_type="text/csv",
        )
        for i, run in enumerate(session.runs):
            solara.FileDownload(
                lambda i=i: session.map_png(metric, run=i),
                filename=f"govsim-map-{run.name}.png",
                label=app_text("map_png", lang, name=run.name),
                mime_type="image/png",
            )
    return row


@solara.component
def Maps(
    *, session: Session, metric: str, version: int, lang: str = DEFAULT_LANGUAGE
) -> solara.Element:
    """One map per run, on a shared colour scale, and the figures of the clicked grid."""
    selected, set_selected = solara.use_state(-1)
    shapes = shapes_for(session.geography)
    grids = [run.grids() for run in session.runs]
    limits = shared_limits([g[metric] for g in grids])
    with solara.Column() as column:
        with solara.Row(style={"flex-wrap": "wrap"}):
            for run, values in zip(session.runs, grids, strict=True):
                with solara.Div(style={"flex": "1 1 420px", "min-width": "320px"}):
                    GridMap(
                        shapes=shapes,
                        values=values[metric],
                        metric=metric,
                        limits=limits,
                        title=app_text(
                            "map_title",
                            lang,
                            name=run.name,
                            scenario=run.scenario.name,
                            day=run.day,
                        ),
                        day=run.day,
                        selected=selected,
                        on_select=set_selected,
                        lang=lang,
                    )
        solara.Text(
            app_text("map_label", lang),
            style={"font-size": "11px", "color": "#666"},
            classes=["govsim-map-label"],
        )
        if 0 <= selected < len(shapes.grid_names):
            for run, values in zip(session.runs, grids, strict=True):
                figures = {k: float(values[k][selected]) for k in MAP_METRICS}
                name = app_text(
                    "grid_of_policy", lang, grid=shapes.names(lang)[selected], name=run.name
                )
                GridDetails(name=name, figures=figures, lang=lang)
                geo = session.geography
                village = geo.grid_village[selected]
                shown_name = (
                    geo.village_names_zh[village] if lang == "zh" else ""
                ) or geo.village_names[village]
                PlaceDetails(
                    name=app_text("place_of_policy", lang, village=shown_name, name=run.name),
                    figures=run.places(selected),
                    lang=lang,
                )
    return column


@solara.component
def LanguageSwitch(*, lang: solara.Reactive[str]) -> solara.Element:
    """English or Chinese: changes only what is shown, never the runs (nor a run that plays)."""
    with solara.ToggleButtonsSingle(value=lang, dense=True, classes=["govsim-language"]) as toggle:
        for code, name in LANGUAGES.items():
            solara.Button(name, value=code, text=True)
    return toggle


@solara.component
def Page() -> None:
    """The whole app: sidebar (language switch, compare, policy controls), title and main column."""
    policy_a = solara.use_reactive(Policy())
    policy_b = solara.use_reactive(Policy())
    compare = solara.use_reactive(False)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(5)
    metric = solara.use_reactive("open_disputes")
    lang = solara.use_reactive(DEFAULT_LANGUAGE)  # not a dependency of the session below
    resets, set_resets = solara.use_state(0)
    version, set_version = solara.use_state(0)

    last = solara.use_ref(cast(Session | None, None))  # the last session that could be built

    def build() -> tuple[Session | None, str]:
        policies = [policy_a.value, policy_b.value] if compare.value else [policy_a.value]
        try:
            return Session(policies), ""
        except Exception as exc:  # the error boundary of a run: one line, never a traceback
            return None, one_line(exc)

    built, problem = solara.use_memo(build, [policy_a.value, policy_b.value, compare.value, resets])
    if built is not None:
        last.current = built
    session = last.current or Session([Policy()])

    drawn = solara.use_memo(threading.Event, [])  # set once the page shows the last redraw
    paused = solara.use_memo(threading.Event, [])  # set by the Pause button
    solara.use_effect(drawn.set, [version])

    def redraw() -> None:
        set_version(lambda v: v + 1)

    def loop(cancel: threading.Event) -> None:
        if playing.value:
            paused.clear()
            try:
                play_loop(
                    session=session,
                    speed=speed.value,
                    cancel=cancel,
                    redraw=redraw,
                    drawn=drawn,
                    paused=paused,
                )
            except Exception:  # a failing day stops the play; Step then says why in one line
                playing.set(False)

    solara.use_thread(
        loop, dependencies=[playing.value, speed.value, session], intrusive_cancel=False
    )

    def reset() -> None:
        playing.set(False)
        set_resets(resets + 1)

    def set_compare(on: bool) -> None:
        playing.set(False)
        if on:
            policy_b.set(replace(policy_a.value))
        compare.set(on)

    def run_plan(a: Policy, b: Policy) -> None:  # a trial of a policy search, clicked
        playing.set(False)
        policy_a.set(a)
        policy_b.set(b)
        compare.set(True)

    language = lang.value
    solara.Title(app_text("title", language))
    with solara.AppBarTitle():
        solara.Text(app_text("title", language))
    with solara.Sidebar():
        LanguageSwitch(lang=lang)
        solara.Switch(
            label=app_text("compare", language), value=compare.value, on_value=set_compare
        )
        PolicyControls(name="A", policy=policy_a.value, on_policy=policy_a.set, lang=language)
        if compare.value:
            PolicyControls(name="B", policy=policy_b.value, on_policy=policy_b.set, lang=language)
        StudyPicker(like=policy_a.value, on_policies=run_plan, lang=language).key("study")
    with solara.Column(style={"padding": "8px"}):
        solara.Markdown(app_text("intro", language))
        if problem:
            solara.Error(translate(problem, language), classes=["govsim-run-error"])
        RunButtons(
            session=session,
            day=session.day,
            playing=playing,
            speed=speed,
            redraw=redraw,
            on_reset=reset,
            on_pause=paused.set,
            lang=language,
        )
        current = {run.name: run.current() for run in session.runs}
        KpiCards(current=current, lang=language)
        YearTable(years={run.name: run.years() for run in session.runs}, lang=language)
        FlowPicture(session=session, day=session.day, playing=playing.value, lang=language)
        names = {map_metric_name(key, language): key for key in MAP_METRICS}
        solara.Select(
            label=app_text("map_colour", language),
            value=map_metric_name(metric.value, language),
            values=list(names),
            on_value=lambda name: metric.set(names[name]),
        )
        Maps(session=session, metric=metric.value, version=version, lang=language)
        MetricPlots(
            series={run.name: run.series() for run in session.runs},
            interventions={run.name: run.interventions for run in session.runs},
            lang=language,
        )
        if compare.value:
            solara.Markdown("### " + app_text("differences", language))
            DifferencesTable(differences=session.differences(), lang=language)
            CostTable(costs=session.costs(), lang=language)
            PlausibleSets(
                policies=(policy_a.value, policy_b.value),
                days=session.day or DEFAULT_DAYS,
                lang=language,
            )
        Exports(session=session, metric=metric.value, lang=language)
