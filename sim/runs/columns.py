"""What every column of every table govsim writes means: one declaration per column name.

A column name means one quantity in every file (``escalations`` in ``grids.csv``,
``villages.csv`` and ``towns.csv`` alike), so a name has one declaration: its type (a
Frictionless type: ``string``, ``integer``, ``number``, ``boolean``), its unit, and its meaning
in English and Chinese. The declarations come from three places, each the one source of its
kind of column:

- the outcome metrics (:data:`sim.model.metrics.METRICS`): their meaning, their Chinese label
  (``sim/data/labels.csv``) and a unit read from the name (``_per_1k``, ``_share``, ...);
- the parameters (:data:`sim.model.parameters.SCHEMA`, as sweeps and calibrations write
  them): their doc and unit;
- every other column, in ``sim/data/columns.csv`` (``name,type,unit,en,zh``); a name with
  ``{...}`` declares a family (``year {n}``, ``u:{key}``, ``param:{variable}``).

:func:`column` finds a name's declaration, or raises :class:`UndeclaredColumn`: a table with
a column nobody described is not written (:mod:`sim.runs.datafiles`).

>>> column("escalations").type, column("escalations").unit
('integer', 'cases')
>>> column("u:grid_workers.total").en
'position of grid_workers.total in its range, in the unit cube of the design'
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sim.labels import label
from sim.model.metrics import METRICS
from sim.model.parameters import SCHEMA

TYPES = ("string", "integer", "number", "boolean")


class UndeclaredColumn(KeyError):
    """A column name no declaration describes."""


@dataclass(frozen=True)
class Column:
    """A column's declaration: its name, Frictionless type, unit, and meaning in English and
    Chinese (``title``/``title_zh``: a short label)."""

    name: str
    type: str
    unit: str
    en: str
    zh: str
    title: str = ""
    title_zh: str = ""

    def field(self) -> dict[str, str]:
        """The column as a field of a Frictionless Table Schema (custom properties: ``unit``,
        ``unit_zh``, ``title_zh``, ``description_zh``)."""
        field = {
            "name": self.name,
            "type": self.type,
            "title": self.title or self.name,
            "title_zh": self.title_zh or self.zh,
            "description": self.en,
            "description_zh": self.zh,
        }
        if self.unit:
            field |= {"unit": self.unit, "unit_zh": label("unit", self.unit, "zh")}
        return field


def metric_unit(name: str) -> str:
    """The unit of an outcome metric, from the conventions of its name."""
    for suffix, unit in (
        ("_per_1k", "per 1,000 residents a year"),
        ("_per_10k", "per 10,000 residents a year"),
        ("_per_100k", "per 100,000 residents a year"),
        ("_wan_yuan", "wan yuan a year"),
        ("_ratio", "ratio"),
    ):
        if name.endswith(suffix):
            return unit
    if "days" in name:
        return "days"
    return "0-1"  # shares, rates and the utilisation


def _metric(name: str) -> Column:
    return Column(
        name,
        "number",
        metric_unit(name),
        METRICS[name],
        label("metric", name, "zh"),
        title=label("metric", name, "en"),
        title_zh=label("metric", name, "zh"),
    )


def _parameter(key: str) -> Column:
    p = SCHEMA[key]
    kind = (
        "boolean"
        if isinstance(p.default, bool)
        else "number"
        if isinstance(p.default, int | float)
        else "string"  # names, choices, and lists or tables as JSON text
    )
    zh = label("parameter", key, "zh")
    return Column(
        key,
        kind,
        p.unit,
        f"setting {key} of the run: {p.doc}",
        f"本次运行的设置 {key}" + (f"（{zh}）" if zh != key else ""),
        title=label("parameter", key, "en"),
        title_zh=zh,
    )


@cache
def _declared() -> tuple[dict[str, Column], list[tuple[re.Pattern[str], Column]]]:
    text = resources.files("sim.data").joinpath("columns.csv").read_text(encoding="utf-8")
    names: dict[str, Column] = {}
    families: list[tuple[re.Pattern[str], Column]] = []
    for row in csv.DictReader(text.splitlines()):
        declared = Column(row["name"], row["type"], row["unit"], row["en"], row["zh"])
        if declared.type not in TYPES:
            raise ValueError(f"columns.csv: {declared.name}: unknown type {declared.type!r}")
        if "{" in declared.name:
            pattern = re.escape(declared.name).replace(r"\{", "{").replace(r"\}", "}")
            pattern = re.sub(r"{(\w+)}", r"(?P<\1>.+)", pattern)
            families.append((re.compile(pattern + r"\Z"), declared))
        else:
            names[declared.name] = declared
    return names, families


def column(name: str) -> Column:
    """The declaration of the column ``name``; :class:`UndeclaredColumn` when there is none."""
    if name in METRICS:
        return _metric(name)
    if name in SCHEMA:
        return _parameter(name)
    names, families = _declared()
    if name in names:
        return names[name]
    for pattern, family in families:
        found = pattern.match(name)
        if found:
            parts = found.groupdict()
            return Column(
                name,
                _drawn_type(parts["variable"]) if "variable" in parts else family.type,
                family.unit,
                family.en.format(**parts),
                family.zh.format(**parts),
            )
    raise UndeclaredColumn(f"column {name!r} has no declaration (add it to sim/data/columns.csv)")


def _drawn_type(variable: str) -> str:
    """The type of a search variable's drawn value (``param:VARIABLE``): a town's share or
    count of a town table (``KEY:TOWN``) a number, a place of a subset (``KEY:PLACE``) a
    flag, else the parameter's own type (a choice is text)."""
    key, _, place = variable.partition(":")
    if key not in SCHEMA:
        return "number"
    if place:
        return "number" if isinstance(SCHEMA[key].default, dict) else "boolean"
    return "string" if SCHEMA[key].choices else _parameter(key).type


def declared_names() -> list[str]:
    """Every declared name: the metrics, the parameters and the rows of ``columns.csv``."""
    names, families = _declared()
    return [*METRICS, *SCHEMA, *names, *(f.name for _, f in families)]
