"""What every govsim command shares: the bad-input error, scenario loading with --set, checks."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.labels import label
from sim.model.mapcheck import check_reaches_simulated
from sim.model.timeline import MAX_DAYS
from sim.runs.folders import check_ours, check_out, locked
from sim.runs.scenario import Scenario, load_scenario, parse_sets, with_paths_from
from sim.runs.specfile import MAX_COUNT

EXIT_BAD_INPUT = 2


class CliError(Exception):
    """Bad command-line input."""


def load(name: str, args: argparse.Namespace) -> Scenario:
    scenario = load_scenario(name)
    overrides = with_paths_from(Path.cwd(), parse_sets(getattr(args, "set", None) or []))
    if not overrides:
        return scenario
    changed = scenario.with_overrides(overrides)
    check_reaches_simulated(scenario.params, changed.params, where="--set ")
    return changed


def check_counts(args: argparse.Namespace) -> None:
    for flag, most in (("days", MAX_DAYS), ("replicates", MAX_COUNT), ("workers", 4096)):
        value = getattr(args, flag, None)
        if value is not None and not 1 <= value <= most:
            raise CliError(f"--{flag}: must be a whole number from 1 to {most:,}, got {value}")
    seed = getattr(args, "seed", None)
    if seed is not None and not 0 <= seed < 2**63:
        raise CliError(f"--seed: must be a whole number from 0 to 2**63 - 1, got {seed}")


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    func: Callable[[argparse.Namespace], None],
    *,
    parents: list[argparse.ArgumentParser],
    help: str,
) -> argparse.ArgumentParser:
    """The subcommand ``name``, which runs ``func``; the caller adds its own arguments."""
    command = sub.add_parser(name, parents=parents, help=help)
    command.set_defaults(func=func)
    return command


def command_line(args: argparse.Namespace) -> str:
    return shlex.join(["govsim", *args.argv])


@contextmanager
def output_folder(
    out: Path, *, kind: str, force: bool = False, files: tuple[str, ...] = ()
) -> Iterator[bool]:
    """Check ``--out`` before any work (and that none of the ``files`` the command will write
    is a user's) and hold its lock until the results are written.

    Yields whether earlier results there will be replaced.
    """
    replaced = check_out(out, kind=kind, force=force)
    if replaced:
        check_ours(out, files)
    with locked(out):
        yield replaced


def wrote(out: Path, written: list[str], *, replaced: bool, lang: str = "en") -> str:
    """The closing line of a command that wrote a results folder."""
    text = label("term", "cli_replaced" if replaced else "cli_wrote", lang)
    return text.format(out=f"{out}/", files=", ".join(written))
