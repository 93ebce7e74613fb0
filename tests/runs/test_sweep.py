import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.model.metrics import METRICS
from sim.model.parameters import SCHEMA, ParameterError
from sim.runs.scenario import ScenarioError
from sim.runs.sweep.spec import load_sweep, parse_sweep
from sim.runs.sweep.store import RunStore, run_sweep

SMALL = """
scenario = "muzhou"
days = {days}
replicates = 2
seed = 5
[settings]
population.scale = 0.2
[design]
method = "lhs"
samples = {samples}
[levers]
grid_workers.total = {{ low = 50, high = 400 }}
grid_workers.allocation = ["equal", "risk"]
"""


def sweep_file(tmp_path: Path, *, days: int = 20, samples: int = 3, name: str = "small") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(SMALL.format(days=days, samples=samples))
    return path


def parse(text: str):
    import tomllib

    return parse_sweep(tomllib.loads(text), name="t", base_dir=Path("."))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[levers]\ngrid_workers.totl = [1, 2]", "did you mean 'grid_workers.total'"),
        ("[levers]\ngrid_workers.total = { low = -5, high = 10 }", "-5 is out of range"),
        ("[levers]\ngrid_workers.allocation = { low = 1, high = 2 }", "a range needs a number"),
        ("[levers]\ngrid_workers.total = []", "the list of values is empty"),
        ("[levers]\ngrid_workers.total = { low = 9, high = 3 }", "low (9) must be below high"),
        ("[levers]\ngrid_workers.allocation = ['equal', 'smart']", "expected one of equal"),
        ("[design]\nmethod = 'magic'\n[levers]\ngrid_workers.total = [1]", "design.method"),
        (
            "[design]\nmethod = 'morris'\n[levers]\ngrid_workers.total = { low = 1, high = 9 }",
            "morris needs at least two factors",
        ),
        (
            "[levers]\ngrid_workers.total = [1]\n[uncertainties]\ngrid_workers.total = [2]",
            "swept twice",
        ),
        (
            "[settings]\npopulation.scal = 0.1\n[levers]\ngrid_workers.total = [1]",
            "population.scale",
        ),
        ("replicates = 0\n[levers]\ngrid_workers.total = [1]", "replicates: expected a whole"),
        ("colour = 1\n[levers]\ngrid_workers.total = [1]", "colour: unknown entry"),
        ("[levers]", "nothing to sweep"),
    ],
)
def test_bad_sweep_files_are_rejected_before_anything_runs(text, message):
    with pytest.raises((ParameterError, ScenarioError)) as caught:
        parse(text)
    assert message in str(caught.value)


def test_design_sizes_and_values_follow_the_method():
    factors = """
[levers]
grid_workers.total = { low = 100, high = 900 }
grid_workers.allocation = ["equal", "population", "risk"]
[uncertainties]
disputes.rate_per_1k = { low = 8.0, high = 20.0 }
"""
    grid = parse("[design]\nmethod = 'grid'\nlevels = 5" + factors).design()
    assert len(grid) == 5 * 3 * 5
    assert sorted(grid["grid_workers.total"].unique()) == [100, 300, 500, 700, 900]
    lhs = parse("[design]\nmethod = 'lhs'\nsamples = 20" + factors).design()
    assert len(lhs) == 20 and lhs["grid_workers.total"].between(100, 900).all()
    assert all(isinstance(v, int) for v in lhs["grid_workers.total"])  # an int parameter
    # Latin hypercube: each of 20 equal slices of every range holds exactly one point.
    slices = np.floor(lhs["u:disputes.rate_per_1k"] * 20)
    assert sorted(slices) == list(range(20))
    assert set(lhs["grid_workers.allocation"]) == {"equal", "population", "risk"}
    sobol = parse("[design]\nmethod = 'sobol'\nsamples = 8" + factors).design()
    assert len(sobol) == 8 * (3 + 2)
    second = parse("[design]\nmethod = 'sobol'\nsamples = 8\nsecond_order = true" + factors)
    assert len(second.design()) == 8 * (2 * 3 + 2)
    morris = parse("[design]\nmethod = 'morris'\nsamples = 6" + factors).design()
    assert len(morris) == 6 * (3 + 1)
    for table in (grid, lhs, sobol, morris):
        for value in table["disputes.rate_per_1k"]:
            assert SCHEMA["disputes.rate_per_1k"].check(value) == value


def test_replicate_seeds_derive_from_the_master_seed():
    text = "replicates = 3\nseed = {}\n[levers]\ngrid_workers.total = [1, 2]"
    a, b = parse(text.format(7)), parse(text.format(8))
    assert a.replicate_seeds() == parse(text.format(7)).replicate_seeds()
    assert len(set(a.replicate_seeds())) == 3 and a.replicate_seeds() != b.replicate_seeds()
    assert a.sha256 != b.sha256


def test_sweep_writes_every_run_with_parameters_and_metrics(tmp_path):
    sweep = load_sweep(sweep_file(tmp_path))
    counts = run_sweep(sweep, tmp_path / "out", workers=2)
    assert counts == {"ok": 6, "failed": 0, "skipped": 0, "left": 0}
    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    assert runs["run_id"].tolist() == list(range(6))
    assert runs["replicate"].tolist() == [0, 1] * 3
    assert runs.groupby("replicate")["seed"].nunique().tolist() == [1, 1]  # same seeds per point
    assert set(SCHEMA) <= set(runs.columns) and set(METRICS) <= set(runs.columns)
    design = pd.read_csv(tmp_path / "out" / "design.csv")
    merged = runs.merge(design, on="design_row", suffixes=("", "_design"))
    assert (merged["grid_workers.total"] == merged["grid_workers.total_design"]).all()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert (
        manifest["status"] == "complete" and manifest["replicate_seeds"] == sweep.replicate_seeds()
    )


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    # Every value is checked before anything runs (an unknown town is refused at once), so the
    # failure here comes later: a plan file removed after the sweep was loaded.
    from sim.model.mapcheck import plan_of
    from sim.model.parameters import resolve
    from sim.model.planfile import write_plan

    plans = [tmp_path / f"plan_{name}.csv" for name in ("a", "gone", "c")]
    plan, geo = plan_of(resolve({}), 1)
    for file in plans:
        write_plan(plan, geo, file)
    path = tmp_path / "plans.toml"
    path.write_text(
        'scenario = "muzhou"\ndays = 60\n[settings]\npopulation.scale = 0.2\n'
        f"[levers]\nstaffing.plan = {json.dumps([str(f) for f in plans])}\n"
    )
    sweep = load_sweep(path)
    plans[1].unlink()
    counts = run_sweep(sweep, tmp_path / "out", workers=1)
    assert counts["ok"] == 2 and counts["failed"] == 1
    runs = pd.read_csv(tmp_path / "out" / "runs.csv").set_index("run_id")
    assert runs.loc[1, "status"] == "failed" and "plan file not found" in runs.loc[1, "error"]
    assert runs.loc[2, "status"] == "ok" and runs.loc[2, "staffing.plan"] == str(plans[2])
    assert runs.loc[2, "disputes_per_1k"] > 0
    with pytest.raises(ParameterError, match="unknown town 'Atlantis'"):
        parse_sweep({"scenario": "muzhou", "uncertainties": {"map": {"towns": [["Atlantis"]]}}},
                    name="towns", base_dir=tmp_path)  # fmt: skip


def test_max_runs_then_resume_completes_the_design_once(tmp_path, capsys):
    path, out = sweep_file(tmp_path, samples=3), tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--max-runs", "2", "--quiet"]) == 0
    assert pd.read_csv(out / "runs.csv")["run_id"].tolist() == [0, 5]  # spread: first and last
    assert main(["sweep", str(path), "--out", str(out), "--quiet"]) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--quiet"]) == 0
    records = RunStore(out).records()
    assert sorted(r["run_id"] for r in records) == list(range(6))  # none computed twice
    assert main(["sweep", str(path), "--out", str(out), "--resume", "--days", "9"]) == 2
    assert "holds a different sweep" in capsys.readouterr().err


def test_a_killed_sweep_resumes_without_losing_or_redoing_runs(tmp_path):
    """SIGTERM part-way: finished runs are on disk; --resume runs only the others, once each."""
    path, out = sweep_file(tmp_path, days=40, samples=6), tmp_path / "out"
    command = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out), "--workers",
               "2", "--quiet"]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    part = out / "runs" / "part-0000.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if part.exists() and len(part.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143, err  # 128 + SIGTERM
    before = RunStore(out).records()
    done_before = {r["run_id"] for r in before}
    assert 3 <= len(done_before) < 12, "the kill should land part-way"
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    first_part = part.read_bytes()

    assert main(["sweep", str(path), "--out", str(out), "--resume", "--quiet"]) == 0
    assert part.read_bytes() == first_part  # what finished before the kill is untouched
    after = [r for r in RunStore(out).records() if r not in before]
    assert {r["run_id"] for r in after} == set(range(12)) - done_before  # the rest, once each
    runs = pd.read_csv(out / "runs.csv")
    assert sorted(runs["run_id"]) == list(range(12)) and (runs["status"] == "ok").all()


def test_a_sweep_on_dask_equals_the_same_sweep_on_the_local_pool(tmp_path, dask_cluster):
    path = sweep_file(tmp_path, samples=2)
    assert dask_cluster.startswith("tcp://127.0.0.1:")
    argv = ["sweep", str(path), "--quiet", "--out"]
    assert main([*argv, str(tmp_path / "dask"), "--scheduler", dask_cluster]) == 0
    assert main([*argv, str(tmp_path / "local"), "--workers", "2"]) == 0
    dask_runs = pd.read_csv(tmp_path / "dask" / "runs.csv")
    local_runs = pd.read_csv(tmp_path / "local" / "runs.csv")
    assert len(dask_runs) == 4 and (dask_runs["status"] == "ok").all()
    same = ["run_id", "design_row", "replicate", "seed", *SCHEMA, *METRICS]
    pd.testing.assert_frame_equal(dask_runs[same], local_runs[same])
    workers = {w.rsplit(":", 1)[1] for w in dask_runs["worker"]}
    assert str(os.getpid()) not in workers  # the runs happened on the Dask workers
    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert manifest["executor"] == dask_cluster


def test_an_unreachable_scheduler_is_one_line(tmp_path, capsys):
    path = sweep_file(tmp_path)
    argv = ["sweep", str(path), "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err and err.count("\n") == 1


@pytest.mark.parametrize("path", sorted(Path("scenarios/sweeps").glob("*.toml")), ids=str)
def test_every_shipped_sweep_loads_and_a_trial_runs(path, tmp_path):
    sweep = load_sweep(path)
    assert sweep.description and len(sweep.design()) >= 2
    argv = ["sweep", str(path), "--days", "3", "--max-runs", "2", "--set", "population.scale=0.01"]
    assert main([*argv, "--quiet", "--out", str(tmp_path / "out")]) == 0
    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    last = len(sweep.design()) * sweep.replicates - 1  # a trial spans the design
    assert runs["run_id"].tolist() == [0, last] and (runs["status"] == "ok").all()


def test_place_based_levers_sweep_as_lists_of_tables_checked_against_the_map(tmp_path):
    from sim.runs.sweep.spec import parse_sweep

    data = {"scenario": "baseline", "levers": {"grid_workers": {"add": [
        {"Huicheng": 0}, {"Huicheng": 200}, {"会城": 400}]}}}  # fmt: skip
    sweep = parse_sweep(data, name="places", base_dir=tmp_path)
    assert sweep.design()["grid_workers.add"].tolist() == [
        {"Huicheng": 0}, {"Huicheng": 200}, {"会城": 400}
    ]  # fmt: skip
    data["levers"]["grid_workers"]["add"][1] = {"Huichen": 200}
    with pytest.raises(
        ParameterError,
        match=r"levers\.grid_workers\.add: unknown town 'Huichen' \(did you mean 'Huicheng'\?\)",
    ):
        parse_sweep(data, name="places", base_dir=tmp_path)
    rooms = {
        "scenario": "baseline",
        "levers": {"mediation": {"trust_rooms": {"low": 0, "high": 300}}},
    }
    with pytest.raises(ParameterError, match="more than the 234 villages"):
        parse_sweep(rooms, name="rooms", base_dir=tmp_path)
