"""The fan-out loop: jobs of runs sent to an executor, a bounded number in flight, results
as they complete.

Replicates, sweeps, calibrations and optimisations all go through :class:`FanOut`. A job
is a key and the :class:`~sim.runs.runner.RunSpec` of its runs (a sweep run, a calibration
candidate's replicates, an optimisation trial's runs); at most ``in_flight`` jobs have runs
on the executor at once, and a job's records come out together, in the order of its
specs, as soon as its last run is done. The source of jobs is read lazily, only when a job
can start, so a search may choose the next job from the results so far; it may give
``None`` for "nothing to start now". The loop also deals, in one place, with a process
pool that broke (a script that runs the model unguarded: the rest runs in this process)
and with interrupts (:meth:`FanOut.drain`, :meth:`FanOut.cancel`; the signals themselves
are :func:`sim.runs.executors.stop_on_signals`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sim.runs.executors import UNGUARDED_SCRIPT, started_from_a_script, uninterrupted
from sim.runs.runner import RunRecord, RunSpec, execute


class FanOut[K: Hashable]:
    """Runs jobs on ``executor`` (None: one after another in this process), at most
    ``in_flight`` jobs at a time; ``on_run`` is called with every run's record as it
    arrives (a progress bar)."""

    def __init__(
        self,
        executor: Executor | None,
        *,
        in_flight: int,
        on_run: Callable[[RunRecord], Any] | None = None,
    ) -> None:
        self.executor = executor
        self.in_flight = max(1, in_flight)
        self.on_run = on_run
        self._pending: dict[Future[RunRecord], tuple[int, int]] = {}  # -> (job, run)
        self._open: dict[int, tuple[K, list[RunRecord | None]]] = {}
        self._specs: dict[int, Sequence[RunSpec]] = {}

    @property
    def in_process(self) -> bool:
        """True when runs go on in this process (no executor, or the pool broke)."""
        return self.executor is None

    def results(
        self, jobs: Iterable[tuple[K, Sequence[RunSpec]] | None]
    ) -> Iterator[tuple[K, list[RunRecord]]]:
        """Each job's key and records, as jobs complete (in job order in this process)."""
        source = iter(jobs)
        if self.executor is not None:
            try:
                yield from self._on_executor(source)
                return
            except BrokenProcessPool:
                if not started_from_a_script():
                    raise
                print(
                    f"govsim: warning: {UNGUARDED_SCRIPT}; running in this one process instead",
                    file=sys.stderr,
                )
            self.executor = None
            self._pending.clear()
            for number in sorted(self._open):  # the jobs that were on the pool, again
                key, specs = self._open.pop(number)[0], self._specs.pop(number)
                yield key, [self._run_here(spec) for spec in specs]
        yield from self._here(source)

    def _on_executor(
        self, source: Iterator[tuple[K, Sequence[RunSpec]] | None]
    ) -> Iterator[tuple[K, list[RunRecord]]]:
        number = 0
        while self.executor is not None:
            while len(self._open) < self.in_flight:
                job = next(source, None)
                if job is None:
                    break
                key, specs = job
                if not specs:
                    yield key, []
                    continue
                self._open[number] = (key, [None] * len(specs))
                self._specs[number] = specs
                for i, spec in enumerate(specs):
                    with uninterrupted():  # a submit may start a worker: not cut half-started
                        self._pending[self.executor.submit(execute, spec)] = (number, i)
                number += 1
            if not self._pending:
                return
            finished, _ = wait(self._pending, return_when=FIRST_COMPLETED)
            for future in finished:
                done = self._arrived(future)
                if done is not None:
                    yield done

    def _here(
        self, source: Iterator[tuple[K, Sequence[RunSpec]] | None]
    ) -> Iterator[tuple[K, list[RunRecord]]]:
        for job in source:
            if job is None:
                return
            key, specs = job
            yield key, [self._run_here(spec) for spec in specs]

    def _run_here(self, spec: RunSpec) -> RunRecord:
        record = execute(spec)
        if self.on_run is not None:
            self.on_run(record)
        return record

    def _arrived(self, future: Future[RunRecord]) -> tuple[K, list[RunRecord]] | None:
        """Keep a finished run's record; its job's key and records when it was the last."""
        number, i = self._pending.pop(future)
        record = future.result()
        if self.on_run is not None:
            self.on_run(record)
        key, records = self._open[number]
        records[i] = record
        if any(r is None for r in records):
            return None
        del self._open[number], self._specs[number]
        return key, [r for r in records if r is not None]

    def cancel(self) -> None:
        """Cancel the runs not started yet (after an interrupt); running ones are left."""
        for future in self._pending:
            future.cancel()

    def drain(self) -> Iterator[tuple[K, list[RunRecord]]]:
        """After an interrupt: cancel the runs not started and give the jobs that the runs
        already finished complete (so that nothing finished is lost). Runs still going are
        not waited for: the executor's workers are ended (:func:`executor_for`)."""
        self.cancel()
        for future in [f for f in self._pending if f.done()]:
            if not future.cancelled() and future.exception() is None:
                done = self._arrived(future)
                if done is not None:
                    yield done
