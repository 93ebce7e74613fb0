"""The results folders as data: every table described in ``datapackage.json`` (types, units,
meanings in English and Chinese), counts that add up from grids to the district, the same
values in CSV and Parquet, and one quantity per column name."""

import json
import re
from pathlib import Path

import frictionless
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.runs.columns import UndeclaredColumn, column, declared_names
from sim.runs.datafiles import header, read_table, write_table
from sim.runs.datapackage import tables_among
from tests.runs.test_calibration import QUICK
from tests.runs.test_optimisation import TINY
from tests.runs.test_sweep import SMALL

CJK = re.compile(r"[\u4e00-\u9fff]")
ARROW = {"string": ("string", "large_string"), "integer": ("int64",), "number": ("double",),
         "boolean": ("bool",)}  # fmt: skip
TINY_RUN = ["--set", "population.scale=0.05", "--set", "run.warmup_days=20", "--quiet"]
# Both scenarios of a compare in Muzhou alone: the same tables as the whole district's, a tenth
# of the rows for Frictionless to check cell by cell (most of the test's time otherwise).
MUZHOU = ["--set", 'map.towns=["Muzhou"]']
# A district where every count happens in 90 days: weak first mediation, a low act-out threshold.
BUSY = ["--set", "mediation.base_grid=0", "--set", "mediation.base_village=0",
        "--set", "behaviour.act_out_threshold=0.4"]  # fmt: skip
COUNTS = ("residents", "disputes", "detected", "escalations", "claims", "petitions", "incidents",
          "grid_workers", "officers")  # fmt: skip


def check_package(folder: Path) -> dict:
    """Check ``folder/datapackage.json`` against the files: the tables govsim wrote and no
    other, each column described with its type, the files valid for Frictionless."""
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    paths = [r["path"] for r in package["resources"]]
    assert paths == tables_among(manifest["files"]) and paths
    for resource in package["resources"]:
        path = folder / resource["path"]
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == header(path), path  # none missing, none extra
        assert resource["format"] == path.suffix[1:]
        assert CJK.search(resource["description_zh"]) and resource["description"]
        for f in fields:
            assert f["type"] in ARROW and f["description"], (path, f)
            assert CJK.search(f["description_zh"]) or f["name"] in f["description_zh"], f
        if path.suffix == ".parquet":
            schema = pq.read_schema(path)
            for f in fields:
                assert str(schema.field(f["name"]).type) in ARROW[f["type"]], (path, f["name"])
    report = frictionless.validate(folder / "datapackage.json")
    errors = [(t.name, e.message) for t in report.tasks for e in t.errors][:3]
    assert report.valid, errors or [e.message for e in report.errors][:3]
    return package


@pytest.fixture(scope="module")
def busy(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("busy") / "run"
    argv = ["run", "baseline", "--days", "90", "--out", str(out), "--format", "both"]
    assert main([*argv, *TINY_RUN, *BUSY]) == 0
    return out


def test_a_run_in_both_formats_is_described_and_parquet_holds_the_csv_values(busy):
    package = check_package(busy)
    stems = {Path(r["path"]).stem for r in package["resources"]}
    assert stems == {"summary", "years", "timeseries", "grids", "petitions", "towns", "villages"}
    for stem in stems:
        csv, parquet = pd.read_csv(busy / f"{stem}.csv"), pd.read_parquet(busy / f"{stem}.parquet")
        assert list(csv.columns) == list(parquet.columns) and len(csv) == len(parquet)
        for name in csv.columns:
            a, b = csv[name], parquet[name]
            if column(name).type == "number":
                np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9)
            else:  # text, whole numbers and flags: the same values (CSV reads codes as numbers)
                assert a.astype(str).tolist() == b.astype(str).tolist(), (stem, name)
    keys = {r["path"]: r["schema"].get("primaryKey") for r in package["resources"]}
    assert keys["summary.csv"] == ["scenario", "run"]
    assert keys["years.parquet"] == ["scenario", "run", "year"]


def test_counts_add_up_from_grids_to_villages_towns_and_the_district(busy):
    grids, villages = read_table(busy, "grids"), read_table(busy, "villages")
    towns, summary = read_table(busy, "towns"), read_table(busy, "summary")
    petitions = read_table(busy, "petitions")
    for name in ("disputes", "detected", "escalations", "claims", "petitions", "incidents"):
        assert grids[name].sum() > 0, name  # the test district saw each kind of case
    by_village = grids.groupby(grids["village_code"].astype(str))[list(COUNTS)].sum()
    village = villages.set_index(villages["code"].astype(str))[list(COUNTS)]
    pd.testing.assert_frame_equal(by_village.sort_index(), village.sort_index(), check_names=False)
    shared = [c for c in villages.columns if c in towns.columns and column(c).type == "integer"]
    assert set(COUNTS) <= set(shared) and "run" in shared
    shared = [c for c in shared if c not in ("run", "seed")]
    by_town = villages.groupby("town")[shared].sum().sort_index()
    pd.testing.assert_frame_equal(by_town, towns.set_index("town")[shared].sort_index())
    assert villages["annual_cost_wan_yuan"].sum() == pytest.approx(
        towns["annual_cost_wan_yuan"].sum(), rel=1e-9
    )
    # The district: its rates are the towns' counts over the residents simulated, a year.
    [row] = summary.to_dict("records")
    residents, years = towns["residents"].sum(), row["days"] / 365
    for count, rate, per in (("disputes", "disputes_per_1k", 1_000), ("claims", "claims_per_10k",
                             10_000), ("petitions", "petitions_per_10k", 10_000),
                             ("incidents", "incidents_per_100k", 100_000)):  # fmt: skip
        assert towns[count].sum() == pytest.approx(row[rate] * residents / per * years), count
    assert row["escalation_rate"] == pytest.approx(
        towns["escalations"].sum() / towns["detected"].sum()
    )
    assert row["annual_cost_wan_yuan"] == pytest.approx(towns["annual_cost_wan_yuan"].sum())
    assert petitions["petitions"].sum() == towns["petitions"].sum()
    assert petitions["petitions_per_10k"].sum() == pytest.approx(row["petitions_per_10k"])


def test_summary_has_one_row_per_run_and_years_one_per_run_and_year(tmp_path):
    out = tmp_path / "two"
    argv = ["run", "muzhou", "--days", "400", "--replicates", "2", "--out", str(out)]
    assert main([*argv, *TINY_RUN]) == 0
    summary, years = pd.read_csv(out / "summary.csv"), pd.read_csv(out / "years.csv")
    assert summary[["run", "period", "days"]].values.tolist() == [[0, "all", 400], [1, "all", 400]]
    assert years[["run", "year", "period", "days"]].values.tolist() == [
        [0, 1, "year 1", 365], [0, 2, "year 2", 35], [1, 1, "year 1", 365], [1, 2, "year 2", 35]
    ]  # fmt: skip
    mean = summary.groupby("scenario")["disputes_per_1k"].mean().item()  # every run once
    assert mean == pytest.approx(summary["disputes_per_1k"].mean())
    assert set(summary.columns) - {"year"} == set(years.columns) - {"year"}


@pytest.mark.slow  # more than 30 s: handed out first (tests/conftest.py)
@pytest.mark.parametrize("fmt", ["csv", "parquet", "both"])
def test_compare_sweep_calibrate_and_optimise_describe_every_table(tmp_path, fmt):
    """Each command, tiny, in one format: every table described, nothing else."""
    suffixes = {"csv": {".csv"}, "parquet": {".parquet"}, "both": {".csv", ".parquet"}}[fmt]
    (tmp_path / "sweep.toml").write_text(SMALL.format(days=10, samples=2))
    (tmp_path / "calibration.toml").write_text(
        QUICK.format(days=15, screen=2, polish=1, rate_target=12.0, low=10.0, high=14.0)
    )
    (tmp_path / "search.toml").write_text(TINY.format(trials=2, budget=1000))
    commands = {
        "compare": [
            "compare",
            "muzhou",
            "no_volunteer_police",
            "--days",
            "15",
            "--sets",
            "3",
            *MUZHOU,
            *TINY_RUN,
        ],
        "sweep": ["sweep", str(tmp_path / "sweep.toml"), "--quiet", "--workers", "2"],
        "calibrate": ["calibrate", str(tmp_path / "calibration.toml"), "--quiet"],
        "optimise": ["optimise", str(tmp_path / "search.toml"), "--quiet", "--workers", "2"],
    }
    if fmt != "both":  # the slower searches once, in both formats
        commands.pop("calibrate" if fmt == "csv" else "optimise")
    for name, argv in commands.items():
        out = tmp_path / name
        assert main([*argv, "--out", str(out), "--format", fmt]) == 0, name
        package = check_package(out)
        assert {Path(r["path"]).suffix for r in package["resources"]} <= suffixes | {".csv"}
        written = {Path(p).suffix for p in json.loads((out / "manifest.json").read_text())["files"]}
        assert suffixes <= written and (".parquet" in written) == (fmt != "csv"), name


def test_a_users_table_in_the_folder_is_neither_described_nor_touched(tmp_path):
    out = tmp_path / "run"
    argv = ["run", "muzhou", "--days", "10", "--out", str(out), *TINY_RUN]
    assert main(argv) == 0
    (out / "my_notes.csv").write_text("note\nmine\n")
    assert main([*argv, "--format", "parquet"]) == 0  # again, into the same folder
    package = check_package(out)
    assert "my_notes.csv" not in [r["path"] for r in package["resources"]]
    assert (out / "my_notes.csv").read_text() == "note\nmine\n"
    assert not (out / "summary.csv").exists()  # govsim's CSV of the first run is gone


def test_an_undeclared_column_is_refused_before_anything_is_written(tmp_path):
    table = pd.DataFrame({"scenario": ["a"], "happiness": [1.0]})
    with pytest.raises(UndeclaredColumn, match="happiness"):
        write_table(table, tmp_path, "summary", "both")
    assert list(tmp_path.iterdir()) == []


def test_every_declaration_has_a_type_a_unit_label_and_chinese():
    for name in declared_names():
        declared = column(name.replace("{", "").replace("}", ""))
        field = declared.field()
        assert field["type"] in ARROW and field["description"], name
        assert CJK.search(field["description_zh"]), name
        if declared.unit:  # the unit in Chinese too (the label table's unit rows)
            assert CJK.search(field["unit_zh"]), (name, declared.unit)


def test_a_search_variables_drawn_values_keep_their_kind(tmp_path):
    """Choices stay text, subsets flags, town tables numbers (optimise's trials table)."""
    table = pd.DataFrame(
        {
            "trial": [0, 1],
            "param:grid_workers.allocation": ["risk", "equal"],
            "param:mediation.trust_room_villages:Foo": [True, False],
            "param:grid_workers.by_town:Muzhou": [40, 57],
        }
    )
    write_table(table, tmp_path, "trials", "parquet")
    types = [str(t) for t in pq.read_schema(tmp_path / "trials.parquet").types]
    assert types == ["int64", "string", "bool", "double"]
    with pytest.raises(ValueError, match="declared integer, holds fractions"):
        write_table(table.assign(trial=[0.5, 1]), tmp_path, "trials", "csv")
