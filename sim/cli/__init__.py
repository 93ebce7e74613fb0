"""The ``govsim`` command (also ``python -m sim``): see :mod:`sim.cli.parser` for its usage.

:mod:`sim.cli.commands` has the planner's commands (run, compare, validate,
list, map, app), :mod:`sim.cli.batch` the analyst's (sweep, analyze,
calibrate). Bad input prints one line naming the file, key and reason, and
exits 2. Ctrl-C (SIGINT) and SIGTERM stop every command alike: one line saying what is kept,
the worker processes ended, the folder's lock released, exit 130 (SIGINT) or 143 (SIGTERM).
"""

from __future__ import annotations

import os
import signal
import sys
import warnings

from sim.cli.common import EXIT_BAD_INPUT, CliError
from sim.cli.parser import ERROR_LANGUAGE, build_parser
from sim.labels import LANGUAGES, default_language, translate
from sim.model.geography import MapDataError
from sim.model.parameters import ParameterError
from sim.runs.executors import stop_on_signals, warnings_on_one_line
from sim.runs.scenario import ScenarioError

__all__ = ["build_parser", "main"]


def requested_language(argv: list[str]) -> str:
    """The ``--lang`` of ``argv`` if it names a language, else the locale's (``LANG``, ``LC_ALL``)."""
    for i, word in enumerate(argv):
        value = word.split("=", 1)[1] if word.startswith("--lang=") else None
        if word == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        if value in LANGUAGES:
            return value
    return default_language()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    lang = ERROR_LANGUAGE[0] = requested_language(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    args.lang = args.lang or lang
    error = f"govsim: {translate('error', lang)}:"
    try:
        with warnings.catch_warnings(), stop_on_signals():  # Ctrl-C and SIGTERM alike: Interrupted
            warnings_on_one_line(args.lang)  # as an error shows, till the command ends
            args.func(args)
            sys.stdout.flush()
    except (CliError, ScenarioError, ParameterError, MapDataError) as exc:
        reason = " ".join(str(exc).splitlines())  # one line, whatever the input held
        print(f"{error} {translate(reason, lang)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away (govsim list | head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # cannot write where told (read-only folder, disk full, ...)
        where = f"{exc.filename}: " if exc.filename else ""
        print(
            translate(f"{error} {where}cannot write ({exc.strerror or exc})", lang), file=sys.stderr
        )
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        print(translate(interrupted_line(exc), lang), file=sys.stderr)
        return 128 + getattr(exc, "signum", signal.SIGINT)
    return 0


def interrupted_line(exc: KeyboardInterrupt) -> str:
    """The one line of an interrupted command: what is kept, and where."""
    folder = getattr(exc, "folder", None)
    if folder is None:
        return "govsim: interrupted; results already written are kept"
    if getattr(exc, "resumable", False):
        return f"govsim: interrupted; finished runs kept in {folder} (--resume goes on)"
    return f"govsim: interrupted; {folder} left as it was"


if __name__ == "__main__":
    sys.exit(main())
