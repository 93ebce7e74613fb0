"""The ``govsim`` command (also ``python -m sim``).

    govsim run SCENARIO [--days N] [--replicates R] [--seed S] [--set key=value ...] [--out DIR]
    govsim compare SCENARIO SCENARIO... [--replicates R] [--days N] [--seed S] [--set ...] [--out DIR]
    govsim sweep SWEEP.toml [--workers N | --scheduler tcp://HOST:PORT] [--out DIR] [--resume]
                 [--days N] [--set key=value ...] [--max-runs N]
    govsim analyze SWEEP_DIR [--metric NAME ...] [--lever KEY] [--out DIR] [--quiet]
    govsim calibrate CALIBRATION.toml [--workers N | --scheduler tcp://HOST:PORT] [--out DIR]
    govsim validate SCENARIO
    govsim list
    govsim map [--out FILE.png] [--results DIR [--metric NAME] [--scenario NAME]]
    govsim app [--host 127.0.0.1] [--port 8765]

``run`` and ``compare`` run replicates in parallel over the local cores
(``--workers``), print a table and write a results directory with a
``report.html``. Bad input prints one line naming the file, key and reason,
and exits 2.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from sim.geography import MapDataError
from sim.labels import LANGUAGES
from sim.parameters import ParameterError, defaults
from sim.report import (
    COUNTS_PER_1K,
    fmt,
    grid_values,
    print_differences,
    print_summary,
    write_results,
)
from sim.scenario import Scenario, ScenarioError, list_scenarios, load_scenario, parse_set

EXIT_BAD_INPUT = 2


class CliError(Exception):
    """Bad command-line input."""


def _load(name: str, args: argparse.Namespace) -> Scenario:
    scenario = load_scenario(name)
    overrides = dict(parse_set(a) for a in getattr(args, "set", None) or [])
    return scenario.with_overrides(overrides) if overrides else scenario


def _check_counts(args: argparse.Namespace) -> None:
    for flag in ("days", "replicates", "workers"):
        value = getattr(args, flag, None)
        if value is not None and value < 1:
            raise CliError(f"--{flag}: must be at least 1, got {value}")


def _command(args: argparse.Namespace) -> str:
    return shlex.join(["govsim", *args.argv])


def cmd_run(args: argparse.Namespace) -> None:
    from sim.experiments import run_scenarios

    _check_counts(args)
    scenario = _load(args.scenario, args)
    out = Path(args.out) if args.out else Path("results") / scenario.name
    [result] = run_scenarios(
        [scenario], days=args.days, replicates=args.replicates, seed=args.seed,
        workers=args.workers, progress=not args.quiet,
    )  # fmt: skip
    written = write_results([result], out, command=_command(args), lang=args.lang)
    if not args.quiet:
        print_summary(result)
        print(f"\nwrote {out}/ ({', '.join(written)})")


def cmd_compare(args: argparse.Namespace) -> None:
    from sim.experiments import paired_differences, run_scenarios

    _check_counts(args)
    if len(args.scenarios) < 2:
        raise CliError("compare: name at least two scenarios")
    scenarios: list[Scenario] = []
    for name in args.scenarios:
        scenario = _load(name, args)
        taken = {s.name for s in scenarios}
        if scenario.name in taken:
            k = 2
            while f"{scenario.name}-{k}" in taken:
                k += 1
            scenario = replace(scenario, name=f"{scenario.name}-{k}")
        scenarios.append(scenario)
    out = Path(args.out) if args.out else Path("results") / "-vs-".join(s.name for s in scenarios)
    results = run_scenarios(
        scenarios, days=args.days, replicates=args.replicates, seed=args.seed,
        workers=args.workers, progress=not args.quiet,
    )  # fmt: skip
    differences = paired_differences(results)
    written = write_results(
        results, out, differences=differences, command=_command(args), lang=args.lang
    )
    if not args.quiet:
        print_differences(differences)
        print(f"\nwrote {out}/ ({', '.join(written)})")


def cmd_validate(args: argparse.Namespace) -> None:
    from sim.model import GovernanceModel

    scenario = _load(args.scenario, args)
    # Building a tiny model checks what the file alone cannot: the map, town names, staff.
    GovernanceModel(
        scenario.params | {"population.scale": 0.001}, rng=0, timeline=scenario.timeline
    )
    changed = sum(scenario.params[k] != v for k, v in defaults().items())
    timeline = scenario.timeline
    print(
        f"{scenario.path}: ok ({changed} settings differ from the defaults; "
        f"{len(timeline.interventions)} interventions, {len(timeline.events)} events)"
    )


def cmd_list(args: argparse.Namespace) -> None:
    for name in list_scenarios():
        description = load_scenario(name).description.strip().splitlines()
        print(f"{name:28s} {description[0] if description else ''}")


def cmd_map(args: argparse.Namespace) -> None:
    import json

    import pandas as pd

    from sim.figures import draw_map
    from sim.geography import load_geography, simulated_map

    out = Path(args.out)
    if args.results is None:
        draw_map(load_geography(args.map_file), out)
        print(f"wrote {out}")
        return
    results = Path(args.results)
    try:
        manifest = json.loads((results / "manifest.json").read_text(encoding="utf-8"))
        grids = pd.read_csv(results / "grids.csv")
    except (OSError, ValueError) as exc:
        raise CliError(
            f"{results}: not a results directory of govsim run or compare ({exc})"
        ) from None
    names = [s["name"] for s in manifest["scenarios"]]
    name = args.scenario or names[0]
    if name not in names:
        raise CliError(f"--scenario: {name!r} is not in {results} (it has {', '.join(names)})")
    columns = [c for c in grids.columns if c not in ("scenario", "run", "seed", "grid_id", "town",
                                                     "village", "residents")]  # fmt: skip
    if args.metric not in columns:
        raise CliError(
            f"--metric: unknown grid metric {args.metric!r}; expected one of {', '.join(columns)}"
        )
    params = manifest["scenarios"][names.index(name)]["parameters"]
    _, geo = simulated_map(args.map_file or params["map.file"], params["map.towns"])
    values = grid_values(grids[grids["scenario"] == name], args.metric, geo.grid_ids)
    label = args.metric.replace("_", " ")
    if args.metric in COUNTS_PER_1K:
        label += " per 1,000 residents"
    draw_map(geo, out, values=values, label=f"{label} ({name}, mean of runs)")
    print(f"wrote {out}")


def cmd_sweep(args: argparse.Namespace) -> None:
    import signal
    from dataclasses import replace

    from sim.batch import run_sweep
    from sim.sweep import load_sweep

    _check_counts(args)
    if args.max_runs is not None and args.max_runs < 1:
        raise CliError(f"--max-runs: must be at least 1, got {args.max_runs}")
    sweep = load_sweep(args.sweep)
    overrides = dict(parse_set(a) for a in args.set or [])
    if overrides:
        sweep = replace(sweep, scenario=sweep.scenario.with_overrides(overrides))
    if args.days is not None:
        sweep = replace(sweep, days=args.days)
    try:
        sweep.scenario.timeline.check_days(sweep.days)
    except ParameterError as exc:
        raise CliError(f"{sweep.path}: {exc}") from None
    out = Path(args.out) if args.out else Path("results") / "sweeps" / sweep.name

    def stop(signum, frame):  # SIGTERM: stop like Ctrl-C, keeping what has finished
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        counts = run_sweep(
            sweep, out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
            max_runs=args.max_runs, progress=not args.quiet,
        )  # fmt: skip
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not args.quiet:
        print(
            f"{counts['ok']} runs done, {counts['failed']} failed, {counts['skipped']} already "
            f"done before; wrote {out}/ (runs.csv, design.csv, manifest.json)"
        )
    if counts["failed"]:
        print(f"govsim: {counts['failed']} runs failed: see the error column of {out}/runs.csv",
              file=sys.stderr)  # fmt: skip


def cmd_analyze(args: argparse.Namespace) -> None:
    from sim.analysis import load_sweep_results, write_analysis
    from sim.metrics import METRICS

    unknown = [m for m in args.metric or [] if m not in METRICS]
    if unknown:
        raise CliError(
            f"--metric: unknown metric {unknown[0]!r}; expected one of {', '.join(METRICS)}"
        )
    results = load_sweep_results(args.sweep_dir)
    keys = [f.key for f in results.factors]
    if args.lever is not None and args.lever not in keys:
        raise CliError(f"--lever: {args.lever!r} is not a factor of the sweep; expected one of "
                       f"{', '.join(keys)}")  # fmt: skip
    if args.lever is not None and not args.metric:
        raise CliError(
            f"--lever: name the metric to show with --metric NAME ({', '.join(METRICS)})"
        )
    if args.lever is None and results.method not in ("sobol", "morris"):
        raise CliError(
            f"{args.sweep_dir}: a {results.method} design has no sensitivity indices; show a metric "
            f"against a factor with --lever KEY --metric NAME (factors: {', '.join(keys)})"
        )
    out = Path(args.out) if args.out else Path(args.sweep_dir) / "analysis"
    if not args.quiet:
        missing = results.expected - len(results.runs) - results.failed
        print(f"{results.manifest['sweep']}: {results.method} design, {len(results.design)} points "
              f"x {results.manifest['replicates']} replicate(s); {len(results.runs)} runs ok, "
              f"{results.failed} failed, {missing} not run")  # fmt: skip
    written = write_analysis(results, out, metrics=args.metric, lever=args.lever,
                             echo=not args.quiet)  # fmt: skip
    if not args.quiet:
        print(f"\nwrote {out}/ ({', '.join(p.name for p in written)})")


def cmd_calibrate(args: argparse.Namespace) -> None:
    from sim.calibration import load_calibration, search
    from sim.calibration_report import write_calibration

    _check_counts(args)
    calibration = load_calibration(args.calibration)
    try:
        calibration.scenario.timeline.check_days(calibration.days)
    except ParameterError as exc:
        raise CliError(f"{calibration.path}: {exc}") from None
    out = Path(args.out) if args.out else Path("results") / "calibration" / calibration.name
    best, table, check = search(
        calibration, workers=args.workers, scheduler=args.scheduler, progress=not args.quiet
    )
    fit = write_calibration(calibration, best, table, check, out, command=_command(args))
    if not args.quiet:
        print(f"\nbest of {len(table)} candidates (loss {table['loss'].min():.4g}):")
        for key, value in best.items():
            print(f"  {key} = {value}")
        print(f"\n{'target':36s} {'value':>8s} {'interval':>17s} {'simulated':>10s}  95% CI")
        for row in fit.itertuples():
            mark = "inside" if row.inside else "OUTSIDE"
            print(f"{row.metric:36s} {fmt(row.value):>8s} {f'[{fmt(row.low)}, {fmt(row.high)}]':>17s} "
                  f"{fmt(row.mean):>10s}  [{fmt(row.ci_low)}, {fmt(row.ci_high)}] {mark}")  # fmt: skip
        print(f"\nwrote {out}/ (calibrated.toml, fit_report.html, fit.csv, fit.png, "
              "identification.csv, evaluations.csv, manifest.json)")  # fmt: skip


APP = Path(__file__).resolve().parent.parent / "app.py"  # the Solara app at the repository root


def cmd_app(args: argparse.Namespace) -> None:
    """Replace this process by ``solara run app.py`` (so Ctrl-C and signals reach the server)."""
    import os

    if not 1 <= args.port <= 65535:
        raise CliError(f"--port: expected 1-65535, got {args.port}")
    if not APP.is_file():
        raise CliError(f"{APP}: the web app is missing (govsim app runs from a source checkout)")
    command = [sys.executable, "-m", "solara", "run", str(APP), "--host", args.host,
               "--port", str(args.port), "--production"]  # fmt: skip
    print(f"serving the web app on http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    os.chdir(APP.parent)
    os.execv(sys.executable, command)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2, like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"govsim: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="govsim", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    runs = _Parser(add_help=False)  # options shared by run and compare
    runs.add_argument("--days", type=int, default=365, help="days to simulate (default 365)")
    runs.add_argument("--seed", type=int, default=1, help="seed of the first replicate (default 1)")
    runs.add_argument(
        "--set", action="append", metavar="KEY=VALUE",
        help="override a parameter, e.g. --set grid_workers.total=2000 (repeatable)",
    )  # fmt: skip
    runs.add_argument("--workers", type=int, help="parallel processes (default: all local cores)")
    runs.add_argument("--quiet", action="store_true", help="no progress bar or table")
    runs.add_argument(
        "--lang", default="en", choices=list(LANGUAGES), help="language of report.html (en, zh)"
    )

    run = sub.add_parser("run", parents=[runs], help="run a scenario and write its results")
    run.add_argument("scenario", help="a scenario name under scenarios/ or a path to a .toml file")
    run.add_argument(
        "--replicates", type=int, default=1, help="runs with seeds S, S+1, ... (default 1)"
    )
    run.add_argument("--out", help="output directory (default results/SCENARIO)")
    run.set_defaults(func=cmd_run)

    compare = sub.add_parser(
        "compare", parents=[runs], help="run scenarios on the same seeds and compare them"
    )
    compare.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="two or more scenarios")
    compare.add_argument(
        "--replicates", type=int, default=5, help="runs per scenario, seeds S, S+1, ... (default 5)"
    )
    compare.add_argument("--out", help="output directory (default results/A-vs-B)")
    compare.set_defaults(func=cmd_compare)

    executors = _Parser(add_help=False)  # where sweep and calibrate runs go
    where = executors.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local processes (default: all cores)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="a Dask scheduler")

    sweep = sub.add_parser(
        "sweep", parents=[executors], help="run a batch sweep (local processes or a Dask cluster)"
    )
    sweep.add_argument("sweep", help="a sweep file, or a name under scenarios/sweeps/")
    sweep.add_argument("--out", help="output directory (default results/sweeps/NAME)")
    sweep.add_argument(
        "--resume", action="store_true", help="go on with a sweep, skipping runs done"
    )
    sweep.add_argument("--days", type=int, help="days per run (default: the sweep file's)")
    sweep.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="override a parameter of the base scenario of every run")  # fmt: skip
    sweep.add_argument("--max-runs", type=int, help="run only the first N runs of the design")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar or summary line")
    sweep.set_defaults(func=cmd_sweep)

    analyze = sub.add_parser(
        "analyze", help="sensitivity indices of a sweep, or a metric against one of its factors"
    )
    analyze.add_argument("sweep_dir", metavar="SWEEP_DIR", help="the --out directory of a sweep")
    analyze.add_argument("--metric", action="append", metavar="NAME",
                         help="a metric to analyse (repeatable; default: every metric)")  # fmt: skip
    analyze.add_argument("--lever", metavar="KEY", help="show --metric against this factor")
    analyze.add_argument("--out", help="output directory (default SWEEP_DIR/analysis)")
    analyze.add_argument("--quiet", action="store_true", help="no tables")
    analyze.set_defaults(func=cmd_analyze)

    calibrate = sub.add_parser(
        "calibrate", parents=[executors], help="fit free parameters to published figures"
    )
    calibrate.add_argument("calibration", help="a calibration file (see scenarios/calibration/)")
    calibrate.add_argument("--out", help="output directory (default results/calibration/NAME)")
    calibrate.add_argument("--quiet", action="store_true", help="no progress bar or table")
    calibrate.set_defaults(func=cmd_calibrate)

    validate = sub.add_parser("validate", help="check a scenario file without running it")
    validate.add_argument("scenario")
    validate.add_argument("--set", action="append", metavar="KEY=VALUE")
    validate.set_defaults(func=cmd_validate)

    sub.add_parser("list", help="list the named scenarios").set_defaults(func=cmd_list)

    map_ = sub.add_parser(
        "map", help="draw the grid map, by town or by a metric of a results directory"
    )
    map_.add_argument("--out", default="map.png", help="PNG file to write (default map.png)")
    map_.add_argument("--map-file", help="a GeoJSON grid map instead of the shipped one")
    map_.add_argument("--results", help="a results directory of govsim run or compare")
    map_.add_argument(
        "--metric", default="escalations",
        help="per-grid column of grids.csv to colour by (default escalations, per 1,000 residents)",
    )  # fmt: skip
    map_.add_argument("--scenario", help="which scenario of the results (default the first)")
    map_.set_defaults(func=cmd_map)

    app = sub.add_parser("app", help="serve the web app (Solara) in the browser")
    app.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    app.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    app.set_defaults(func=cmd_app)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        args.func(args)
    except (CliError, ScenarioError, ParameterError, MapDataError) as exc:
        print(f"govsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("govsim: interrupted; results already written are kept", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
