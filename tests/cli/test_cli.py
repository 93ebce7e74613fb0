import json
import subprocess
import sys

import pandas as pd
import pytest

from sim.cli import main
from sim.model.metrics import METRICS
from sim.runs.scenario import list_scenarios, load_scenario, parse_set

# short runs after a short warm-up: these tests check files, seeds and messages, not results
QUICK = ["--days", "20", "--set", "population.scale=0.2", "--set", "run.warmup_days=10", "--quiet"]


def test_run_writes_the_output_files(tmp_path):
    out = tmp_path / "mz"
    assert (
        main(["run", "muzhou", "--replicates", "2", "--seed", "7", "--out", str(out), *QUICK]) == 0
    )
    summary, years = pd.read_csv(out / "summary.csv"), pd.read_csv(out / "years.csv")
    assert summary["period"].tolist() == ["all", "all"] and summary["days"].tolist() == [20] * 2
    assert years["period"].tolist() == ["year 1", "year 1"] and years["days"].tolist() == [20] * 2
    assert len(summary) == 2 and set(METRICS) <= set(summary.columns)
    assert summary["seed"].tolist() == [7, 8] and set(summary["scenario"]) == {"muzhou"}
    series = pd.read_csv(out / "timeseries.csv")
    assert set(series.columns) == {"scenario", "run", "seed", "day", "metric", "value"}
    assert series["day"].max() == 20
    grids = pd.read_csv(out / "grids.csv")
    assert len(grids) == 2 * 35 and {"grid_id", "town", "open_disputes"} <= set(grids.columns)
    assert {"village_zh", "village_code"} <= set(grids.columns)  # outputs name villages both ways
    assert grids["village_code"].astype(str).str.startswith("440705").all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"] == [7, 8] and manifest["days"] == 20
    [scenario] = manifest["scenarios"]
    assert len(scenario["sha256"]) == 64 and scenario["parameters"]["map.towns"] == ["Muzhou"]
    assert manifest["command"].startswith("govsim run muzhou")
    assert "<html" in (out / "report.html").read_text()


def test_baseline_seed_7_twice_gives_byte_identical_summary(tmp_path):
    """The issue's check, as a planner types it: the whole district, a year, full scale."""
    for name in ("a", "b"):
        assert (
            main(["run", "baseline", "--seed", "7", "--quiet", "--out", str(tmp_path / name)]) == 0
        )
    first, second = (tmp_path / n / "summary.csv" for n in ("a", "b"))
    assert first.read_bytes() == second.read_bytes()
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["seeds"] == [7]
    assert manifest["scenarios"][0]["sha256"] == load_scenario("baseline").sha256


def test_compare_end_to_end(tmp_path, capsys):
    """More grid workers: fewer disputes escalate (mean paired difference over 3 plausible
    parameter sets, two seeds in each, below 0)."""
    out = tmp_path / "cmp"
    argv = ["compare", "baseline", "double_grid_workers", "--sets", "3", "--replicates", "2",
            "--days", "120", "--set", "population.scale=0.2", "--workers", "2",
            "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "double_grid_workers against baseline" in printed and "escalation_rate" in printed
    assert "over 3 plausible parameter sets" in printed
    written = {f.name for f in out.iterdir()}
    assert written == {"summary.csv", "years.csv", "timeseries.csv", "grids.csv",
                       "differences.csv", "petitions.csv", "towns.csv", "villages.csv",
                       "manifest.json", "report.html", "cost_effectiveness.csv",
                       "town_differences.csv", "datapackage.json", "sets.csv", "prim_box.csv",
                       "unknowns.csv"}  # fmt: skip
    summary = pd.read_csv(out / "summary.csv")
    assert summary.groupby("scenario")["seed"].apply(list).to_dict() == {
        "baseline": list(range(1, 7)), "double_grid_workers": list(range(1, 7))
    }  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text())
    drawn = manifest["ensemble"]["sets"]
    assert len(drawn) == 3 and manifest["ensemble"]["runs_per_set"] == 2
    for scenario, runs in summary.groupby("scenario"):  # two runs per set drawn, in order
        assert list(runs["set"]) == [s for s in drawn for _ in range(2)], scenario
    sets = pd.read_csv(out / "sets.csv")
    assert list(sets["draw"]) == [0, 1, 2] and list(sets["set"]) == drawn
    for scenario, runs in summary.groupby("scenario"):
        assert list(runs["draw"]) == [0, 0, 1, 1, 2, 2], scenario
    differences = pd.read_csv(out / "differences.csv").set_index("metric")
    escalation = differences.loc["escalation_rate"]
    assert escalation["sets"] == 3 and 0 <= escalation["sets_lower"] <= 3
    assert escalation["plausible_low"] <= escalation["difference"] <= escalation["plausible_high"]
    assert differences.loc["escalation_rate", "difference"] < 0
    assert differences.loc["detected_share", "difference"] > 0
    assert differences.loc["annual_cost_wan_yuan", "difference"] == pytest.approx(6000)
    assert bool(differences.loc["annual_cost_wan_yuan", "significant"])
    report = (out / "report.html").read_text()
    assert "double_grid_workers" in report and report.count("data:image/png;base64,") >= 3
    png = tmp_path / "escalations.png"
    assert main(["map", "--results", str(out), "--scenario", "double_grid_workers",
                 "--out", str(png)]) == 0  # fmt: skip
    assert png.read_bytes()[:4] == b"\x89PNG"


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
        (["run", "muzhou", "--days", "ten"], "argument --days: invalid int value"),
        (["run", "muzhou", "--set", "population.scale"], "expected key=value"),
        (["compare", "muzhou"], "name at least two scenarios"),
        (["compare", "muzhou", "muzhou", "--sets", "-1"], "--sets: must be a whole number"),
        (["compare", "muzhou", "muzhou", "--sets", "1001"], "--sets: must be a whole number"),
        (["compare", "muzhou", "muzhou", "--replicates", "1"], "two runs in each set"),
        (["compare", "muzhou", "muzhou", "--sets", "0", "--posterior", "p.csv"], "--sets 0"),
        (["compare", "muzhou", "muzhou", "--posterior", "no/such.csv"], "no/such.csv: cannot read"),
        (["compare", "muzhou", "muzhou", "--worth", "-5"], "--worth: must be a number"),
        (["compare", "muzhou", "muzhou", "--sets", "0", "--worth", "30"], "--worth: no parameter"),
        (["compare", "muzhou", "muzhou", "--what-if", "petition.supermarket=1:2"], "not a number"),
        (
            [
                "compare",
                "muzhou",
                "muzhou",
                "--what-if",
                "disputes.rate_per_1k=1:2",
                "--what-if",
                "disputes.rate_per_1k=1:3",
            ],
            "one range per parameter",
        ),
        (
            ["compare", "muzhou", "muzhou", "--what-if", "behaviour.act_out_threshold=9:10"],
            "muzhou in parameter set",
        ),
        (["run", "rainstorm", "--days", "100"], "events[0].day: day 160 is past the end"),
        (["map", "--results", "no/such/dir"], "not a results directory"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, args, message):
    try:
        status = main(args)
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    assert status == 2
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
    bad.write_text('extends = "baseline"\n[staff]\ntotal = 3\n')
    assert main(["validate", str(bad)]) == 2
    assert "[staff]: unknown section" in capsys.readouterr().err


def test_extends_cycle_is_reported(tmp_path, capsys):
    (tmp_path / "a.toml").write_text('extends = "./b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "./a.toml"\n')
    assert main(["validate", str(tmp_path / "a.toml")]) == 2
    assert "cycle" in capsys.readouterr().err


def test_set_values_are_toml_or_bare_strings():
    assert parse_set("petition.supermarket=false") == ("petition.supermarket", False)
    assert parse_set('map.towns=["Muzhou"]') == ("map.towns", ["Muzhou"])
    assert parse_set("grid_workers.allocation=risk") == ("grid_workers.allocation", "risk")


def test_a_map_file_with_missing_properties_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.geojson"
    feature = {"type": "Feature", "properties": {"grid_id": "G1"},
               "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}  # fmt: skip
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    assert main(["run", "muzhou", "--quiet", "--set", f"map.file={bad}", "--days", "2"]) == 2
    err = capsys.readouterr().err
    assert "bad.geojson" in err and "G1" in err and err.count("\n") == 1


def test_intervention_scenario_example_runs_past_its_day(tmp_path):
    example = "scenarios/examples/trust_rooms_in_year_two.toml"
    assert main(["run", example, "--days", "364", "--quiet", "--out", str(tmp_path / "x")]) == 2
    out = tmp_path / "y"
    argv = ["run", example, "--days", "368", "--set", "population.scale=0.02", "--quiet"]
    assert main([*argv, "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    [change] = manifest["scenarios"][0]["timeline"]["interventions"]
    assert change["day"] == 365 and change["settings"] == {"mediation.trust_rooms": 234}


@pytest.mark.parametrize("name", list_scenarios())
def test_every_named_scenario_validates_and_runs(name, tmp_path):
    """A few days past its last scheduled change, at 2% of the population, after a 30-day
    warm-up (the default year would be most of the time; the test is that it runs)."""
    scenario = load_scenario(name)
    assert scenario.description
    timeline = scenario.timeline
    days = 5 + max([i.day for i in timeline.interventions] + [e.end for e in timeline.events] + [0])
    assert main(["validate", name]) == 0
    out = tmp_path / name
    assert (
        main(
            [
                "run",
                name,
                "--days",
                str(days),
                "--set",
                "population.scale=0.02",
                "--set",
                "run.warmup_days=30",
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
