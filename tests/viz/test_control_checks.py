"""The app's controls offer only values that can run, and refuse a bad value where it is typed.

The three cases of the issue: the trust-room slider dragged to 1000 on a map of 234 units,
``{Huicheng = -600}`` in the change of a town's grid workers, ``{Muzhou = -900}`` in the
change of a town's Yi Police. The refusal is the model's own (the scenario resolved with the
map), shown in one line under the control, in the chosen language; the policy does not change.
"""

from __future__ import annotations

import re

import ipyvuetify as v
import pytest
import solara

from sim.model.geography import load_geography
from sim.model.parameters import SCHEMA
from sim.viz.controls import PolicyControls, choice_name, map_bounds, one_line, widget_kind
from sim.viz.session import Policy

UNITS = load_geography().n_villages  # 234 on the shipped map


def _controls(lang: str = "en"):
    changed: list[Policy] = []
    box, rc = solara.render(
        PolicyControls(name="A", policy=Policy(), on_policy=changed.append, lang=lang)
    )
    return changed, box, rc


def _with_class(rc, name: str) -> list:
    return [
        w for w in _descendants(rc.container) if isinstance(w, v.Html) and name in w.class_.split()
    ]


def _errors(rc) -> list[str]:
    return [w.children[0] for w in _with_class(rc, "govsim-control-error")]


def _control(rc, key: str, widget: type):
    [control] = _with_class(rc, f"govsim-control-{key.replace('.', '-')}")
    [found] = [w for w in _descendants(control) if isinstance(w, widget)]
    return found


def _descendants(widget) -> list:
    children = [c for c in getattr(widget, "children", []) if not isinstance(c, str)]
    return children + [d for c in children for d in _descendants(c)]


def _field(rc, key: str):
    return _control(rc, key, v.TextField)


def test_the_trust_room_slider_ends_at_the_maps_units():
    assert map_bounds(Policy().params()) == {"mediation.trust_rooms": UNITS}
    assert SCHEMA["mediation.trust_rooms"].high > UNITS
    changed, box, rc = _controls()
    slider = _control(rc, "mediation.trust_rooms", v.Slider)
    assert (slider.min, slider.max) == (0, UNITS)
    assert f"0-{UNITS})" in repr(box)
    slider.v_model = UNITS  # the end of the slider can run
    assert changed and changed[-1].overrides["mediation.trust_rooms"] == UNITS
    assert _errors(rc) == []


def test_a_change_leaving_a_town_fewer_than_no_grid_workers_is_refused_under_the_control():
    changed, _box, rc = _controls()
    field = _field(rc, "grid_workers.add")
    field.v_model = "{Huicheng = -600}"
    field.fire_event("keyup.enter")
    assert changed == []  # the run is not restarted with it
    [error] = _errors(rc)
    assert error.startswith("grid_workers.add.Huicheng: -600 would leave Huicheng")
    assert "Traceback" not in error and "--set" not in error
    field.v_model = "{Huicheng = 60}"  # a value that can run clears the message
    field.fire_event("keyup.enter")
    assert changed[-1].overrides["grid_workers.add"] == {"Huicheng": 60}
    assert _errors(rc) == []


def test_a_change_leaving_a_town_fewer_than_no_yi_police_is_refused_in_chinese():
    changed, _box, rc = _controls("zh")
    field = _field(rc, "volunteer_police.add")
    field.v_model = "{Muzhou = -900}"
    field.fire_event("keyup.enter")
    assert changed == []
    [error] = _errors(rc)
    assert "volunteer_police.add.Muzhou" in error and "将使" in error and "义警" in error


@pytest.mark.parametrize(("lang", "words"), [("en", "changes no staff in the simulated towns"),
                                              ("zh", "未改变所模拟各镇的任何人员")])  # fmt: skip
def test_trust_rooms_that_muzhou_alone_cannot_have_are_refused_under_the_slider(lang, words):
    changed: list[Policy] = []
    _box, rc = solara.render(PolicyControls(name="A", policy=Policy(scenario="muzhou", overrides={}),
                                            on_policy=changed.append, lang=lang))  # fmt: skip
    slider = _control(rc, "mediation.trust_rooms", v.Slider)
    slider.v_model = 16  # Muzhou's villages have their 15: the 16th room is in another town
    assert changed == []
    [error] = _errors(rc)
    assert error.startswith("mediation.trust_rooms: 16") and words in error
    slider.v_model = 12  # three fewer in Muzhou: that runs
    assert changed[-1].overrides["mediation.trust_rooms"] == 12 and _errors(rc) == []


def test_one_line_is_the_first_line_of_a_message():
    assert one_line(ValueError("first\nsecond")) == "first"
    assert one_line(KeyError()) == "KeyError"


# ------------------------------------------------- staffing refusals in the chosen language
TOWNS = set(load_geography().town_names)
KEEP = {"TOML", "CSV", "UTF", "NBS", "Excel", "govsim", "plan"}  # names, not words to translate


def english_left(message: str) -> list[str]:
    """The English words of ``message`` once its keys, values, files and names are set aside."""
    for town in TOWNS:
        message = message.replace(town, " ")
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\{[^}]*\}|\S*/\S*", " ", message)  # values, files
    text = re.sub(r"[\w.]*[._\[][\w.\[\]]*", " ", text)  # keys: staffing.plan, add.Muzhou[0]
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in KEEP]


@pytest.fixture(scope="module")
def plan_csv(tmp_path_factory) -> str:
    from sim.model.mapcheck import plan_of
    from sim.model.parameters import resolve
    from sim.model.planfile import write_plan

    plan, geo = plan_of(resolve({}), 1)
    path = tmp_path_factory.mktemp("plan") / "plan.csv"
    write_plan(plan, geo, path)
    return str(path)


STAFFING_REFUSALS = [
    # (the policy, the control, the value set or typed, words the Chinese line holds)
    ({"staffing.plan": "PLAN"}, "grid_workers.total", 3000, "二者只能给出其一"),
    ({"staffing.plan": "PLAN"}, "mediation.trust_rooms", 5, "取代 mediation.trust_rooms"),
    ({"staffing.plan": "PLAN"}, "grid_workers.add", "{Muzhou = 5}", "已给出每个单位的人员"),
    ({"staffing.plan": "PLAN"}, "police.village_offices", "all", "二者只能给出其一"),
    ({"map.towns": ["Muzhou"]}, "grid_workers.add", "{Huicheng = 5}", "Huicheng 不在模拟范围内"),
    ({"map.towns": ["Muzhou"]}, "volunteer_police.add", "{Daze = 5}", "Daze 不在模拟范围内"),
    ({"map.towns": ["Muzhou"]}, "police.village_offices", "only:Daze", "不在模拟的镇（街）中"),
    ({}, "grid_workers.add", "{Huicheng = -600}", "将使 Huicheng 的网格员变为 -31"),
    ({}, "volunteer_police.add", "{Muzhou = -900}", "将使 Muzhou 的义警变为 -100（现有 800）"),
    ({}, "grid_workers.add", "{Nowhere = 5}", "未知的镇（街）"),
    ({}, "grid_workers.add", "{Muzhou = 5", "应为 TOML 值"),
    (
        {"mediation.trust_room_villages": ["Muzhou/Nanan Village", "Muzhou/Muzhou Community"]},
        "mediation.trust_rooms",
        1,
        "少于 mediation.trust_room_villages 中列出的 2 个村",
    ),
]


@pytest.mark.parametrize(("base", "key", "value", "words"), STAFFING_REFUSALS)
def test_a_refused_staffing_setting_or_plan_is_said_in_chinese(plan_csv, base, key, value, words):
    base = {k: plan_csv if v == "PLAN" else v for k, v in base.items()}
    changed: list[Policy] = []
    _box, rc = solara.render(
        PolicyControls(name="A", policy=Policy(overrides=base), on_policy=changed.append, lang="zh")
    )
    kind = widget_kind(SCHEMA[key])
    if kind == "slider":
        _control(rc, key, v.Slider).v_model = value
    elif kind == "towns":  # chosen by its shown name
        _control(rc, key, v.Select).v_model = choice_name(value, "zh")
    else:  # typed in: a place's TOML, or a number
        field = _field(rc, key)
        field.v_model = str(value)
        field.fire_event("keyup.enter")
    assert changed == []
    [error] = _errors(rc)
    assert words in error, error
    assert not english_left(error), (english_left(error), error)


def test_a_staffing_plan_that_cannot_be_read_is_said_in_chinese(tmp_path, plan_csv):
    """The policy itself (a search's plan) does not resolve: the card says why, in Chinese."""
    import pandas as pd

    table = pd.read_csv(plan_csv, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    semicolons = tmp_path / "excel.csv"
    table.to_csv(semicolons, sep=";", index=False, encoding="utf-8-sig")
    table.loc[0, "grid_workers"] = "1e20"
    huge = tmp_path / "huge.csv"
    table.to_csv(huge, index=False, encoding="utf-8-sig")
    for path, words in [(semicolons, "文件似乎以分号分隔"), (huge, "应为 0 至 50,000 之间的整数")]:
        box, _rc = solara.render(
            PolicyControls(
                name="A",
                policy=Policy(overrides={"staffing.plan": str(path)}),
                on_policy=lambda _: None,
                lang="zh",
            )
        )
        [error] = [w for w in _descendants(box) if isinstance(w, v.Alert)] or [None]
        text = error.children[0] if error is not None else repr(box)
        assert words in text, text
        assert not english_left(text), (english_left(text), text)


def test_english_left_finds_the_words_a_translation_missed():
    assert english_left("grid_workers.add.Huicheng: -600 将使 Huicheng with -31 网格员") == ["with"]
    assert english_left("staffing.plan: /tmp/x/p.csv: 第 2 行: 'Daze' 超出范围 [0, 5]") == []


def test_a_seed_no_run_takes_is_refused_under_the_field_not_ignored():
    """A negative seed was once dropped without a word (the run kept its old seed)."""
    changed, _box, rc = _controls("zh")
    field = _field(rc, "seed")
    for typed in ("-5", str(2**63)):
        field.v_model = typed
        field.fire_event("keyup.enter")
        assert changed == []
        [error] = _errors(rc)
        assert error.startswith("seed: 必须是 0 到 2**63 - 1 之间的整数"), error
    field.v_model = "7"
    field.fire_event("keyup.enter")
    assert changed[-1].seed == 7 and _errors(rc) == []
