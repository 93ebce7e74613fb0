"""The loop that fans runs out to an executor, under interrupts (:mod:`sim.runs.fanout`)."""

from __future__ import annotations

import os
import signal
from concurrent.futures import Executor, Future

import pytest

from sim.runs.executors import Interrupted, stop_on_signals
from sim.runs.fanout import FanOut


class SignalledWhileSubmitting(Executor):
    """An executor whose every submit is hit by SIGTERM, as a pool is when a Ctrl-C or a kill
    comes while it starts a worker process."""

    def __init__(self) -> None:
        self.futures: list[Future] = []

    def submit(self, fn, /, *args, **kwargs) -> Future:
        os.kill(os.getpid(), signal.SIGTERM)
        future: Future = Future()
        self.futures.append(future)  # reached only if the signal waits for the submit to end
        return future


def test_a_signal_during_a_submit_is_raised_once_the_submit_is_done():
    executor = SignalledWhileSubmitting()
    fan: FanOut[str] = FanOut(executor, in_flight=2)
    with pytest.raises(Interrupted) as caught, stop_on_signals():
        for _ in fan.results(iter([("plan", [object()])])):
            pass
    assert caught.value.signum == signal.SIGTERM
    [future] = executor.futures  # the submit finished: its run is known to the loop ...
    fan.cancel()
    assert future.cancelled()  # ... which cancels it, rather than leave a worker half started


class SignalledWhileFinalised:
    """An object whose finaliser is hit by SIGTERM: Python cannot raise from a finaliser."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10_000):  # the handler runs in here
            pass


def test_an_interrupt_that_lands_in_a_finaliser_is_raised_in_the_work_not_lost(capsys):
    with pytest.raises(Interrupted), stop_on_signals():
        SignalledWhileFinalised()  # finalised at once
        for _ in range(10**8):  # the work, which the interrupt must stop
            pass
    assert "Exception ignored" not in capsys.readouterr().err
