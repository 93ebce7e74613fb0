"""``sim.run`` driven by EMA Workbench 3 and SALib as their users write it: their parameter classes
and samples, values handed to ``sim.run`` as they come (numpy scalars), at a tiny scale (Muzhou at
10% scale, a short warm-up, 60 days). Each test checks that the values took effect: the same run
from plain Python values gives the same metrics, and the cost follows the staff."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from ema_workbench import (
    CategoricalParameter,
    Constant,
    IntegerParameter,
    Model,
    RealParameter,
    ReplicatorModel,
    Sample,
    ScalarOutcome,
    optimize,
    perform_experiments,
)
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import sobol

import sim

TINY = {"map.towns": ["Muzhou"], "population.scale": 0.1, "run.warmup_days": 30}
DAYS = 60
OUTCOMES = ("annual_cost_wan_yuan", "disputes_per_1k", "detected_share")


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


class Recorder:
    """The model function an analyst writes over ``sim.run``, remembering what it was given."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self,
        grid_workers: int = 1000,
        allocation: str = "population",
        act_out_threshold: float = 0.7,
        trust_mean: float = 0.6,
        days: int = DAYS,
        seed: int = 1,
    ) -> dict[str, float]:
        given = dict(
            grid_workers=grid_workers,
            allocation=allocation,
            act_out_threshold=act_out_threshold,
            trust_mean=trust_mean,
            days=days,
            seed=seed,
        )
        self.calls.append(given)
        return sim.run(params(given), days=days, seed=seed)


def params(given: dict[str, Any]) -> dict[str, Any]:
    return TINY | {
        "grid_workers.total": given["grid_workers"],
        "grid_workers.allocation": given["allocation"],
        "behaviour.act_out_threshold": given["act_out_threshold"],
        "population.trust_mean": given["trust_mean"],
    }


def as_python(given: dict[str, Any]) -> dict[str, Any]:
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in given.items()}


def test_perform_experiments_passes_its_samples_through_sim_run_unchanged():
    recorder = Recorder()
    model = Model("govsim", function=recorder)
    model.uncertainties = [
        RealParameter("act_out_threshold", 0.5, 0.9),
        RealParameter("trust_mean", 0.4, 0.8),
    ]
    model.levers = [
        IntegerParameter("grid_workers", 500, 3000),
        CategoricalParameter("allocation", ["equal", "population", "risk"]),
    ]
    model.constants = [Constant("days", DAYS), Constant("seed", 7)]
    model.outcomes = [ScalarOutcome(name) for name in OUTCOMES]

    experiments, outcomes = perform_experiments(model, scenarios=3, policies=2)

    assert len(experiments) == len(recorder.calls) == 6
    assert any(isinstance(c["grid_workers"], np.integer) for c in recorder.calls)  # as EMA gives
    for row, given in zip(experiments.itertuples(), recorder.calls, strict=True):
        assert given["grid_workers"] == row.grid_workers and given["allocation"] == row.allocation
        assert given["act_out_threshold"] == row.act_out_threshold and given["seed"] == 7
    for i, given in enumerate(recorder.calls):  # numpy values run as the Python ones
        plain = sim.run(params(as_python(given)), days=DAYS, seed=7)
        for name in OUTCOMES:
            assert same(outcomes[name][i], plain[name]), (i, name)
    by_staff = pd.Series(outcomes["annual_cost_wan_yuan"]).groupby(experiments["grid_workers"])
    costs = by_staff.mean().sort_index()
    assert len(costs) == 2 and costs.iloc[1] > costs.iloc[0]  # the lever acts


def test_optimize_against_a_reference_scenario_averages_the_replicates(tmp_path):
    recorder = Recorder()
    model = ReplicatorModel("govsim", function=recorder)
    model.uncertainties = [
        RealParameter("act_out_threshold", 0.5, 0.9),
        RealParameter("trust_mean", 0.4, 0.8),
    ]
    model.levers = [IntegerParameter("grid_workers", 500, 3000)]
    model.replications = [{"seed": seed} for seed in (1, 2)]
    model.outcomes = [
        ScalarOutcome("annual_cost_wan_yuan", kind=ScalarOutcome.MINIMIZE, function=np.mean),
        ScalarOutcome("disputes_per_1k", kind=ScalarOutcome.MINIMIZE, function=np.mean),
    ]
    reference = Sample("reference", act_out_threshold=0.75, trust_mean=0.5)

    frontier, _ = optimize(
        model,
        nfe=6,
        population_size=3,
        searchover="levers",
        reference=reference,
        epsilons=[10.0, 0.1],
        rng=1,
        filename="archive.tar.gz",
        directory=str(tmp_path),
    )

    assert recorder.calls and {c["seed"] for c in recorder.calls} == {1, 2}
    assert {(c["act_out_threshold"], c["trust_mean"]) for c in recorder.calls} == {(0.75, 0.5)}
    assert not frontier.empty and (tmp_path / "archive.tar.gz").is_file()
    for row in frontier.itertuples():  # each objective is the mean over the two seeds
        given = {"grid_workers": int(row.grid_workers), "allocation": "population"}
        given |= {"act_out_threshold": 0.75, "trust_mean": 0.5}
        runs = [sim.run(params(given), days=DAYS, seed=seed) for seed in (1, 2)]
        for name in ("annual_cost_wan_yuan", "disputes_per_1k"):
            assert getattr(row, name) == pytest.approx(np.mean([r[name] for r in runs]))


def test_a_salib_sobol_design_runs_through_sim_run_unchanged():
    problem = {
        "num_vars": 2,
        "names": ["grid_workers.total", "behaviour.act_out_threshold"],
        "bounds": [[500, 3000], [0.5, 0.9]],
    }
    design = sobol.sample(problem, 8, calc_second_order=False, seed=1)  # 8 x (2 + 2) points
    assert design.shape == (32, 2)
    rows = [dict(zip(problem["names"], row, strict=True)) for row in design]
    for row in rows:  # a whole number of grid workers, as a whole-valued np.float64
        row["grid_workers.total"] = np.round(row["grid_workers.total"])
    brief = TINY | {"run.warmup_days": 0}  # the cost is the staff's: a few days show it
    costs = np.array([sim.run(brief | row, days=5, seed=1)["annual_cost_wan_yuan"] for row in rows])
    assert isinstance(rows[0]["grid_workers.total"], np.float64)
    indices = sobol_analysis.analyze(problem, costs, calc_second_order=False, seed=1)
    # the yearly cost is the staff's: grid workers explain it, the acting-out threshold not at all
    assert indices["S1"][0] > 0.9 and indices["ST"][0] > 0.9
    assert abs(indices["ST"][1]) < 0.05
    with pytest.raises(sim.ParameterError, match=r"grid_workers.total: expected a whole number"):
        sim.run(brief | {"grid_workers.total": design[0][0]}, days=5, seed=1)  # unrounded
