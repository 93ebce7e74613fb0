"""``run_scenarios(on_run=...)``: told of every run as it finishes (the app counts them), and
stopped by an exception it raises, in this process and on a process pool alike."""

from __future__ import annotations

import multiprocessing

import pytest

from sim.runs.replicates import run_scenarios
from sim.runs.scenario import load_scenario

TINY = {"population.scale": 0.02, "run.warmup_days": 0}


class Enough(Exception):
    """Raised by the callback to stop the runs."""


def _scenarios():
    base = load_scenario("baseline").with_overrides(TINY)
    return [base, base.with_overrides({"grid_workers.total": 2000})]


def test_on_run_is_called_once_for_every_run():
    calls: list[int] = []
    results = run_scenarios(
        _scenarios(), days=3, replicates=3, workers=1, on_run=lambda: calls.append(1)
    )
    assert len(calls) == 2 * 3 == sum(len(r.summary) for r in results)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_exception_from_on_run_stops_the_runs(workers):
    calls: list[int] = []

    def stop_at_two() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise Enough

    with pytest.raises(Enough):
        run_scenarios(_scenarios(), days=3, replicates=4, workers=workers, on_run=stop_at_two)
    assert len(calls) == 2  # no run was counted after the stop
    assert multiprocessing.active_children() == []  # a pool's workers were ended
