"""The golden baseline: the model's results must not change unless someone means them to."""

import json
import math

from tools.update_golden import GOLDEN, SETUP, golden_metrics


def test_baseline_matches_the_golden_file():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden["setup"] == SETUP
    now = golden_metrics()
    changed = [
        f"{name}: {golden['metrics'].get(name)} -> {value}"
        for name, value in now.items()
        if not (
            name in golden["metrics"]
            and (
                math.isclose(value, golden["metrics"][name], rel_tol=1e-9, abs_tol=1e-12)
                or (math.isnan(value) and math.isnan(golden["metrics"][name]))
            )
        )
    ]
    assert not changed, (
        "the baseline's results changed; if that is intended, run `make golden` and commit "
        "tests/golden/baseline.json with the reason:\n  " + "\n  ".join(changed)
    )
