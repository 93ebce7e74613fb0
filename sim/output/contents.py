"""What each results folder holds: the names of the files ``run``, ``compare`` and
``calibrate`` write, known before any work, so that ``--out`` is checked (none of them a
user's file) before the model's libraries load."""

from __future__ import annotations

from sim.runs.datafiles import DEFAULT_FORMAT, file_names

# The tables of a results folder of `run`; `compare` adds its own (COMPARE_TABLES).
RUN_TABLES = ("summary", "years", "timeseries", "grids", "petitions", "towns", "villages")
COMPARE_TABLES = (*RUN_TABLES, "differences", "cost_effectiveness", "town_differences")
# `compare` in plausible parameter sets adds the sets drawn, where the plan stops paying (PRIM)
# and which unknown matters most
ENSEMBLE_TABLES = ("sets", "prim_box", "unknowns")
OTHER_FILES = ("datapackage.json", "manifest.json", "report.html")

# The tables and other files of a calibration folder.
CALIBRATION_TABLES = ("evaluations", "fit", "identification", "stationarity", "good_fits")
CALIBRATION_FILES = (
    "calibrated.toml",
    "fit.png",
    "fit_report.html",
    "datapackage.json",
    "manifest.json",
)
# ... and with a [posterior] table, the ensemble, which targets pin which parameters, its picture
POSTERIOR_TABLES = ("posterior", "pins")
POSTERIOR_FILES = ("posterior.png",)


def run_files(
    table_format: str = DEFAULT_FORMAT, *, compare: bool = False, sets: bool = False
) -> tuple[str, ...]:
    """The files a results folder of ``run`` (or ``compare``, in plausible parameter ``sets``)
    holds when written in ``table_format``."""
    tables = COMPARE_TABLES if compare else RUN_TABLES
    tables = (*tables, *ENSEMBLE_TABLES) if sets else tables
    return (*file_names(tables, table_format), *OTHER_FILES)


def calibration_files(
    table_format: str = DEFAULT_FORMAT, *, posterior: bool = False
) -> tuple[str, ...]:
    """The files of a calibration folder written in ``table_format`` (with its ``posterior``)."""
    tables = (*CALIBRATION_TABLES, *POSTERIOR_TABLES) if posterior else CALIBRATION_TABLES
    files = (*CALIBRATION_FILES, *POSTERIOR_FILES) if posterior else CALIBRATION_FILES
    return (*file_names(tables, table_format), *files)
