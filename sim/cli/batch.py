"""The analyst's commands: sweep, analyze and calibrate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import (
    CliError,
    check_counts,
    command_line,
    output_folder,
    wrote,
)
from sim.labels import label
from sim.model.mapcheck import check_reaches_simulated
from sim.model.parameters import ParameterError
from sim.runs.scenario import parse_sets, with_paths_from

if TYPE_CHECKING:
    import pandas as pd

    from sim.runs.calibrate.spec import Calibration


def cmd_sweep(args: argparse.Namespace) -> None:
    from dataclasses import replace

    from sim.runs.sweep.spec import (
        SECTION_OF_ROLE,
        check_factors_on_map,
        check_plan_factors,
        load_sweep,
    )

    check_counts(args)
    if args.max_runs is not None and args.max_runs < 1:
        raise CliError(f"--max-runs: must be at least 1, got {args.max_runs}")
    sweep = load_sweep(args.sweep)
    overrides = with_paths_from(Path.cwd(), parse_sets(args.set or []))
    if overrides:
        swept = {f.key: f for f in sweep.factors}
        for key in overrides:
            if key in swept:  # every run takes the swept value: --set would change nothing
                section = SECTION_OF_ROLE[swept[key].role]
                raise CliError(f"--set {key}: also swept in [{section}]; set it in one place")
        changed = sweep.scenario.with_overrides(overrides)
        check_reaches_simulated(sweep.scenario.params, changed.params, where="--set ")
        sweep = replace(sweep, scenario=changed)
        try:
            check_plan_factors(sweep.scenario.params, list(sweep.factors))
            check_factors_on_map(sweep.scenario.params, list(sweep.factors))
        except ParameterError as exc:
            raise CliError(f"{sweep.path}: {exc}") from None
    if args.days is not None:
        sweep = replace(sweep, days=args.days)
    try:
        sweep.scenario.timeline.check_days(sweep.days)
    except ParameterError as exc:
        raise CliError(f"{sweep.path}: {exc}") from None
    out = Path(args.out) if args.out else Path("results") / "sweeps" / sweep.name
    from sim.runs.sweep.store import run_sweep  # the model's libraries: the input is good

    counts = run_sweep(
        sweep,
        out,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        max_runs=args.max_runs,
        progress=not args.quiet,
        table_format=args.format,
    )
    if not args.quiet:
        print(
            label("term", "cli_sweep_done", args.lang).format(
                ok=counts["ok"],
                failed=counts["failed"],
                skipped=counts["skipped"],
                out=f"{out}/",
            )
        )
    if counts["failed"]:
        print(
            label("term", "cli_sweep_failed", args.lang).format(n=counts["failed"], out=out),
            file=sys.stderr,
        )


def cmd_analyze(args: argparse.Namespace) -> None:
    from sim.model.metrics import METRICS
    from sim.output.analysis_charts import write_analysis
    from sim.runs.sweep.analysis import load_sweep_results

    unknown = [m for m in args.metric or [] if m not in METRICS]
    if unknown:
        raise CliError(
            f"--metric: unknown metric {unknown[0]!r}; expected one of {', '.join(METRICS)}"
        )
    results = load_sweep_results(args.sweep_dir)
    keys = [f.key for f in results.factors]
    if args.lever is not None and args.lever not in keys:
        raise CliError(
            f"--lever: {args.lever!r} is not a factor of the sweep; expected one of "
            f"{', '.join(keys)}"
        )
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
        print(
            f"{results.manifest['sweep']}: {results.method} design, {len(results.design)} points "
            f"x {results.manifest['replicates']} replicate(s); {len(results.runs)} runs ok, "
            f"{results.failed} failed, {missing} not run"
        )
    written = write_analysis(
        results,
        out,
        metrics=args.metric,
        lever=args.lever,
        echo=not args.quiet,
        lang=args.lang,
        table_format=args.format,
    )
    if not args.quiet:
        print("\n" + wrote(out, [p.name for p in written], replaced=False, lang=args.lang))


def cmd_calibrate(args: argparse.Namespace) -> None:
    from sim.output.contents import calibration_files
    from sim.runs.calibrate.spec import load_calibration

    check_counts(args)
    calibration = load_calibration(args.calibration)
    try:
        calibration.scenario.timeline.check_days(calibration.days)
    except ParameterError as exc:
        raise CliError(f"{calibration.path}: {exc}") from None
    out = Path(args.out) if args.out else Path("results") / "calibration" / calibration.name
    files = calibration_files(args.format, posterior=bool(calibration.posterior_draws))
    with output_folder(out, kind="calibrate", force=args.force, files=files) as replaced:
        _calibrate(calibration, out, args)
    if not args.quiet:
        print(
            wrote(
                out,
                list(files),
                replaced=replaced,
                lang=args.lang,
            )
        )


def _calibrate(calibration: Calibration, out: Path, args: argparse.Namespace) -> pd.DataFrame:
    """Search, write the calibration folder and print the fit."""
    from sim.output.calibration_report import write_calibration
    from sim.output.tables import fmt
    from sim.runs.calibrate.search import search

    best, table, check = search(
        calibration, workers=args.workers, scheduler=args.scheduler, progress=not args.quiet
    )
    fit = write_calibration(
        calibration,
        best,
        table,
        check,
        out,
        command=command_line(args),
        force=args.force,
        table_format=args.format,
    )
    if not args.quiet:
        print(f"\nbest of {len(table)} candidates (loss {table['loss'].min():.4g}):")
        for key, value in best.items():
            print(f"  {key} = {value}")
        print(f"\n{'target':36s} {'value':>8s} {'interval':>17s} {'simulated':>10s}  95% CI")
        for row in fit.itertuples():
            mark = "inside" if row.inside else "OUTSIDE"
            name = f"{row.metric} with {row.effect_of}" if row.effect_of else row.metric
            print(
                f"{name:36s} {fmt(row.target):>8s} {f'[{fmt(row.low)}, {fmt(row.high)}]':>17s} "
                f"{fmt(row.mean):>10s}  [{fmt(row.mean_ci_low)}, {fmt(row.mean_ci_high)}] {mark}"
            )
    return fit
