import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.model.metrics import METRICS
from sim.runs.comparisons import paired_differences
from sim.runs.replicates import RunResult, run_scenario, run_scenarios
from sim.runs.scenario import load_scenario

MUZHOU = load_scenario("muzhou").with_overrides({"population.scale": 0.2})


def test_parallel_replicates_equal_serial_ones():
    serial = run_scenarios([MUZHOU], days=25, replicates=3, seed=4, workers=1)[0]
    parallel = run_scenarios([MUZHOU], days=25, replicates=3, seed=4, workers=2)[0]
    assert parallel.timings["workers"] == 2
    pd.testing.assert_frame_equal(serial.summary, parallel.summary)
    pd.testing.assert_frame_equal(serial.timeseries, parallel.timeseries)
    pd.testing.assert_frame_equal(serial.grids, parallel.grids)
    assert serial.summary["seed"].tolist() == [4, 5, 6]
    assert serial.summary["scenario"].unique().tolist() == ["muzhou"]


def test_scenarios_share_seeds_and_a_scenario_matches_itself():
    a, b = run_scenarios([MUZHOU, MUZHOU], days=20, replicates=3, seed=1)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    differences = paired_differences([a, b])
    assert set(differences["metric"]) == set(METRICS)
    finite = differences.dropna(subset=["difference"])
    assert (finite["difference"] == 0).all() and not differences["significant"].any()


def fake_result(name: str, column: list[float]) -> RunResult:
    summary = pd.DataFrame({m: column for m in METRICS})
    scenario = load_scenario("muzhou")
    from dataclasses import replace

    return RunResult(replace(scenario, name=name), 10, [1, 2, 3], summary, None, None)


def test_paired_differences_match_a_paired_t_interval():
    a = fake_result("a", [1.0, 2.0, 3.0])
    b = fake_result("b", [1.5, 2.9, 3.4])
    row = paired_differences([a, b]).iloc[0]
    interval = stats.ttest_rel([1.5, 2.9, 3.4], [1.0, 2.0, 3.0]).confidence_interval(0.95)
    assert row["difference"] == pytest.approx(0.6)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((interval.low, interval.high))
    assert row["significant"] == (interval.low > 0)
    assert row["reference"] == "a" and row["scenario"] == "b"


def test_a_constant_difference_is_significant_and_one_replicate_never_is():
    a, b = fake_result("a", [1.0, 2.0, 3.0]), fake_result("b", [2.0, 3.0, 4.0])
    row = paired_differences([a, b]).iloc[0]
    assert row["ci_low"] == row["ci_high"] == 1.0 and row["significant"]
    single = [
        RunResult(r.scenario, 10, [1], r.summary.iloc[:1], None, None)
        for r in (fake_result("a", [1.0, 2.0, 3.0]), fake_result("b", [5.0, 2.0, 3.0]))
    ]
    row = paired_differences(single).iloc[0]
    assert row["difference"] == 4.0 and np.isnan(row["ci_low"]) and not row["significant"]


def test_run_scenario_takes_a_name():
    result = run_scenario("muzhou", replicates=1, seed=2, days=5)
    assert result.scenario.name == "muzhou" and len(result.summary) == 1
    assert set(result.timeseries["day"]) == set(range(1, 6))
