import json
import subprocess
import sys

import pandas as pd
import pytest

from sim.cli import main
from sim.metrics import METRICS
from sim.scenario import list_scenarios, load_scenario, parse_set

QUICK = ["--days", "20", "--set", "population.scale=0.2", "--quiet"]


def test_run_writes_the_output_files(tmp_path):
    out = tmp_path / "mz"
    assert (
        main(["run", "muzhou", "--replicates", "2", "--seed", "7", "--out", str(out), *QUICK]) == 0
    )
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 2 and set(METRICS) <= set(summary.columns)
    assert summary["seed"].tolist() == [7, 8]
    series = pd.read_csv(out / "timeseries.csv")
    assert set(series.columns) == {"run", "seed", "day", "metric", "value"}
    assert series["day"].max() == 20
    grids = pd.read_csv(out / "grids.csv")
    assert len(grids) == 2 * 35 and {"grid_id", "town", "open_disputes"} <= set(grids.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"] == [7, 8] and len(manifest["scenario_sha256"]) == 64
    assert manifest["parameters"]["map.towns"] == ["Muzhou"]


def test_same_seed_gives_byte_identical_summary(tmp_path):
    for name in ("a", "b"):
        assert main(["run", "muzhou", "--seed", "7", "--out", str(tmp_path / name), *QUICK]) == 0
    assert (tmp_path / "a" / "summary.csv").read_bytes() == (
        tmp_path / "b" / "summary.csv"
    ).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no_such_scenario"], "scenario file not found"),
        (["run", "muzhou", "--set", "grid_workers.totl=5"], "did you mean 'grid_workers.total'"),
        (
            ["run", "muzhou", "--set", "grid_workers.total=-5"],
            "grid_workers.total: -5 is out of range",
        ),
        (["run", "muzhou", "--set", "map.towns=['Atlantis']"], "unknown town 'Atlantis'"),
        (["run", "muzhou", "--days", "0"], "--days"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_input_keeps_earlier_results(tmp_path):
    out = tmp_path / "keep"
    assert main(["run", "muzhou", "--out", str(out), *QUICK]) == 0
    before = (out / "summary.csv").read_bytes()
    assert main(["run", "muzhou", "--out", str(out), "--set", "petition.supermarket=maybe"]) == 2
    assert (out / "summary.csv").read_bytes() == before


def test_bad_toml_and_unknown_section_name_the_file(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid_workers\ntotal = 3\n")
    assert main(["validate", str(bad)]) == 2
    assert "bad.toml: invalid TOML" in capsys.readouterr().err
    bad.write_text('extends = "baseline"\n[staffing]\ntotal = 3\n')
    assert main(["validate", str(bad)]) == 2
    assert "[staffing]: unknown section" in capsys.readouterr().err


def test_extends_cycle_is_reported(tmp_path, capsys):
    (tmp_path / "a.toml").write_text('extends = "./b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "./a.toml"\n')
    assert main(["validate", str(tmp_path / "a.toml")]) == 2
    assert "cycle" in capsys.readouterr().err


def test_set_values_are_toml_or_bare_strings():
    assert parse_set("petition.supermarket=false") == ("petition.supermarket", False)
    assert parse_set('map.towns=["Muzhou"]') == ("map.towns", ["Muzhou"])
    assert parse_set("grid_workers.allocation=risk") == ("grid_workers.allocation", "risk")


@pytest.mark.parametrize("name", list_scenarios())
def test_every_named_scenario_validates_and_runs(name, tmp_path):
    scenario = load_scenario(name)
    assert scenario.description
    out = tmp_path / name
    assert (
        main(
            [
                "run",
                name,
                "--days",
                "5",
                "--set",
                "population.scale=0.02",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert (out / "summary.csv").exists()


def test_python_m_sim_and_map(tmp_path):
    png = tmp_path / "map.png"
    done = subprocess.run(
        [sys.executable, "-m", "sim", "map", "--out", str(png)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
