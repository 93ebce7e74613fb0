"""Compare mode's "how sure over plausible parameter sets" rendered without a browser
(``solara.render``): A and B run in the posterior ensemble's sets, in a thread, and the card's
figures are those of ``paired_differences`` over the same runs, made here independently."""

from __future__ import annotations

import re
from dataclasses import replace

import ipyvuetify as v
import pandas as pd
import pytest
import solara

from sim.output.answer import OUTCOMES, change_text
from sim.runs.comparisons import paired_differences
from sim.runs.ensemble import DEFAULT_SETS, RUNS_PER_SET, load_ensemble, worlds_of_runs
from sim.runs.replicates import run_scenarios
from sim.viz import plausible
from sim.viz.plausible import PlausibleSets, outcomes_over_sets, rounded
from sim.viz.plots import metric_name
from sim.viz.session import Policy
from tests.viz.test_app_components import SMALL, _markdown, _text, _until

DAYS = 10
A = Policy(overrides=SMALL)
B = Policy(overrides=SMALL | {"grid_workers.total": 3000, "petition.supermarket": False})
RUN = f"Run A and B in {DEFAULT_SETS} plausible parameter sets"


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    """B against A over the sets, run here as ``govsim compare`` runs them: sets drawn from A's
    seed, A and B on the same seeds, each set's runs in its world."""
    worlds = worlds_of_runs(load_ensemble().draw(DEFAULT_SETS, seed=A.seed), RUNS_PER_SET)
    results = run_scenarios(
        [A.resolved(), B.resolved()],
        days=DAYS,
        replicates=len(worlds),
        seed=A.seed,
        workers=1,
        worlds=worlds,
    )
    return paired_differences(results).set_index("metric")


def _rows(rc) -> dict[str, list[str]]:
    """The outcomes table's rows: the first cell (the outcome's name) -> the other cells."""
    html = next(h for h in _markdown(rc).split("<template>") if "<tbody>" in h)
    rows = re.findall(r"<tr>\n(.*?)</tr>", html.split("<tbody>")[1], flags=re.DOTALL)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
    return {row[0]: row[1:] for row in cells}


def _shown(rc) -> bool:
    return bool(rc.find(v.Html, class_="govsim-sets-outcomes"))


def _check_figures(rc, expected: pd.DataFrame, lang: str) -> None:
    rows = _rows(rc)
    sets = "plausible parameter sets" if lang == "en" else "组可信参数中"
    to = " to " if lang == "en" else " 至 "
    for metric, direction in OUTCOMES.items():
        row = expected.loc[metric]
        better = int(row["sets_lower"] if direction < 0 else row["sets_higher"])
        sure, change, seeds_only, plausible_ = rows[metric_name(metric, lang)]
        n = int(row["sets"])  # the sets with a value: a set whose runs had no case has none
        if lang == "en":
            assert sure == f"B better in {better} of {n} {sets}"
        else:
            assert sure == f"{n} {sets} B 在 {better} 组更好"
        assert change == change_text(
            metric, rounded(row["difference"], row["reference_mean"]), lang
        )
        for cell, (low, high) in (
            (seeds_only, (row["ci_low"], row["ci_high"])),
            (plausible_, (row["plausible_low"], row["plausible_high"])),
        ):
            assert cell == change_text(metric, low, lang, unit=False) + to + change_text(
                metric, high, lang
            )


def test_the_card_shows_in_how_many_plausible_sets_b_is_better_as_paired_differences_says(
    expected, monkeypatch
):
    # not a vacuous check: B differs from A in some sets and not in others, on some outcome
    counts = expected.loc[list(OUTCOMES), ["sets_lower", "sets_higher"]]
    assert (counts["sets_lower"] != counts["sets_higher"]).any()
    stopped: list[str] = []
    original = plausible.compare_over_sets

    def spy(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        except plausible.Stopped:
            stopped.append("stopped")
            raise

    monkeypatch.setattr(plausible, "compare_over_sets", spy)
    lang, policy_b = solara.reactive("en"), solara.reactive(B)

    @solara.component
    def Card():
        return PlausibleSets(policies=(A, policy_b.value), days=DAYS, workers=1, lang=lang.value)

    box, rc = solara.render(Card(), handle_error=False)
    assert "How sure over plausible parameter sets" in _text(box)
    assert f"{2 * DEFAULT_SETS * RUNS_PER_SET} runs, each measuring {DAYS} d" in _text(box)
    rc.find(v.Btn, children=[RUN]).widget.click()
    _until(lambda: "Running:" in _text(box) and rc.find(v.Btn, children=[RUN]).widget.disabled)
    _until(lambda: _shown(rc), seconds=120)
    assert not rc.find(v.Btn, children=[RUN]).widget.disabled and "Running:" not in _text(box)
    _check_figures(rc, expected, "en")
    assert f"of {DEFAULT_SETS} plausible parameter sets" in _markdown(rc)
    assert f"seeds {A.seed} to {A.seed + DEFAULT_SETS * RUNS_PER_SET - 1}" in _text(box)

    lang.set("zh")  # the same runs, in Chinese
    _until(lambda: "在多组可信参数下有多大把握" in _text(box))
    _check_figures(rc, expected, "zh")

    lang.set("en")
    policy_b.set(replace(B, overrides=B.overrides | {"grid_workers.total": 2000}))
    _until(lambda: not _shown(rc))  # another policy: what was found is cleared
    assert not rc.find(v.Btn, children=[RUN]).widget.disabled
    rc.find(v.Btn, children=[RUN]).widget.click()
    _until(lambda: "Running:" in _text(box))
    policy_b.set(B)  # changed while running: the runs stop, nothing is shown
    _until(lambda: stopped == ["stopped"])
    _until(lambda: not rc.find(v.Btn, children=[RUN]).widget.disabled)
    assert "Running:" not in _text(box) and not _shown(rc)


def test_runs_that_cannot_start_say_why_in_one_line():
    bad = Policy(overrides=SMALL | {"grid_workers.allocation": "by_luck"})
    box, rc = solara.render(
        PlausibleSets(policies=(A, bad), days=DAYS, workers=1), handle_error=False
    )
    rc.find(v.Btn, children=[RUN]).widget.click()
    _until(lambda: bool(rc.find(v.Alert, class_="govsim-sets-error")))
    said = rc.find(v.Alert, class_="govsim-sets-error").widget.children[0]
    assert "grid_workers.allocation" in said and "by_luck" in said and "\n" not in said
    assert "Traceback" not in _text(box)
    assert not rc.find(v.Btn, children=[RUN]).widget.disabled  # it may be clicked again


def test_b_is_better_in_the_direction_of_each_outcome():
    rows = [
        {"metric": m, "sets": 10, "sets_lower": 7, "sets_higher": 2, "difference": -1.0}
        | {"reference_mean": 5.0}
        | {"ci_low": -2.0, "ci_high": 0.5, "plausible_low": -3.0, "plausible_high": 1.0}
        for m in OUTCOMES
    ]
    found = {o.metric: o for o in outcomes_over_sets(pd.DataFrame(rows))}
    assert [found[m].better for m in OUTCOMES] == [7 if d < 0 else 2 for d in OUTCOMES.values()]
    assert found["resolved_in_village_share"].better == 2  # more is better: the sets higher
    assert (found["escalation_rate"].seed_low, found["escalation_rate"].high) == (-2.0, 1.0)


def test_a_difference_below_rounding_is_shown_as_none():
    assert rounded(-1.7763568394002506e-16, 12.0) == 0.0  # the sum of equal rates, rounded
    assert rounded(-0.004, 12.0) == -0.004 and rounded(2e-9, 0.01) == 2e-9


def test_the_page_in_compare_mode_offers_the_runs_for_the_days_so_far():
    from sim.viz.page import Page

    box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    assert "How sure over plausible parameter sets" not in _text(box)  # one policy: no card
    rc.find(v.Switch, label="compare two policies (A and B)").widget.v_model = True
    _until(lambda: "How sure over plausible parameter sets" in _text(box))
    assert f"each measuring {plausible.DEFAULT_DAYS} d" in _text(box)  # none run yet
    rc.find(v.Btn, children=["Run 30 days"]).widget.click()
    _until(lambda: "each measuring 30 d" in _text(box))
    assert not rc.find(v.Btn, children=[RUN]).widget.disabled
