"""The ``govsim`` command (also ``python -m sim``).

    govsim run SCENARIO [--days N] [--replicates R] [--seed S] [--set key=value ...] [--out DIR]
    govsim validate SCENARIO
    govsim list
    govsim map [--out FILE.png]

Bad input prints one line naming the file, key and reason, and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.geography import MapDataError
from sim.parameters import ParameterError
from sim.report import print_summary, write_run
from sim.scenario import ScenarioError, list_scenarios, load_scenario, parse_set

EXIT_BAD_INPUT = 2


class CliError(Exception):
    """Bad command-line input."""


def _scenario(args: argparse.Namespace):
    scenario = load_scenario(args.scenario)
    overrides = dict(parse_set(a) for a in getattr(args, "set", None) or [])
    return scenario.with_overrides(overrides) if overrides else scenario


def cmd_run(args: argparse.Namespace) -> None:
    from sim.experiments import run_replicates

    scenario = _scenario(args)
    if args.days < 1 or args.replicates < 1:
        raise CliError("--days and --replicates must be at least 1")
    out = Path(args.out) if args.out else Path("results") / scenario.name
    result = run_replicates(
        scenario,
        days=args.days,
        replicates=args.replicates,
        seed=args.seed,
        progress=not args.quiet,
    )
    write_run(result, out)
    if not args.quiet:
        print_summary(result)
        print(f"\nwrote {out}/ (summary.csv, timeseries.csv, grids.csv, manifest.json)")


def cmd_validate(args: argparse.Namespace) -> None:
    scenario = _scenario(args)
    from sim.model import GovernanceModel

    GovernanceModel(
        scenario.params | {"population.scale": 0.001}, rng=0
    )  # map, towns and staff resolve
    print(f"{scenario.path}: ok ({len(scenario.overrides)} settings differ from the defaults)")


def cmd_list(args: argparse.Namespace) -> None:
    for name in list_scenarios():
        description = load_scenario(name).description.strip().splitlines()
        print(f"{name:28s} {description[0] if description else ''}")


def cmd_map(args: argparse.Namespace) -> None:
    from sim.geography import load_geography
    from sim.report import draw_map

    out = Path(args.out)
    draw_map(load_geography(args.map_file), out)
    print(f"wrote {out}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govsim", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and write its results")
    run.add_argument("scenario", help="a scenario name under scenarios/ or a path to a .toml file")
    run.add_argument("--days", type=int, default=365, help="days to simulate (default 365)")
    run.add_argument(
        "--replicates", type=int, default=1, help="runs with seeds S, S+1, ... (default 1)"
    )
    run.add_argument("--seed", type=int, default=1, help="seed of the first replicate (default 1)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter")
    run.add_argument("--out", help="output directory (default results/SCENARIO)")
    run.add_argument("--quiet", action="store_true", help="no progress bar or table")
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check a scenario file without running it")
    validate.add_argument("scenario")
    validate.add_argument("--set", action="append", metavar="KEY=VALUE")
    validate.set_defaults(func=cmd_validate)

    sub.add_parser("list", help="list the named scenarios").set_defaults(func=cmd_list)

    map_ = sub.add_parser("map", help="draw the grid map coloured by town")
    map_.add_argument("--out", default="map.png", help="PNG file to write (default map.png)")
    map_.add_argument("--map-file", help="a GeoJSON grid map instead of the shipped one")
    map_.set_defaults(func=cmd_map)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
