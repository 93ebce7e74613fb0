"""Naming places: towns and village-level units (villages and communities) by English or Chinese
name or, for a unit, its NBS code.

Every place-based setting (``grid_workers.by_town``, ``mediation.trust_room_villages``,
``police.village_offices``, a staffing plan's rows) names places through here, so
that a mistake gets the same one-line answer everywhere: the key, the name and the
closest names the map has ("did you mean ...?").

A unit whose name is shared by several towns' units (there are six such names on the
shipped map) is named with its town, ``"Sanjiang/Shagang Village"`` or ``"三江/沙岗村"``,
or by its code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

import numpy as np

from sim.model.district import did_you_mean, load_district_table
from sim.model.geography import Geography
from sim.model.parameters import ParameterError


def _fold(name: str | int) -> str:
    return " ".join(str(name).split()).casefold()


class Places:
    """The towns and units of a map, found by name (English or Chinese) or NBS code."""

    def __init__(self, geo: Geography) -> None:
        self.geo = geo
        zh = {t.name: t.name_zh for t in load_district_table()}
        self.town_names_zh = [zh.get(t, "") for t in geo.town_names]

    @cached_property
    def _towns(self) -> dict[str, int]:
        names: dict[str, int] = {}
        for t, name in enumerate(self.geo.town_names):
            for alias in (name, self.town_names_zh[t]):
                if alias:
                    names[_fold(alias)] = t
        return names

    @cached_property
    def _units(self) -> dict[str, list[int]]:
        """Every name of every unit (code, names, town/name) -> the units it may mean."""
        geo = self.geo
        names: dict[str, list[int]] = {}
        for v in range(geo.n_villages):
            town = geo.village_town[v]
            own = [geo.village_names[v], geo.village_names_zh[v]]
            towns = [geo.town_names[town], self.town_names_zh[town]]
            aliases = [geo.village_codes[v], *own]
            aliases += [f"{t}/{n}" for t in towns for n in own if t and n]
            for alias in aliases:
                if alias:
                    names.setdefault(_fold(alias), []).append(v)
        return {k: sorted(set(v)) for k, v in names.items()}

    def find_town(self, name: Any) -> int | None:
        """The index of town ``name`` (English or Chinese), or None."""
        return self._towns.get(_fold(name)) if isinstance(name, str) else None

    def units_named(self, name: Any) -> list[int]:
        """The units ``name`` may mean (none, one, or several when it is ambiguous)."""
        return self._units.get(_fold(name), []) if isinstance(name, str | int) else []

    def town(self, name: Any, *, key: str) -> int:
        """The index of town ``name`` (English or Chinese), or a ParameterError naming ``key``."""
        found = self.find_town(name)
        if found is None:
            known = [*self.geo.town_names, *filter(None, self.town_names_zh)]
            raise ParameterError(
                f"{key}: unknown town {name!r}{did_you_mean(name, known)}; the map has "
                f"{', '.join(self.geo.town_names)}"
            )
        return found

    def unit(self, name: Any, *, key: str) -> int:
        """The index of the village-level unit ``name`` (NBS code, English or Chinese name,
        or ``town/name``), or a ParameterError naming ``key``."""
        found = self.units_named(name)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            options = ", ".join(f"{self.label(v)} ({self.geo.village_codes[v]})" for v in found)
            raise ParameterError(
                f"{key}: {name!r} names {len(found)} units: {options}; "
                "name it with its town (town/name) or its NBS code"
            )
        geo = self.geo
        known = [n for n in [*geo.village_names, *geo.village_names_zh] if n]
        raise ParameterError(
            f"{key}: unknown village or community {name!r}{did_you_mean(str(name), known)}"
        )

    def units(self, names: Iterable[Any], *, key: str) -> np.ndarray:
        """Indices of the units named (each once, in the order given); a repeat is an error."""
        found: list[int] = []
        for i, name in enumerate(names):
            v = self.unit(name, key=f"{key}[{i}]")
            if v in found:
                raise ParameterError(f"{key}[{i}]: {name!r} is listed twice ({self.label(v)})")
            found.append(v)
        return np.array(found, dtype=np.int64)

    def town_table(self, table: Mapping[str, Any], *, key: str) -> dict[int, Any]:
        """A table town -> number (``{Huicheng = 200}``, checked by the schema) as town index
        -> number; a town named twice (in English and in Chinese) is an error."""
        if not isinstance(table, Mapping):
            raise ParameterError(f"{key}: expected a table of town = number, got {table!r}")
        found: dict[int, Any] = {}
        for name, value in table.items():
            t = self.town(name, key=key)
            if t in found:
                raise ParameterError(f"{key}: {name!r} is given twice ({self.geo.town_names[t]})")
            found[t] = value
        return found

    def label(self, v: int) -> str:
        """``Town/Unit`` in English."""
        return f"{self.geo.town_names[self.geo.village_town[v]]}/{self.geo.village_names[v]}"
