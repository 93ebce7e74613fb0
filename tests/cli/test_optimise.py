"""``govsim optimise`` from the command line: its folder, bad input, a kill and --resume."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
from contextlib import chdir, closing
from pathlib import Path

import optuna
import pandas as pd
import pytest

from sim.cli import main
from sim.model.planfile import read_plan
from sim.runs.optimise.command import optimise
from sim.runs.optimise.spec import load_optimisation
from tests.runs.test_optimisation import TINY

GOVSIM = str(Path(sys.executable).parent / "govsim")


def tiny_file(tmp_path: Path, trials: int = 3, **replace: str) -> Path:
    text = TINY.format(trials=trials, budget=1000)
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_optimise_writes_trials_plans_a_verified_comparison_and_a_report(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["optimise", str(tiny_file(tmp_path)), "--out", str(out), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "plan_trial_" in printed and f"wrote {out}/" in printed
    for name in ("trials.csv", "frontier.csv", "study.db", "manifest.json", "report.html",
                 "verified/report.html", "verified/differences.csv"):  # fmt: skip
        assert (out / name).exists(), name
    [toml] = sorted((out / "plans").glob("*.toml"))
    assert main(["validate", str(toml)]) == 0  # the plan runs as a scenario
    plan_csv = toml.with_suffix(".csv")
    scenario = load_optimisation(tiny_file(tmp_path)).scenario
    from sim.model.geography import simulated_map

    full, _ = simulated_map(scenario.params["map.file"], scenario.params["map.towns"])
    plan = read_plan(plan_csv, full)  # a planner can open, edit and run it
    trial = int(toml.stem.rsplit("_", 1)[1])
    settings = json.loads(pd.read_csv(out / "trials.csv").set_index("trial").at[trial, "settings"])
    muzhou = full.town_names.index("Muzhou")
    assert plan.grid_workers[full.village_town == muzhou].sum() == settings[
        "grid_workers.by_town"]["Muzhou"]  # fmt: skip
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<img" in report and "plan_trial_" in report
    assert main(["optimise", str(tiny_file(tmp_path)), "--out", str(out), "--lang", "zh",
                 "--workers", "1"]) == 2  # fmt: skip


def test_a_bad_optimisation_file_is_one_line_and_exit_2(tmp_path, capsys):
    path = tiny_file(tmp_path, **{'key = "mediation.trust_rooms"': 'key = "mediation.trust_roms"'})
    assert main(["optimise", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "mediation.trust_roms" in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("search", "named"),
    [
        ("", "no_worse_than needs plausible parameter sets"),  # sets = 0 (the default)
        ("sets = 1001\n", "search.sets"),
        ('sets = 2\nposterior = "nowhere.csv"\n', "search.posterior"),
    ],
)
def test_a_robust_search_that_cannot_run_is_one_line_and_exit_2(tmp_path, capsys, search, named):
    robust = 'metric = "escalation_rate"\nno_worse_than = "base"\nin_share = 0.9\n'
    path = tiny_file(tmp_path, **{"seed = 3\n": f"seed = 3\n{search}",
                                  "[[objectives]]": f"[[constraints]]\n{robust}[[objectives]]"})  # fmt: skip
    assert main(["optimise", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert named in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_optimise_into_a_folder_of_the_users_is_refused_and_kept(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert main(["optimise", str(tiny_file(tmp_path)), "--out", str(mine)]) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "keep" and len(list(mine.iterdir())) == 1


def completed(out: Path) -> dict[int, tuple]:
    try:
        study = optuna.load_study(study_name="tiny", storage=f"sqlite:///{out / 'study.db'}")
    except KeyError:  # study.db is there but the study is not written yet (a loaded machine)
        return {}
    return {t.number: (json.dumps(t.params, sort_keys=True), tuple(t.values))
            for t in study.get_trials() if t.state.name == "COMPLETE"}  # fmt: skip


def finished_so_far(out: Path) -> int:
    """Trials finished in ``out/study.db``, read without writing (optuna's loader may write)."""
    try:
        with closing(sqlite3.connect(f"file:{out / 'study.db'}?mode=ro", uri=True)) as db:
            return db.execute("SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
    except sqlite3.Error:  # not there yet, or the child is creating its tables
        return 0


@pytest.mark.slow  # more than 30 s: handed out first (tests/conftest.py)
def test_a_killed_optimisation_resumes_losing_and_repeating_no_trial(tmp_path):
    path = tiny_file(tmp_path, trials=8, **{"days = 20": "days = 60"})
    out = tmp_path / "out"
    command = [GOVSIM, "optimise", str(path), "--out", str(out), "--workers", "1", "--quiet"]
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        first = subprocess.Popen(command, start_new_session=True, stderr=stderr)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and finished_so_far(out) < 2:
        assert first.poll() is None, f"the search ended early: {errors.read_text()}"
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)  # no clean-up at all
    first.wait()
    before = completed(out)
    assert 2 <= len(before) < 8
    assert main([*command[1:], "--resume"]) == 0  # in this process: no signal, no kill
    after = completed(out)
    assert len(after) == 8
    assert all(after[n] == before[n] for n in before)  # every finished trial kept as it was
    trials = pd.read_csv(out / "trials.csv")
    assert (trials["state"] == "complete").sum() == 8  # none run twice: 8 finished, as asked
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_one_worker_and_the_same_seed_reproduce_the_trials(tmp_path):
    optimisation = load_optimisation(tiny_file(tmp_path, trials=4))
    tables = []
    for name in ("a", "b"):
        result = optimise(optimisation, tmp_path / name, workers=1, verify_plans=False)
        tables.append(result.trials.drop(columns=["seconds"]))
    pd.testing.assert_frame_equal(*tables)


ROUND_TRIP = """
scenario = "muzhou"
[settings]
population.scale = 0.05
run.warmup_days = 10
grid_workers.add = { Muzhou = 5 }
mediation.three_tuning = "joint"
[search]
trials = 3
replicates = 1
days = 30
seed = 3
[[variables]]
key = "mediation.trust_rooms"
low = 0
high = 15
[[objectives]]
metric = "disputes_per_1k"
[[objectives]]
metric = "annual_cost_wan_yuan"
[verify]
replicates = 2
population.scale = 0.05
fits = 0
plans = 1
"""


@pytest.mark.slow  # more than 30 s: handed out first (tests/conftest.py)
def test_a_written_plan_reruns_from_the_command_as_its_trial_ran(tmp_path):
    """The search's [settings] are in its plan files: ``govsim run plans/plan_trial_N.toml``,
    and the plan ``.csv`` with the settings a plan does not replace, give the trial's
    numbers; trial 0 is today's plan under those settings."""
    env = os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])}

    def govsim(*argv: str) -> None:
        done = subprocess.run([sys.executable, "-m", "sim", *argv], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=900)  # fmt: skip
        assert done.returncode == 0, done.stderr

    (tmp_path / "search.toml").write_text(ROUND_TRIP, encoding="utf-8")
    with chdir(tmp_path):  # the search in this process; the reruns, as a user's, in new ones
        assert main(["optimise", "search.toml", "--out", "out", "--workers", "1", "--quiet"]) == 0
    trials = pd.read_csv(tmp_path / "out" / "trials.csv").set_index("trial")
    [toml] = sorted((tmp_path / "out" / "plans").glob("plan_trial_*.toml"))
    trial = int(toml.stem.rsplit("_", 1)[1])
    [seed] = json.loads(trials.at[trial, "seeds"])
    quick = ["--days", "30", "--seed", str(seed), "--replicates", "1", "--quiet"]
    govsim("run", str(toml), *quick, "--out", "from_toml")
    fixed = ["population.scale=0.05", "run.warmup_days=10", "mediation.three_tuning=joint"]
    sets = [word for s in fixed for word in ("--set", s)]
    plan = toml.with_suffix(".csv")
    govsim("run", "muzhou", *sets, "--set", f"staffing.plan={plan}", *quick, "--out", "from_csv")
    for folder in ("from_toml", "from_csv"):
        summary = pd.read_csv(tmp_path / folder / "summary.csv")
        ran = summary[summary["period"] == "all"].iloc[0]
        for metric in ("disputes_per_1k", "escalation_rate", "annual_cost_wan_yuan"):
            assert ran[metric] == pytest.approx(trials.at[trial, metric], rel=1e-8, nan_ok=True), (
                folder, metric)  # fmt: skip
    written = tomllib.loads(toml.read_text(encoding="utf-8"))
    assert written["grid_workers"]["add"] == {"Muzhou": 5}
    today = trials[trials["today"]]
    assert len(today) == 1 and json.loads(today["settings"].iloc[0]) == {
        "mediation.trust_rooms": load_scenario_trust_rooms()
    }


def load_scenario_trust_rooms() -> int:
    from sim.runs.scenario import load_scenario

    return load_scenario("muzhou").params["mediation.trust_rooms"]
