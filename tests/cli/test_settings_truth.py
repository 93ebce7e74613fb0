"""From the command line: a setting that cannot take effect is one line on stderr, exit 2, no
traceback, and nothing runs or is written."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def govsim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def refused(done: subprocess.CompletedProcess, *names: str) -> None:
    err = done.stderr
    assert done.returncode == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for name in names:
        assert name in err, (name, err)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder with a plan file (govsim plan) and the files that name it by a relative path."""
    here = tmp_path_factory.mktemp("truth")
    done = govsim("plan", "baseline", "--out", str(here / "plan.csv"), cwd=here)
    assert done.returncode == 0, done.stderr
    return here


def test_a_plan_and_a_grid_worker_total_are_refused_naming_both(folder, tmp_path):
    out = tmp_path / "out"
    args = ["--set", f"staffing.plan={folder / 'plan.csv'}", "--set", "grid_workers.total=3000"]
    done = govsim("run", "muzhou", *args, "--days", "2", "--out", str(out), cwd=tmp_path)
    refused(done, "grid_workers.total", "staffing.plan", "plan.csv")
    assert not out.exists()


def test_a_set_after_a_plan_scenario_is_refused(folder, tmp_path):
    (folder / "with_plan.toml").write_text('extends = "baseline"\n[staffing]\nplan = "plan.csv"\n')
    done = govsim(
        "validate", str(folder / "with_plan.toml"), "--set", "police.village_offices=all",
        cwd=tmp_path,
    )  # fmt: skip
    refused(done, "police.village_offices", "staffing.plan")


def test_an_intervention_plan_is_read_from_the_scenario_files_folder(folder, tmp_path):
    path = folder / "later_plan.toml"
    path.write_text(
        'extends = "baseline"\n[[interventions]]\nday = 10\nstaffing.plan = "plan.csv"\n'
    )
    done = govsim("validate", str(path), cwd=tmp_path)  # run from another folder
    assert done.returncode == 0, done.stderr


def test_an_intervention_setting_staff_under_a_plan_is_refused(folder, tmp_path):
    path = folder / "plan_then_total.toml"
    path.write_text(
        'extends = "baseline"\n[staffing]\nplan = "plan.csv"\n'
        "[[interventions]]\nday = 10\ngrid_workers.total = 2000\n"
    )
    refused(govsim("validate", str(path), cwd=tmp_path), str(path), "interventions[0]")


def test_a_town_not_simulated_is_refused(tmp_path):
    done = govsim("validate", "muzhou", "--set", "grid_workers.add={Huicheng = 5}", cwd=tmp_path)
    refused(done, "grid_workers.add.Huicheng", "not simulated")


def test_a_sweep_lever_under_a_plan_is_refused_before_anything_runs(folder, tmp_path):
    path = folder / "sweep.toml"
    path.write_text(
        'scenario = "muzhou"\ndays = 2\n[settings]\nstaffing.plan = "plan.csv"\n'
        "[levers]\ngrid_workers.total = [500, 1000, 2000]\n"
    )
    out = tmp_path / "out"
    done = govsim("sweep", str(path), "--out", str(out), "--workers", "1", cwd=tmp_path)
    refused(done, str(path), "levers.grid_workers.total", "staffing.plan")
    assert not out.exists()


@pytest.mark.parametrize(
    ("variable", "named"),
    [
        ('key = "staffing.plan"\nchoices = ["", "plan.csv"]', "variables[1].key"),
        ('key = "mediation.three_tuning"\nchoices = ["joint", "sequential"]\nhigh = 3', ".high"),
    ],
)
def test_an_optimisation_that_cannot_take_effect_is_refused(folder, tmp_path, variable, named):
    path = folder / "search.toml"
    path.write_text(
        'scenario = "muzhou"\n[[objectives]]\nmetric = "escalation_rate"\n'
        f"[[variables]]\n{variable}\n"
        '[[variables]]\nkey = "grid_workers.by_town"\ntowns = ["Muzhou"]\nhigh = 90\n'
    )
    out = tmp_path / "out"
    done = govsim("optimise", str(path), "--out", str(out), "--workers", "1", cwd=tmp_path)
    refused(done, str(path), named)
    assert not out.exists()


def test_a_plan_replacing_a_scenarios_staffing_is_what_the_report_and_manifest_say(
    folder, tmp_path
):
    import json

    out = tmp_path / "out"
    done = govsim(
        "run", "double_grid_workers", "--set", f"staffing.plan={folder / 'plan.csv'}",
        "--set", 'map.towns=["Muzhou"]', "--set", "population.scale=0.02",
        "--set", "run.warmup_days=0", "--days", "2", "--quiet", "--out", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    text = json.dumps(manifest)
    assert "plan.csv" in text
    overrides = [v for k, v in _items(manifest) if k == "overrides"]
    assert overrides and all("grid_workers.total" not in o for o in overrides)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "staffing.plan" in report and "grid_workers.total</code> = 2000" not in report


def _items(value):
    """Every (key, value) pair of a JSON document, at any depth."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _items(v)
    elif isinstance(value, list):
        for v in value:
            yield from _items(v)


def test_an_optimisation_with_a_plan_in_its_settings_searching_staff_is_refused(folder, tmp_path):
    """A plan in ``[settings]`` fixes every unit's staff: searching grid workers under it would
    evaluate identical trials and recommend a plan. Refused before the search, naming both."""
    path = folder / "search_under_plan.toml"
    path.write_text(
        'scenario = "muzhou"\n[settings]\nstaffing.plan = "plan.csv"\n'
        '[[objectives]]\nmetric = "escalation_rate"\n'
        '[[variables]]\nkey = "grid_workers.by_town"\ntowns = ["Muzhou"]\nhigh = 90\n'
    )
    out = tmp_path / "out"
    done = govsim("optimise", str(path), "--out", str(out), "--workers", "1", cwd=tmp_path)
    refused(done, str(path), "variables[0].key", "grid_workers.by_town", "staffing.plan")
    assert not out.exists()


def test_a_sweeps_settings_plan_is_read_from_the_sweep_files_folder(folder, tmp_path):
    """Run from another folder: ``plan.csv`` beside the sweep file is found and runs."""
    path = folder / "sweep_with_plan.toml"
    path.write_text(
        'scenario = "muzhou"\ndays = 2\n[settings]\nstaffing.plan = "plan.csv"\n'
        "population.scale = 0.02\nrun.warmup_days = 0\n"
        '[levers]\nmediation.three_tuning = ["joint", "sequential"]\n'
    )
    out = tmp_path / "out"
    done = govsim("sweep", str(path), "--out", str(out), "--workers", "1", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert str(folder / "plan.csv") in manifest


SWEEP = (
    'scenario = "{scenario}"\ndays = 2\n[settings]\npopulation.scale = 0.02\n[levers]\n{lever}\n'
)


@pytest.mark.parametrize(
    ("scenario", "lever", "setting", "named"),
    [
        ("muzhou", "mediation.trust_rooms = [1, 2]", "mediation.trust_rooms=3",
         "--set mediation.trust_rooms: also swept in [levers]"),
        ("baseline", "grid_workers.add = [{ Huicheng = 5 }, { Daze = 5 }]", 'map.towns=["Muzhou"]',
         "levers.grid_workers.add.Huicheng: has no effect"),
        ("muzhou", "mediation.trust_rooms = [1, 2]", "staffing.plan=PLAN",
         "levers.mediation.trust_rooms: has no effect in the runs with staffing.plan"),
    ],
)  # fmt: skip
def test_a_sweeps_set_that_a_lever_overrides_or_undoes_is_refused(
    folder, tmp_path, scenario, lever, setting, named
):
    """``govsim sweep --set`` is checked as the file's [settings] are: a swept key, a map
    that leaves a lever's town out, a plan that replaces a lever."""
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP.format(scenario=scenario, lever=lever))
    setting = setting.replace("PLAN", str(folder / "plan.csv"))
    out = tmp_path / "out"
    done = govsim("sweep", str(path), "--set", setting, "--out", str(out), "--workers", "1",
                  cwd=tmp_path)  # fmt: skip
    refused(done, named)
    assert not out.exists()


def test_a_calibrations_setting_that_is_also_free_is_refused(tmp_path):
    path = tmp_path / "fit.toml"
    path.write_text(
        'scenario = "muzhou"\n[settings]\ngrid_workers.total = 1500\n'
        "[free]\ngrid_workers.total = { low = 500, high = 2000 }\n"
        '[[targets]]\nmetric = "disputes_per_1k"\nvalue = 12.0\ninterval = [11.0, 13.0]\n'
    )
    out = tmp_path / "out"
    done = govsim("calibrate", str(path), "--out", str(out), "--workers", "1", cwd=tmp_path)
    refused(done, str(path), "settings.grid_workers.total", "also free")
    assert not out.exists()


@pytest.mark.parametrize("option", [["--metric", "incidents"], ["--scenario", "muzhou"]])
def test_a_map_option_without_results_to_colour_by_is_refused(tmp_path, option):
    out = tmp_path / "map.png"
    done = govsim("map", *option, "--out", str(out), cwd=tmp_path)
    refused(done, option[0], "without --results")
    assert not out.exists()
