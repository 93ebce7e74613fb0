"""Analysing sweep directories: SALib wiring on known functions, errors, figures, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.model.metrics import METRICS
from sim.output.analysis_charts import (
    lever_figure,
    print_sensitivity,
    sensitivity_figure,
    write_analysis,
)
from sim.runs.scenario import ScenarioError
from sim.runs.sweep.analysis import lever_effect, load_sweep_results, sensitivity
from sim.runs.sweep.spec import load_sweep, parse_sweep
from sim.runs.sweep.store import run_sweep

RATE, TRUST = "disputes.rate_per_1k", "population.trust_mean"
SMALL = """scenario = "muzhou"
days = 30
seed = 5
replicates = 2
[settings]
population.scale = 0.2
run.warmup_days = 30
"""


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory) -> dict[str, Path]:
    """Two tiny real sweeps: a Morris design (12 runs) and a grid (8 runs), 2 replicates each
    (a 30-day warm-up: these tests check the analysis of a sweep, not the steady district)."""
    root = tmp_path_factory.mktemp("sweeps")
    files = {
        "morris": SMALL
        + """[design]
method = "morris"
samples = 2
[uncertainties]
disputes.rate_per_1k = { low = 8.0, high = 20.0 }
population.trust_mean = { low = 0.4, high = 0.8 }
""",
        "grid": SMALL
        + """[levers]
grid_workers.allocation = ["equal", "risk"]
[uncertainties]
disputes.rate_per_1k = [8.0, 20.0]
""",
    }
    out = {}
    for name, text in files.items():
        path = root / f"{name}.toml"
        path.write_text(text)
        out[name] = root / name
        counts = run_sweep(load_sweep(path), out[name], workers=2)
        assert counts["failed"] == 0
    return out


def synthetic(folder: Path, *, method: str, samples: int, second_order: bool = False) -> Path:
    """A sweep directory written by hand whose escalation_rate is 3 * u(rate) + 0 * u(trust).

    incidents_per_100k is missing at one design point; every other metric is constant.
    """
    design_spec = {"method": method, "samples": samples}
    if method == "sobol":  # the only design that reads it (another is refused)
        design_spec["second_order"] = second_order
    sweep = parse_sweep(
        {"scenario": "muzhou", "design": design_spec, "seed": 11,
         "uncertainties": {RATE: {"low": 8.0, "high": 20.0}, TRUST: {"low": 0.4, "high": 0.8}}},
        name="synthetic", base_dir=folder,
    )  # fmt: skip
    design = sweep.design()
    folder.mkdir(parents=True)
    # Rows out of order: the analysis must line runs up with design points by design_row.
    shuffled = design.sample(frac=1.0, random_state=1)
    shuffled.to_csv(folder / "design.csv", index=False, float_format="%.10g")
    runs = design[["design_row", RATE, TRUST]].copy()
    runs.insert(0, "run_id", runs["design_row"])
    runs = runs.assign(replicate=0, seed=1, status="ok", error="")
    for metric in METRICS:
        runs[metric] = 0.5
    runs["escalation_rate"] = 3 * design[f"u:{RATE}"] + 0 * design[f"u:{TRUST}"]
    runs.loc[1, "incidents_per_100k"] = np.nan
    runs.sample(frac=1.0, random_state=2).to_csv(
        folder / "runs.csv", index=False, float_format="%.10g"
    )
    manifest = {
        "sweep": "synthetic", "file": None, "sweep_sha256": sweep.sha256, "status": "complete",
        "counts": {"ok": len(runs), "failed": 0, "skipped": 0, "left": 0},
        "design": {"method": method, "samples": samples, "levels": sweep.levels,
                   "second_order": second_order, "points": len(design)},
        "factors": [vars(f) for f in sweep.factors], "days": 30, "replicates": 1,
        "master_seed": sweep.seed,
    }  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest, default=list))
    return folder


def index_of(table: pd.DataFrame, factor: str, index: str, metric="escalation_rate") -> float:
    row = table[(table.metric == metric) & (table.factor == factor) & (table["index"] == index)]
    assert len(row) == 1
    return float(row["estimate"].iloc[0])


def test_morris_recovers_a_known_linear_effect(tmp_path):
    results = load_sweep_results(synthetic(tmp_path / "m", method="morris", samples=20))
    table = sensitivity(results)
    # Elementary effects on the unit cube: a step across the whole range of rate moves Y by 3.
    assert index_of(table, RATE, "mu_star") == pytest.approx(3.0, abs=1e-6)
    assert index_of(table, RATE, "sigma") == pytest.approx(0.0, abs=1e-6)
    assert index_of(table, TRUST, "mu_star") == pytest.approx(0.0, abs=1e-9)
    assert set(table["role"]) == {"uncertainty"}
    skipped = table.attrs["skipped"]
    assert "no value at 1 design points" in skipped["incidents_per_100k"]
    assert "same value" in skipped["disputes_per_1k"]
    assert set(table["metric"]) == {"escalation_rate"}


@pytest.mark.parametrize("second_order", [False, True])
def test_sobol_recovers_a_known_linear_effect(tmp_path, second_order):
    folder = synthetic(tmp_path / "s", method="sobol", samples=64, second_order=second_order)
    table = sensitivity(load_sweep_results(folder), ["escalation_rate"])
    assert index_of(table, RATE, "S1") > 0.85 and index_of(table, RATE, "ST") > 0.9
    assert abs(index_of(table, TRUST, "S1")) < 0.05
    assert index_of(table, TRUST, "ST") == pytest.approx(0.0, abs=1e-9)
    row = table[(table.factor == RATE) & (table["index"] == "ST")].iloc[0]
    assert row.conf_low <= row.estimate <= row.conf_high and row.conf > 0
    assert ("S2" in set(table["index"])) == second_order


def test_partial_sweep_is_refused_with_the_count_missing(tmp_path):
    folder = synthetic(tmp_path / "m", method="morris", samples=4)
    runs = pd.read_csv(folder / "runs.csv")
    runs[~runs["design_row"].isin([3, 4])].to_csv(folder / "runs.csv", index=False)
    results = load_sweep_results(folder)
    with pytest.raises(ScenarioError, match=r"2 of 12 design points .* --resume"):
        sensitivity(results)
    # A metric against a factor needs no whole design: the runs there are used.
    assert lever_effect(results, lever=RATE, metric="escalation_rate")["n_runs"].sum() == 10


def test_loading_errors_are_one_line(tmp_path):
    with pytest.raises(ScenarioError, match="no such directory"):
        load_sweep_results(tmp_path / "nowhere")
    with pytest.raises(ScenarioError, match="not a sweep directory"):
        load_sweep_results(tmp_path)
    folder = synthetic(tmp_path / "m", method="morris", samples=2)
    runs = pd.read_csv(folder / "runs.csv")
    runs.assign(status="failed", error="ValueError: boom").to_csv(folder / "runs.csv")
    with pytest.raises(ScenarioError, match=r"no successful run \(6 failed"):
        load_sweep_results(folder)
    (folder / "runs.csv").unlink()
    with pytest.raises(ScenarioError, match=r"no runs\.csv"):
        load_sweep_results(folder)


def test_a_continuous_factor_is_binned_and_follows_the_function(tmp_path):
    results = load_sweep_results(synthetic(tmp_path / "s", method="sobol", samples=64))
    table = lever_effect(results, lever=RATE, metric="escalation_rate")
    assert len(table) == 8 and table["n_runs"].sum() == len(results.runs)
    assert table["bin_low"].iloc[0] == 8.0 and table["bin_high"].iloc[-1] == 20.0
    # Y = 3 u: the mean in each bin is near 3 * the bin's middle in unit coordinates.
    expected = 3 * (table[RATE] - 8.0) / 12.0
    assert np.allclose(table["mean"], expected, atol=0.1)
    assert (table["mean_ci_low"] <= table["mean"]).all()
    assert (table["mean"] <= table["mean_ci_high"]).all()
    fig = lever_figure(results, lever=RATE, metric="escalation_rate")
    [ax] = fig.axes
    assert ax.get_ylabel().replace("\n", " ") == METRICS["escalation_rate"]
    assert RATE in ax.get_xlabel()


def test_grid_lever_effect_pools_replicates_per_value(sweeps):
    results = load_sweep_results(sweeps["grid"])
    table = lever_effect(results, lever="grid_workers.allocation", metric="escalation_rate")
    assert table["grid_workers.allocation"].tolist() == ["equal", "risk"]
    assert table["n_runs"].tolist() == [4, 4]  # 2 dispute rates x 2 replicates
    by_hand = results.runs.groupby("grid_workers.allocation")["escalation_rate"].agg(
        ["mean", "std"]
    )
    assert np.allclose(table["mean"], by_hand["mean"]) and np.allclose(table["sd"], by_hand["std"])
    with pytest.raises(ScenarioError, match="--lever"):
        sensitivity(results)


def test_real_morris_sweep_ranks_the_dispute_rate_first_for_disputes(sweeps, capsys):
    table = sensitivity(load_sweep_results(sweeps["morris"]))
    rate = index_of(table, RATE, "mu_star", metric="disputes_per_1k")
    trust = index_of(table, TRUST, "mu_star", metric="disputes_per_1k")
    assert rate > 3 and rate > 5 * trust  # 8 -> 20 disputes per 1,000: trust does not make them
    print_sensitivity(table[table.metric == "disputes_per_1k"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[3].startswith(RATE)  # most important factor first
    fig = sensitivity_figure(table, metric="disputes_per_1k")
    assert fig.axes[0].get_yticklabels()[0].get_text() == RATE


def test_write_analysis_writes_the_files(sweeps, tmp_path):
    results = load_sweep_results(sweeps["morris"])
    # The staffing is the same in every run: annual_cost_wan_yuan is constant, so it is skipped.
    chosen = ["mean_days_to_detection", "disputes_per_1k", "annual_cost_wan_yuan"]
    written = write_analysis(results, tmp_path / "a", metrics=chosen)
    assert {p.name for p in written} == {
        "sensitivity.csv", "sensitivity_mean_days_to_detection.png",
        "sensitivity_disputes_per_1k.png", "datapackage.json",
    }  # fmt: skip
    assert all(p.stat().st_size > 5000 for p in written if p.suffix == ".png")
    csv = pd.read_csv(tmp_path / "a" / "sensitivity.csv")
    assert set(csv["index"]) == {"mu_star", "mu", "sigma"} and len(csv) == 2 * 2 * 3
    assert set(csv["factor"]) == {RATE, TRUST} and csv["estimate"].notna().all()
    written = write_analysis(results, tmp_path / "b", lever=TRUST, metric="disputes_per_1k")
    assert [p.name for p in written] == [
        f"disputes_per_1k_by_{TRUST}.csv",
        f"disputes_per_1k_by_{TRUST}.png",
        "datapackage.json",
    ]
    effect = pd.read_csv(written[0])
    assert effect["n_runs"].sum() == 12 and len(effect) <= 4  # Morris: 4 levels, 2 replicates


def test_cli_analyze_writes_and_reports_bad_names(sweeps, tmp_path, capsys):
    assert main(["analyze", str(sweeps["morris"]), "--quiet"]) == 0
    analysis = sweeps["morris"] / "analysis"
    analysed = set(pd.read_csv(analysis / "sensitivity.csv")["metric"])
    assert "disputes_per_1k" in analysed
    assert all((analysis / f"sensitivity_{m}.png").exists() for m in analysed)

    out = tmp_path / "lever"
    argv = ["analyze", str(sweeps["grid"]), "--lever", "grid_workers.allocation",
            "--metric", "escalation_rate", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    assert "equal" in capsys.readouterr().out
    stem = "escalation_rate_by_grid_workers.allocation"
    assert (out / f"{stem}.csv").exists() and (out / f"{stem}.png").exists()

    for bad, expected in [
        (["--metric", "escalations"], "expected one of disputes_per_1k"),
        (
            ["--lever", "grid_workers.total", "--metric", "escalation_rate"],
            "grid_workers.allocation",
        ),
        ([], "--lever KEY --metric NAME"),
    ]:
        assert main(["analyze", str(sweeps["grid"]), *bad]) == 2
        err = capsys.readouterr().err
        assert expected in err and err.count("\n") == 1 and "Traceback" not in err


def test_analyses_in_any_format_are_described_in_one_data_dictionary(sweeps, tmp_path):
    """Two analyses side by side (indices as Parquet, a lever in both formats): the folder's
    datapackage.json describes every table of both, every column with its type, and
    Frictionless finds the files valid; Parquet holds the CSV's values."""
    import frictionless

    from sim.runs.datafiles import header

    out = tmp_path / "analysis"
    write_analysis(load_sweep_results(sweeps["morris"]), out, table_format="parquet")
    lever = "grid_workers.allocation"
    results = load_sweep_results(sweeps["grid"])
    write_analysis(results, out, lever=lever, metric="escalation_rate", table_format="both")
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    stem = f"escalation_rate_by_{lever}"
    assert [r["path"] for r in package["resources"]] == [
        f"{stem}.csv", f"{stem}.parquet", "sensitivity.parquet",
    ]  # fmt: skip
    for resource in package["resources"]:
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == header(out / resource["path"])
        assert all(f["description"] and f["description_zh"] for f in fields)
    report = frictionless.validate(out / "datapackage.json")
    assert report.valid, [e.message for t in report.tasks for e in t.errors][:3]
    csv, parquet = pd.read_csv(out / f"{stem}.csv"), pd.read_parquet(out / f"{stem}.parquet")
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)
    assert pd.read_parquet(out / "sensitivity.parquet")["estimate"].notna().all()
