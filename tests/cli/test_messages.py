"""Bad input gets one line that names the file, the key (or row) and the cause, and exit 2.

One test per case a user met: each runs ``govsim``'s entry point with the user's arguments and
asserts exit 2, one line on stderr, no traceback, and the words that name the cause and
the fix. The Python API's cases (numpy scalars in ``sim.run``) are at the end.
"""

from __future__ import annotations

import io
import json
import warnings
from contextlib import chdir, redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.model.geography import default_map_path, load_geography
from sim.model.planfile import write_plan
from sim.model.staffing import StaffingPlan
from sim.runs.scenario import ScenarioError, load_scenario, parse_set, parse_sets


def govsim_fails(*argv: str, expected: tuple[str, ...] = (), cwd: Path | None = None) -> str:
    """Run ``govsim argv`` (its entry point, in this process: a start of ``govsim`` costs seconds
    of imports, and ``tests/cli/test_startup.py`` runs the real command); assert exit 2, one
    line on stderr holding every ``expected``, and no warning a user would see printed."""
    err = io.StringIO()
    with (
        redirect_stderr(err),
        redirect_stdout(io.StringIO()),
        chdir(cwd or Path.cwd()),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's own refusals
            code = exc.code
    text = err.getvalue()
    assert code == 2, (code, text[-2000:])
    assert "Traceback" not in text and text.count("\n") == 1, text
    shown = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    assert not shown, [str(w.message) for w in shown]
    for words in expected:
        assert words in text, text
    return text


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory) -> Path:
    """A valid plan file of the shipped map (every unit, 1 grid worker each)."""
    geo = load_geography()
    n = geo.n_villages
    plan = StaffingPlan(
        grid_workers=np.ones(n, dtype=np.int64),
        volunteer_police=np.zeros(n, dtype=np.int64),
        trust_room=np.zeros(n, dtype=bool),
        village_office=np.zeros(n, dtype=bool),
    )
    path = tmp_path_factory.mktemp("plan") / "plan.csv"
    write_plan(plan, geo, path)
    return path


def edited_plan(plan_file: Path, folder: Path, value: str) -> Path:
    """The plan with the first unit's grid workers set to ``value`` (text, as Excel saves it)."""
    table = pd.read_csv(plan_file, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    table.loc[0, "grid_workers"] = value
    path = folder / "edited.csv"
    table.to_csv(path, index=False, encoding="utf-8-sig")
    return path


# ------------------------------------------------------------------------ plan files
@pytest.mark.parametrize("value", ["1e20", "inf", "nan", "-inf", "99999999999", "2.5"])
def test_a_plan_value_that_is_huge_infinite_or_not_a_number_is_one_line(plan_file, tmp_path, value):
    path = edited_plan(plan_file, tmp_path, value)
    govsim_fails(
        "validate",
        "baseline",
        "--set",
        f"staffing.plan={json.dumps(str(path))}",
        expected=(str(path), "row 2", "grid_workers", "from 0 to 50,000", repr(value)),
    )


def test_a_semicolon_separated_plan_is_named_as_such(plan_file, tmp_path):
    table = pd.read_csv(plan_file, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    path = tmp_path / "excel.csv"
    table.to_csv(path, index=False, sep=";", encoding="utf-8-sig")
    govsim_fails(
        "validate",
        "baseline",
        "--set",
        f"staffing.plan={json.dumps(str(path))}",
        expected=("semicolon-separated", "save it as comma-separated CSV", str(path)),
    )


def test_a_plan_whose_units_add_up_past_the_bound_is_refused(plan_file, tmp_path):
    table = pd.read_csv(plan_file, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    table["grid_workers"] = "40000"
    path = tmp_path / "many.csv"
    table.to_csv(path, index=False, encoding="utf-8-sig")
    govsim_fails(
        "validate",
        "baseline",
        "--set",
        f"staffing.plan={json.dumps(str(path))}",
        expected=("grid_workers", "in all", "50,000"),
    )


# ------------------------------------------------------------------------- map files
def shipped_map() -> dict:
    return json.loads(default_map_path().read_text(encoding="utf-8"))


@pytest.mark.parametrize("population", ["NaN", "Infinity", "-Infinity", "1e300", "5000001.5"])
def test_a_geojson_population_that_is_not_a_finite_whole_number_is_one_line(tmp_path, population):
    text = json.dumps(shipped_map())
    first = json.loads(text)["features"][0]["properties"]["population"]
    text = text.replace(f'"population": {first}', f'"population": {population}', 1)
    path = tmp_path / "map.geojson"
    path.write_text(text, encoding="utf-8")
    govsim_fails(
        "validate",
        "baseline",
        "--set",
        f"map.file={json.dumps(str(path))}",
        expected=(str(path), "feature 0", "population must be a whole number from 0 to"),
    )


def test_a_shapefile_without_its_dbf_names_the_missing_file(tmp_path):
    pytest.importorskip("pyogrio")
    from pyogrio import raw
    from shapely import box, to_wkb

    path = tmp_path / "grids.shp"
    raw.write(
        path,
        np.array([to_wkb(box(113.0, 22.3, 113.01, 22.31))], dtype=object),
        [np.array(["g1"]), np.array(["Muzhou"]), np.array(["V"]), np.array([5])],
        ["grid_id", "town", "village", "population"],
        geometry_type="Polygon",
        crs="EPSG:4326",
        driver="ESRI Shapefile",
    )
    path.with_suffix(".dbf").unlink()
    govsim_fails(
        "validate",
        "baseline",
        "--set",
        f"map.file={json.dumps(str(path))}",
        expected=(str(path), "no grids.dbf beside it"),
    )


# --------------------------------------------------------------------- scenario TOML
def test_an_unquoted_chinese_town_name_gets_the_fix(tmp_path):
    path = tmp_path / "zh.toml"
    path.write_text('extends = "baseline"\n[grid_workers.by_town]\n睦洲 = 5\n', encoding="utf-8")
    govsim_fails(
        "validate",
        str(path),
        expected=(str(path), "line 3", 'quote Chinese names in TOML: 睦洲 = 5 -> "睦洲" = 5'),
    )


def test_an_unquoted_chinese_name_in_set_gets_the_fix():
    govsim_fails(
        "validate",
        "baseline",
        "--set",
        "grid_workers.by_town={睦洲=5}",
        expected=("--set grid_workers.by_town", "quote Chinese names in TOML", '{"睦洲"=5}'),
    )


def test_a_quoted_chinese_name_works():
    scenario = load_scenario("baseline").with_overrides(
        dict([parse_set('grid_workers.by_town={"睦洲"=5}')])
    )
    assert scenario.params["grid_workers.by_town"] == {"睦洲": 5}


def test_set_with_a_huge_or_non_finite_value_is_one_line():
    for value in ("nan", "inf", "1e400", "99999999999999999999999"):
        with pytest.raises(ScenarioError, match=r"grid_workers\.total"):
            load_scenario("baseline").with_overrides(
                dict([parse_set(f"grid_workers.total={value}")])
            )


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_setting_given_twice_is_refused_naming_both_values(command):
    twice = ["--set", "grid_workers.total=2000", "--set", "grid_workers.total=37"]
    govsim_fails(command, "muzhou", *twice, expected=("--set grid_workers.total: given twice "
                                                      "(2000, then 37); give it once",))  # fmt: skip
    govsim_fails(command, "muzhou", *twice, "--lang", "zh", expected=("给了两次（2000，然后 37）",))
    assert parse_sets(["a.b=1", "c.d=[1]"]) == {"a.b": 1, "c.d": [1]}  # once each: taken


def test_a_seed_whose_later_runs_pass_the_largest_names_the_run_seeds(tmp_path):
    largest = str(2**63 - 1)
    argv = ["run", "muzhou", "--seed", largest, "--replicates", "2", "--workers", "1", "--quiet"]
    govsim_fails(*argv, "--out", str(tmp_path / "o"), expected=(
        f"seed {largest} and 2 runs: the runs take seeds {largest} to {2**63}",))  # fmt: skip
    assert not (tmp_path / "o").exists()


def test_grid_workers_in_town_tables_adding_up_past_the_bound_are_refused():
    govsim_fails(
        "validate",
        "baseline",
        "--set",
        "grid_workers.by_town={Huicheng=40000, Muzhou=40000}",
        expected=("grid_workers", "80,", "more than the 50,000"),
    )


# ---------------------------------------------------------------- optimisation files
OPTIMISE = """
scenario = "{scenario}"
[settings]
population.scale = 0.01
[search]
trials = 2
replicates = 1
days = {days}
[[variables]]
key = "grid_workers.total"
low = 500
high = 1500
[[constraints]]
metric = "{metric}"
{bound}
[[objectives]]
metric = "escalation_rate"
{verify}
"""


def optimisation(folder: Path, **fields: str) -> Path:
    values = {
        "scenario": "baseline",
        "days": "30",
        "metric": "annual_cost_wan_yuan",
        "bound": "at_most = 8130",
        "verify": "",
    } | fields
    path = folder / "search.toml"
    path.write_text(OPTIMISE.format(**values), encoding="utf-8")
    return path


@pytest.mark.parametrize("bound", ["at_most = nan", "at_least = inf", "at_most = -inf"])
def test_a_constraint_that_is_not_a_finite_number_is_one_line(tmp_path, bound):
    path = optimisation(tmp_path, bound=bound)
    govsim_fails(
        "optimise",
        str(path),
        "--out",
        str(tmp_path / "out"),
        expected=(str(path), "constraints[0]", "expected a finite number"),
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("metric", "bound", "words"),
    [
        ("annual_cost_wan_yuan", "at_most = -1", "below 0"),
        ("escalation_rate", "at_least = 1.5", "above 1"),
    ],
)
def test_an_impossible_constraint_is_named_before_the_search(tmp_path, metric, bound, words):
    path = optimisation(tmp_path, metric=metric, bound=bound)
    govsim_fails(
        "optimise",
        str(path),
        "--out",
        str(tmp_path / "out"),
        expected=(str(path), "constraints[0]", words, "no plan can meet it"),
    )


def test_events_of_the_base_scenario_past_the_search_days_are_refused_first(tmp_path):
    path = optimisation(tmp_path, scenario="rainstorm", days="30")
    govsim_fails(
        "optimise",
        str(path),
        "--out",
        str(tmp_path / "out"),
        expected=(str(path), "events[0].day", "make search.days longer"),
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "not a readable CSV file"),
        ("loss,other\n1,2\n", "no rows with parameter columns"),
        ("disputes.rate_per_1k\nnan\n", "row 2: disputes.rate_per_1k"),
        ("disputes.rate_per_1k\n1e9\n", "out of range"),
        ("loss;disputes.rate_per_1k\n1;12\n", "looks semicolon-separated"),
    ],
)
def test_a_bad_verify_ensemble_is_refused_before_the_search(tmp_path, content, words):
    (tmp_path / "fits.csv").write_text(content, encoding="utf-8")
    path = optimisation(tmp_path, verify='[verify]\nensemble = "fits.csv"')
    govsim_fails(
        "optimise",
        str(path),
        "--out",
        str(tmp_path / "out"),
        expected=(str(path), "verify.ensemble", words),
    )
    assert not (tmp_path / "out").exists()


def test_no_feasible_trial_is_not_called_today_not_a_trial():
    from types import SimpleNamespace

    from sim.labels import label
    from sim.output.optimisation_report import today_rank_text

    trials = pd.DataFrame(
        {"settings": ["a", "b"], "feasible": [False, False], "today": [True, False]}
    )
    text = today_rank_text(
        SimpleNamespace(today_rank=None, trials=trials), lambda k: label("term", k, "en")
    )
    assert "No trial met every constraint" in text
    trials["feasible"] = [False, True]
    text = today_rank_text(
        SimpleNamespace(today_rank=None, trials=trials), lambda k: label("term", k, "en")
    )
    assert "does not meet the constraints" in text


# ------------------------------------------------------------------------ sim.run
TINY = {"map.towns": ["Muzhou"], "population.scale": 0.01, "run.warmup_days": 0}


def test_sim_run_takes_numpy_scalars_as_designs_give_them():
    plain = sim.run(TINY | {"grid_workers.total": 500, "police.hours_per_day": 3.0}, days=3, seed=1)
    numpy = sim.run(
        TINY
        | {
            "grid_workers.total": np.int64(500),
            "police.hours_per_day": np.float32(3.0),
            "petition.supermarket": np.bool_(True),
            "volunteer_police.team_size": np.int32(16),
        },
        days=np.int64(3),
        seed=np.int32(1),
    )
    assert numpy == pytest.approx(plain, nan_ok=True)


def test_whole_valued_floats_are_whole_numbers_and_fractions_are_refused():
    params = sim.load_scenario("baseline").params
    assert sim.run(TINY | {"grid_workers.total": np.float64(2000.0)}, days=2, seed=1)
    with pytest.raises(
        sim.ParameterError, match=r"grid_workers.total: expected a whole number, got 1994.04"
    ):
        sim.run(TINY | {"grid_workers.total": 1994.04}, days=2, seed=1)
    with pytest.raises(
        sim.ParameterError, match=r"grid_workers\.by_town\.Muzhou: expected a whole"
    ):
        sim.run(TINY | {"grid_workers.by_town": {"Muzhou": np.float64(2.5)}}, days=2, seed=1)
    assert params["grid_workers.total"] == 1000


@pytest.mark.parametrize(
    ("days", "seed", "words"),
    [
        (0, 1, "days: expected a whole number from 1"),
        (10**9, 1, "days: expected a whole number from 1 to 36,500"),
        (2.5, 1, "days"),
        (3, -1, "seed: expected a whole number from 0"),
        (3, 2**64, "seed"),
        (3, "1", "seed"),
    ],
)
def test_sim_run_refuses_bad_days_and_seeds_in_one_line(days, seed, words):
    with pytest.raises(sim.ParameterError, match=words):
        sim.run(TINY, days=days, seed=seed)


def test_a_number_of_days_no_run_could_finish_is_refused_at_once():
    govsim_fails("validate", "baseline", "--days", "999999999", expected=("--days", "1 to 36,500"))


@pytest.mark.parametrize(
    ("command", "setting"),
    [
        ("validate", "grid_workers.by_town={Muzhou=99999999999}"),
        ("run", "grid_workers.by_town={Muzhou=99999999999}"),
        ("run", "grid_workers.add={Muzhou=99999999999}"),
        ("run", "volunteer_police.total=99999999999"),
    ],
)
def test_staff_no_machine_could_hold_are_refused_before_the_run(tmp_path, command, setting):
    """``validate`` once said ok to 99,999,999,999 grid workers; ``run`` then died allocating
    745 GiB. Both refuse them at once, naming the setting and its bound."""
    out = tmp_path / "out"
    extra = ["--out", str(out), "--days", "2"] if command == "run" else []
    key = setting.split("=")[0]
    govsim_fails(command, "muzhou", "--set", setting, *extra, expected=(key, "out of range"))
    assert not out.exists()


@pytest.mark.parametrize(("entry", "named"), [
    ('[[events]]\nkind = "rainstorm"\nday = nan\ntowns = ["Muzhou"]', "events[0].day"),
    ("[[interventions]]\nday = inf\ngrid_workers.total = 5", "interventions[0].day"),
    ('[[events]]\nkind = "rainstorm"\nday = 1e300\ntowns = ["Muzhou"]', "events[0].day"),
])  # fmt: skip
def test_a_day_that_is_not_a_finite_whole_number_names_its_entry(tmp_path, entry, named):
    path = tmp_path / "timeline.toml"
    path.write_text(f'extends = "muzhou"\n{entry}\n', encoding="utf-8")
    govsim_fails("validate", str(path), expected=(str(path), named))
