"""The golden runs: the model's results must not change unless someone means them to.

``baseline.json`` is the baseline scenario, small and short; ``paths.json`` is a
year of Muzhou in which every rung, every response to a failed mediation and
every end state occurs, so a changed rule on a rare path shows up too. Both
record a SHA-256 hash of the dispute book and the residents' trust
(``tools/update_golden.py``; rewrite them with ``make golden``).
"""

import json
import math

import numpy as np
import pytest

from sim.model.disputes import DisputeBook
from tools.update_golden import (
    END_STATES,
    GOLDEN,
    PATHS,
    PATHS_SETUP,
    PETITIONS,
    RESPONSES,
    RUNGS,
    SETUP,
    golden_baseline,
    golden_paths,
    state_hash,
)

UPDATE = "if that is intended, run `make golden` and commit tests/golden/ with the reason"


def _changed_metrics(before: dict[str, float], now: dict[str, float]) -> list[str]:
    return [
        f"{name}: {before.get(name)} -> {value}"
        for name, value in now.items()
        if not (
            name in before
            and (
                math.isclose(value, before[name], rel_tol=1e-9, abs_tol=1e-12)
                or (math.isnan(value) and math.isnan(before[name]))
            )
        )
    ]


@pytest.fixture(scope="module")
def paths_run():
    return golden_paths()


def test_baseline_matches_the_golden_file():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden["setup"] == SETUP
    now = golden_baseline()
    changed = _changed_metrics(golden["metrics"], now["metrics"])
    assert not changed, f"the baseline's results changed; {UPDATE}:\n  " + "\n  ".join(changed)
    assert now["hash"] == golden["hash"], f"the baseline's disputes or trust changed; {UPDATE}"


def test_every_rung_response_and_end_state_occurs_in_the_paths_run(paths_run):
    counts = paths_run["paths"]
    assert set(counts) == {*RUNGS, *RESPONSES, *END_STATES, *PETITIONS}
    missing = [path for path, n in counts.items() if n < 1]
    assert not missing, f"the paths run no longer takes these paths: {missing}"


def test_paths_run_matches_the_golden_file(paths_run):
    golden = json.loads(PATHS.read_text(encoding="utf-8"))
    assert golden["setup"] == json.loads(json.dumps(PATHS_SETUP))
    changed = _changed_metrics(golden["metrics"], paths_run["metrics"])
    changed += [
        f"{path}: {golden['paths'].get(path)} -> {n}"
        for path, n in paths_run["paths"].items()
        if golden["paths"].get(path) != n
    ]
    assert not changed, f"the paths run's results changed; {UPDATE}:\n  " + "\n  ".join(changed)
    assert paths_run["hash"] == golden["hash"], (
        f"the paths run's disputes or trust changed; {UPDATE}"
    )


def test_the_hash_reads_the_books_filled_rows_and_the_trust_only():
    def book(capacity: int) -> DisputeBook:
        b = DisputeBook(capacity=capacity)
        b.add(3, grid=np.array([1, 2, 3]), intensity=np.array([0.1, 0.2, 0.3]))
        return b

    trust = np.array([0.5, 0.6])
    assert state_hash(book(1), trust) == state_hash(book(1000), trust)
    changed = book(8)
    changed.intensity[2] = 0.31
    assert state_hash(changed, trust) != state_hash(book(8), trust)
    assert state_hash(book(8), np.array([0.5, 0.61])) != state_hash(book(8), trust)
