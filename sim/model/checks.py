"""One model parameter: its key, default, unit, bounds, doc and source, and how a value of it
is checked (the kinds of values place-based settings take are here too)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

ASSUMPTION = "[assumption]"
TOWN_LIST = "town list"  # kind of a parameter that takes "all", "none" or a list of town names
PLACE_LIST = "place list"  # a list of villages or communities (names or NBS codes)
TOWN_COUNTS = "town counts"  # a table town -> whole number (``{Huicheng = 200}``)
TOWN_AMOUNTS = "town amounts"  # a table town -> number


def one_line(message: object) -> str:
    """``message`` on one line: line breaks that came with the input (a file name, a key)
    shown as escapes, so that an error is always one line."""
    return str(message).replace("\r", "\\r").replace("\n", "\\n")


class ParameterError(ValueError):
    """A parameter that is unknown, of the wrong type or out of range; the message names the key
    (always one line)."""

    def __init__(self, message: object = "") -> None:
        super().__init__(one_line(message))


def shown(name: object) -> str:
    """A name from the user's input as a message shows it: as written when it is printable
    on one line, else quoted with its escapes (so a message stays one line)."""
    text = str(name)
    return text if text.isprintable() and text.strip() == text and text else repr(text)


def plain(value: Any) -> Any:
    """``value`` with a numpy scalar (``np.int64(500)``, ``np.float32``, ``np.bool_``, as
    designs from numpy, SALib or EMA Workbench give them) as the Python scalar it stands for;
    a numpy array as a list; anything else unchanged."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic) and not isinstance(value, np.str_ | np.bytes_):
        item = value.item()
        if isinstance(item, bool | int | float):
            return item
    return value


def whole_argument(name: str, value: Any, *, low: int, high: int) -> int:
    """``value`` as an int if it is a whole number in ``low..high`` (numpy integers and
    whole-valued floats included: ``np.int64(3)``, ``np.float64(3.0)``, ``3.0``), else a
    one-line :class:`ParameterError` naming ``name`` (a fraction, a bool, text, NaN, out of range)."""
    value = plain(value)
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if (
        not ok
        or (isinstance(value, float) and not math.isfinite(value))
        or value != int(value)
        or not low <= value <= high
    ):
        raise ParameterError(
            f"{name}: expected a whole number from {low} to {high:,}, got {value!r}"
        )
    return int(value)


@dataclass(frozen=True)
class Parameter:
    """One model parameter."""

    key: str
    default: Any
    unit: str
    doc: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    source: str = ASSUMPTION
    kind: str = ""  # "" means: the type of the default

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def type_name(self) -> str:
        return self.kind or type(self.default).__name__

    def check(self, value: Any) -> Any:
        """Return ``value`` in canonical form, or raise :class:`ParameterError`."""
        kind = self.type_name
        value = plain(value)
        if kind == TOWN_LIST:
            if value in ("all", "none"):
                return str(value)  # not numpy's str_
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                return [str(v) for v in value]
            names = "town or village names" if "village" in self.unit else "town names"
            raise self._error(f'expected "all", "none" or a list of {names}, got {value!r}')
        if kind == PLACE_LIST:
            if isinstance(value, list | tuple):
                items = [plain(v) for v in value]
                if all(isinstance(v, str | int) and not isinstance(v, bool) for v in items):
                    return [str(v) for v in items]
            raise self._error(f"expected a list of village names or NBS codes, got {value!r}")
        if kind in (TOWN_COUNTS, TOWN_AMOUNTS):
            return self._check_table(value, whole=kind == TOWN_COUNTS)
        if kind == "bool":
            if not isinstance(value, bool):
                raise self._error(f"expected true or false, got {value!r}")
            return value
        if kind == "str":
            if not isinstance(value, str):
                raise self._error(f"expected a string, got {value!r}")
            if self.choices and value not in self.choices:
                raise self._error(f"expected one of {', '.join(self.choices)}, got {value!r}")
            return str(value)
        return self._number(value, kind == "int", self.key)

    def _number(self, value: Any, whole: bool, where: str) -> int | float:
        """A number within the bounds (``whole``: a whole number), or a one-line error at ``where``."""
        kind = "a whole number" if whole else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"{where}: expected {kind}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ParameterError(f"{where}: expected a finite number, got {value!r}")
        if whole and value != int(value):
            raise ParameterError(f"{where}: expected a whole number, got {value!r}")
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise ParameterError(f"{where}: {value!r} is out of range [{self.low}, {self.high}]")
        return int(value) if whole else float(value)

    def _check_table(self, value: Any, *, whole: bool) -> dict[str, Any]:
        """A table town -> number; each number within the bounds (town names are checked
        against the map later, by :func:`sim.model.mapcheck.check_against_map`)."""
        if not isinstance(value, Mapping):
            raise self._error(
                f"expected a table of town = number (e.g. {{Huicheng = 200}}), got {value!r}"
            )
        table = {}
        for town, number in value.items():
            table[str(town)] = self._number(plain(number), whole, f"{self.key}.{shown(town)}")
        return table

    def _error(self, reason: str) -> ParameterError:
        return ParameterError(f"{self.key}: {reason}")
