"""Staffing plan files: one row per village-level unit, as ``govsim plan`` writes them and
``staffing.plan`` reads them.

The file is CSV in UTF-8 with a byte-order mark, so that Excel shows the Chinese
names; it opens, edits and saves back cleanly. Columns:

``code``, ``name``, ``name_zh``, ``kind``, ``town``, ``town_zh``, ``grids``, ``residents``
    the unit (the NBS code identifies it; the rest is for people and is not read back)
``grid_workers``, ``volunteer_police``
    staff of the unit (whole numbers from 0 to the schema's bound on the district's total:
    50,000 grid workers, 200,000 Yi Police; the whole plan no more than that either)
``trust_room``, ``village_office``
    1 or 0 (also true/false, yes/no): a villagers' trust room, a one-village-one-police officer

Every unit of the map has one row. A bad file is refused with the file, the row
(as Excel numbers it: the header is row 1) and the reason.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from sim.model.district import load_district_table
from sim.model.files import other_separator, read_text
from sim.model.geography import Geography
from sim.model.parameters import SCHEMA, ParameterError
from sim.model.places import Places
from sim.model.staffing import StaffingPlan

# "population": the unit's published residents (the map's, at full scale); "residents" in
# results tables counts the residents simulated.
INFO_COLUMNS = ("code", "name", "name_zh", "kind", "town", "town_zh", "grids", "population")
STAFF_COLUMNS = ("grid_workers", "volunteer_police", "trust_room", "village_office")
FLAGS = {"1": True, "0": False, "true": True, "false": False, "yes": True, "no": False}


def plan_rows(plan: StaffingPlan, geo: Geography) -> list[dict[str, object]]:
    """The rows of a plan file (one per unit of ``geo``, in the map's order)."""
    zh = {t.name: t.name_zh for t in load_district_table()}
    grids = np.bincount(geo.grid_village, minlength=geo.n_villages)
    population = np.bincount(geo.grid_village, geo.grid_population, geo.n_villages)
    rows = []
    for v in range(geo.n_villages):
        town = geo.town_names[geo.village_town[v]]
        rows.append(
            {
                "code": geo.village_codes[v],
                "name": geo.village_names[v],
                "name_zh": geo.village_names_zh[v],
                "kind": "community" if geo.village_is_community[v] else "village",
                "town": town,
                "town_zh": zh.get(town, ""),
                "grids": int(grids[v]),
                "population": int(population[v]),
                "grid_workers": int(plan.grid_workers[v]),
                "volunteer_police": int(plan.volunteer_police[v]),
                "trust_room": int(plan.trust_room[v]),
                "village_office": int(plan.village_office[v]),
            }
        )
    return rows


def plan_csv(plan: StaffingPlan, geo: Geography) -> str:
    """A plan file's text (without the byte-order mark; :func:`write_plan` adds it)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*INFO_COLUMNS, *STAFF_COLUMNS], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(plan_rows(plan, geo))
    return out.getvalue()


def write_plan(plan: StaffingPlan, geo: Geography, path: str | Path) -> None:
    """Write ``plan`` over ``geo`` to ``path`` as UTF-8 with a BOM (Excel then shows Chinese)."""
    Path(path).write_text(plan_csv(plan, geo), encoding="utf-8-sig", newline="")


def staff_limit(column: str) -> int:
    """The most staff of one kind a plan may hold, in one unit or in all: the schema's upper
    bound on the district's total (``grid_workers.total``, ``volunteer_police.total``)."""
    high = SCHEMA[f"{column}.total"].high
    return int(high) if high is not None else 0


def _whole(text: str, where: str, column: str) -> int:
    limit = staff_limit(column)
    expected = f"expected a whole number from 0 to {limit:,}"
    try:
        number = float(text)
    except ValueError:
        raise ParameterError(f"{where}: {column}: {expected}, got {text!r}") from None
    if not math.isfinite(number) or number != int(number) or not 0 <= number <= limit:
        raise ParameterError(f"{where}: {column}: {expected}, got {text!r}")
    return int(number)


def _flag(text: str, where: str, column: str) -> bool:
    try:
        return FLAGS[text.strip().casefold()]
    except KeyError:
        raise ParameterError(f"{where}: {column}: expected 1 or 0, got {text!r}") from None


def read_plan(path: str | Path, geo: Geography) -> StaffingPlan:
    """The plan in the file at ``path`` for the map ``geo``; a ParameterError (one line: the
    file, the row and the reason) if it cannot be used."""
    where = f"staffing.plan: {path}"
    text = read_text(path, what="plan file", error=ParameterError, where=where)
    try:
        return _read_rows(text, where, geo)
    except csv.Error as exc:  # a NUL byte, a field too large, a stray quote
        raise ParameterError(f"{where}: not a readable CSV file ({exc})") from None


def _columns(header: list[str], where: str) -> None:
    """Refuse a header without the columns a plan needs, naming the likely cause."""
    missing = [c for c in ("code", *STAFF_COLUMNS) if c not in header]
    if not missing:
        return
    cause = other_separator(",".join(header), {"code"})
    if cause:
        raise ParameterError(f"{where}: {cause}, or write it with govsim plan")
    columns = ", ".join((*INFO_COLUMNS, *STAFF_COLUMNS))
    raise ParameterError(f"{where}: no {missing[0]!r} column (a plan has {columns})")


def _read_rows(text: str, where: str, geo: Geography) -> StaffingPlan:
    reader = csv.DictReader(io.StringIO(text))
    _columns([str(c).strip() for c in reader.fieldnames or []], where)
    reader.fieldnames = [str(c).strip() for c in reader.fieldnames or []]
    places = Places(geo)
    staff = {
        c: np.zeros(
            geo.n_villages, dtype=bool if c in ("trust_room", "village_office") else np.int64
        )
        for c in STAFF_COLUMNS
    }
    seen = np.full(geo.n_villages, 0)
    for number, row in enumerate(reader, start=2):
        at = f"{where}: row {number}"
        code = (row.get("code") or "").strip()
        if not code:
            raise ParameterError(f"{at}: no code (each row names its unit by its NBS code)")
        try:
            v = places.unit(code, key="code")
        except ParameterError as exc:
            raise ParameterError(f"{at}: {exc}") from None
        if seen[v]:
            raise ParameterError(f"{at}: {code} ({places.label(v)}) is also on row {seen[v]}")
        seen[v] = number
        for column in STAFF_COLUMNS:
            value = (row.get(column) or "").strip()
            if column in ("trust_room", "village_office"):
                staff[column][v] = _flag(value, at, column)
            else:
                staff[column][v] = _whole(value, at, column)
    absent = np.flatnonzero(seen == 0)
    if len(absent):
        first = absent[0]
        raise ParameterError(
            f"{where}: no row for {places.label(first)} ({geo.village_codes[first]})"
            + (f" and {len(absent) - 1} other units" if len(absent) > 1 else "")
            + "; a plan has a row for every unit of the map (govsim plan writes one)"
        )
    for column in ("grid_workers", "volunteer_police"):
        total, limit = int(staff[column].sum()), staff_limit(column)
        if total > limit:
            raise ParameterError(
                f"{where}: {column}: {total:,} in all, more than the {limit:,} a plan may hold"
            )
    return StaffingPlan(**staff)
