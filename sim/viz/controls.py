"""Policy controls generated from the parameter schema (labels, bounds, choices, defaults).

Nothing here repeats a default or a bound: a control shows the value of the
chosen scenario (defaults from :data:`sim.model.parameters.SCHEMA`, overridden by
the scenario file and the user's changes), its range is the schema's
``low``..``high``, narrowed by the map where the map bounds a count
(:func:`map_bounds`), and every value is checked where it is typed: by
``Parameter.check``, then the whole policy as a run would resolve it (the
scenario, the map: :func:`sim.model.mapcheck.check_against_map`), so the
app refuses what the command line refuses. A refused value never reaches the
run; its one-line reason shows under the control, in the chosen language. In
Chinese a control's name and its choices come from the label table; the
values sent to the model are always the schema's codes.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import solara

from sim.labels import label as table_label
from sim.labels import translate
from sim.model.geography import load_district_table, load_geography
from sim.model.mapcheck import check_reaches_simulated
from sim.model.mapfile import MapDataError
from sim.model.parameters import (
    PLACE_LIST,
    SCHEMA,
    TOWN_AMOUNTS,
    TOWN_COUNTS,
    TOWN_LIST,
    Parameter,
    ParameterError,
)
from sim.model.places import Places
from sim.model.streams import MAX_SEED
from sim.runs.scenario import ScenarioError, list_scenarios, load_scenario
from sim.viz.language import DEFAULT_LANGUAGE, app_text, shown
from sim.viz.session import Policy

# The levers shown in the app, in this order (design section 5 keys).
CONTROL_KEYS: tuple[str, ...] = (
    "grid_workers.total",
    "grid_workers.allocation",
    "grid_workers.add",
    "volunteer_police.total",
    "volunteer_police.towns",
    "volunteer_police.add",
    "police.village_offices",
    "mediation.trust_rooms",
    "mediation.trust_room_rule",
    "mediation.trust_room_villages",
    "mediation.three_tuning",
    "petition.supermarket",
    "map.towns",
    "population.scale",
    "run.warmup_days",
)
# A town list is chosen among whole-district options (by code); each value is valid for the schema.
# "only:TOWN" is each town of the district table alone.
TOWN_CHOICES: dict[str, Any] = {
    "all": "all",
    **{f"only:{town.name}": [town.name] for town in load_district_table()},
    "none": "none",
}
NO_NONE = {"map.towns"}  # a map needs at least one town
SLIDER_MAX_SPAN = 2000  # integer ranges up to this wide get a slider; wider ones a number field


def label(p: Parameter, lang: str = DEFAULT_LANGUAGE, *, high: float | None = None) -> str:
    """The control's label: the schema's doc (the table's name in Chinese), unit and range
    (up to ``high`` when the map bounds it below the schema's)."""
    bounds = ""
    top = p.high if high is None else high
    if p.low is not None and top is not None:
        bounds = f", {p.low:g}-{top:g}"
    return f"{shown('parameter', p.key, lang, english=p.doc)} ({table_label('unit', p.unit, lang)}{bounds})"


def choice_name(code: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A choice as shown: the code in English (the app's caption for a town alone), else its label."""
    if code.startswith("only:"):
        return app_text(
            "town_only", lang, town=table_label("town", code.removeprefix("only:"), lang)
        )
    return shown("choice", code, lang, english=code)


def town_choices(key: str, value: Any, lang: str = DEFAULT_LANGUAGE) -> tuple[dict[str, Any], str]:
    """The options of a town-list control, ``{shown name: schema value}``, and the one of ``value``.

    A list other than the choices is an option of its own, shown as its town names.
    """
    options = {
        choice_name(code, lang): choice
        for code, choice in TOWN_CHOICES.items()
        if not (key in NO_NONE and code == "none")
    }
    for name, choice in options.items():
        if choice == value:
            return options, name
    if isinstance(value, list):
        name = ", ".join(table_label("town", town, lang) for town in value)
    else:
        name = str(value)
    return options | {name: value}, name


def place_text(value: Any) -> str:
    """A place-based value as typed in its control: TOML, ``{Huicheng = 200}`` or ``["沙堆社区"]``."""
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {v}" for k, v in value.items())
            + "}"
        )
    return json.dumps(value, ensure_ascii=False)


def read_place_text(key: str, text: str) -> Any:
    """The value typed in a place control, checked by the schema and against the map's names."""
    try:
        value = tomllib.loads(f"v = {text.strip() or '{}'}")["v"]
    except tomllib.TOMLDecodeError:
        raise ParameterError(
            f'{key}: expected TOML such as {{Huicheng = 200}} or ["沙堆社区"], got {text!r}'
        ) from None
    p = SCHEMA[key]
    if p.type_name == PLACE_LIST and value == {}:
        value = []
    value = p.check(value)
    places = Places(load_geography())
    if p.type_name == PLACE_LIST:
        places.units(value, key=key)
    else:
        places.town_table(value, key=key)
    return value


def map_bounds(params: dict[str, Any]) -> dict[str, int]:
    """The highest value of each count the map bounds, for the map of ``params``
    (``map.file``): trust rooms at most the map's villages and communities, as
    :func:`sim.model.mapcheck.check_against_map` checks them."""
    return {"mediation.trust_rooms": load_geography(params["map.file"] or None).n_villages}


def one_line(exc: BaseException) -> str:
    """An error as one line for the page: its message's first line, never a traceback."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


REFUSED = (ParameterError, ScenarioError, MapDataError, OSError, ValueError, KeyError, TypeError)


def widget_kind(p: Parameter) -> str:
    """Which control a parameter gets: switch, select, towns, places (a TOML value typed in,
    e.g. ``{Huicheng = 200}``), slider or number."""
    kind = p.type_name
    if kind == "bool":
        return "switch"
    if kind == TOWN_LIST:
        return "towns"
    if kind in (TOWN_COUNTS, TOWN_AMOUNTS, PLACE_LIST):
        return "places"
    if p.choices:
        return "select"
    if kind == "int" and p.low is not None and p.high is not None:
        return "slider" if p.high - p.low <= SLIDER_MAX_SPAN else "number"
    return "number"


def refusal_under_control(error: str, lang: str) -> None:
    """The reason a typed value is refused, under its control in the page's language (nothing
    when there is none)."""
    if error:
        solara.Text(
            translate(error, lang),
            classes=["govsim-control-error"],
            style={"color": "#b00020", "font-size": "12px"},
        )


@solara.component
def ParameterControl(
    *,
    key: str,
    value: Any,
    on_value: Callable[[str, Any], None],
    lang: str = DEFAULT_LANGUAGE,
    high: int | None = None,
) -> solara.Element:
    """One control for the schema parameter ``key``; calls ``on_value(key, value)`` when changed.

    ``high``: the map's bound on the value, when lower than the schema's (a slider ends
    there). A value the schema refuses, or that ``on_value`` refuses by raising (a
    :class:`ParameterError`: the whole policy does not resolve), is not passed on: its
    reason shows under the control, in ``lang``.
    """
    p = SCHEMA[key]
    error, set_error = solara.use_state("")
    kind = widget_kind(p)
    top = p.high if high is None or p.high is None else min(p.high, high)
    text = label(p, lang, high=top)

    def apply(read: Callable[[], Any]) -> None:
        try:
            on_value(key, read())
        except REFUSED as exc:  # refused where it is typed: one line, and the run goes on
            set_error(one_line(exc))
            return
        set_error("")

    def submit(new: Any) -> None:
        apply(lambda: p.check(new))

    with solara.Div(classes=["govsim-control", f"govsim-control-{key.replace('.', '-')}"]) as div:
        if kind == "switch":
            solara.Switch(label=text, value=bool(value), on_value=submit)
        elif kind == "select":
            codes = {choice_name(code, lang): code for code in p.choices or ()}
            solara.Select(
                label=text,
                value=choice_name(value, lang),
                values=list(codes),
                on_value=lambda name: submit(codes.get(name, name)),
            )
        elif kind == "towns":
            options, current = town_choices(key, value, lang)
            solara.Select(
                label=text,
                value=current,
                values=list(options),
                on_value=lambda name: submit(options.get(name, value)),
            )
        elif kind == "places":
            solara.InputText(
                label=text,
                value=place_text(value),
                on_value=lambda typed: apply(lambda: read_place_text(key, typed)),
            )
        elif kind == "slider" and p.low is not None and top is not None:
            solara.Text(f"{text}: {value}", style={"font-size": "12px", "color": "rgba(0,0,0,.6)"})
            solara.SliderInt(
                label="",
                value=int(value),
                min=int(p.low),
                max=int(top),
                on_value=submit,
                thumb_label=True,
            )
        elif p.type_name == "int":
            solara.InputInt(label=text, value=int(value), on_value=submit)
        else:
            solara.InputFloat(label=text, value=float(value), on_value=submit)
        refusal_under_control(error, lang)
    return div


@solara.component
def PolicyControls(
    *, name: str, policy: Policy, on_policy: Callable[[Policy], None], lang: str = DEFAULT_LANGUAGE
) -> solara.Element:
    """Scenario picker, the levers of :data:`CONTROL_KEYS` and the seed of one policy."""
    try:
        params = policy.params()
        problem = ""
    except ScenarioError as exc:  # the app has no --set: the key alone names the setting
        params, problem = {}, one_line(exc).removeprefix("--set ")

    def set_scenario(scenario: str) -> None:
        # Keep the interactive scale for the whole district; a town alone runs at its own scale.
        try:
            whole = load_scenario(scenario).params["map.towns"] == "all"
        except ScenarioError:
            whole = False  # the card says why the scenario cannot run
        keep = {k: v for k, v in policy.overrides.items() if k == "population.scale" and whole}
        on_policy(replace(policy, scenario=scenario, overrides=keep))

    def set_value(key: str, value: Any) -> None:
        """The policy with ``value``, if the whole policy resolves as a run would resolve it;
        else a :class:`ParameterError` naming the key, for the control to show."""
        changed = replace(policy, overrides=policy.overrides | {key: value})
        try:
            after = changed.resolved().params
        except ScenarioError as exc:
            raise ParameterError(one_line(exc).removeprefix("--set ")) from None
        if params:  # the policy as it was runs: a change of staff must reach a simulated unit
            check_reaches_simulated(params, after)
        on_policy(changed)

    def set_seed(seed: int) -> None:
        """A seed a run takes, else a :class:`ParameterError` for the control to show."""
        if not 0 <= seed <= MAX_SEED:
            raise ParameterError(f"seed: must be a whole number from 0 to 2**63 - 1, got {seed}")
        on_policy(replace(policy, seed=int(seed)))

    title = app_text("policy", lang, name=name)
    with solara.Card(title=title, classes=[f"govsim-policy-{name}"]) as card:
        solara.Select(
            label=table_label("term", "scenario", lang),
            value=policy.scenario,
            values=list_scenarios(),
            on_value=set_scenario,
        )
        if problem:
            solara.Error(translate(problem, lang))
        bounds = map_bounds(params) if params else {}
        for key in CONTROL_KEYS:
            if key in params:
                ParameterControl(
                    key=key,
                    value=params[key],
                    on_value=set_value,
                    lang=lang,
                    high=bounds.get(key),
                )
        SeedControl(seed=policy.seed, on_seed=set_seed, lang=lang)
    return card


@solara.component
def SeedControl(
    *, seed: int, on_seed: Callable[[int], None], lang: str = DEFAULT_LANGUAGE
) -> solara.Element:
    """The seed of a policy; a seed no run takes is refused under the field, in ``lang``."""
    error, set_error = solara.use_state("")

    def submit(value: int) -> None:
        try:
            on_seed(value)
        except ParameterError as exc:
            set_error(one_line(exc))
            return
        set_error("")

    with solara.Div(classes=["govsim-control", "govsim-control-seed"]) as div:
        solara.InputInt(label=app_text("seed", lang), value=seed, on_value=submit)
        refusal_under_control(error, lang)
    return div
