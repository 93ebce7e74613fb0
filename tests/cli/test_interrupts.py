"""Ctrl-C (SIGINT) and SIGTERM stop every long command alike.

One line on stderr and no traceback, every worker process ended, the folder's lock
released, exit 130 (SIGINT) or 143 (SIGTERM), the folder valid (its manifest) and, for
the commands that write as they go, resumable. Each test starts govsim in its own
session, so that every process it started can be found in /proc afterwards.
"""

from __future__ import annotations

import io
import json
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, redirect_stderr
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.runs.optimise.search import open_study
from sim.runs.optimise.spec import load_optimisation
from tests.cli.test_optimise import tiny_file

GOVSIM = [sys.executable, "-m", "sim"]


def alive_in_session(session: int) -> list[int]:
    """The processes of ``session`` that are still alive (zombies are not)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def start(argv: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*GOVSIM, *argv], start_new_session=True, stderr=subprocess.PIPE, text=True
    )


def govsim_here(*argv: str) -> tuple[int, str]:
    """``govsim argv`` in this process (:func:`sim.cli.main`), for the runs before and after an
    interrupt, where no signal is sent: a start of ``python -m sim`` costs seconds of imports.
    Returns the exit code and what the command printed on stderr."""
    err = io.StringIO()
    with redirect_stderr(err):
        code = main(list(argv))
    return code, err.getvalue()


def wait_for(condition, *, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the command did not start its work in time"
        time.sleep(0.2)


def stop(process: subprocess.Popen[str], signum: int) -> str:
    """Send ``signum`` to govsim alone (as `kill PID` does); check the exit and what is left."""
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("govsim: interrupted"), err
    deadline = time.monotonic() + 20
    while alive_in_session(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive_in_session(process.pid) == [], "worker processes outlived the command"
    return err


def lock_of(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_run_with_a_pool_stops_at_once_and_leaves_no_worker(signum, tmp_path):
    out = tmp_path / "out"
    process = start(["run", "muzhou", "--days", "400", "--replicates", "4", "--workers", "2",
                     "--quiet", "--out", str(out)])  # fmt: skip
    wait_for(lambda: len(alive_in_session(process.pid)) >= 5)  # govsim, tracker, server, 2 workers
    time.sleep(1)
    err = stop(process, signum)
    assert str(out) in err and not lock_of(out).exists()
    assert not out.exists()  # nothing half-written


def test_compare_into_earlier_results_keeps_them_whole(tmp_path):
    out = tmp_path / "out"
    quick = [
        "--days",
        "5",
        "--set",
        "population.scale=0.05",
        "--sets",
        "2",
        "--quiet",
        "--out",
        str(out),
    ]
    assert govsim_here("compare", "muzhou", "muzhou", *quick)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    process = start(["compare", "muzhou", "muzhou", "--days", "400", "--replicates", "2",
                     "--workers", "2", "--quiet", "--out", str(out)])  # fmt: skip
    wait_for(lambda: len(alive_in_session(process.pid)) >= 5)
    time.sleep(1)
    stop(process, signal.SIGTERM)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not lock_of(out).exists()


TRIALS = 24  # of 60 days each: the search lasts seconds after its first trial, on any machine


def completed_trials(study: Path) -> int:
    """The trials of an Optuna study (SQLite) that are complete; 0 while it cannot be read."""
    try:
        with closing(sqlite3.connect(f"file:{study}?mode=ro", uri=True, timeout=1)) as db:
            return db.execute("SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow  # more than 30 s: handed out first (tests/conftest.py)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_an_interrupted_search_resumes_and_keeps_todays_plan_as_its_reference(tmp_path, signum):
    path = tiny_file(tmp_path, trials=TRIALS, **{"days = 20": "days = 60"})
    out = tmp_path / "out"
    argv = ["optimise", str(path), "--out", str(out), "--workers", "2", "--quiet"]
    process = start(argv)

    def searching() -> bool:  # the pool at work and a first trial done: the search is under way
        manifest = out / "manifest.json"
        alive = manifest.exists() and len(alive_in_session(process.pid)) >= 4
        return alive and completed_trials(out / "study.db") >= 1

    wait_for(searching)
    err = stop(process, signum)
    assert "--resume" in err and not lock_of(out).exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and "study.db" in manifest["files"]
    assert completed_trials(out / "study.db") < TRIALS  # the interrupt came during the search
    code, stderr = govsim_here(*argv, "--resume")
    assert code == 0, stderr
    trials = pd.read_csv(out / "trials.csv")
    assert (trials["state"] == "complete").sum() == TRIALS
    today = trials[trials["today"]]
    assert (today["state"] == "complete").any()  # the reference trial was kept
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "was not a trial" not in report


def test_todays_plan_left_running_by_an_interrupt_is_queued_again_as_todays(tmp_path):
    optimisation = load_optimisation(tiny_file(tmp_path))
    study = open_study(optimisation, tmp_path, resume=False)
    running = study.ask()  # trial 0, today's plan, when the interrupt came
    assert running.user_attrs.get("today") is True
    study = open_study(optimisation, tmp_path, resume=True)
    waiting = [t for t in study.get_trials() if t.state.name == "WAITING"]
    assert [t.user_attrs.get("today") for t in waiting] == [True]
    assert waiting[0].params == running.params


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_ctrl_c_of_a_sweep_keeps_its_runs_and_resume_finishes_it(tmp_path, signum):
    from tests.runs.test_sweep import sweep_file

    path, out = sweep_file(tmp_path, days=40, samples=6), tmp_path / "out"
    # No run of it warns (a district total of a few hundred can leave Muzhou's grids without a
    # worker), so that the interrupt's line is the only one on stderr.
    path.write_text(path.read_text().replace("low = 50, high = 400", "low = 700, high = 1400"))
    argv = ["sweep", str(path), "--out", str(out), "--workers", "2", "--quiet"]
    process = start(argv)
    part = out / "runs" / "part-0000.jsonl"
    wait_for(lambda: part.exists() and len(part.read_text().splitlines()) >= 2)
    err = stop(process, signum)
    assert "--resume" in err and not lock_of(out).exists()
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert govsim_here(*argv, "--resume")[0] == 0
    runs = pd.read_csv(out / "runs.csv")
    assert sorted(runs["run_id"]) == list(range(12)) and (runs["status"] == "ok").all()


def test_sigterm_of_a_calibration_leaves_its_earlier_folder_whole(tmp_path):
    from tests.runs.test_calibration import QUICK

    path = tmp_path / "quick.toml"
    text = QUICK.format(days=30, screen=2, polish=1, rate_target=12.0, low=10.0, high=14.0)
    path.write_text(text)
    out = tmp_path / "out"
    (out / "my_notes.md").parent.mkdir()
    assert (
        govsim_here("calibrate", str(path), "--out", str(out), "--workers", "1", "--quiet")[0] == 0
    )
    (out / "my_notes.md").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    path.write_text(text.replace("days = 30", "days = 400"))
    process = start(["calibrate", str(path), "--out", str(out), "--workers", "2", "--quiet"])
    wait_for(lambda: len(alive_in_session(process.pid)) >= 5)
    time.sleep(1)
    err = stop(process, signal.SIGTERM)
    assert "left as it was" in err and not lock_of(out).exists()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler of its own for ``signum`` (Linux: /proc's SigCgt)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_signal_while_govsim_starts_gives_one_line_and_writes_nothing(signum, tmp_path):
    out = tmp_path / "out"
    process = start(["run", "muzhou", "--days", "30", "--quiet", "--out", str(out)])
    # The first moment govsim can answer: its handlers are in place (the model still loading).
    # Python itself catches SIGINT from its own start (KeyboardInterrupt), before govsim runs a
    # line; SIGTERM, which govsim takes in the same moment, is caught only by govsim.
    wait_for(lambda: catches(process.pid, signal.SIGTERM), seconds=60)
    err = stop(process, signum)
    assert not out.exists(), err


def serving(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_the_app_server_stops_with_one_line_and_leaves_no_process(signum):
    """``govsim app`` serves from a child process: a signal ends both, in one line (the server's
    own "Aborted." or a death by the signal without a word were what it gave before)."""
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    process = start(["app", "--port", str(port)])
    wait_for(lambda: serving(port), seconds=180)
    err = stop(process, signum)
    assert "interrupted" in err and not serving(port)
