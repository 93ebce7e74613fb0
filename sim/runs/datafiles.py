"""Tables on disk: every table govsim writes goes through :func:`write_table`, every table it
reads back through :func:`read_table`.

A table is written as CSV (UTF-8, ``float_format`` ``%.10g``), Parquet, or both
(``--format csv|parquet|both``; :data:`FORMATS`). Before it is written, each column is looked
up in the declarations of :mod:`sim.runs.columns` (a column without one is refused:
:class:`~sim.runs.columns.UndeclaredColumn`) and given its declared type, so that the CSV and
the Parquet file hold the same values and the data dictionary (:mod:`sim.runs.datapackage`)
says what is in them. Files go in through a temporary file beside them, so a reader never
sees half a table.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sim.runs.columns import column
from sim.runs.scenario import ScenarioError

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("csv", "parquet", "both")
DEFAULT_FORMAT = "csv"
SUFFIXES = {"csv": (".csv",), "parquet": (".parquet",), "both": (".csv", ".parquet")}
TABULAR = (".csv", ".parquet")


def check_format(fmt: str) -> str:
    """``fmt`` if it is one of :data:`FORMATS`, else a one-line error naming the choices."""
    if fmt not in FORMATS:
        raise ScenarioError(f"--format: unknown format {fmt!r}; expected one of csv, parquet, both")
    return fmt


def file_names(stems: Sequence[str], fmt: str) -> tuple[str, ...]:
    """The files of the tables ``stems`` (``"summary"``, ``"verified/towns"``) in ``fmt``."""
    return tuple(f"{stem}{suffix}" for stem in stems for suffix in SUFFIXES[check_format(fmt)])


def typed(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every column in its declared type (integers with gaps as nullable
    integers, text as Python strings with None for a gap); an undeclared column raises."""
    import pandas as pd  # pandas loads when a table is written, not with the command line

    out = {}
    for name in table.columns:
        values, kind = table[name], column(str(name)).type
        if kind == "integer":
            whole = pd.to_numeric(values).dropna()
            if (whole != whole.round()).any():
                raise ValueError(f"column {name!r}: declared integer, holds fractions")
            out[name] = values.astype("Int64" if values.isna().any() else "int64")
        elif kind == "number":
            out[name] = pd.to_numeric(values).astype("float64")
        elif kind == "boolean":
            out[name] = values.astype("boolean" if values.isna().any() else "bool")
        else:
            out[name] = pd.Series(
                [None if pd.isna(v) else str(v) for v in values], index=table.index, dtype=object
            )
    return pd.DataFrame(out, index=table.index, columns=table.columns)


ARROW = {"string": "string", "integer": "int64", "number": "float64", "boolean": "bool_"}


def arrow_schema(table: pd.DataFrame):
    """The Parquet schema of ``table``: each column's declared type (a column with no value
    at all keeps it too)."""
    import pyarrow as pa

    return pa.schema(
        [(str(name), getattr(pa, ARROW[column(str(name)).type])()) for name in table.columns]
    )


def _replace(path: Path, write) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_table(
    table: pd.DataFrame, folder: Path, stem: str, fmt: str = DEFAULT_FORMAT
) -> list[str]:
    """Write ``table`` as ``folder/stem.csv``, ``.parquet`` or both (``fmt``), each file
    through a temporary file beside it; returns the names written. Every column must be
    declared (:func:`sim.runs.columns.column`)."""
    folder = Path(folder)
    table = typed(table.reset_index(drop=True))
    written = []
    for suffix in SUFFIXES[check_format(fmt)]:
        path = folder / f"{stem}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            _replace(path, lambda p: table.to_csv(p, index=False, float_format="%.10g"))
        else:
            _replace(path, lambda p: table.to_parquet(p, index=False, schema=arrow_schema(table)))
        written.append(path.name)
    return written


def read_table(folder: Path, stem: str) -> pd.DataFrame:
    """The table ``stem`` of a results folder: its CSV file, or else its Parquet file."""
    import pandas as pd

    folder = Path(folder)
    if (folder / f"{stem}.csv").is_file():
        return pd.read_csv(folder / f"{stem}.csv")
    if (folder / f"{stem}.parquet").is_file():
        return pd.read_parquet(folder / f"{stem}.parquet")
    raise FileNotFoundError(f"{folder}: no {stem}.csv or {stem}.parquet")


def has_table(folder: Path, stem: str) -> bool:
    """True when the folder holds the table ``stem`` in a format :func:`read_table` reads."""
    return any((Path(folder) / f"{stem}{suffix}").is_file() for suffix in TABULAR)


def header(path: Path) -> list[str]:
    """The column names of a table file (CSV, with or without a byte-order mark; Parquet)."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh), [])
