"""Chinese in charts: the font installs with the project and matplotlib finds every glyph."""

from __future__ import annotations

import warnings

import numpy as np

from sim.labels import label
from sim.output.figures import figure_data_uri, new_figure
from sim.output.fonts import CJK_FAMILY, cjk_font_path, use_cjk_font

CHINESE = "新会区 会城 睦洲 大鳌 网格员 义警 出村升级率 每万人年信访数"


def test_the_font_is_the_projects_own_and_has_the_simplified_chinese_face():
    path = cjk_font_path()
    assert path.is_file() and "site-packages" in str(path)  # from its PyPI package
    from matplotlib import font_manager

    use_cjk_font()
    found = font_manager.findfont(
        font_manager.FontProperties(family=CJK_FAMILY), fallback_to_default=False
    )
    assert found == str(path)


def test_a_chart_with_chinese_text_finds_every_glyph():
    fig = new_figure(figsize=(5, 3))
    ax = fig.subplots()
    ax.plot(np.arange(5), np.arange(5), label=label("metric", "escalation_rate", "zh"))
    ax.set_title(CHINESE)
    ax.set_xlabel("天 (days)")
    ax.legend()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure_data_uri(fig)
    missing = [str(w.message) for w in caught if "missing" in str(w.message)]
    assert not missing, missing[:3]


def test_without_the_font_matplotlib_would_warn_so_the_test_above_can_fail():
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": ["sans-serif"]}):
        fig = Figure(figsize=(3, 1))
        fig.text(0.1, 0.5, CHINESE)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(__import__("io").BytesIO(), format="png")
    assert any("missing" in str(w.message) for w in caught)


def test_the_chinese_report_draws_its_charts_in_chinese(tmp_path):
    """Every chart of a Chinese report renders without a missing glyph; the map names towns in
    Chinese and the charts' axes are Chinese."""
    from sim.output.figures import differences_figure, map_figure, timeseries_figure
    from sim.output.report import write_report
    from sim.runs.comparisons import paired_differences
    from sim.runs.replicates import run_scenarios
    from sim.runs.scenario import load_scenario

    small = {"population.scale": 0.02, "run.warmup_days": 30}
    results = run_scenarios([load_scenario(n).with_overrides(small) for n in ("baseline", "double_grid_workers")],
                            days=30, replicates=3, seed=1, workers=1)  # fmt: skip
    differences = paired_differences(results)
    from sim.model.geography import load_geography

    figures = [timeseries_figure(results, lang="zh"), differences_figure(differences, lang="zh"),
               map_figure(load_geography(), lang="zh")]  # fmt: skip
    texts = [
        t.get_text() for fig in figures for t in fig.findobj(match=lambda a: hasattr(a, "get_text"))
    ]
    assert "睦洲" in texts and "经度" in texts and "天" in texts
    assert label("metric", "escalation_rate", "zh") in texts
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fig in figures:
            figure_data_uri(fig)
        write_report(results, tmp_path / "report.html", differences=differences, lang="zh")
    assert not [w for w in caught if "missing" in str(w.message)]


def test_the_analysis_charts_speak_chinese_too():
    import pandas as pd

    from sim.output.analysis_charts import sensitivity_figure

    rows = [{"metric": "escalation_rate", "factor": f, "role": role, "index": i, "estimate": v, "conf": 0.05}
            for f, role in (("grid_workers.total", "lever"), ("disputes.rate_per_1k", "uncertainty"))
            for i, v in (("S1", 0.3), ("ST", 0.4))]  # fmt: skip
    fig = sensitivity_figure(pd.DataFrame(rows), metric="escalation_rate", lang="zh")
    texts = [t.get_text() for t in fig.findobj(match=lambda a: hasattr(a, "get_text"))]
    assert any("出村升级率" in t for t in texts) and any("方差占比" in t for t in texts)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure_data_uri(fig)
    assert not [w for w in caught if "missing" in str(w.message)]
