"""Shared fixtures: small, seeded runs reused across tests."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

import sim

# Locally the fuzzers explore new examples on every run; CI (CI=true) replays a fixed
# set, so that a submission lands or not on its own merits, not on the draw.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


# Tests write folders, SQLite studies and sweep logs that commit with fsync: on a disk each
# commit waits ~10 ms (a 120-trial search test waited 24 s of its 46). In memory (tmpfs) the
# files are the same and the waits go. Used when /dev/shm has room (Docker gives it 64 MB by
# default) and no --basetemp was given; removed at the end of the run.
MEMORY_DISK, ROOM = Path("/dev/shm"), 4 * 2**30


@pytest.hookimpl(tryfirst=True)  # before pytest's own tmp_path factory reads --basetemp
def pytest_configure(config: pytest.Config) -> None:
    if config.option.basetemp or hasattr(config, "workerinput"):  # given, or a worker's
        return
    try:
        stat = os.statvfs(MEMORY_DISK)
    except OSError:
        return
    if stat.f_bavail * stat.f_frsize >= ROOM and os.access(MEMORY_DISK, os.W_OK):
        config.option.basetemp = config._govsim_basetemp = tempfile.mkdtemp(
            prefix="govsim-tests-", dir=MEMORY_DISK
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    if made := getattr(config, "_govsim_basetemp", None):
        shutil.rmtree(made, ignore_errors=True)


# Modules whose tests share nothing (no module-scoped fixture, no cached run) and are long
# enough that keeping them whole would keep one worker busy after the others have finished:
# under `--dist loadfile` each of their tests is a unit of its own (see below).
SPREAD = ("tests/test_readme.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The order in which `make test` (``pytest -n auto --dist loadfile``, pytest-xdist) hands
    out its work, longest first so that no worker is left with a long unit while the others
    have nothing: modules with slow tests (over 30 s), then the other modules, each module kept
    in one piece (it goes whole to one worker, with its module-scoped fixtures and cached runs);
    last the tests of the SPREAD modules, one by one, which fill the gaps."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: (item.nodeid.split("::", 1)[0] in SPREAD, item.path not in slow))


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadfile``, except that each test of a SPREAD module is a unit of its own, so
    that its tests (the README's chains of shell examples, 20 to 100 s each) go to whichever
    worker is free. Work is handed out in the order of collection (``--no-loadscope-reorder``),
    slow modules first. (``--dist loadgroup`` would do this with ``xdist_group`` marks, but
    under pytest 9.2 xdist 3.8 groups nothing: it renames ``item._nodeid``, which pytest no
    longer reads.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SpreadLoadFileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return nodeid if path in SPREAD else path

    return SpreadLoadFileScheduling(config, log)


SEEDS = (1, 2, 3, 4, 5)
SMALL = {"population.scale": 0.1}


@functools.cache
def district_run(days: int, seed: int, **overrides) -> dict[str, float]:
    """Flat metrics of the whole district at 10% scale (cached: tests share runs)."""
    return sim.run(
        SMALL | {k.replace("__", "."): v for k, v in overrides.items()}, days=days, seed=seed
    )


def paired_difference(
    metric: str, a: dict, b: dict, *, days: int = 240, seeds: tuple[int, ...] = SEEDS
) -> tuple[float, float]:
    """Mean and standard error of ``metric(b) - metric(a)`` over seeds (common random numbers)."""
    diffs = np.array(
        [district_run(days, s, **b)[metric] - district_run(days, s, **a)[metric] for s in seeds]
    )
    return float(diffs.mean()), float(diffs.std(ddof=1) / np.sqrt(len(diffs)))


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    """A real `dask scheduler` and two `dask worker` processes on 127.0.0.1, ephemeral ports."""
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    file = tmp_path_factory.mktemp("dask") / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--no-dashboard", "--scheduler-file", str(file)], **quiet)]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        for _ in range(2):
            processes.append(subprocess.Popen(
                [dask, "worker", "--scheduler-file", str(file), "--nthreads", "1",
                 "--host", "127.0.0.1", "--no-dashboard"], **quiet))  # fmt: skip
        with Client(scheduler_file=str(file), timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            yield client.scheduler.address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
