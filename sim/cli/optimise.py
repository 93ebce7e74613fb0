"""``govsim optimise``: the policy search, its verified plans and their report."""

from __future__ import annotations

import argparse

from sim.cli.common import CliError, add_command, check_counts, wrote
from sim.labels import label
from sim.runs.datafiles import file_names


def cmd_optimise(args: argparse.Namespace) -> None:
    from pathlib import Path

    from sim.runs.optimise.spec import load_optimisation

    check_counts(args)
    if args.trials is not None and args.trials < 1:
        raise CliError(f"--trials: must be at least 1, got {args.trials}")
    optimisation = load_optimisation(args.optimisation)
    from sim.output.optimisation_report import today_rank_text, write_optimisation
    from sim.output.tables import fmt
    from sim.runs.optimise.command import optimise
    from sim.runs.optimise.verification import holds, plan_name

    out = Path(args.out) if args.out else Path("results") / "optimise" / optimisation.name
    result = optimise(
        optimisation,
        out,
        trials=args.trials,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        progress=not args.quiet,
        lang=args.lang,
        table_format=args.format,
    )
    written = write_optimisation(result, out, lang=args.lang)
    if args.quiet:
        return
    t = lambda key: label("term", key, args.lang)  # noqa: E731
    objective = optimisation.objectives[0].metric
    v = result.verification
    print(today_rank_text(result, t))
    if not result.chosen:
        print(t("cli_optimise_none"))
    for trial in result.chosen:
        name = plan_name(trial)
        line = f"{name}: "
        for c in optimisation.robust:  # how the plan fared set by set in the search
            share = result.trials.set_index("trial").at[trial, f"sets_no_worse:{c.metric}"]
            line += t("opt_sets_no_worse").format(
                metric=c.metric, no_worse=round(share * optimisation.sets), sets=optimisation.sets
            )
            line += "; "
        if v is not None:
            rows = v.differences[
                (v.differences["scenario"] == name)
                & v.differences["metric"].isin([objective, "annual_cost_wan_yuan"])
            ]
            for row in rows.itertuples():
                verdict = t("opt_significant") if row.significant else t("opt_not_significant")
                line += (
                    f"{row.metric} {fmt(row.reference_mean)} -> {fmt(row.mean)} "
                    f"({fmt(row.difference)} [{fmt(row.ci_low)}, {fmt(row.ci_high)}], "
                    f"{verdict}); "
                )
            better, fits = holds(v, name)
            if fits:
                line += t("opt_holds").format(better=better, fits=fits)
        print(line.rstrip("; "))
    print(
        wrote(
            out,
            [
                *file_names(["trials", "frontier"], args.format),
                "study.db",
                "manifest.json",
                *written,
            ],
            replaced=False,
            lang=args.lang,
        )
    )


def add_parser(sub: argparse._SubParsersAction, *, executors: argparse.ArgumentParser) -> None:
    """``govsim optimise FILE.toml [--workers N | --scheduler ...] [--out DIR] [--resume]
    [--trials N]``."""
    parser = add_command(
        sub,
        "optimise",
        cmd_optimise,
        parents=[executors],
        help="search for the best staffing plan under constraints (Optuna), then verify it",
    )
    parser.add_argument(
        "optimisation", help="an optimisation file, or a name under scenarios/optimise/"
    )
    parser.add_argument("--out", help="output directory (default results/optimise/NAME)")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="go on with a search in --out: finished trials are kept",
    )
    parser.add_argument("--trials", type=int, help="trials in all (default: the file's)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")
