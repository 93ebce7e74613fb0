"""Rewrite the golden baseline: ``tests/golden/baseline.json`` (run by ``make golden``).

The golden file holds the summary metrics of the ``baseline`` scenario at a
fixed seed, length and scale. ``tests/test_golden.py`` reruns it and fails on
any difference, so that a change to the model's results shows up in review.
Update the file only when the change is intended, and say why in the commit.
"""

from __future__ import annotations

import json
from pathlib import Path

from sim.runs.runner import run
from sim.runs.scenario import load_scenario

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden" / "baseline.json"
SETUP = {"scenario": "baseline", "seed": 1, "days": 120, "population.scale": 0.05}


def golden_metrics() -> dict[str, float]:
    """The metrics the golden file records, computed now."""
    scenario = load_scenario(SETUP["scenario"])
    params = scenario.params | {"population.scale": SETUP["population.scale"]}
    return run(params, days=SETUP["days"], seed=SETUP["seed"], timeline=scenario.timeline)


def main() -> None:
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    record = {"setup": SETUP, "metrics": golden_metrics()}
    GOLDEN.write_text(json.dumps(record, indent=2, allow_nan=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()
