"""The app's controls offer only values that can run, and refuse a bad value where it is typed.

The three cases of the issue: the trust-room slider dragged to 1000 on a map of 234 units,
``{Huicheng = -600}`` in the change of a town's grid workers, ``{Muzhou = -900}`` in the
change of a town's Yi Police. The refusal is the model's own (the scenario resolved with the
map), shown in one line under the control, in the chosen language; the policy does not change.
"""

from __future__ import annotations

import ipyvuetify as v
import solara

from sim.model.geography import load_geography
from sim.model.parameters import SCHEMA
from sim.viz.controls import PolicyControls, map_bounds, one_line
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


def test_one_line_is_the_first_line_of_a_message():
    assert one_line(ValueError("first\nsecond")) == "first"
    assert one_line(KeyError()) == "KeyError"
