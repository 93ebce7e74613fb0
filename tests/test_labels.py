import re

import pytest

from sim.labels import LANGUAGES, LanguageError, keys, label
from sim.model.disputes import Level
from sim.model.geography import load_geography
from sim.model.metrics import METRICS, SERIES
from sim.model.parameters import SCHEMA

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_metric_level_and_town_has_an_english_and_a_chinese_label():
    for name in [*METRICS, *(s for s in SERIES if s != "day")]:
        assert label("metric", name, "en") != name or name == "open_disputes"
        assert CJK.search(label("metric", name, "zh")), name
    for level in Level:
        if level is not Level.LATENT:
            assert CJK.search(label("level", level.name, "zh")), level
    for town in load_geography().town_names:
        assert CJK.search(label("town", town, "zh")), town
    assert label("town", "Muzhou", "zh") == "睦洲" and label("town", "Da'ao", "zh") == "大鳌"


def test_labels_name_only_real_parameters_choices_and_metrics():
    assert set(keys("metric")) <= set(SERIES)
    assert set(keys("parameter")) <= set(SCHEMA)
    choices = {c for p in SCHEMA.values() for c in p.choices or ()} | {"all", "none"}
    assert set(keys("choice")) <= choices


def test_the_design_glossary_is_in_the_table():
    """Design section 7: the terms planners read first in Chinese."""
    glossary = {"grid_worker": "网格员", "yi_police": "义警", "one_village_one_police": "一村一警",
                "petition_supermarket": "信访超市", "governance_centre": "综治中心",
                "motto": "小事不出村，大事不出镇，矛盾不上交"}  # fmt: skip
    for key, chinese in glossary.items():
        assert label("term", key, "zh") == chinese


def test_unknown_language_and_unknown_key():
    with pytest.raises(LanguageError, match="expected one of en, zh"):
        label("metric", "escalation_rate", "fr")
    assert label("metric", "no_such_metric", "zh") == "no_such_metric"
    assert list(LANGUAGES) == ["en", "zh"]


def test_report_in_chinese(tmp_path):
    from sim.cli import main

    out = tmp_path / "zh"
    argv = ["run", "muzhou", "--days", "10", "--set", "population.scale=0.1", "--quiet"]
    assert main([*argv, "--lang", "zh", "--out", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<html lang='zh'>" in page and "<h2>运行结束时的汇总</h2>" in page
    assert "出村升级率" in page and "<code>escalation_rate</code>" in page
    assert main([*argv, "--out", str(tmp_path / "en")]) == 0
    english = (tmp_path / "en" / "report.html").read_text(encoding="utf-8")
    assert "<h2>Summary at the end of the run</h2>" in english and not CJK.search(english)


def test_every_row_of_the_label_file_has_a_kind_key_and_both_languages():
    import csv
    from importlib import resources

    text = resources.files("sim.data").joinpath("labels.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["kind", "key", "en", "zh"]
    for row in rows[1:]:
        assert len(row) == 4 and all(row), row  # a comma in a field must be quoted
    assert len({(r[0], r[1]) for r in rows[1:]}) == len(rows) - 1  # no key twice


def untranslated() -> list[str]:
    """Every user-facing text still without Chinese: label rows, the app's levers and their
    choices, the metrics, the case subjects, the towns and the shipped scenarios' descriptions."""
    import csv
    from importlib import resources

    from sim.model.disputes import DISPUTE_TYPES
    from sim.runs.scenario import SCENARIO_DIR, list_scenarios, load_scenario
    from sim.viz.controls import CONTROL_KEYS

    missing = []
    text = resources.files("sim.data").joinpath("labels.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines()):
        if not CJK.search(row["zh"]):
            missing.append(f"labels.csv: {row['kind']} {row['key']}")
    needed = [("parameter", k) for k in CONTROL_KEYS]
    needed += [("choice", c) for k in CONTROL_KEYS for c in SCHEMA[k].choices or ()]
    needed += [("metric", m) for m in METRICS] + [("subject", t.name) for t in DISPUTE_TYPES]
    needed += [("origin", o) for o in ("dispute", "claim")]
    needed += [("town", t) for t in load_geography().town_names]
    for kind, key in needed:
        if not CJK.search(label(kind, key, "zh")):
            missing.append(f"{kind} {key}")
    files = [
        *list_scenarios(),
        *(f"examples/{p.stem}" for p in (SCENARIO_DIR / "examples").glob("*.toml")),
    ]
    for name in files:
        if not CJK.search(load_scenario(SCENARIO_DIR / f"{name}.toml").description_zh):
            missing.append(f"scenarios/{name}.toml: description_zh")
    return missing


def test_nothing_user_facing_is_left_untranslated():
    assert untranslated() == []


def test_a_missing_chinese_description_shows_the_english_one_marked(tmp_path):
    from sim.runs.scenario import load_scenario

    path = tmp_path / "mine.toml"
    path.write_text('extends = "baseline"\ndescription = "My plan"\n', encoding="utf-8")
    assert load_scenario(path).title("zh") == "[英文] My plan"
    assert load_scenario("muzhou").title("zh") == "仅睦洲镇，全人口规模"
