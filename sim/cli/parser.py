"""The ``govsim`` command (also ``python -m sim``).

    govsim run SCENARIO [--days N] [--replicates R] [--seed S] [--set key=value ...] [--out DIR]
    govsim compare SCENARIO SCENARIO... [--replicates R] [--days N] [--seed S] [--set ...] [--out DIR]
                   [--sets K] [--posterior FILE] [--what-if KEY=LOW:HIGH ...] [--worth WAN_YUAN]
    govsim sweep SWEEP.toml [--workers N | --scheduler tcp://HOST:PORT] [--out DIR] [--resume]
                 [--days N] [--set key=value ...] [--max-runs N]
    govsim analyze SWEEP_DIR [--metric NAME ...] [--lever KEY] [--out DIR] [--format F] [--quiet]
    govsim calibrate CALIBRATION.toml [--workers N | --scheduler tcp://HOST:PORT] [--out DIR]
    govsim optimise FILE.toml [--workers N | --scheduler tcp://HOST:PORT] [--out DIR] [--resume]
                    [--trials N]
    govsim validate SCENARIO
    govsim list
    govsim plan SCENARIO --out plan.csv [--set key=value ...] [--seed S]
    govsim map [--out FILE.png] [--results DIR [--metric NAME] [--scenario NAME]]
    govsim app [--host 127.0.0.1] [--port 8765]

``run``, ``compare``, ``sweep``, ``calibrate`` and ``optimise`` also take
``--format csv|parquet|both`` (default csv): how their tables are written; each results
folder holds ``datapackage.json``, the data dictionary of its tables.
``run`` and ``compare`` run replicates in parallel over the local cores
(``--workers``), print a table and write a results directory with a
``report.html``. ``compare`` runs each scenario in ``--sets`` plausible parameter sets drawn
from the calibration's posterior ensemble (default 10, ``--replicates`` runs in each, default
2), so that its intervals include what we do not know about the parameters.
Bad input prints one line naming the file, key and reason, and exits 2.
"""

from __future__ import annotations

import argparse

from sim.cli import optimise
from sim.cli.batch import cmd_analyze, cmd_calibrate, cmd_sweep
from sim.cli.commands import (
    cmd_app,
    cmd_compare,
    cmd_list,
    cmd_map,
    cmd_plan,
    cmd_run,
    cmd_validate,
)
from sim.cli.common import EXIT_BAD_INPUT, add_command
from sim.labels import LANGUAGES, translate
from sim.runs.datafiles import DEFAULT_FORMAT, FORMATS
from sim.runs.ensemble import DEFAULT_SETS, RUNS_PER_SET

ERROR_LANGUAGE = ["en"]  # the language of argument errors, set by sim.cli.main before parsing
FORCE_HELP = (
    "replace a results folder that another govsim command wrote (never a folder of yours or a file)"
)


FORMAT_OPTION: dict = {
    "choices": list(FORMATS),
    "default": DEFAULT_FORMAT,
    "help": "tables as csv, parquet or both (default csv); datapackage.json describes them",
}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2, like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        lang = ERROR_LANGUAGE[0]
        line = f"govsim: {translate('error', lang)}: {translate(message, lang)} (see {self.prog} --help)"
        self.exit(EXIT_BAD_INPUT, translate(line, lang) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="govsim", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    language = _Parser(add_help=False)  # every command: the language of what it prints and writes
    language.add_argument(
        "--lang",
        choices=list(LANGUAGES),
        help="language of tables, messages and report.html: en or zh (default: the locale, "
        "zh when LANG or LC_ALL is zh_*)",
    )
    settings = _Parser(add_help=False, parents=[language])  # commands that load scenarios
    settings.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a parameter, e.g. --set grid_workers.total=2000 (repeatable)",
    )
    runs = _Parser(add_help=False, parents=[settings])  # options shared by run and compare
    runs.add_argument("--days", type=int, default=365, help="days to simulate (default 365)")
    runs.add_argument("--seed", type=int, default=1, help="seed of the first replicate (default 1)")
    runs.add_argument("--workers", type=int, help="parallel processes (default: all local cores)")
    runs.add_argument("--quiet", action="store_true", help="no progress bar or table")
    runs.add_argument("--format", **FORMAT_OPTION)

    run = add_command(
        sub, "run", cmd_run, parents=[runs], help="run a scenario and write its results"
    )
    run.add_argument("scenario", help="a scenario name under scenarios/ or a path to a .toml file")
    run.add_argument(
        "--replicates", type=int, default=1, help="runs with seeds S, S+1, ... (default 1)"
    )
    run.add_argument("--out", help="output directory (default results/SCENARIO)")
    run.add_argument("--force", action="store_true", help=FORCE_HELP)

    compare = add_command(
        sub,
        "compare",
        cmd_compare,
        parents=[runs],
        help="run scenarios on the same seeds and compare them",
    )
    compare.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="two or more scenarios")
    compare.add_argument(
        "--replicates",
        type=int,
        help=f"runs per scenario in each parameter set, seeds S, S+1, ... (default {RUNS_PER_SET};"
        " with --sets 0: 5)",
    )
    compare.add_argument(
        "--sets",
        type=int,
        default=DEFAULT_SETS,
        help=f"plausible parameter sets drawn by weight from the calibration's posterior ensemble"
        f" (default {DEFAULT_SETS}; 0: the calibrated values alone, seed noise only)",
    )
    compare.add_argument(
        "--what-if",
        action="append",
        metavar="KEY=LOW:HIGH",
        help="a planner's what-if range: KEY's value in every scenario multiplied by a factor from"
        " LOW to HIGH, drawn for each parameter set (e.g. disputes.rate_per_1k=1:1.33); repeatable",
    )
    compare.add_argument(
        "--worth",
        type=float,
        metavar="WAN_YUAN",
        help="what an escalation averted is worth: the report shows where each plan stops paying"
        " at most this much per escalation averted (scenario discovery over the sets)",
    )
    compare.add_argument(
        "--posterior",
        metavar="FILE",
        help="the posterior ensemble (default docs/calibration/posterior/posterior.csv)",
    )
    compare.add_argument("--out", help="output directory (default results/A-vs-B)")
    compare.add_argument("--force", action="store_true", help=FORCE_HELP)

    executors = _Parser(add_help=False, parents=[language])  # where sweep and calibrate runs go
    where = executors.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local processes (default: all cores)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="a Dask scheduler")
    executors.add_argument("--format", **FORMAT_OPTION)

    sweep = add_command(
        sub,
        "sweep",
        cmd_sweep,
        parents=[executors],
        help="run a batch sweep (local processes or a Dask cluster)",
    )
    sweep.add_argument("sweep", help="a sweep file, or a name under scenarios/sweeps/")
    sweep.add_argument("--out", help="output directory (default results/sweeps/NAME)")
    sweep.add_argument(
        "--resume", action="store_true", help="go on with a sweep, skipping runs done"
    )
    sweep.add_argument("--days", type=int, help="days per run (default: the sweep file's)")
    sweep.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a parameter of the base scenario of every run",
    )
    sweep.add_argument(
        "--max-runs",
        type=int,
        help="a quick trial: N runs spread across the design (--resume runs the rest)",
    )
    sweep.add_argument("--quiet", action="store_true", help="no progress bar or summary line")

    analyze = add_command(
        sub,
        "analyze",
        cmd_analyze,
        parents=[language],
        help="sensitivity indices of a sweep, or a metric against one of its factors",
    )
    analyze.add_argument("sweep_dir", metavar="SWEEP_DIR", help="the --out directory of a sweep")
    analyze.add_argument(
        "--metric",
        action="append",
        metavar="NAME",
        help="a metric to analyse (repeatable; default: every metric)",
    )
    analyze.add_argument("--lever", metavar="KEY", help="show --metric against this factor")
    analyze.add_argument("--out", help="output directory (default SWEEP_DIR/analysis)")
    analyze.add_argument("--format", **FORMAT_OPTION)
    analyze.add_argument("--quiet", action="store_true", help="no tables")

    calibrate = add_command(
        sub,
        "calibrate",
        cmd_calibrate,
        parents=[executors],
        help="fit free parameters to published figures",
    )
    calibrate.add_argument("calibration", help="a calibration file (see scenarios/calibration/)")
    calibrate.add_argument("--out", help="output directory (default results/calibration/NAME)")
    calibrate.add_argument("--force", action="store_true", help=FORCE_HELP)
    calibrate.add_argument("--quiet", action="store_true", help="no progress bar or table")
    optimise.add_parser(sub, executors=executors)

    validate = add_command(
        sub,
        "validate",
        cmd_validate,
        parents=[settings],
        help="check a scenario file without running it",
    )
    validate.add_argument("scenario")
    validate.add_argument(
        "--days",
        type=int,
        default=365,
        help="check interventions and events against a run of this length (default 365)",
    )

    add_command(sub, "list", cmd_list, parents=[language], help="list the named scenarios")

    plan = add_command(
        sub,
        "plan",
        cmd_plan,
        parents=[settings],
        help="write a scenario's staffing plan: one row per village-level unit (CSV)",
    )
    plan.add_argument("scenario", help="a scenario name under scenarios/ or a path to a .toml file")
    plan.add_argument("--out", required=True, help="the CSV file to write (a new file)")
    plan.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed whose risk map the risk allocation and most_disputes rule use (default 1)",
    )

    map_ = add_command(
        sub,
        "map",
        cmd_map,
        parents=[language],
        help="draw the grid map, by town or by a metric of a results directory",
    )
    map_.add_argument("--out", default="map.png", help="PNG file to write (default map.png)")
    map_.add_argument("--map-file", help="a GeoJSON grid map instead of the shipped one")
    map_.add_argument("--results", help="a results directory of govsim run or compare")
    map_.add_argument(
        "--metric",
        help="per-grid column of grids.csv to colour by (default escalations, per 1,000 residents)",
    )
    map_.add_argument("--scenario", help="which scenario of the results (default the first)")

    app = add_command(
        sub, "app", cmd_app, parents=[language], help="serve the web app (Solara) in the browser"
    )
    app.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    app.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    return parser
