"""Nothing lost and nothing silently wrong: one test per case a new user found.

Data loss (`--out`), tracebacks where one line and exit 2 are promised, and
results that were silently wrong. Each test is named after its case.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import matplotlib.figure  # noqa: F401  (imported before the file system turns read-only)
import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.model.metrics import SHARES
from sim.runs.comparisons import paired_differences
from sim.runs.folders import check_out
from sim.runs.replicates import run_replicates
from sim.runs.scenario import ScenarioError, load_scenario
from sim.runs.statistics import MIN_RUNS, estimate
from sim.runs.sweep.spec import load_sweep

# a few days of a small district after a short warm-up: what is tested here is files and messages
QUICK = ["--days", "10", "--set", "population.scale=0.05", "--set", "run.warmup_days=10", "--quiet"]
GOVSIM = str(Path(sys.executable).parent / "govsim")


def one_line_exit_2(capsys, argv: list[str], expected: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


# ----------------------------------------------------------------------------- data loss
def test_out_into_a_folder_of_earlier_results_and_sweeps_is_refused(tmp_path, capsys):
    results = tmp_path / "results"
    assert main(["run", "muzhou", *QUICK, "--out", str(results / "muzhou")]) == 0
    (results / "sweeps").mkdir()
    (results / "sweeps" / "keep.csv").write_text("a,b\n1,2\n")
    before = sorted(p.relative_to(results) for p in results.rglob("*"))
    one_line_exit_2(
        capsys, ["run", "muzhou", *QUICK, "--out", str(results)], "not a results folder"
    )
    assert sorted(p.relative_to(results) for p in results.rglob("*")) == before


def test_out_into_an_unrelated_folder_is_refused_and_it_stays_intact(tmp_path, capsys):
    important = tmp_path / "important"
    (important / "sub").mkdir(parents=True)
    (important / "notes.txt").write_text("mine")
    (important / "sub" / "data.csv").write_text("x\n1\n")
    err = one_line_exit_2(capsys, ["run", "muzhou", *QUICK, "--out", str(important)], "notes.txt")
    assert "sub/" in err
    assert (important / "notes.txt").read_text() == "mine"
    assert (important / "sub" / "data.csv").read_text() == "x\n1\n"
    # --force replaces results of another command, never a folder of the user's
    one_line_exit_2(capsys, ["run", "muzhou", *QUICK, "--force", "--out", str(important)], "notes")


def test_out_onto_an_existing_file_is_refused_and_the_file_kept(tmp_path, capsys):
    afile = tmp_path / "afile.txt"
    afile.write_text("keep me")
    one_line_exit_2(capsys, ["run", "muzhou", *QUICK, "--out", str(afile)], "is a file")
    assert afile.is_file() and afile.read_text() == "keep me"
    assert not list(tmp_path.glob(".afile*"))


def test_out_of_the_same_command_is_replaced_and_says_so(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", "muzhou", *QUICK, "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["kind"] == "run"
    not_quiet = [arg for arg in QUICK if arg != "--quiet"]
    assert main(["run", "muzhou", *not_quiet, "--out", str(out)]) == 0
    assert "replaced the earlier results in" in capsys.readouterr().out
    compare = ["compare", "muzhou", "muzhou", *QUICK, "--sets", "0", "--replicates", "2"]
    err = one_line_exit_2(capsys, [*compare, "--out", str(out)], "holds the results of govsim run")
    assert "or pass --force to replace them" in err
    from tests.runs.test_sweep import sweep_file  # a command without --force does not offer it

    sweep = ["sweep", str(sweep_file(tmp_path)), "--quiet", "--out", str(out)]
    err = one_line_exit_2(capsys, sweep, "holds the results of govsim run, not of govsim sweep")
    assert "--force" not in err
    assert main([*compare, "--force", "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["kind"] == "compare"


def test_out_dot_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    one_line_exit_2(capsys, ["run", "muzhou", *QUICK, "--out", "."], "current folder")


def paused_once_locked(argv: list[str], lock: Path) -> subprocess.Popen:
    """A govsim command started and stopped (SIGSTOP) as soon as its lock exists, so that a second
    command certainly meets the lock, however short the first one's work; SIGCONT resumes it."""
    first = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not lock.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    first.send_signal(signal.SIGSTOP)
    assert lock.exists(), "the first command ended or took no lock"
    return first


def test_two_runs_into_the_same_out_at_once_the_second_is_refused(tmp_path):
    out = tmp_path / "same"
    lock = tmp_path / ".same.lock"
    first = paused_once_locked([GOVSIM, "run", "baseline", *QUICK, "--out", str(out)], lock)
    second = subprocess.run([GOVSIM, "run", "muzhou", *QUICK, "--out", str(out)],
                            capture_output=True, text=True)  # fmt: skip
    first.send_signal(signal.SIGCONT)
    assert first.wait(timeout=300) == 0
    assert second.returncode == 2 and "another govsim command is writing" in second.stderr
    assert json.loads((out / "manifest.json").read_text())["scenarios"][0]["name"] == "baseline"
    assert not lock.exists()


def test_two_sweep_resumes_at_once_the_second_is_refused(tmp_path):
    sweep = tmp_path / "s.toml"
    sweep.write_text('scenario = "baseline"\ndays = 10\nreplicates = 2\n[settings]\n'
                     "population.scale = 0.05\nrun.warmup_days = 10\n"
                     "[levers]\ngrid_workers.total = [800, 1200]\n")  # fmt: skip
    out = tmp_path / "sw"
    base = [GOVSIM, "sweep", str(sweep), "--out", str(out), "--quiet", "--workers", "1"]
    assert subprocess.run([*base, "--max-runs", "1"]).returncode == 0
    first = paused_once_locked([*base, "--resume"], tmp_path / ".sw.lock")
    second = subprocess.run([*base, "--resume"], capture_output=True, text=True)
    first.send_signal(signal.SIGCONT)
    assert first.wait(timeout=300) == 0
    assert second.returncode == 2 and "another govsim command is writing" in second.stderr
    runs = pd.read_csv(out / "runs.csv")
    assert sorted(runs["run_id"]) == [0, 1, 2, 3]  # each run once


# ----------------------------------------------------------------------------- tracebacks
def test_negative_seed_is_one_line(capsys):
    one_line_exit_2(capsys, ["run", "muzhou", *QUICK, "--seed", "-1"], "--seed")


def test_list_into_a_closed_pipe_exits_quietly():
    shell = f"{GOVSIM} list | head -1"
    out = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == "" and out.stdout.startswith("baseline")


@pytest.mark.parametrize("command", ["run", "sweep", "map", "analyze"])
def test_a_read_only_output_folder_is_one_line(command, tmp_path, capsys, monkeypatch):
    """Root ignores folder permissions, so the read-only file system is simulated."""
    if command == "analyze":  # a sweep to analyse, written before the file system goes read-only
        sweep = tmp_path / "s.toml"
        sweep.write_text('scenario = "muzhou"\ndays = 5\n[settings]\npopulation.scale = 0.05\n'
                         "[levers]\ngrid_workers.total = [500, 1000]\n")  # fmt: skip
        assert main(["sweep", str(sweep), "--quiet", "--out", str(tmp_path / "sw")]) == 0

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "ro"))

    for name in ("mkdtemp", "mkstemp"):
        monkeypatch.setattr(tempfile, name, read_only)
    monkeypatch.setattr(Path, "mkdir", read_only)
    monkeypatch.setattr("matplotlib.figure.Figure.savefig", read_only)
    argv = {
        "run": ["run", "muzhou", *QUICK, "--out", str(tmp_path / "ro" / "x")],
        "sweep": ["sweep", "staffing", "--max-runs", "1", "--quiet", "--out", str(tmp_path / "ro")],
        "map": ["map", "--out", str(tmp_path / "ro" / "map.png")],
        "analyze": ["analyze", str(tmp_path / "sw"), "--lever", "grid_workers.total",
                    "--metric", "escalation_rate", "--quiet", "--out", str(tmp_path / "ro")],
    }[command]  # fmt: skip
    one_line_exit_2(capsys, argv, "Read-only file system")


def test_app_port_in_use_is_one_line_before_serving(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        one_line_exit_2(capsys, ["app", "--port", str(port)], f"--port {port}")
    assert "serving" not in capsys.readouterr().out


def test_event_towns_and_map_town_errors_name_the_file(tmp_path, capsys):
    event = tmp_path / "storm.toml"
    event.write_text('extends = "baseline"\n[[events]]\nkind = "rainstorm"\nday = 5\n'
                     'towns = ["Atlantis"]\n')  # fmt: skip
    one_line_exit_2(capsys, ["validate", str(event)], f"{event}: events[0].towns")
    town = tmp_path / "town.toml"
    town.write_text('extends = "baseline"\n[map]\ntowns = ["Atlantis"]\n')
    one_line_exit_2(capsys, ["run", str(town), *QUICK], f"{town}: map.towns")


# ----------------------------------------------------------------------------- silently wrong
def test_more_trust_rooms_than_villages_is_refused_with_the_number(tmp_path, capsys):
    one_line_exit_2(capsys, ["run", "baseline", *QUICK, "--set", "mediation.trust_rooms=1000"],
                    "than the 234 villages")  # fmt: skip
    late = tmp_path / "late.toml"
    late.write_text('extends = "baseline"\n[[interventions]]\nday = 5\n'
                    "mediation.trust_rooms = 300\n")  # fmt: skip
    one_line_exit_2(capsys, ["validate", str(late)], "interventions[0].mediation.trust_rooms")


def test_a_sweep_key_in_settings_and_as_a_lever_is_refused(tmp_path):
    sweep = tmp_path / "both.toml"
    sweep.write_text('scenario = "muzhou"\n[settings]\ngrid_workers.total = 900\n'
                     "[levers]\ngrid_workers.total = [500, 1000]\n")  # fmt: skip
    with pytest.raises(ScenarioError, match=r"settings\.grid_workers\.total: also swept in"):
        load_sweep(sweep)


def test_validate_checks_interventions_against_days(capsys):
    one_line_exit_2(capsys, ["validate", "rainstorm", "--days", "120"], "day 160 is past the end")
    assert main(["validate", "rainstorm", "--days", "365"]) == 0
    assert "ok for 365 days" in capsys.readouterr().out


def test_shares_with_few_cases_have_n_and_intervals_inside_0_1():
    rare = np.array([np.nan, np.nan, 1.0, np.nan, 0.0])  # petitions in 2 of 5 runs
    found = estimate(rare, share=True)
    assert found.n == 2 and found.runs == 5 and found.too_few and np.isnan(found.low)
    for seed in range(20):  # any share, any runs: the interval stays inside [0, 1]
        values = np.random.default_rng(seed).beta(0.3, 0.3, 5)
        found = estimate(values, share=True)
        assert 0.0 <= found.low <= found.mean <= found.high <= 1.0
    rate = estimate(np.array([0.0, 0.0, 3.0]))  # a count rate cannot go below 0
    assert rate.low == 0.0


def test_differences_with_too_few_cases_are_marked_not_significant():
    muzhou = load_scenario("muzhou").with_overrides({"population.scale": 0.1})
    more = muzhou.with_overrides({"grid_workers.total": 3000})
    a, b = (
        run_replicates(s, days=20, replicates=MIN_RUNS, seed=1, workers=1) for s in (muzhou, more)
    )
    table = paired_differences([a, b]).set_index("metric")
    petitions = table.loc["petition_one_time_resolution_rate"]
    assert petitions["n"] < MIN_RUNS and petitions["too_few"] and not petitions["significant"]
    assert np.isnan(petitions["ci_low"])
    shares = table.loc[sorted(SHARES)]
    ok = ~shares["too_few"].astype(bool)
    assert (shares.loc[ok, "ci_low"] >= -1).all() and (shares.loc[ok, "ci_high"] <= 1).all()


def test_one_number_format_in_the_console(capsys, tmp_path):
    assert main(["run", "baseline", "--days", "10", "--set", "population.scale=0.05",
                 "--out", str(tmp_path / "b")]) == 0  # fmt: skip
    [cost] = [line for line in capsys.readouterr().out.splitlines()
              if line.startswith("annual_cost_wan_yuan")]  # fmt: skip
    assert "8,130" in cost and " 8130 " not in cost


def test_scenario_with_a_byte_order_mark_loads_and_gbk_says_save_as_utf8(tmp_path):
    bom = tmp_path / "bom.toml"
    bom.write_bytes('\ufeffextends = "muzhou"\ndescription = "睦洲"\n'.encode())
    assert load_scenario(bom).description == "睦洲"
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('extends = "muzhou"\ndescription = "睦洲镇"\n'.encode("gbk"))
    with pytest.raises(ScenarioError, match="save the file as UTF-8"):
        load_scenario(gbk)


def test_paths_inside_a_scenario_are_relative_to_its_file(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "sibling.toml").write_text('extends = "muzhou"\n[grid_workers]\ntotal = 1234\n')
    shipped = Path(__file__).resolve().parents[2] / "sim" / "data" / "xinhui_grids.geojson"
    (folder / "grids.geojson").write_bytes(shipped.read_bytes())
    child = folder / "child.toml"
    child.write_text('extends = "sibling.toml"\n[map]\nfile = "grids.geojson"\n')
    monkeypatch.chdir(tmp_path)  # not the scenario's folder
    scenario = load_scenario(child)
    assert scenario.params["grid_workers.total"] == 1234
    assert scenario.params["map.file"] == str((folder / "grids.geojson").resolve())


def test_the_scenario_hash_covers_the_map_file_content(tmp_path):
    shipped = Path(__file__).resolve().parents[2] / "sim" / "data" / "xinhui_grids.geojson"
    grids = tmp_path / "grids.geojson"
    grids.write_bytes(shipped.read_bytes())
    scenario = tmp_path / "s.toml"
    scenario.write_text('extends = "muzhou"\n[map]\nfile = "grids.geojson"\n')
    before = load_scenario(scenario).sha256
    data = json.loads(grids.read_text())
    data["features"][0]["properties"]["population"] += 1
    grids.write_text(json.dumps(data))
    os.utime(grids, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert load_scenario(scenario).sha256 != before


def test_results_folders_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        assert main(["run", "muzhou", *QUICK, "--out", str(tmp_path / "shared")]) == 0
    finally:
        os.umask(old)
    folder = tmp_path / "shared"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert stat.S_IMODE((folder / "summary.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE((folder / "manifest.json").stat().st_mode) == 0o644


def test_check_out_accepts_new_and_empty_folders(tmp_path):
    assert check_out(tmp_path / "new", kind="run") is False
    (tmp_path / "empty").mkdir()
    assert check_out(tmp_path / "empty", kind="run") is False


# ----------------------------------------------------------------------------- the README
def test_an_unguarded_script_falls_back_to_one_process(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import sim\n"
        "scenario = sim.load_scenario('muzhou').with_overrides({'population.scale': 0.1})\n"
        "result = sim.run_scenario(scenario, replicates=2, seed=1, days=10)\n"
        "print('rows', len(result.summary))\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)  # fmt: skip
    assert out.returncode == 0 and "rows 2" in out.stdout
    assert 'if __name__ == "__main__":' in out.stderr and "Traceback" not in out.stderr


def test_a_sweep_trial_samples_across_the_design_and_resume_completes_it(tmp_path):
    sweep = tmp_path / "s.toml"
    sweep.write_text('scenario = "muzhou"\ndays = 10\nreplicates = 2\n[settings]\n'
                     "population.scale = 0.1\n[levers]\n"
                     "grid_workers.total = [500, 1000, 1500, 2000, 2500]\n")  # fmt: skip
    out = tmp_path / "sw"
    assert main(["sweep", str(sweep), "--max-runs", "3", "--quiet", "--out", str(out)]) == 0
    trial = pd.read_csv(out / "runs.csv")
    assert trial["grid_workers.total"].nunique() == 3  # not the first three runs of one point
    assert main(["sweep", str(sweep), "--resume", "--quiet", "--out", str(out)]) == 0
    assert sorted(pd.read_csv(out / "runs.csv")["run_id"]) == list(range(10))


def test_a_district_total_that_leaves_a_town_no_grid_workers_says_so():
    import sim

    with pytest.warns(UserWarning, match="rounds to 0 grid workers"):
        metrics = sim.run({"map.towns": ["Muzhou"], "grid_workers.total": 100}, days=60, seed=1)
    assert metrics["resolved_in_grid_share"] == 0.0


WARNS = ["run", "muzhou", "--set", "grid_workers.total=100", "--set", "run.warmup_days=0",
         "--set", "population.scale=0.05", "--days", "3", "--replicates", "2", "--quiet"]  # fmt: skip


def one_line_warnings(err: str, word: str) -> list[str]:
    lines = err.splitlines()
    assert lines and all(
        line.startswith(f"govsim: {word}: grid_workers.total = 100 ") for line in lines
    )
    assert not any("Warning" in line or ".py" in line for line in lines)  # no class, file, source
    return lines


@pytest.mark.parametrize(("lang", "word"), [("en", "warning"), ("zh", "警告")])
def test_govsim_shows_a_warning_as_one_line_as_it_shows_an_error(tmp_path, capsys, lang, word):
    before = warnings.showwarning
    out = str(tmp_path / "out")
    assert main([*WARNS, "--workers", "1", "--lang", lang, "--out", out]) == 0
    lines = one_line_warnings(capsys.readouterr().err, word)
    assert lang == "en" or all("是全区的人数" in line for line in lines)
    assert warnings.showwarning is before  # Python's own form again once the command is done


def test_a_pools_workers_show_their_warnings_as_one_line_in_the_commands_language(tmp_path):
    # a command of its own: a pool's workers write to the stderr of the process they came from
    argv = [*WARNS, "--workers", "2", "--lang", "zh", "--out", str(tmp_path / "out")]
    done = subprocess.run([sys.executable, "-m", "sim", *argv], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(one_line_warnings(done.stderr, "警告")) >= 2  # one from each run, in its worker


@pytest.mark.parametrize("how", ["metres", "swapped"])
def test_a_map_in_metres_or_with_swapped_coordinates_is_refused(how, tmp_path, capsys):
    shipped = Path(__file__).resolve().parents[2] / "sim" / "data" / "xinhui_grids.geojson"
    data = json.loads(shipped.read_text())

    def move(ring):
        if how == "metres":  # roughly UTM 49N
            return [[(x - 111) * 102_000 + 500_000, y * 110_600] for x, y in ring]
        return [[y, x] for x, y in ring]

    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        for polygon in polygons:
            polygon[:] = [move(ring) for ring in polygon]
    bad = tmp_path / f"{how}.geojson"
    bad.write_text(json.dumps(data))
    one_line_exit_2(capsys, ["validate", "baseline", "--set", f"map.file={bad}"],
                    "not longitude and latitude")  # fmt: skip
