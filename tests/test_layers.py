"""The architecture of docs/ARCHITECTURE.md holds: layers, no circles, small modules, no UI in runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"
MAX_LINES = 400
# The parameter schema is one table with one entry per parameter: one file, however long.
ONE_TABLE = {Path("sim/model/parameters.py")}


def test_a_run_loads_no_part_of_the_web_app():
    code = (
        "import sim, sys; sim.run({'population.scale': 0.01}, days=5, seed=1); "
        "print(sorted(m for m in sys.modules if m.startswith(('solara', 'ipyvue'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_module_is_longer_than_one_sitting():
    lengths = {
        p.relative_to(SIM.parent): len(p.read_text().splitlines()) for p in SIM.rglob("*.py")
    }
    assert {p: n for p, n in lengths.items() if n > MAX_LINES and p not in ONE_TABLE} == {}


@pytest.mark.skipif(shutil.which("lint-imports", path=str(Path(sys.executable).parent)) is None,
                    reason="import-linter is not installed (pip install -e .[dev])")  # fmt: skip
def test_import_contracts_are_kept():
    """Layers, Solara only in the app, no import circles (type-only imports included)."""
    lint = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run([str(lint)], capture_output=True, text=True, cwd=SIM.parent)
    assert out.returncode == 0, out.stdout[-2000:]
    assert "3 kept, 0 broken" in out.stdout
