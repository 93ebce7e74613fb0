"""Rewrite the golden files under ``tests/golden/`` (run by ``make golden``).

Two fixed runs, rerun by ``tests/test_golden.py``, which fails on any difference,
so that a change to the model's results shows up in review:

- ``baseline.json``: the ``baseline`` scenario at a fixed seed, length and scale
  (5% for 120 days): its summary metrics and a SHA-256 hash of what it ends with.
- ``paths.json``: Muzhou at full scale for a year with mediation made harder and
  trust lower (:data:`PATHS_SETUP`), so that every rung of the ladder, every
  response to a failed mediation and every end state occurs; its metrics, the
  hash, and how often each path occurred (:func:`path_counts`). A rule that only
  acts on a rare path (a third petition, a skip from the village) changes the
  hash here even when the baseline's few hundred disputes never take that path.

The hash covers every column of the dispute book (only its filled rows, so not
its capacity) and every resident's trust. Update the files only when a change
of results is intended, and say why in the commit.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from sim.model import agents
from sim.model.disputes import DisputeBook, Level, State
from sim.model.governance import GovernanceModel
from sim.model.metrics import METRICS
from sim.model.phases import MAX_PETITION_SESSIONS
from sim.model.timeline import Timeline
from sim.runs.runner import warm_model
from sim.runs.scenario import load_scenario

FOLDER = Path(__file__).resolve().parent.parent / "tests" / "golden"
GOLDEN = FOLDER / "baseline.json"
PATHS = FOLDER / "paths.json"
SETUP = {"scenario": "baseline", "seed": 1, "days": 120, "population.scale": 0.05}
PATHS_SETUP: dict[str, Any] = {
    "scenario": "baseline",
    "seed": 1,
    "days": 365,
    "params": {
        "map.towns": ["Muzhou"],
        "population.scale": 1.0,
        "run.warmup_days": 30,
        # Harder mediation at every rung and less trust: disputes climb the ladder,
        # low-trust parties skip to a petition, petitioners come back and give up.
        "mediation.base_grid": 1.5,
        "mediation.base_village": 0.0,
        "mediation.base_petition": -2.5,
        "population.trust_mean": 0.45,
        "behaviour.act_out_threshold": 0.5,
    },
    "timeline": {
        "events": [{"kind": "rainstorm", "day": 100, "days": 5}],
        "interventions": [
            {
                "day": 200,
                "mediation": {"three_tuning": "joint"},
                "volunteer_police": {"strategy": "hotspot"},
            }
        ],
    },
}

# Every path a run should take (tests/test_golden.py asserts each occurred at least once).
RUNGS = ("grid", "village", "town", "district", "beyond")
RESPONSES = ("act_out", "drop", "litigate", "skip_from_grid", "skip_from_village", "up_one_level")
END_STATES = ("resolved", "incident", "dormant", "lapsed", "passed_up")
PETITIONS = ("petition_retry", "petition_give_up")


def state_hash(book: DisputeBook, trust: np.ndarray) -> str:
    """SHA-256 of every column of the book (filled rows only) and of the residents' trust."""
    digest = hashlib.sha256()
    for name in DisputeBook.columns():
        column = np.ascontiguousarray(book.view(name))
        digest.update(f"{name}:{column.dtype.str}:{len(column)};".encode())
        digest.update(column.tobytes())
    digest.update(b"trust;" + np.ascontiguousarray(trust, dtype=np.float64).tobytes())
    return digest.hexdigest()


@contextmanager
def counting_responses() -> Iterator[Counter[tuple[Level, agents.Response]]]:
    """Count the responses of parties to failed mediation, by the level that failed."""
    counts: Counter[tuple[Level, agents.Response]] = Counter()
    respond = agents.Resident.respond_to_failure

    def counted(self: agents.Resident, **kwargs: Any) -> agents.Response:
        response = respond(self, **kwargs)
        counts[(Level(kwargs["level"]), response)] += 1
        return response

    agents.Resident.respond_to_failure = counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        agents.Resident.respond_to_failure = respond  # type: ignore[method-assign]


def path_counts(
    model: GovernanceModel, responses: Counter[tuple[Level, agents.Response]]
) -> dict[str, int]:
    """How often each path occurred: rungs reached and end states from the book's columns,
    responses to failure as the parties gave them, petition retries and give-ups from the
    L4 sessions held."""
    book, R = model.book, agents.Response
    max_level, state = book.view("max_level"), book.view("state")
    petitions = book.view("petition_sessions")
    over = (state == State.DORMANT) | (state == State.LAPSED)

    def given(response: agents.Response, *levels: Level) -> int:
        return sum(n for (level, r), n in responses.items() if r is response and level in levels)

    every = tuple(Level)[1:]
    counts = {
        rung: int((max_level == level).sum()) for rung, level in zip(RUNGS, every, strict=True)
    }
    counts |= {
        "act_out": given(R.ACT_OUT, *every),
        "drop": given(R.DROP, *every),
        "litigate": given(R.LITIGATE, *every),
        "skip_from_grid": given(R.SKIP, Level.GRID),
        "skip_from_village": given(R.SKIP, Level.VILLAGE),
        "up_one_level": given(R.ESCALATE, *every),
    }
    counts |= {name: int((state == State[name.upper()]).sum()) for name in END_STATES}
    counts |= {
        "petition_retry": int((petitions >= 2).sum()),
        # Over (dormant or lapsed) after as many L4 sessions as a petitioner holds.
        "petition_give_up": int((over & (petitions >= MAX_PETITION_SESSIONS)).sum()),
    }
    return counts


def _metrics(model: GovernanceModel) -> dict[str, float]:
    return {name: model.current[name] for name in METRICS}


def golden_baseline() -> dict[str, Any]:
    """The baseline's metrics and hash, computed now."""
    scenario = load_scenario(SETUP["scenario"])
    params = scenario.params | {"population.scale": SETUP["population.scale"]}
    with warm_model(
        params, days=SETUP["days"], seed=SETUP["seed"], timeline=scenario.timeline, series=False
    ) as model:
        return {
            "metrics": _metrics(model),
            "hash": state_hash(model.book, model.population.trust),
        }


def golden_metrics() -> dict[str, float]:
    """The metrics the baseline golden file records, computed now."""
    return golden_baseline()["metrics"]


def golden_paths() -> dict[str, Any]:
    """The paths run's metrics, hash and path counts, computed now."""
    scenario = load_scenario(PATHS_SETUP["scenario"])
    params = scenario.params | PATHS_SETUP["params"]
    timeline = Timeline.parse(**PATHS_SETUP["timeline"])
    with counting_responses() as responses:
        model = GovernanceModel(params, rng=PATHS_SETUP["seed"], timeline=timeline, series=False)
        model.run_for(model.warmup + PATHS_SETUP["days"])
    return {
        "metrics": _metrics(model),
        "hash": state_hash(model.book, model.population.trust),
        "paths": path_counts(model, responses),
    }


def _write(path: Path, record: dict[str, Any]) -> None:
    path.write_text(json.dumps(record, indent=2, allow_nan=True) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    _write(GOLDEN, {"setup": SETUP} | golden_baseline())
    _write(PATHS, {"setup": PATHS_SETUP} | golden_paths())


if __name__ == "__main__":
    main()
