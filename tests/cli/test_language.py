"""The command line in Chinese: --lang zh (or a zh_* locale) gives Chinese tables, progress and
errors; an error stays one line with the same file, key and value."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from sim.cli import main, requested_language
from sim.labels import default_language, translate

CJK = re.compile("[\u4e00-\u9fff]")
QUICK = ["--days", "20", "--set", "population.scale=0.02", "--set", "run.warmup_days=10"]


def test_the_locale_chooses_chinese_unless_lang_says_otherwise(monkeypatch):
    assert default_language({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert default_language({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert default_language({}) == "en"
    monkeypatch.setenv("LANG", "zh_TW.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert requested_language(["list"]) == "zh"
    assert requested_language(["list", "--lang", "en"]) == "en"
    assert requested_language(["list", "--lang=en"]) == "en"


def test_run_in_chinese_prints_a_chinese_table_and_closing_line(tmp_path, capsys):
    assert main(["run", "muzhou", *QUICK, "--lang", "zh", "--out", str(tmp_path / "zh")]) == 0
    out = capsys.readouterr().out
    assert "muzhou：20 天，1 次运行，随机种子 1" in out
    assert (
        "出村升级率" in out and "escalation_rate" in out
    )  # the code stays, the meaning is Chinese
    assert "已写出" in out and "report.html" in out
    assert main(["run", "muzhou", *QUICK, "--out", str(tmp_path / "en")]) == 0
    english = capsys.readouterr().out
    assert not CJK.search(english) and "muzhou: 20 days, 1 run(s), seed 1" in english


@pytest.mark.parametrize(
    ("argv", "kept", "chinese"),
    [
        (["run", "nowhere"], "nowhere.toml", "找不到情景文件"),
        (["run", "muzhou", "--set", "grid_workers.totl=3"], "grid_workers.totl", "未知参数"),
        (["run", "muzhou", "--set", "grid_workers.total=2.5"], "2.5", "应为整数"),
        (["run", "muzhou", "--days", "0"], "--days", "必须是整数，取值从 1 至"),
        (
            ["validate", "baseline", "--set", "grid_workers.add={Huichen = 9}"],
            "'Huicheng'",
            "未知的镇（街）",
        ),
        (["runn"], "'runn'", "无效选项"),
        (["run", "muzhou", "--format", "weird"], "'weird'", "参数 --format：无效选项"),
        (["run", "muzhou", "--days", "x"], "'x'", "参数 --days：不是有效的整数"),
        (["run", "muzhou", "--days"], "--days", "需要一个值"),
        (["run", "muzhou", "--set", 'map.towns=["睦州"]'], "'睦州'", "是否指 '睦洲'"),
    ],
)
def test_errors_in_chinese_are_one_line_with_the_same_file_key_and_value(
    capsys, argv, kept, chinese
):
    try:
        status = main([*argv, "--lang", "zh"])
    except SystemExit as exit_:  # an argument error: argparse exits
        status = exit_.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("govsim: 错误:") and err.count("\n") == 1 and "Traceback" not in err
    assert kept in err and chinese in err, err
    # argparse's own words, too: no English left but the names, values and the --help to see
    assert not re.search(r"\b(argument|choose from|see|expected|invalid)\b", err), err


def test_a_chinese_locale_speaks_chinese_from_the_shell(tmp_path):
    env = {"LANG": "zh_CN.UTF-8", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "sim", "run", "nowhere"], capture_output=True,
                          text=True, env=env, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "找不到情景文件" in done.stderr


def test_every_message_phrase_is_translated_and_translation_keeps_the_rest():
    line = "scenarios/x.toml: map.towns: unknown town 'Atlantis' (did you mean 'Muzhou'?)"
    shown = translate(line, "zh")
    assert shown.startswith("scenarios/x.toml: map.towns: ") and "'Atlantis'" in shown
    assert "unknown town" not in shown and "did you mean" not in shown
    assert translate(line, "en") == line


def test_in_chinese_shares_are_per_cent_for_people_and_fractions_in_files(tmp_path, capsys):
    out = tmp_path / "zh"
    town = [
        "--days",
        "60",
        "--set",
        "run.warmup_days=60",
        "--replicates",
        "3",
    ]  # Muzhou, full scale
    assert main(["run", "muzhou", *town, "--lang", "zh", "--out", str(out)]) == 0
    line = next(
        row for row in capsys.readouterr().out.splitlines() if row.startswith("detected_share")
    )
    assert re.search(r"\d+\.\d%", line), line
    import pandas as pd

    detected = pd.read_csv(out / "summary.csv")["detected_share"].dropna()
    assert len(detected) and ((detected > 0.5) & (detected <= 1)).all()  # a fraction, not per cent
    page = (out / "report.html").read_text(encoding="utf-8")
    row = page.split("<code>detected_share</code>")[1].split("</tr>")[0]
    assert "%" in row
