"""Property-based tests of the model's readers: any input is taken or refused in one line.

For every reader of input in ``sim/model`` (a parameter's value, ``sim.run``'s arguments,
plan CSV files, map files in GeoJSON, Shapefile and GeoPackage), Hypothesis generates
inputs, valid and broken, and each must either be accepted or raise the reader's own error
(:class:`ParameterError`, :class:`MapDataError`) with a one-line message: never another
exception (a traceback at the command line) and never a hang (every example runs under a
deadline, runs are a few days of a tiny population). The classes of input are listed in
docs/TESTING.md, "Property-based tests of the readers". Under the CI profile
(derandomized) each reader gets at least 1,000 examples in one run.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.model.geography import Geography, MapDataError, load_geography
from sim.model.mapcheck import check_against_map, plan_of
from sim.model.parameters import SCHEMA, ParameterError, resolve
from sim.model.planfile import INFO_COLUMNS, STAFF_COLUMNS, plan_rows, read_plan


def fuzz(examples: int) -> settings:
    """``examples`` generated inputs (the CI profile's derandomized draw), none of which may
    hang: each has a deadline."""
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=60),  # a hang fails; a slow moment on a shared machine does not
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        database=None,
    )


TOWNS = ["Muzhou", "睦洲", "Huicheng", "会城", "Atlantis", "", "all"]
_counter = itertools.count()


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text, text
    return text


# ------------------------------------------------------------------ generated values
def numpy_scalars() -> st.SearchStrategy:
    return st.one_of(
        st.integers(-(2**63), 2**63 - 1).map(np.int64),
        st.integers(-(2**31), 2**31 - 1).map(np.int32),
        st.floats(width=32).map(np.float32),
        st.floats().map(np.float64),
        st.booleans().map(np.bool_),
    )


NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 1e20, 99_999_999_999, 2000.0, 1994.04, 50_000, 50_001]),
    numpy_scalars(),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    NUMBERS,
    st.text(max_size=12),
    st.sampled_from(
        ["all", "none", "equal", "population", "risk", "joint", "published", *TOWNS, "440705"]
    ),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=4),
    st.dictionaries(st.sampled_from(TOWNS) | st.text(max_size=6), NUMBERS | SCALARS, max_size=3),
    st.lists(st.sampled_from(TOWNS), max_size=3).map(np.array),
)
KEYS = st.sampled_from(sorted(SCHEMA)) | st.text(max_size=20)


@fuzz(1500)
@given(key=KEYS, value=VALUES)
def test_any_value_of_any_parameter_is_taken_or_refused_in_one_line(key, value):
    if key in ("map.file", "staffing.plan") and isinstance(value, str) and value:
        value = f"/nonexistent/{value}"  # a file is read below: never one of the project's
    try:
        params = resolve({key: value})
        check_against_map(params)
    except (ParameterError, MapDataError) as exc:
        assert one_line(exc)
        return
    assert params[key] == SCHEMA[key].check(params[key])  # canonical: checks again the same


# ----------------------------------------------------------------------------- sim.run
TINY = {"map.towns": ["Muzhou"], "population.scale": 0.0001, "run.warmup_days": 0}
COUNTS = st.one_of(
    st.integers(-5, 5),
    st.sampled_from([0, 1, 2, 2.0, 2.5, 36_501, 10**9, 2**63, -(2**63), True, None, "2"]),
    st.floats(allow_nan=True, allow_infinity=True),
    numpy_scalars(),
)
LEVERS = st.sampled_from(
    [
        "grid_workers.total",
        "grid_workers.allocation",
        "grid_workers.by_town",
        "grid_workers.add",
        "volunteer_police.total",
        "mediation.trust_rooms",
        "petition.supermarket",
        "police.village_offices",
        "police.hours_per_day",
        "disputes.rate_per_1k",
        "population.scale",
        "run.warmup_days",
        "map.towns",
    ]
)


@pytest.mark.slow  # more than 30 s: handed out first (tests/conftest.py)
@fuzz(1000)
@given(
    params=st.dictionaries(LEVERS, VALUES, max_size=3) | st.sampled_from([None, [], "baseline", 5]),
    days=st.one_of(st.integers(1, 2), COUNTS),
    seed=st.one_of(st.integers(0, 3), COUNTS),
)
def test_sim_run_runs_or_refuses_its_arguments_in_one_line(params, days, seed):
    if isinstance(params, dict):
        # Runs stay tiny: a valid input runs a day or two of Muzhou at 0.01% scale.
        params = TINY | {k: v for k, v in params.items() if k not in TINY}
        if "map.towns" in params and params["map.towns"] in ("all", "none"):
            params["map.towns"] = ["Muzhou"]
    try:
        small = isinstance(days, int | np.integer) and not isinstance(days, bool) and days <= 3
        metrics = sim.run(params, days=days if small else 10**9, seed=seed)
    except (ParameterError, MapDataError) as exc:
        assert one_line(exc)
        return
    assert set(metrics) == set(sim.METRICS)


# ---------------------------------------------------------------------------- plan files
@pytest.fixture(scope="module")
def district() -> tuple[Geography, list[dict]]:
    plan, geo = plan_of(resolve({}), 1)
    return geo, plan_rows(plan, geo)


CELLS = st.one_of(
    st.integers(-3, 60_000).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "1e20",
            "inf",
            "-inf",
            "nan",
            "NaN",
            "1.5",
            "2.0",
            "99999999999",
            "yes",
            "no",
            "true",
            "0x10",
            "1_000",
            "１２",
            "\x00",
            '"',
            "5;6",
            "-0",
        ]
    ),
    st.text(max_size=6),
)


@st.composite
def plan_texts(draw, rows: list[dict]) -> str:
    """A plan file's text: the right rows with some cells, columns, rows or the separator
    changed, or lines of junk."""
    columns = [*INFO_COLUMNS, *STAFF_COLUMNS]
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))
    if draw(st.integers(0, 4)) == 0:
        columns = [c for c in columns if c != draw(st.sampled_from(columns))]
    table = [dict(r) for r in rows]
    for _ in range(draw(st.integers(0, 4))):
        row = draw(st.integers(0, len(table) - 1))
        table[row][draw(st.sampled_from((*STAFF_COLUMNS, "code")))] = draw(CELLS)
    cut = draw(st.integers(0, 6))
    if cut == 1:
        table = table[: draw(st.integers(0, len(table)))]
    elif cut == 2:
        table.append(dict(table[draw(st.integers(0, len(table) - 1))]))
    out = io.StringIO()
    separator = draw(st.sampled_from([",", ",", ",", ";", "\t", "|"]))
    writer = csv.DictWriter(
        out, fieldnames=columns, delimiter=separator, extrasaction="ignore", lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(table)
    text = out.getvalue()
    if draw(st.integers(0, 5)) == 0:
        junk = draw(st.text(max_size=40))
        at = draw(st.integers(0, len(text)))
        text = text[:at] + junk + text[at:]
    return text


@fuzz(1000)
@given(data=st.data())
def test_any_plan_file_is_read_or_refused_in_one_line(district, tmp_path, data):
    geo, rows = district
    text = data.draw(plan_texts(rows))
    path = tmp_path / f"plan{next(_counter)}.csv"
    path.write_bytes(("\ufeff" + text).encode("utf-8", "surrogatepass"))
    try:
        plan = read_plan(path, geo)
    except ParameterError as exc:
        assert str(path) in one_line(exc)
        return
    assert plan.grid_workers.sum() <= SCHEMA["grid_workers.total"].high
    assert plan.volunteer_police.sum() <= SCHEMA["volunteer_police.total"].high
    assert (plan.grid_workers >= 0).all() and (plan.volunteer_police >= 0).all()


# ----------------------------------------------------------------------------- map files
COORDS = st.floats(allow_nan=True, allow_infinity=True) | st.floats(113.0, 113.2)
JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
)


def square(x: float, y: float, side: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]],
    }


@st.composite
def features(draw, index: int) -> dict:
    props = {
        "grid_id": f"g{index}",
        "town": draw(st.sampled_from(["Muzhou", "睦洲", "Huicheng", "T"])),
        "village": draw(st.sampled_from(["A", "B", "大村"])),
        "population": draw(
            st.integers(0, 2000)
            | st.sampled_from([-1, 1.5, 1e20, 10**12, 1_000_001, 2**70, "5", None, True])
            | st.floats(allow_nan=True, allow_infinity=True)
        ),
    }
    for key in ("village_kind", "village_zh", "village_code", "ferry_hours"):
        if draw(st.integers(0, 3)) == 0:
            props[key] = draw(JSON_VALUES | st.sampled_from(["village", "community", 0.5, 30]))
    for _ in range(draw(st.integers(0, 1))):
        props.pop(draw(st.sampled_from(sorted(props))), None)
    x = 113.0 + 0.02 * index
    geometry = draw(
        st.sampled_from(["ok", "ok", "ok", "nan", "point", "none", "junk", "metres", "bow"])
    )
    shape = {
        "ok": square(x, 22.3),
        "nan": square(draw(COORDS), draw(COORDS)),
        "point": {"type": "Point", "coordinates": [x, 22.3]},
        "none": None,
        "junk": {"type": "Polygon", "coordinates": draw(JSON_VALUES)},
        "metres": square(700_000.0 + index * 1000, 2_470_000.0, 1000.0),
        "bow": {"type": "Polygon", "coordinates": [[[x, 22], [x + 1, 23], [x + 1, 22], [x, 23], [x, 22]]]},
    }[geometry]  # fmt: skip
    return {"type": "Feature", "properties": props, "geometry": shape}


@st.composite
def map_documents(draw) -> dict:
    document: dict = {
        "type": "FeatureCollection",
        "features": [draw(features(i)) for i in range(draw(st.integers(1, 4)))],
    }
    if draw(st.integers(0, 4)) == 0:
        crs = draw(st.sampled_from(["EPSG:32649", "EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:0", "bogus"]))  # fmt: skip
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    return document


def expect_map_read_or_refused(path: Path) -> None:
    try:
        geo = load_geography(path)
    except MapDataError as exc:
        assert str(path.name) in one_line(exc)
        return
    assert geo.n_grids >= 1
    assert np.isfinite(geo.travel_hours).all() and (geo.grid_population >= 0).all()


@fuzz(940)
@given(
    document=map_documents(),
    mangle=st.integers(0, 9),
    junk=st.text(max_size=30),
    at=st.integers(0, 10**6),
)
def test_any_geojson_map_is_read_or_refused_in_one_line(tmp_path, document, mangle, junk, at):
    text = json.dumps(document, allow_nan=True, ensure_ascii=False)
    if mangle == 0:  # a broken file: junk inserted anywhere
        text = text[: at % (len(text) + 1)] + junk + text[at % (len(text) + 1) :]
    elif mangle == 1:  # not a FeatureCollection
        text = json.dumps(document["features"][0], allow_nan=True)
    path = tmp_path / f"map{next(_counter)}.geojson"
    path.write_text(text, encoding="utf-8")
    expect_map_read_or_refused(path)


@fuzz(60)
@given(document=map_documents(), suffix=st.sampled_from([".shp", ".gpkg"]), drop=st.integers(0, 5))
def test_any_shapefile_or_geopackage_is_read_or_refused_in_one_line(
    tmp_path, document, suffix, drop
):
    raw = pytest.importorskip("pyogrio.raw")
    import shapely

    path = tmp_path / f"map{next(_counter)}{suffix}"
    ok = [
        f
        for f in document["features"]
        if isinstance(f["geometry"], dict) and f["geometry"]["type"] == "Polygon"
    ]
    try:
        geoms = [shapely.geometry.shape(f["geometry"]) for f in ok]
    except (TypeError, ValueError, AttributeError, IndexError, shapely.errors.ShapelyError):
        geoms = []
    if not geoms:
        geoms, ok = [shapely.box(113.0, 22.3, 113.01, 22.31)], [document["features"][0]]
    names = ["grid_id", "town", "village", "population"]
    columns = []
    for name in names:
        values = [f["properties"].get(name) for f in ok]
        if name == "population":
            numbers = [v if isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 2**62 else -1 for v in values]  # fmt: skip
            columns.append(np.array(numbers, dtype=float))
        else:
            columns.append(np.array([str(v) for v in values], dtype=object))
    try:
        raw.write(
            path,
            np.array([shapely.to_wkb(g) for g in geoms], dtype=object),
            columns,
            names,
            geometry_type="Polygon",
            crs="EPSG:4326",
            driver="ESRI Shapefile" if suffix == ".shp" else "GPKG",
        )
    except Exception:
        return
    if suffix == ".shp" and drop == 0:
        path.with_suffix(".dbf").unlink()
    if suffix == ".shp" and drop == 1:
        path.with_suffix(".shx").unlink()
    if drop == 2:
        path.write_bytes(path.read_bytes()[: max(len(path.read_bytes()) // 2, 1)])
    expect_map_read_or_refused(path)


def test_the_readers_bounds_are_stated():
    """The bounds the messages quote are finite and generous."""
    from sim.model.mapfile import MAX_GRID_POPULATION, MAX_POPULATION

    assert MAX_POPULATION >= 10 * 909_277 and MAX_GRID_POPULATION >= 100 * 2_105
    assert math.isfinite(SCHEMA["grid_workers.total"].high)
