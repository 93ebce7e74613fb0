"""The posterior ensemble of a calibration: weights, resampling, and a known rate recovered."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.model.parameters import ParameterError
from sim.runs.calibrate.posterior import (
    Z,
    effective_size,
    likelihood_weights,
    posterior_table,
    systematic_resample,
)
from sim.runs.calibrate.spec import load_calibration

from .test_calibration import QUICK, parse


def test_weights_fall_with_the_loss_as_a_gaussian_likelihood_and_ignore_undefined_draws():
    w = likelihood_weights(np.array([0.0, 1.0, 4.0, np.nan]))
    assert w.sum() == pytest.approx(1.0)
    assert w[1] / w[0] == pytest.approx(np.exp(-(Z**2) / 2))  # one half-width off: 1.96 sigma
    assert w[2] / w[0] == pytest.approx(np.exp(-4 * Z**2 / 2))
    assert w[3] == 0.0
    assert effective_size(np.full(4, 0.25)) == pytest.approx(4.0)
    assert effective_size(np.array([1.0, 0.0])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no draw has a finite loss"):
        likelihood_weights(np.array([np.nan, np.inf]))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_systematic_resampling_chooses_each_draw_floor_or_ceil_of_its_share(seed):
    weights = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625, 0.0])
    chosen = systematic_resample(weights, 50, np.random.default_rng(seed))
    counts = np.bincount(chosen, minlength=len(weights))
    assert counts.sum() == 50 and counts[-1] == 0
    assert (counts >= np.floor(50 * weights)).all() and (counts <= np.ceil(50 * weights)).all()


def test_the_posterior_table_keeps_distinct_sets_with_their_share_of_the_draws():
    evaluations = pd.DataFrame(
        {
            "phase": ["screen", "posterior", "posterior", "posterior", "posterior"],
            "loss": [0.0, 0.0, 0.5, 8.0, 40.0],
            "a": [9.0, 1.0, 2.0, 3.0, 4.0],
            "sim:x": [0.0, 10.0, 11.0, 12.0, 13.0],
        }
    )
    table = posterior_table(evaluations, ["a"], sets=100, seed=5)
    assert table["ensemble_weight"].sum() == pytest.approx(1.0)
    assert 9.0 not in table["a"].tolist()  # the search's candidates are not draws of the prior
    assert table["a"].iloc[0] == 1.0 and table["set"].tolist() == list(range(len(table)))
    assert 4.0 not in table["a"].tolist()  # 40 half-widths off: no weight to speak of
    share = dict(zip(table["a"], table["ensemble_weight"], strict=True))
    expected = likelihood_weights(np.array([0.0, 0.5, 8.0, 40.0]))
    assert share[1.0] == pytest.approx(expected[0], abs=0.01)
    assert share[2.0] == pytest.approx(expected[1], abs=0.01)


def test_posterior_settings_are_checked():
    base = QUICK.format(days=30, screen=2, polish=0, rate_target=12.0, low=10.0, high=14.0)
    for extra, words in (
        ("[posterior]\ndraws = 1\n", "posterior.draws: expected at least 2"),
        ("[posterior]\ndraws = 10\nkeep = 3\n", "posterior: expected a table with some of"),
        ("[posterior]\ndraws = 10\nsets = 0\n", "posterior.sets"),
    ):
        with pytest.raises(ParameterError, match=words):
            parse(base + extra)
    assert parse(base).posterior_draws == 0


def test_the_posterior_recovers_a_known_dispute_rate_and_reproduces_its_target(tmp_path):
    """Targets made by the model itself with rate 11 per 1,000: the ensemble's weighted rate lies
    near 11 (within 1.5, a range of 5-25 searched) and is narrower than the prior; the sets'
    simulated target, weighted, lies inside the interval; the folder holds the ensemble."""
    text = QUICK.format(days=60, screen=3, polish=0, rate_target=1.0, low=0.0, high=2.0)
    text = text.replace("mediation.base_grid = { low = 1.0, high = 6.0 }\n", "")
    calibration = parse(text)
    truth = calibration.scenario.params | {"disputes.rate_per_1k": 11.0}
    made = [
        sim.simulate(truth, days=60, seed=seed).current["disputes_per_1k"]
        for seed in calibration.seeds()[:2]
    ]
    value = float(np.mean(made))
    text = text.replace(
        "value = 1.0\ninterval = [0.0, 2.0]",
        f"value = {value}\ninterval = [{value - 1}, {value + 1}]",
    )
    path = tmp_path / "posterior.toml"
    path.write_text(
        text.replace("[check]", "[posterior]\ndraws = 24\nsets = 50\n[check]").replace(
            "[search]", "[search]\nprofile = 0"
        )
    )
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    assert {"posterior.csv", "pins.csv", "posterior.png"} <= {f.name for f in out.iterdir()}
    table = pd.read_csv(out / "posterior.csv")
    w = table["ensemble_weight"].to_numpy()
    rate = table["disputes.rate_per_1k"].to_numpy()
    mean = float(np.sum(w * rate))
    spread = float(np.sqrt(np.sum(w * (rate - mean) ** 2)))
    assert abs(mean - 11.0) < 1.5, table
    assert spread < 20.0 / np.sqrt(12) / 2  # under half the spread of the uniform prior
    simulated = float(np.sum(w * table["sim:disputes_per_1k"]))
    assert value - 1 <= simulated <= value + 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["posterior"]["draws"] == 24 and manifest["posterior"]["distinct_sets"] == len(
        table
    )
    pins = pd.read_csv(out / "pins.csv")
    assert pins.loc[0, "rank_correlation"] > 0.8  # the dispute rate pins itself
    assert "Posterior ensemble" in (out / "fit_report.html").read_text()
    loaded = load_calibration(path)
    evaluations = pd.read_csv(out / "evaluations.csv")
    assert (evaluations["phase"] == "posterior").sum() == loaded.posterior_draws


SHIPPED = Path(__file__).resolve().parents[2] / "docs" / "calibration" / "posterior"


def test_the_shipped_ensemble_reproduces_every_target_and_has_at_least_50_distinct_sets():
    """docs/calibration/posterior/ (``govsim calibrate scenarios/calibration/posterior.toml``):
    each target's mean over the ensemble, weighted, inside its published interval; at least 50
    distinct sets, whose weights add up to 1, each inside the searched ranges."""
    calibration = load_calibration("scenarios/calibration/posterior.toml")
    table = pd.read_csv(SHIPPED / "posterior.csv")
    w = table["ensemble_weight"].to_numpy()
    assert len(table) >= 50 and w.sum() == pytest.approx(1.0)
    for f in calibration.free:
        assert table[f.key].between(f.low, f.high).all(), f.key
    for t in calibration.targets:
        mean = float(np.sum(w * table[f"sim:{t.name}"]))
        assert t.low <= mean <= t.high, (t.name, mean, t.low, t.high)
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    assert manifest["posterior"]["distinct_sets"] == len(table)
