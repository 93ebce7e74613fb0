"""``govsim --help`` and every refusal of bad input load none of the model's libraries.

Mesa, pandas, SciPy's statistics and matplotlib take seconds to import; a command imports
them only once its input is known good and it goes on to run. Each case runs the command
line in a fresh interpreter and reports which of them it imported, so that an import of
one at the top of a module the command line reaches fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("mesa", "pandas", "scipy.stats", "matplotlib")

# Run the command line as govsim does, then say (last line of stdout) which of HEAVY loaded.
PROBE = """
import json, sys
from sim.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
sys.stdout.flush()
heavy = {heavy!r}
print("\\n" + json.dumps({{"code": code, "loaded": [m for m in heavy if m in sys.modules]}}))
"""


def probe(argv: list[str], cwd: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "a_file").write_text("not a folder\n")
    (tmp_path / "bad.toml").write_text("[parameters\n")
    return tmp_path


REFUSALS = [
    ["run", "nosuch"],  # unknown scenario
    ["run", "baseline", "--set", "nosuch.key=1"],  # unknown parameter key
    ["run", "baseline", "--set", "grid_workers.total=-5"],  # a value out of bounds
    ["run", "baseline", "--days", "0"],
    ["run", "baseline", "--bogus"],  # bad flag
    ["run", "{tmp}/bad.toml"],  # bad TOML
    ["run", "baseline", "--out", "{tmp}/a_file/results"],  # --out where nothing can be written
    ["compare", "baseline", "nosuch"],
    ["validate", "{tmp}/bad.toml"],
    ["plan", "baseline", "--out", "{tmp}/a_file"],  # an existing file is never replaced
    ["sweep", "nosuch"],
    ["sweep", "{tmp}/bad.toml"],
    ["calibrate", "{tmp}/bad.toml"],
    ["optimise", "{tmp}/bad.toml"],
    ["optimise", "nosuch"],
    ["nosuch"],  # unknown command
]


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["run", "--help"], ["sweep", "--help"], ["optimise", "--help"]],
    ids=" ".join,
)
def test_help_loads_no_model_library(argv, files):
    seen = probe(argv, files)
    assert seen == {"code": 0, "loaded": []}


@pytest.mark.parametrize("argv", REFUSALS, ids=" ".join)
def test_refusals_load_no_model_library(argv, files):
    seen = probe([a.format(tmp=files) for a in argv], files)
    assert seen == {"code": 2, "loaded": []}


def test_the_probe_sees_a_command_that_goes_on_to_run(files):
    """``validate`` builds a small model once the file is good: Mesa and pandas load, which
    shows the probe above would see them."""
    seen = probe(["validate", "baseline"], files)
    assert seen["code"] == 0
    assert {"mesa", "pandas"} <= set(seen["loaded"])
