"""``govsim`` and ``python -m sim``: the command line, interruptible from its first moment.

Importing the model takes a second or two. A Ctrl-C (SIGINT) or SIGTERM in that time would
otherwise print Python's traceback or end the process without a word; here it prints one line
and exits 130 or 143, as an interrupt does later (:func:`sim.cli.main`). Nothing has been
written by then.
"""

import os
import signal
import sys

STARTING = "govsim: interrupted while starting; nothing was written (启动时中断，未写入任何文件)\n"


def _interrupted_while_starting(signum: int, frame: object) -> None:
    os.write(sys.stderr.fileno(), STARTING.encode())
    os._exit(128 + signum)


def run() -> int:
    """The ``govsim`` command: signals caught first, then the command line imported and run."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupted_while_starting)
    from sim.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
