"""Scenario files: TOML under ``scenarios/``, checked against the parameter schema; and the
one writer of scenario files (:func:`scenario_toml`: a calibration's fitted values, a
search's plans).

A scenario file has a table per section of :mod:`sim.model.parameters`
(``[grid_workers]``, ``[petition]``, ...), ``[[interventions]]`` and
``[[events]]`` (see :mod:`sim.model.timeline`), and may ``extends = "baseline"``
another scenario, whose values it overrides (a file that lists interventions
or events replaces the parent's list). Unknown sections or keys, wrong types,
out-of-range values and ``extends`` cycles are errors that name the file and
the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sim.model.checks import one_line
from sim.model.files import read_text
from sim.model.geography import MapDataError, map_sha256
from sim.model.mapcheck import check_against_map
from sim.model.parameters import ParameterError, flatten, resolve
from sim.model.staffing import PLAN_REPLACES
from sim.model.takes_effect import plan_conflict
from sim.model.timeline import Timeline

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
TOP_LEVEL = {"extends", "description", "description_zh", "interventions", "events"}
FILE_KEYS = ("map.file", "staffing.plan")  # paths, relative to the scenario file that names them


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file, the key and the reason
    (always one line)."""

    def __init__(self, message: object = "") -> None:
        super().__init__(one_line(message))


@dataclass(frozen=True)
class Scenario:
    """A named, resolved set of parameters."""

    name: str
    path: Path | None
    params: dict[str, Any]  # every parameter, resolved
    overrides: dict[str, Any] = field(default_factory=dict)  # the settings in force
    description: str = ""
    timeline: Timeline = field(default_factory=Timeline)  # interventions and events
    description_zh: str = ""  # the description in Chinese ("" when the file has none)
    # what each layer sets: the files of the extends chain (the root first), then each
    # with_overrides (--set, a spec file's [settings]); ``overrides`` is what is in force
    layers: tuple[dict[str, Any], ...] = ()

    def title(self, lang: str = "en") -> str:
        """The description in ``lang``; in Chinese without one, the English one, marked
        ``[英文]`` so that a missing translation shows."""
        if lang == "zh":
            return self.description_zh or (f"[英文] {self.description}" if self.description else "")
        return self.description

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """The same scenario with ``--set``-style overrides applied and checked."""
        layers = (*(self.layers or (self.overrides,)), dict(overrides))
        try:
            merged = in_force(layers)
            params = resolve(merged)
            check_against_map(params, self.timeline)
        except (ParameterError, MapDataError) as exc:
            raise ScenarioError(f"--set {exc}") from None
        return replace(self, params=params, overrides=merged, layers=layers)

    @property
    def sha256(self) -> str:
        """A hash of the resolved parameters, the timeline and the map and plan files' bytes.

        The same hash means the same experiment, map and staffing plan included.
        """
        inputs = [self.params, self.timeline.to_dict(), map_sha256(self.params["map.file"])]
        plans = [self.params["staffing.plan"]]
        plans += [c.settings.get("staffing.plan", "") for c in self.timeline.interventions]
        for plan in filter(None, plans):  # the plans' bytes, an intervention's too
            inputs.append(hashlib.sha256(Path(plan).read_bytes()).hexdigest())
        text = json.dumps(inputs, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def in_force(layers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The settings in force from ``layers`` of settings, a later layer's value winning.

    The precedence of a staffing plan: ``staffing.plan`` replaces the staffing settings it
    replaces (:data:`~sim.model.staffing.PLAN_REPLACES`) that earlier layers set (a scenario
    it ``extends``, the scenario under a ``--set``), and they are no longer in force; one set
    in the same layer as the plan or later is refused, naming both.
    """
    merged: dict[str, Any] = {}
    set_at: dict[str, int] = {}
    for i, layer in enumerate(layers):
        merged |= layer
        set_at |= dict.fromkeys(layer, i)
    plan = merged.get("staffing.plan")
    if not plan:
        return merged
    for key in PLAN_REPLACES:
        if key in merged and set_at[key] >= set_at["staffing.plan"]:
            raise plan_conflict(key, merged[key], plan)
    return {k: v for k, v in merged.items() if k not in PLAN_REPLACES}


def scenario_path(name_or_path: str | Path, *, folder: Path = SCENARIO_DIR) -> Path:
    """A path as given, or the file of that name in ``folder`` (``scenarios/``)."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return path
    return folder / f"{name_or_path}.toml"


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped under ``scenarios/``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def read_toml(path: Path, *, what: str = "scenario file", hint: str = "") -> dict:
    """A TOML file's contents; a missing, unreadable or invalid file is a :class:`ScenarioError`."""
    text = read_text(path, what=what, error=ScenarioError, hint=hint)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: invalid TOML ({exc}){toml_hint(text, exc)}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: invalid TOML (nested too deeply)") from None


def toml_hint(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """The fix for a TOML error whose cause is a common slip: an unquoted Chinese (or other
    non-ASCII) name as a key, which TOML allows only in quotes."""
    found = re.search(r"line (\d+), column (\d+)", str(exc))
    lines = text.splitlines()
    if not found or not 1 <= int(found[1]) <= len(lines):
        return ""
    line = lines[int(found[1]) - 1]
    name = re.search(r"[^\x00-\x7f]+", line[max(int(found[2]) - 1, 0) :] or line)
    if not name:
        return ""
    bare = name[0].strip()
    example = line.strip() if len(line.strip()) <= 60 else f"{bare} = ..."
    quoted = example.replace(bare, f'"{bare}"', 1)
    return f"; quote Chinese names in TOML: {example} -> {quoted}"


def _read(path: Path) -> dict:
    return read_toml(path, hint=f" (known scenarios: {', '.join(list_scenarios())})")


def _flatten(path: Path, data: dict) -> dict[str, Any]:
    """A file's settings; a relative ``map.file`` or ``staffing.plan`` is taken from the file's folder."""
    try:
        settings = flatten({k: v for k, v in data.items() if k not in TOP_LEVEL})
    except ParameterError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    return with_paths_from(path.parent, settings)


def with_paths_from(folder: Path, settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` (dotted keys) with a relative ``map.file`` or ``staffing.plan`` taken from
    ``folder``, the folder of the file that names it."""
    found = dict(settings)
    for key in FILE_KEYS:
        file = found.get(key)
        if isinstance(file, str) and file and not Path(file).is_absolute():
            found[key] = str((Path(folder) / file).resolve())
    return found


def _entry_paths(path: Path, entries: Any) -> Any:
    """``[[interventions]]`` entries with their relative file settings taken from ``path``'s
    folder (entries that are not tables are left for the timeline's checks)."""
    if not isinstance(entries, list):
        return entries
    fixed = []
    for entry in entries:
        if isinstance(entry, dict):
            entry = dict(entry)
            for key in FILE_KEYS:
                section, name = key.split(".")
                table = entry.get(section)
                if isinstance(table, dict) and name in table:
                    entry[section] = with_paths_from(path.parent, {key: table[name]})
                    entry[section] = table | {name: entry[section][key]}
        fixed.append(entry)
    return fixed


def _parent_path(path: Path, parent: str) -> Path:
    """The file ``extends = parent`` names: a path from the file's folder, or a scenario name
    (a sibling file of that name, else the shipped scenario)."""
    if parent.endswith(".toml") or "/" in parent:
        return path.parent / parent
    sibling = path.parent / f"{parent}.toml"
    return sibling if sibling.is_file() else scenario_path(parent)


def _chain(path: Path, seen: tuple[Path, ...] = ()) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The settings of a file's ancestors and of the file (the root first), and the top-level
    entries (child wins)."""
    resolved = path.resolve()
    if resolved in seen:
        cycle = " -> ".join(p.stem for p in (*seen, resolved))
        raise ScenarioError(f"{path}: extends: cycle {cycle}")
    data = _read(path)
    parent = data.get("extends")
    layers: list[dict[str, Any]] = []
    top: dict[str, Any] = {}
    if parent is not None:
        if not isinstance(parent, str):
            raise ScenarioError(f"{path}: extends: expected a scenario name, got {parent!r}")
        parent_file = _parent_path(path, parent)
        if not parent_file.is_file():
            raise ScenarioError(
                f"{path}: extends: no scenario {parent!r} ({parent_file} is not a file; "
                f"known scenarios: {', '.join(list_scenarios())})"
            )
        layers, top = _chain(parent_file, (*seen, resolved))
        top.pop("description", None)  # a description speaks for its own file only
        top.pop("description_zh", None)
    for key in ("description", "description_zh", "interventions", "events"):
        if key in data:
            top[key] = data[key]
    if "interventions" in data:  # a plan file named in an intervention: from this file's folder
        top["interventions"] = _entry_paths(path, data["interventions"])
    return [*layers, _flatten(path, data)], top


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a scenario by name (``"baseline"``) or path, following ``extends``."""
    path = scenario_path(name_or_path)
    layers, top = _chain(path)
    description, description_zh = top.get("description", ""), top.get("description_zh", "")
    try:
        for key, text in (("description", description), ("description_zh", description_zh)):
            if not isinstance(text, str):
                raise ParameterError(f"{key}: expected a string, got {text!r}")
        overrides = in_force(layers)
        params = resolve(overrides)
        timeline = Timeline.parse(top.get("interventions", []), top.get("events", []))
        check_against_map(params, timeline)
    except (ParameterError, MapDataError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    return Scenario(
        path.stem,
        path,
        params,
        overrides,
        description,
        timeline,
        description_zh,
        layers=tuple(layers),
    )


def parse_sets(assignments: list[str]) -> dict[str, Any]:
    """The settings of every ``--set key=value`` (:func:`parse_set`); a key given twice is
    refused, since one of its values would be dropped without a word."""
    settings: dict[str, Any] = {}
    for key, value in map(parse_set, assignments):
        if key in settings:
            raise ScenarioError(
                f"--set {key}: given twice ({toml_value(settings[key])}, then "
                f"{toml_value(value)}); give it once"
            )
        settings[key] = value
    return settings


def parse_set(assignment: str) -> tuple[str, Any]:
    """``key=value`` from ``--set``: the value is read as TOML, or as a string if it is not valid TOML."""
    key, sep, text = assignment.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(f"--set {assignment!r}: expected key=value")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError as exc:
        if text.strip()[:1] in ("{", "[", '"', "'"):  # meant as TOML: say what is wrong
            hint = toml_hint(f"v = {text}", exc)
            reason = re.sub(r" \(at line \d+, column (\d+)\)", "", str(exc))
            raise ScenarioError(
                f"--set {key}: {text!r} is not a TOML value ({reason}){hint.replace('v = ', '')}"
            ) from None
        value = text
    except RecursionError:
        raise ScenarioError(f"--set {key}: the value is nested too deeply") from None
    return key, value


def toml_value(value: Any) -> str:
    """A setting's value as TOML (tables inline, names quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        items = ", ".join(
            f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in value.items()
        )
        return "{ " + items + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def scenario_toml(
    base: Scenario,
    settings: Mapping[str, Any],
    *,
    where: Path,
    description: str,
    comments: Sequence[str] = (),
) -> str:
    """A scenario file, to be written into the folder ``where``, that ``extends`` ``base`` with
    ``settings`` (dotted keys): ``govsim validate`` accepts it and it runs as ``base`` with
    ``settings`` does. ``base`` is named as a shipped scenario, or by its path from ``where``;
    ``comments`` open the file."""
    if base.path is not None and Path(base.path).resolve().parent != SCENARIO_DIR.resolve():
        parent = os.path.relpath(Path(base.path).resolve(), Path(where).resolve())
    else:
        parent = base.name
    sections: dict[str, list[str]] = {}
    for key, value in settings.items():
        section, name = key.split(".", 1)
        sections.setdefault(section, []).append(f"{name} = {toml_value(value)}")
    lines = [
        *(f"# {line}" for line in comments),
        f"description = {json.dumps(description, ensure_ascii=False)}",
        f"extends = {json.dumps(parent)}",
    ]
    for section, entries in sections.items():
        lines += ["", f"[{section}]", *entries]
    return "\n".join(lines) + "\n"
