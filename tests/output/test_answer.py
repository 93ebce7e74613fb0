"""The answer a report opens with: verdicts, intervals, runs, certainty, cost and what would
change it, from hand-made results (exact) and from small runs; and the flow of the cases."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.model.metrics import FLOW_ENDS, METRICS
from sim.output.answer import (
    OUTCOMES,
    ParameterSets,
    answer_section,
    certainty_clause,
    comparison_answer,
    effects,
    published_targets,
    single_answer,
)
from sim.output.flow import FLOW_STAGES, flow_figure, flow_table, run_flows, stage_rates
from sim.runs.calibrate.spec import Target
from sim.runs.comparisons import cost_effectiveness
from sim.runs.replicates import RunResult, run_scenarios
from sim.runs.scenario import load_scenario

CJK = re.compile(r"[\u4e00-\u9fff]")
SEEDS = [1, 2, 3, 4, 5]


def fake(name: str, **metrics: list[float]) -> SimpleNamespace:
    """A result with a summary row per seed: the given metrics, the others 1.0."""
    rows = {m: [1.0] * len(SEEDS) for m in METRICS} | metrics
    summary = pd.DataFrame({"seed": SEEDS} | rows)
    return SimpleNamespace(summary=summary, scenario=SimpleNamespace(name=name), days=90,
                           seeds=SEEDS)  # fmt: skip


A = fake("today", escalation_rate=[0.10, 0.12, 0.11, 0.09, 0.10],
         petitions_per_10k=[30.0, 31.0, 29.0, 30.0, 32.0])  # fmt: skip
B = fake("plan", escalation_rate=[0.08, 0.09, 0.09, 0.08, 0.07],  # lower in every run: better
         petitions_per_10k=[31.0, 30.5, 29.5, 30.5, 31.0])  # fmt: skip  # mixed: unclear


def test_effects_pair_runs_by_seed_with_a_t_interval_and_a_verdict():
    found = {e.metric: e for e in effects(A, B)}
    assert set(found) == set(OUTCOMES)
    e = found["escalation_rate"]
    diffs = np.array([-0.02, -0.03, -0.02, -0.01, -0.03])
    half = stats.t.ppf(0.975, 4) * diffs.std(ddof=1) / math.sqrt(5)
    assert e.difference == pytest.approx(diffs.mean())
    assert (e.low, e.high) == pytest.approx((diffs.mean() - half, diffs.mean() + half))
    assert e.n == 5 and e.verdict == "better"
    assert found["petitions_per_10k"].verdict == "unclear"
    assert found["incidents_per_100k"].verdict == "same"  # 1.0 in every run of both
    worse = fake("worse", escalation_rate=[0.12, 0.14, 0.13, 0.11, 0.12])
    assert {e.metric: e for e in effects(A, worse)}["escalation_rate"].verdict == "worse"
    # More resolved in the village is better: higher, not lower.
    more = fake("more", resolved_in_village_share=[1.01, 1.02, 1.01, 1.03, 1.02])
    assert {e.metric: e for e in effects(A, more)}["resolved_in_village_share"].verdict == "better"


def test_only_common_seeds_are_paired_and_too_few_pairs_give_no_verdict():
    short = replace_summary(B, B.summary.iloc[:2])
    found = {e.metric: e for e in effects(A, short)}
    assert found["escalation_rate"].n == 2 and found["escalation_rate"].verdict == "too_few"


def replace_summary(result: SimpleNamespace, summary: pd.DataFrame) -> SimpleNamespace:
    return SimpleNamespace(**(vars(result) | {"summary": summary}))


def test_runs_needed_grow_as_the_square_of_the_interval_over_the_difference():
    e = {e.metric: e for e in effects(A, B)}["petitions_per_10k"]
    half = (e.high - e.low) / 2
    assert e.runs_needed() == math.ceil(5 * (half / abs(e.difference)) ** 2)
    assert e.runs_needed() > 5


def test_the_certainty_clause_counts_the_runs_where_the_scenario_was_better():
    diffs = np.array([-1.0, -2.0, 0.5, -0.1, 0.0])
    assert certainty_clause(diffs, lower_is_better=True, lang="en") == (
        "better in 3 of 5 paired runs"
    )
    assert certainty_clause(diffs, lower_is_better=False, lang="en") == (
        "better in 1 of 5 paired runs"
    )
    sets = ParameterSets(better=46, total=50)
    assert certainty_clause(diffs, lower_is_better=True, lang="en", sets=sets) == (
        "better in 3 of 5 paired runs, and in 46 of 50 plausible parameter sets"
    )
    chinese = certainty_clause(diffs, lower_is_better=True, lang="zh", sets=sets)
    assert "5 对配对运行中 3 对更好" in chinese and "50 组可信参数中 46 组" in chinese


def test_the_comparison_answer_says_who_is_better_by_how_much_and_what_would_change_it():
    text = re.sub(r"<[^>]+>", " ", comparison_answer([A, B], lang="en"))
    assert "plan against today (from today to plan), over 5 paired runs of 90 days" in text
    assert "better on 1 of 5 key outcomes (escalation beyond the village)" in text
    assert "Better on escalation beyond the village: from 10.4% to 8.2%" in text
    assert "a change of −2.2 percentage points (95% interval −3.2 to −1.2 percentage points" in text
    assert "better in 5 of 5 paired runs" in text
    runs = {e.metric: e for e in effects(A, B)}["petitions_per_10k"].runs_needed()
    assert "more paired runs would tell a difference of the size seen from zero" in text
    assert f"about {runs} for petitions per 10,000 residents a year" in text
    assert "for one set of parameter values" in text  # over seeds only, and it says so
    chinese = comparison_answer([A, B], lang="zh")
    assert "出村升级率更好" in chinese and "5 对配对运行中 5 对更好" in chinese


def test_the_cost_sentence_uses_the_cost_per_case_averted_when_it_can_be_estimated():
    costs = pd.DataFrame(
        [
            {"scenario": "plan", "case": "escalations", "cost_change_wan_yuan": 120.0,
             "averted_per_year": 40.0, "estimable": True, "cost_per_case_wan_yuan": 3.0,
             "cost_per_case_low": 2.0, "cost_per_case_high": 4.5},
            {"scenario": "plan", "case": "incidents", "cost_change_wan_yuan": 120.0,
             "averted_per_year": 1.0, "estimable": False, "cost_per_case_wan_yuan": np.nan,
             "cost_per_case_low": np.nan, "cost_per_case_high": np.nan},
        ]
    )  # fmt: skip
    text = comparison_answer([A, B], costs=costs, lang="en")
    assert "It costs 120 wan yuan a year more." in text
    assert "Per case averted: 3 wan yuan for escalations (95% interval 2 to 4.5)." in text
    assert "For incidents the cost per case averted cannot be estimated" in text
    same = costs.assign(cost_change_wan_yuan=0.0)
    assert "Both cost the same each year." in comparison_answer([A, B], costs=same, lang="en")


def test_the_single_answer_sets_the_key_figures_beside_the_published_ones():
    targets = [
        Target("escalation_rate", 0.1, 0.05, 0.2, source="a report"),
        Target("petitions_per_10k", 20.0, 25.0, 28.0, source="a yearbook"),  # 30.4: outside
    ]
    html = single_answer(A, targets, lang="en")
    assert "today over 5 runs of 90 days: 1 of 2 key figures with a value fall inside" in html
    assert "outside: petitions per 10,000 residents a year." in html
    assert html.count("✔") == 1 and html.count("✘") == 1
    # A figure without cases in any run is neither inside nor outside: it is said to be missing.
    empty = fake("today", escalation_rate=[np.nan] * 5,
                 petitions_per_10k=[30.0, 31.0, 29.0, 30.0, 32.0])  # fmt: skip
    html = single_answer(empty, targets, lang="en")
    assert "0 of 1 key figures with a value" in html and "✘" in html
    assert "No value, for want of cases: escalation beyond the village." in html
    assert "因案件不足而无数值：出村升级率。" in single_answer(empty, targets, lang="zh")
    assert {t.metric for t in published_targets()} <= set(METRICS)
    assert len(published_targets()) >= 5


@pytest.fixture(scope="module")
def small() -> list[RunResult]:
    """Muzhou at 10% scale against the same with more grid workers, 3 runs of 30 days."""
    base = load_scenario("muzhou").with_overrides({"population.scale": 0.1, "run.warmup_days": 20})
    more = replace(base.with_overrides({"grid_workers.total": 3000}), name="more_workers")
    return run_scenarios([base, more], days=30, replicates=3, seed=1, workers=1)


def test_every_case_that_arose_ends_in_exactly_one_row_of_the_flow(small):
    for result in small:
        towns = result.towns.groupby("seed").sum(numeric_only=True)
        ends = towns[list(FLOW_ENDS)].sum(axis=1)
        assert (ends == towns["disputes"] + towns["claims"]).all()
        assert (towns["detected"] + towns["claims_detected"] <= ends).all()
        flows = run_flows(result)
        assert flows[list(FLOW_ENDS)].sum(axis=1).to_numpy() == pytest.approx(
            flows["arisen"].to_numpy()
        )
        per = 1000 / towns["residents"] / (30 / 365)
        assert flows["settled_in_grid"].to_numpy() == pytest.approx(
            (towns["settled_in_grid"] * per).to_numpy()
        )


def test_stage_rates_are_per_1000_residents_a_year():
    counts = dict.fromkeys(FLOW_ENDS, 0) | {"disputes": 30, "claims": 10, "detected": 20,
                                             "claims_detected": 5, "residents": 2000}  # fmt: skip
    rates = stage_rates(counts, days=73)  # a fifth of a year
    assert rates["arisen"] == pytest.approx(40 / 2000 * 1000 * 5)
    assert rates["detected"] == pytest.approx(25 / 2000 * 1000 * 5)
    assert list(rates) == list(FLOW_STAGES)


def test_the_flow_picture_draws_each_scenario_and_its_stages_in_both_languages(small):
    table = flow_table(small)
    assert set(table["scenario"]) == {"muzhou", "more_workers"}
    assert (table["n"] == 3).all()
    for lang, word in (("en", "settled in the grid (L1)"), ("zh", "网格内化解（第一级）")):
        fig = flow_figure(table, lang=lang)
        ax = fig.axes[0]
        assert word in [t.get_text() for t in ax.get_yticklabels()]
        assert len(ax.patches) == 2 * len(FLOW_STAGES)
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["muzhou", "more_workers"]


def test_the_report_answer_comes_first_with_the_flow_picture(small):
    costs = cost_effectiveness(small)
    english = answer_section(small, costs=costs, lang="en")
    assert english.startswith("<section class='answer'><h2>The answer</h2>")
    assert "more_workers against muzhou (from muzhou to more_workers), over 3 paired" in english
    assert "class='flow-picture' src='data:image/png;base64," in english
    assert not CJK.search(re.sub(r"base64,[^']+", "", english))
    chinese = answer_section(small, costs=costs, lang="zh")
    assert (
        "<h2>结论</h2>" in chinese and "more_workers对比muzhou（由muzhou到more_workers" in chinese
    )
    one = answer_section(small[:1], lang="en")
    assert "muzhou over 3 runs of 30 days" in one and "published (range)" in one


def test_over_plausible_sets_each_outcome_gives_its_least_favourable_set():
    # Five sets, two runs each: escalation lower under the plan in four sets, higher by 0.02 in
    # the last one, the least favourable (less escalation is better).
    draws = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    seeds = list(range(1, 11))

    def result(name: str, escalation: list[float]) -> SimpleNamespace:
        summary = pd.DataFrame({"seed": seeds, "draw": draws} | {m: [1.0] * 10 for m in METRICS})
        summary["escalation_rate"] = escalation
        return SimpleNamespace(summary=summary, scenario=SimpleNamespace(name=name), days=90,
                               seeds=seeds)  # fmt: skip

    today = result("today", [0.10] * 10)
    plan = result("plan", [0.08, 0.09, 0.07, 0.08, 0.09, 0.08, 0.06, 0.07, 0.13, 0.11])
    e = {e.metric: e for e in effects(today, plan)}["escalation_rate"]
    assert e.worst_set == pytest.approx(0.02) and e.sets.better == 4
    html = comparison_answer([today, plan])
    assert "better in 4 of 5 sets (the worst: +2 percentage points)." in html
    assert "（最不利一组：+2" in comparison_answer([today, plan], lang="zh")
    # Better in every set: no worst case to warn of.
    always = result("always", [0.08] * 8 + [0.09, 0.09])
    assert "better in 5 of 5 sets." in comparison_answer([today, always])
    assert "the worst" not in comparison_answer([today, always])
