"""The planner's commands: run, compare, validate, list, map and app."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from sim.cli.common import CliError, check_counts, command_line, load, output_folder, wrote
from sim.labels import label
from sim.model.parameters import ParameterError, defaults
from sim.output.contents import run_files
from sim.runs.ensemble import (
    RUNS_PER_SET,
    check_worlds,
    ensemble_record,
    load_ensemble,
    parse_what_if,
    sets_table,
    worlds_of_runs,
)
from sim.runs.scenario import Scenario, list_scenarios, load_scenario


def cmd_run(args: argparse.Namespace) -> None:
    check_counts(args)
    scenario = load(args.scenario, args)
    out = Path(args.out) if args.out else Path("results") / scenario.name
    files = run_files(args.format)
    with output_folder(out, kind="run", force=args.force, files=files) as replaced:
        # The model's libraries load once the input and --out are known good.
        from sim.output.results import write_results
        from sim.output.tables import print_summary
        from sim.runs.replicates import run_scenarios

        [result] = run_scenarios(
            [scenario],
            days=args.days,
            replicates=args.replicates,
            seed=args.seed,
            workers=args.workers,
            progress=not args.quiet,
            lang=args.lang,
        )
        written = write_results(
            [result],
            out,
            command=command_line(args),
            lang=args.lang,
            force=args.force,
            table_format=args.format,
        )
    if not args.quiet:
        print_summary(result, args.lang)
        print("\n" + wrote(out, written, replaced=replaced, lang=args.lang))


def cmd_compare(args: argparse.Namespace) -> None:
    check_counts(args)
    if len(args.scenarios) < 2:
        raise CliError("compare: name at least two scenarios")
    if not 0 <= args.sets <= 1000:
        raise CliError(f"--sets: must be a whole number from 0 to 1,000, got {args.sets}")
    if args.sets and args.replicates == 1:
        raise CliError(
            "--replicates 1 with --sets: two runs in each set at least tell seed noise from the"
            " parameters (or --sets 0)"
        )
    if args.worth is not None and not 0 < args.worth < 1e9:
        raise CliError(f"--worth: must be a number of wan yuan above 0, got {args.worth:g}")
    if not args.sets and (args.posterior or args.what_if or args.worth is not None):
        flag = "--posterior" if args.posterior else "--what-if" if args.what_if else "--worth"
        raise CliError(f"{flag}: no parameter sets are drawn with --sets 0")
    what_if = [parse_what_if(text) for text in args.what_if or []]
    if len({w.key for w in what_if}) < len(what_if):
        raise CliError("--what-if: one range per parameter")
    replicates = args.replicates or (RUNS_PER_SET if args.sets else 5)
    scenarios: list[Scenario] = []
    for name in args.scenarios:
        scenario = load(name, args)
        taken = {s.name for s in scenarios}
        if scenario.name in taken:
            k = 2
            while f"{scenario.name}-{k}" in taken:
                k += 1
            scenario = replace(scenario, name=f"{scenario.name}-{k}")
        scenarios.append(scenario)
    ensemble = load_ensemble(args.posterior) if args.sets else None  # once the scenarios are good
    out = Path(args.out) if args.out else Path("results") / "-vs-".join(s.name for s in scenarios)
    files = run_files(args.format, compare=True, sets=bool(args.sets))
    with output_folder(out, kind="compare", force=args.force, files=files) as replaced:
        from sim.output.answer import OUTCOMES
        from sim.output.results import write_results
        from sim.output.tables import print_costs, print_differences
        from sim.runs.comparisons import (
            cost_effectiveness,
            district_counts,
            paired_differences,
            town_differences,
        )
        from sim.runs.discovery import (
            WORTH_METRIC,
            discover,
            discovery_tables,
            draw_cost_per_escalation,
            draw_differences,
        )
        from sim.runs.replicates import run_scenarios

        worlds, drawn = None, []
        if ensemble is not None:
            drawn = ensemble.draw(args.sets, seed=args.seed, what_if=what_if)
            check_worlds(scenarios, drawn)
            worlds = worlds_of_runs(drawn, replicates)
        results = run_scenarios(
            scenarios,
            days=args.days,
            replicates=len(worlds) if worlds else replicates,
            seed=args.seed,
            workers=args.workers,
            progress=not args.quiet,
            lang=args.lang,
            worlds=worlds,
        )
        differences = paired_differences(results)
        tables = {
            "cost_effectiveness": cost_effectiveness(results),
            "town_differences": town_differences(results),
        }
        record = None
        if ensemble is not None:
            tables["sets"] = sets_table(drawn)
            record = ensemble_record(ensemble, drawn, replicates, what_if)
            found = [
                discover(
                    draw_differences(results[0].summary, other.summary, metric),
                    tables["sets"],
                    scenario=other.scenario.name,
                    metric=metric,
                    better=better,
                )
                for other in results[1:]
                for metric, better in OUTCOMES.items()
            ]
            if args.worth is not None:  # pays at most args.worth per escalation averted
                base = district_counts(results[0])
                found += [
                    discover(
                        draw_cost_per_escalation(base, district_counts(other)) - args.worth,
                        tables["sets"],
                        scenario=other.scenario.name,
                        metric=WORTH_METRIC,
                        better=-1,
                    )
                    for other in results[1:]
                ]
            tables |= discovery_tables(found)
        written = write_results(
            results,
            out,
            differences=differences,
            tables=tables,
            command=command_line(args),
            lang=args.lang,
            force=args.force,
            table_format=args.format,
            ensemble=record,
        )
    if not args.quiet:
        print_differences(differences, args.lang)
        print_costs(tables["cost_effectiveness"], args.lang)
        print("\n" + wrote(out, written, replaced=replaced, lang=args.lang))


def cmd_validate(args: argparse.Namespace) -> None:
    check_counts(args)
    scenario = load(args.scenario, args)
    try:
        scenario.timeline.check_days(args.days)
    except ParameterError as exc:
        raise CliError(f"{scenario.path}: {exc} (--days {args.days})") from None
    from sim.model.governance import GovernanceModel

    # Building a tiny model checks what the file alone cannot: the map, town names, staff.
    GovernanceModel(
        scenario.params | {"population.scale": 0.001},
        rng=0,
        timeline=scenario.timeline,
        days=args.days,
    )
    changed = sum(scenario.params[k] != v for k, v in defaults().items())
    timeline = scenario.timeline
    print(
        label("term", "cli_valid", args.lang).format(
            path=scenario.path,
            days=args.days,
            changed=changed,
            interventions=len(timeline.interventions),
            events=len(timeline.events),
        )
    )


def cmd_list(args: argparse.Namespace) -> None:
    for name in list_scenarios():
        description = load_scenario(name).title(args.lang).strip().splitlines()
        print(f"{name:34s} {description[0] if description else ''}")


def cmd_plan(args: argparse.Namespace) -> None:
    """Write the scenario's staffing plan (a new file only: an existing one is never replaced)."""
    from sim.model.planfile import plan_csv

    check_counts(args)
    out = Path(args.out)
    if out.exists():
        raise CliError(f"--out {out}: already exists; govsim plan writes only a new file")
    if not out.parent.is_dir():
        raise CliError(f"--out {out}: no folder {out.parent}")
    scenario = load(args.scenario, args)
    from sim.model.mapcheck import plan_of

    plan, geo = plan_of(scenario.params, args.seed)
    try:
        with out.open("x", encoding="utf-8-sig", newline="") as fh:
            fh.write(plan_csv(plan, geo))
    except OSError as exc:
        raise CliError(f"--out {out}: cannot write ({exc.strerror})") from None
    print(
        label("term", "cli_plan", args.lang).format(
            out=out,
            units=geo.n_villages,
            workers=plan.grid_workers.sum(),
            volunteers=plan.volunteer_police.sum(),
            rooms=plan.trust_room.sum(),
            offices=plan.village_office.sum(),
            scenario=scenario.name,
            seed=args.seed,
        )
    )


# The columns of grids.csv that are not metrics: which run and grid a row is, and its residents.
GRID_KEYS = (
    "scenario",
    "run",
    "seed",
    "grid_id",
    "town",
    "village",
    "village_zh",
    "village_code",
    "residents",
)


def check_figure_out(out: Path) -> None:
    """Refuse a ``--out FILE`` for a figure that is a folder, of a format that cannot be marked
    as govsim's, or an existing file govsim did not draw (one line; nothing is replaced)."""
    from sim.output.figures import MAP_CREATOR
    from sim.runs.folders import FIGURE_FORMATS, drawn_by

    if out.suffix.lower() not in FIGURE_FORMATS:
        raise CliError(f"--out {out}: expected a .png, .pdf or .svg file")
    if out.is_dir():
        raise CliError(f"--out {out}: is a folder; name a file to write")
    if (out.exists() or out.is_symlink()) and (out.is_symlink() or not drawn_by(out, MAP_CREATOR)):
        raise CliError(
            f"--out {out}: already exists and govsim did not draw it; choose another --out"
        )


def cmd_map(args: argparse.Namespace) -> None:
    import json

    from sim.model.geography import load_geography, simulated_map
    from sim.output.figures import draw_map
    from sim.output.tables import COUNTS_PER_1K, grid_values
    from sim.runs.datafiles import read_table

    out = Path(args.out)
    check_figure_out(out)
    if args.results is None:
        for option, value in (("--metric", args.metric), ("--scenario", args.scenario)):
            if value is not None:  # it would colour nothing: the map is drawn by town
                raise CliError(
                    f"{option} {value}: has no effect without --results DIR (the results to "
                    "colour the map by)"
                )
        draw_map(load_geography(args.map_file), out, lang=args.lang)
        print(label("term", "cli_wrote_file", args.lang).format(out=out))
        return
    results = Path(args.results)
    try:
        manifest = json.loads((results / "manifest.json").read_text(encoding="utf-8"))
        grids = read_table(results, "grids")
    except (OSError, ValueError) as exc:
        raise CliError(
            f"{results}: not a results directory of govsim run or compare ({exc})"
        ) from None
    names = [s["name"] for s in manifest["scenarios"]]
    name = args.scenario or names[0]
    if name not in names:
        raise CliError(f"--scenario: {name!r} is not in {results} (it has {', '.join(names)})")
    columns = [c for c in grids.columns if c not in GRID_KEYS]
    args.metric = args.metric or "escalations"
    if args.metric not in columns:
        raise CliError(
            f"--metric: unknown grid metric {args.metric!r}; expected one of {', '.join(columns)}"
        )
    params = manifest["scenarios"][names.index(name)]["parameters"]
    _, geo = simulated_map(args.map_file or params["map.file"], params["map.towns"])
    values = grid_values(grids[grids["scenario"] == name], args.metric, geo.grid_ids)
    legend = label("term", "cli_map_legend", args.lang).format(
        metric=args.metric.replace("_", " ")
        if args.lang == "en"
        else label("grid", args.metric, "zh"),
        name=name,
        per=label("term", "cli_per_1k", args.lang) if args.metric in COUNTS_PER_1K else "",
    )
    draw_map(geo, out, values=values, label=legend, lang=args.lang)
    print(label("term", "cli_wrote_file", args.lang).format(out=out))


APP = Path(__file__).resolve().parents[2] / "app.py"  # the Solara app at the repository root


def cmd_app(args: argparse.Namespace) -> None:
    """Serve the app: ``solara run app.py`` as a child process, until Ctrl-C or SIGTERM.

    The server runs in a process group of its own, so a Ctrl-C at the terminal reaches govsim
    alone: govsim stops the server, waits for it, and says so in one line with exit 130 or
    143, as every command does (the server's own "Aborted." and traceback are not shown)."""

    if not 1 <= args.port <= 65535:
        raise CliError(f"--port: expected 1-65535, got {args.port}")
    if not APP.is_file():
        raise CliError(f"{APP}: the web app is missing (govsim app runs from a source checkout)")
    command = [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(APP),
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--production",
    ]
    with socket.socket() as probe:  # say so now, not after Solara has started and failed
        try:
            probe.bind((args.host, args.port))
        except OSError as exc:
            raise CliError(
                f"--port {args.port}: cannot serve on {args.host}:{args.port} ({exc.strerror}); "
                "choose another --port"
            ) from None
    print(
        label("term", "cli_serving", args.lang).format(url=f"http://{args.host}:{args.port}"),
        flush=True,
    )
    server = subprocess.Popen(command, cwd=APP.parent, process_group=0)
    try:
        code = server.wait()
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (sim.runs.executors.stop_on_signals)
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        raise
    if code:
        raise SystemExit(code)  # the server said why on stderr
