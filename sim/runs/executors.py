"""Where runs execute: a local process pool, or a Dask cluster, behind ``concurrent.futures``.

Replicates (``govsim run``/``compare``), sweeps and calibrations all take their
executor from :func:`executor_for`. Nothing here runs at import: the start
method is chosen per pool, never set globally.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TextIO

from sim.labels import translate
from sim.runs.scenario import ScenarioError


def process_context() -> multiprocessing.context.BaseContext:
    """Fresh worker processes ("forkserver" where there is one): no fork of a threaded parent.

    The fork server imports the model once, so each worker starts in milliseconds
    instead of importing numpy, scipy, pandas and Mesa again.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.runs.runner"])
    return context


UNGUARDED_SCRIPT = (
    "worker processes re-run the script that started them, and this one calls the model at its "
    'top level: put that code under `if __name__ == "__main__":` to use every core'
)


def check_not_bootstrapping() -> None:
    """Refuse to run the model while this process is a worker re-importing the main script.

    Process pools start workers that import the main module again; a script
    that calls the model at its top level, unguarded, would otherwise run it
    again in every worker before failing. The worker exits quietly; the parent
    says why once (:data:`UNGUARDED_SCRIPT`) and runs in one process.
    """
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise SystemExit(1)


def started_from_a_script() -> bool:
    """True when the main module is a script file (not a notebook, the REPL or ``-m``)."""
    main = sys.modules.get("__main__")
    return getattr(main, "__file__", None) is not None and getattr(main, "__spec__", None) is None


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM, raised in the main process by :func:`stop_on_signals`: the
    work stops, every finished result is kept. ``folder`` is the output folder being written
    (set by :func:`sim.runs.folders.locked`), ``resumable`` whether ``--resume`` goes on."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__()
        self.signum = signum
        self.folder: os.PathLike[str] | None = None
        self.resumable = False


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Inside the block SIGINT and SIGTERM alike raise :class:`Interrupted` (once: a second
    signal while the work is stopping is ignored, so the clean-up finishes); the previous
    handlers are back afterwards. Outside the main thread it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = False

    def interrupt(signum: int, frame: object) -> None:
        nonlocal raised
        if raised:
            return
        raised = True
        if _HELD:  # inside `uninterrupted()`: raised when that block ends
            _HELD[-1].append(signum)
            return
        raise Interrupted(signum)

    def unraisable(hook: Any) -> None:
        """An interrupt raised where Python cannot raise it (a weakref callback, a ``__del__``:
        printed as "Exception ignored" and lost) is delivered again, to be raised in the work."""
        nonlocal raised
        if isinstance(hook.exc_value, Interrupted):  # sent again in 20 ms, from a thread: by
            raised = False  # then this hook has returned, and it is raised in the work
            again = threading.Timer(0.02, os.kill, (os.getpid(), hook.exc_value.signum))
            again.daemon = True
            again.start()
            resent.append(again)
        else:
            was(hook)

    resent: list[threading.Timer] = []
    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    was, sys.unraisablehook = sys.unraisablehook, unraisable
    try:
        yield
    finally:
        for timer in resent:  # the work ended first: no late signal for the handlers after it
            timer.cancel()
        sys.unraisablehook = was
        for signum, handler in previous.items():
            signal.signal(signum, handler)


_HELD: list[list[int]] = []  # the signals caught inside each open `uninterrupted()` block


@contextmanager
def uninterrupted() -> Iterator[None]:
    """A block that an interrupt does not cut short (moving results into place): a signal
    caught by :func:`stop_on_signals` inside it raises :class:`Interrupted` when it ends."""
    _HELD.append([])
    try:
        yield
    finally:
        caught = _HELD.pop()
    if caught:
        raise Interrupted(caught[0])


def end_workers(pool: ProcessPoolExecutor, *, grace: float = 5.0) -> None:
    """End the pool's worker processes now, runs in progress included (after an interrupt or
    an error: ``shutdown`` alone would let them finish their runs, for minutes)."""
    # concurrent.futures has no public way before Python 3.14 (terminate_workers).
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(grace)
        if process.is_alive():
            process.kill()
            process.join(grace)


def warnings_on_one_line(lang: str) -> None:
    """Show this process's warnings as the command line shows an error: one line on stderr,
    ``govsim: warning: `` and the message in ``lang``, not Python's file, line and source.
    The local pools made after it (:func:`executor_for`) show their workers' warnings so too."""
    prefix = f"govsim: {translate('warning', lang)}: "

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        print(
            prefix + translate(" ".join(str(message).splitlines()), lang), file=file or sys.stderr
        )

    show.lang = lang  # type: ignore[attr-defined]  # read by executor_for for its workers
    warnings.showwarning = show


def start_worker(warnings_lang: str | None = None) -> None:
    """Set up a pool's worker process: it ignores Ctrl-C (the main process decides what
    stops), its progress bars hold a lock of this process only, so a worker ended by
    :func:`end_workers` leaves no semaphore behind (nor a warning about one), and, when the
    main process shows warnings on one line (``warnings_lang``), so does the worker."""
    from tqdm import tqdm

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tqdm.set_lock(threading.RLock())
    if warnings_lang is not None:
        warnings_on_one_line(warnings_lang)


@contextmanager
def executor_for(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """A local process pool (``workers`` processes), or the executor of a Dask cluster.

    Local workers ignore Ctrl-C (the main process decides what stops); when the block ends
    by an exception (an interrupt) they are ended at once (:func:`end_workers`), so no worker
    outlives the command.
    """
    if scheduler is None:
        pool = ProcessPoolExecutor(
            max_workers=workers or default_workers(),
            mp_context=process_context(),
            initializer=start_worker,
            initargs=(getattr(warnings.showwarning, "lang", None),),
        )
        try:
            yield pool
        except BaseException:
            end_workers(pool)  # before shutdown, which forgets the processes
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return
    try:
        from distributed import Client
    except ImportError:
        raise ScenarioError(
            "--scheduler: Dask is not installed (pip install 'xinhui-govsim[dask]')"
        ) from None
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ScenarioError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    try:
        yield client.get_executor(pure=False)  # pure=False: equal-looking runs are not merged
    finally:
        client.close()
