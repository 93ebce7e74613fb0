import json
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.model.parameters import ParameterError
from sim.runs.calibrate.search import search
from sim.runs.calibrate.spec import Target, load_calibration, parse_calibration
from sim.runs.scenario import ScenarioError, load_scenario

QUICK = """
description = "quick"
scenario = "muzhou"
days = {days}
replicates = 2
seed = 3
[settings]
population.scale = 0.3
# A smooth landscape for the search: arrivals follow the rate alone (no tension), and no
# warm-up (whose year of draws would decouple the candidates' random streams).
space.tension_per_incident = 0.0
run.warmup_days = 0
[search]
screen = {screen}
polish = {polish}
[check]
replicates = 2
[free]
disputes.rate_per_1k = {{ low = 5.0, high = 25.0 }}
mediation.base_grid = {{ low = 1.0, high = 6.0 }}
[[targets]]
metric = "disputes_per_1k"
value = {rate_target}
interval = [{low}, {high}]
source = "made up for the test"
"""


def parse(text: str):
    return parse_calibration(tomllib.loads(text), name="t", base_dir=Path("."))


BASE = "[free]\ndisputes.rate_per_1k = { low = 5.0, high = 25.0 }\n"
TARGET = '[[targets]]\nmetric = "disputes_per_1k"\nvalue = 12.0\ninterval = [11.0, 13.0]\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BASE + TARGET.replace("disputes_per_1k", "happiness"), "targets[0].metric"),
        (BASE + TARGET.replace("[11.0, 13.0]", "[13.0, 15.0]"), "low < high around the value"),
        (BASE + TARGET.replace("[11.0, 13.0]", "[11.0]"), "expected [low, high]"),
        (BASE + TARGET + "colour = 1\n", "targets[0].colour: unknown field"),
        ("[free]\ndisputes.rate_per_1k = [8, 9]\n" + TARGET, "give each free parameter a range"),
        ("[free]\ndisputes.rate_per_k = { low = 5.0, high = 9.0 }\n" + TARGET, "did you mean"),
        ("[free]\ndisputes.rate_per_1k = { low = -5.0, high = 9.0 }\n" + TARGET, "out of range"),
        (BASE, "targets: expected one or more"),
        ("[search]\nrounds = 3\n" + BASE + TARGET, "search: expected a table"),
        ("[check]\nscale = 2.0\n" + BASE + TARGET, "population.scale"),
        (BASE + TARGET + 'effect_of = "no_such"\n', "targets[0].effect_of: "),
        (BASE + TARGET + "effect_of = 3\n", "targets[0].effect_of: expected a scenario name"),
        (BASE + TARGET + 'effect_of = "baseline"\n', "baseline changes nothing in baseline"),
        (
            BASE.replace("disputes.rate_per_1k", "grid_workers.total")
            .replace("5.0", "500")
            .replace("25.0", "2000")
            + TARGET
            + 'effect_of = "double_grid_workers"\n',
            "double_grid_workers sets grid_workers.total, which is free in [free]",
        ),
        (
            "[settings]\npolice.village_offices = 'none'\n"
            + BASE
            + TARGET
            + 'effect_of = "one_village_one_police"\n',
            "sets police.village_offices, which is fixed in [settings]",
        ),
        (
            BASE
            + TARGET.replace("12.0", "-1.0").replace("[11.0, 13.0]", "[-2.0, 0.0]")
            + 'effect_of = "one_village_one_police"\n',
            "a relative change is above -1",
        ),
    ],
)
def test_bad_calibration_files_are_rejected(text, message):
    with pytest.raises((ParameterError, ScenarioError)) as caught:
        parse(text)
    assert message in str(caught.value)


def test_target_loss_is_in_half_widths_on_each_side():
    target = Target("passed_up_share", 0.01, 0.005, 0.02, weight=2.0)
    assert target.loss(0.01) == 0
    assert target.loss(0.02) == pytest.approx(2.0)  # one half-width above (0.01), weight 2
    assert target.loss(0.005) == pytest.approx(2.0)  # one half-width below (0.005)
    assert target.loss(0.0) == pytest.approx(8.0)
    # An undefined metric (no petitions at all) counts as ten half-widths off.
    assert target.loss(float("nan")) == pytest.approx(2.0 * 10**2)


def test_calibration_recovers_a_known_dispute_rate():
    """Targets made by the model itself with rate 11: the search must find about 11 again."""
    calibration = parse(
        QUICK.format(days=90, screen=8, polish=12, rate_target=1.0, low=0.0, high=2.0)
    )
    calibration = replace(calibration, free=calibration.free[:1], check_replicates=2)
    truth = calibration.scenario.params | {"disputes.rate_per_1k": 11.0}
    made = [
        sim.simulate(truth, days=90, seed=seed).current["disputes_per_1k"]
        for seed in calibration.seeds()[:2]
    ]
    value = float(np.mean(made))
    target = Target("disputes_per_1k", value, value - 0.5, value + 0.5)
    calibration = replace(calibration, targets=(target,))
    best, table, check = search(calibration, workers=2)
    assert best["disputes.rate_per_1k"] == pytest.approx(11.0, abs=0.6)
    assert table["loss"].min() < 0.5
    screened = (table["phase"] == "screen").sum()
    assert screened == 8 + 1  # the Latin-hypercube points and the values in force
    assert (table["phase"] == "polish").sum() <= 12
    assert (table["phase"] == "profile:disputes.rate_per_1k").sum() == 2
    assert (
        table.loc[table["phase"] == "polish", "loss"].min()
        <= table.loc[table["phase"] == "screen", "loss"].min()
    )
    assert len(check) == 2


def test_calibrate_command_writes_a_scenario_and_a_fit_report(tmp_path, capsys):
    path = tmp_path / "quick.toml"
    path.write_text(
        QUICK.format(days=30, screen=4, polish=3, rate_target=12.0, low=10.0, high=14.0)
    )
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out), "--workers", "2"]) == 0
    assert "disputes_per_1k" in capsys.readouterr().out
    written = {f.name for f in out.iterdir()}
    assert written == {"calibrated.toml", "fit_report.html", "fit.csv", "fit.png",
                       "identification.csv", "evaluations.csv", "manifest.json",
                       "stationarity.csv", "good_fits.csv", "datapackage.json"}  # fmt: skip
    calibrated = load_scenario(out / "calibrated.toml")
    manifest = json.loads((out / "manifest.json").read_text())
    for key, value in manifest["best"].items():
        assert calibrated.params[key] == value
    assert calibrated.params["map.towns"] == ["Muzhou"]  # it extends the base scenario
    fit = pd.read_csv(out / "fit.csv")
    assert fit["metric"].tolist() == ["disputes_per_1k"]
    assert bool(fit["inside"].iloc[0]) == (10.0 <= fit["mean"].iloc[0] <= 14.0)
    ident = pd.read_csv(out / "identification.csv")
    assert set(ident["parameter"]) == {"disputes.rate_per_1k", "mediation.base_grid"}
    assert (ident["good_low"] <= ident["best"]).all() and (
        ident["best"] <= ident["good_high"]
    ).all()
    report = (out / "fit_report.html").read_text()
    assert "made up for the test" in report and "data:image/png;base64," in report


def test_the_shipped_calibration_file_loads():
    calibration = load_calibration("scenarios/calibration/baseline.toml")
    assert calibration.scenario.name == "baseline"
    assert {t.metric for t in calibration.targets} >= {
        "mediation_success_rate", "petition_one_time_resolution_rate", "satisfaction_rate",
        "mediated_per_1k", "resolved_in_town_share", "passed_up_share", "land_failure_ratio",
    }  # fmt: skip
    assert calibration.check_scale == 1.0


def test_calibration_on_dask_matches_the_local_pool(tmp_path, dask_cluster):
    """The same candidates and seeds on a Dask cluster give the same evaluations."""
    path = tmp_path / "quick.toml"
    path.write_text(
        QUICK.format(days=20, screen=3, polish=0, rate_target=12.0, low=10.0, high=14.0)
    )
    calibration = load_calibration(path)
    local = search(calibration, workers=2)
    remote = search(calibration, scheduler=dask_cluster)
    assert local[0] == remote[0]
    pd.testing.assert_frame_equal(local[1], remote[1])
    assert {r["worker"].split(":")[0] for r in remote[2]} == {
        r["worker"].split(":")[0] for r in local[2]
    }
    assert remote[2] != [] and [r["seed"] for r in remote[2]] == [r["seed"] for r in local[2]]


def test_the_stationarity_table_flags_a_drifting_target():
    from sim.output.calibration_report import stationarity

    calibration = parse(
        QUICK.format(days=30, screen=4, polish=3, rate_target=12.0, low=10.0, high=14.0)
    )
    rng = np.random.default_rng(0)

    def runs(trend: float) -> list[dict]:
        return [{"years": [{"disputes_per_1k": 12 + trend * y + rng.normal(0, 0.3)} for y in range(3)]}
                for _ in range(5)]  # fmt: skip

    steady, drifting = stationarity(calibration, runs(0.0)), stationarity(calibration, runs(1.0))
    assert list(steady.columns[:5]) == ["metric", "effect_of", "year 1", "year 2", "year 3"]
    assert bool(steady["steady"].iloc[0]) and steady["max_z"].iloc[0] < 3.5
    assert not bool(drifting["steady"].iloc[0])  # 1 a year against noise 0.3 / sqrt(5)


POLICY = """extends = "muzhou"
description = "Muzhou without its village police offices"
[police]
village_offices = "none"
"""


def test_an_effect_target_is_the_relative_change_under_the_scenario_s_policy(tmp_path, capsys):
    """A target with ``effect_of`` fits the change a policy makes: each candidate also runs with
    the named scenario's policy on the same seeds, and the fit reports mean(with) / mean(without)
    - 1, as a paired comparison made by hand gives it."""
    (tmp_path / "no_offices.toml").write_text(POLICY)
    text = QUICK.format(days=40, screen=2, polish=0, rate_target=12.0, low=10.0, high=14.0)
    text += (
        '[[targets]]\nmetric = "mean_days_to_detection"\neffect_of = "no_offices.toml"\n'
        "value = 0.2\ninterval = [0.05, 0.4]\n"
    )
    path = tmp_path / "effect.toml"
    path.write_text(
        text.replace("[search]", "[search]\nprofile = 0").replace(
            "[check]\nreplicates = 2", "[check]\nreplicates = 3"
        )
    )
    calibration = load_calibration(path)
    policy = calibration.policies["no_offices.toml"]
    assert policy.settings == {"police.village_offices": "none"}  # what differs from muzhou, alone
    target = calibration.targets[1]
    assert target.name == "mean_days_to_detection with no_offices.toml"

    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    fit = pd.read_csv(out / "fit.csv", keep_default_na=False)
    assert fit["effect_of"].tolist() == ["", "no_offices.toml"]
    manifest = json.loads((out / "manifest.json").read_text())
    best = calibration.scenario.params | manifest["best"]
    seeds = calibration.seeds()[:3]
    without = [sim.simulate(best, days=365, seed=s).current for s in seeds]
    with_policy = [sim.simulate(best | policy.settings, days=365, seed=s).current for s in seeds]
    by_hand = [np.mean([r[m] for r in with_policy]) / np.mean([r[m] for r in without]) - 1
               for m in ("mean_days_to_detection",)]  # fmt: skip
    assert fit["mean"].iloc[1] == pytest.approx(by_hand[0], rel=1e-9)
    assert by_hand[0] > 0.02  # without offices, disputes are found later
    assert fit["mean"].iloc[0] == pytest.approx(
        np.mean([r["disputes_per_1k"] for r in without]), rel=1e-9
    )
    evaluations = pd.read_csv(out / "evaluations.csv")
    assert "sim:mean_days_to_detection with no_offices.toml" in evaluations.columns
    steady = pd.read_csv(out / "stationarity.csv", keep_default_na=False)
    assert steady["effect_of"].tolist() == ["", "no_offices.toml"]
    report = (out / "fit_report.html").read_text()
    assert "under the policy of no_offices.toml" in report


def test_the_target_means_take_each_effect_from_its_own_policy():
    calibration = parse(
        BASE
        + TARGET
        + TARGET.replace("12.0", "-0.1").replace("[11.0, 13.0]", "[-0.2, 0.0]")
        + 'effect_of = "one_village_one_police"\n'
    )
    means = calibration.target_means(
        {"disputes_per_1k": 10.0}, {"one_village_one_police": {"disputes_per_1k": 8.0}}
    )
    assert means == {
        "disputes_per_1k": 10.0,
        "disputes_per_1k with one_village_one_police": pytest.approx(-0.2),
    }
    assert calibration.loss(means) == pytest.approx(4.0 + 1.0)  # two half-widths off; one
    nan = calibration.target_means(
        {"disputes_per_1k": 0.0}, {"one_village_one_police": {"disputes_per_1k": 1.0}}
    )
    assert np.isnan(nan["disputes_per_1k with one_village_one_police"])
