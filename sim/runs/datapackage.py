"""The data dictionary of a results folder: a Frictionless ``datapackage.json``.

Every command that writes a results folder (``run``, ``compare``, ``sweep``, ``calibrate``,
``optimise``) ends by describing the tables it wrote there: one resource per table file
(CSV or Parquet, as written), with the table's shape (``description``, and ``primaryKey``:
the columns that name a row) and every column's type, unit and meaning in English and
Chinese, from the same declarations the writer checked (:mod:`sim.runs.columns`;
tables: ``sim/data/tables.csv``). Only files govsim wrote are described: the caller names
them (the folder's manifest lists the same files); a user's file in the folder is never
read, described or touched.

The package follows the Data Package standard (v2; v1 readers see the same ``path``,
``format`` and ``schema.fields``); ``unit``, ``unit_zh``, ``title_zh`` and ``description_zh``
are custom properties. ``frictionless validate datapackage.json`` checks the files against it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from sim.runs.columns import column
from sim.runs.datafiles import TABULAR, header
from sim.runs.folders import write_atomic

DATAPACKAGE = "datapackage.json"
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
MEDIATYPES = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet"}
TITLES = {
    "run": ("results of govsim run", "govsim run 的结果"),
    "compare": ("results of govsim compare", "govsim compare 的结果"),
    "sweep": ("a sweep of govsim", "govsim 参数扫描"),
    "calibrate": ("a calibration of govsim", "govsim 校准"),
    "optimise": ("a policy search of govsim", "govsim 政策搜索"),
    "analyze": ("an analysis of a govsim sweep", "govsim 参数扫描的分析"),
}


class UndescribedTable(KeyError):
    """A table file whose kind no declaration in ``sim/data/tables.csv`` describes."""


@cache
def _tables() -> list[tuple[re.Pattern[str], dict[str, str]]]:
    text = resources.files("sim.data").joinpath("tables.csv").read_text(encoding="utf-8")
    found = []
    for row in csv.DictReader(text.splitlines()):
        pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>.+)", re.escape(row["name"]))
        found.append((re.compile(pattern + r"\Z"), row))
    return found


def table_kind(stem: str) -> dict[str, str]:
    """The declaration of the table named ``stem`` (``summary``, ``plan_trial_3``): title,
    shape and key, in English and Chinese."""
    for pattern, row in _tables():
        match = pattern.match(stem)
        if match:
            return {k: v.format(**match.groupdict()) for k, v in row.items()}
    raise UndescribedTable(f"table {stem!r} has no declaration (add it to sim/data/tables.csv)")


def resource(folder: Path, relative: str) -> dict[str, Any]:
    """The resource describing the table file ``folder/relative``: every column of its header
    from its declaration, and its key where the file has those columns."""
    path = Path(folder) / relative
    suffix = path.suffix
    kind = table_kind(path.stem)
    fields = [column(name).field() for name in header(path)]
    schema: dict[str, Any] = {"fields": fields}
    key = kind["key"].split()
    if key and set(key) <= {f["name"] for f in fields}:
        schema["primaryKey"] = key
    described: dict[str, Any] = {
        "name": re.sub(r"[^a-z0-9._-]", "-", relative.lower()),
        "type": "table",
        "path": relative,
        "format": suffix[1:],
        "mediatype": MEDIATYPES[suffix],
    }
    if suffix == ".csv":
        bom = path.read_bytes()[:3] == b"\xef\xbb\xbf"
        described["encoding"] = "utf-8-sig" if bom else "utf-8"
    return described | {
        "title": kind["en"],
        "title_zh": kind["zh"],
        "description": kind["description"],
        "description_zh": kind["description_zh"],
        "schema": schema,
    }


def tables_among(files: Iterable[str]) -> list[str]:
    """The table files (CSV, Parquet) among ``files`` (relative paths), sorted."""
    return sorted(f for f in files if Path(f).suffix in TABULAR)


def write_datapackage(folder: Path, files: Iterable[str], *, kind: str) -> str:
    """Write ``folder/datapackage.json`` describing the table files among ``files`` (relative
    paths of files govsim wrote in ``folder``); returns its name. A table or a column without
    a declaration raises, so nothing is written that is not described."""
    folder = Path(folder)
    title, title_zh = TITLES.get(kind, (f"results of govsim {kind}", f"govsim {kind} 的结果"))
    try:
        version = metadata.version("xinhui-govsim")
    except metadata.PackageNotFoundError:
        version = None
    package = {
        "$schema": PROFILE,
        "name": f"govsim-{kind}",
        "title": title,
        "title_zh": title_zh,
        "description": (
            "Tables written by govsim (Xinhui grassroots-governance simulator). A column name "
            "means the same quantity in every table; counts add up from grids to villages, "
            "towns and the district. manifest.json holds the settings and seeds."
        ),
        "description_zh": (
            "govsim（新会基层治理模拟器）写出的数据表。同一列名在各表中含义相同；"
            "计数从网格逐级加总到村、镇和全区。设置与随机种子见 manifest.json。"
        ),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "govsim": {"kind": kind, "version": version},
        "resources": [resource(folder, f) for f in tables_among(files)],
    }
    write_atomic(folder / DATAPACKAGE, json.dumps(package, indent=2, ensure_ascii=False) + "\n")
    return DATAPACKAGE
