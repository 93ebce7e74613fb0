"""Compare mode's "how sure over plausible parameter sets": policies A and B run as
``govsim compare`` runs two scenarios, :data:`~sim.runs.ensemble.RUNS_PER_SET` times in each
of :data:`~sim.runs.ensemble.DEFAULT_SETS` parameter sets drawn from the calibration's
posterior ensemble (:mod:`sim.runs.ensemble`), and for each key outcome
(:data:`sim.output.answer.OUTCOMES`) in how many sets B is better, beside the seed-only and the
plausible interval of B - A (:func:`sim.runs.comparisons.paired_differences`).

The runs go on in a thread of their own (``solara.use_thread``), so the page answers
meanwhile; they stop, and what they found is cleared, when a policy changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import cast

import numpy as np
import pandas as pd
import solara

from sim.labels import label, translate
from sim.output.answer import OUTCOMES, SAME, change_text
from sim.runs.comparisons import paired_differences
from sim.runs.ensemble import DEFAULT_SETS, RUNS_PER_SET, load_ensemble, worlds_of_runs
from sim.runs.replicates import run_scenarios
from sim.viz.controls import one_line
from sim.viz.language import DEFAULT_LANGUAGE, app_text
from sim.viz.plots import metric_name
from sim.viz.session import Policy

DEFAULT_DAYS = 120  # measured days of each run when the session has run none yet


class Stopped(Exception):
    """The runs were stopped before they finished (a policy changed, or compare mode ended)."""


@dataclass(frozen=True)
class SetsComparison:
    """A and B run in plausible parameter sets: what ran (the seeds: the same for A and B) and
    B against A on every metric (:func:`~sim.runs.comparisons.paired_differences`, one row per
    metric). The runs' tables are not kept: a page may hold one of these for a long time."""

    policies: tuple[Policy, Policy]
    days: int
    sets: int
    runs_per_set: int
    seeds: list[int]
    differences: pd.DataFrame


def compare_over_sets(
    policies: tuple[Policy, Policy],
    *,
    days: int,
    sets: int = DEFAULT_SETS,
    runs_per_set: int = RUNS_PER_SET,
    workers: int | None = None,
    on_run: Callable[[], object] | None = None,
) -> SetsComparison:
    """Run A and B ``runs_per_set`` times in each of ``sets`` parameter sets drawn by weight
    from the shipped posterior ensemble, ``days`` measured days each (after each policy's
    warm-up, at its own population scale), as ``govsim compare --sets`` does: the sets are
    drawn from policy A's seed, and A and B share the seeds ``seed, seed + 1, ...`` (common
    random numbers). ``on_run`` is called as each run finishes (an exception it raises
    stops the runs)."""
    seed = policies[0].seed
    scenarios = [replace(p.resolved(), name=n) for p, n in zip(policies, "AB", strict=True)]
    worlds = worlds_of_runs(load_ensemble().draw(sets, seed=seed), runs_per_set)
    results = run_scenarios(
        scenarios,
        days=days,
        replicates=len(worlds),
        seed=seed,
        workers=workers,
        worlds=worlds,
        on_run=on_run,
    )
    return SetsComparison(
        policies=policies,
        days=days,
        sets=sets,
        runs_per_set=runs_per_set,
        seeds=results[0].seeds,
        differences=paired_differences(results),
    )


@dataclass(frozen=True)
class OutcomeOverSets:
    """One key outcome of B against A over the sets: in how many of them B is better (its mean
    over the set's runs better than A's in the outcome's direction), the mean difference B - A,
    its seed-only interval and its plausible interval."""

    metric: str
    better: int
    sets: int
    difference: float
    seed_low: float
    seed_high: float
    low: float
    high: float


def rounded(difference: float, reference: float) -> float:
    """A mean difference, 0 where it is below rounding (:data:`sim.output.answer.SAME` of the
    reference): means of rates over runs that differ by nothing leave ``1e-16`` behind."""
    difference = float(difference)
    return 0.0 if abs(difference) <= SAME * max(abs(float(reference)), 1.0) else difference


def outcomes_over_sets(differences: pd.DataFrame) -> list[OutcomeOverSets]:
    """The rows of :data:`OUTCOMES` in ``differences`` (of runs in parameter sets), in order."""
    rows = differences.set_index("metric")
    found = []
    for metric, direction in OUTCOMES.items():
        row = rows.loc[metric]
        better = row["sets_lower"] if direction < 0 else row["sets_higher"]
        found.append(
            OutcomeOverSets(
                metric=metric,
                better=int(better),
                sets=int(row["sets"]),
                difference=rounded(row["difference"], row["reference_mean"]),
                seed_low=float(row["ci_low"]),
                seed_high=float(row["ci_high"]),
                low=float(row["plausible_low"]),
                high=float(row["plausible_high"]),
            )
        )
    return found


def interval_text(metric: str, low: float, high: float, lang: str) -> str:
    """``low to high`` as the report's answer writes a change (shares in percentage points)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return label("term", "not_available", lang)
    return app_text(
        "sets_interval",
        lang,
        low=change_text(metric, low, lang, unit=False),
        high=change_text(metric, high, lang),
    )


def outcomes_table(found: list[OutcomeOverSets], lang: str = DEFAULT_LANGUAGE) -> str:
    """The key outcomes as a Markdown table: B better in k of K sets, B - A, both intervals."""
    head = [
        app_text("sets_outcome", lang),
        app_text("sets_how_sure", lang),
        app_text("sets_difference", lang),
        app_text("sets_seed_interval", lang),
        app_text("sets_plausible_interval", lang),
    ]
    lines = ["| " + " | ".join(head) + " |", "|---|---|---:|---:|---:|"]
    for o in found:
        sure = (
            app_text("sets_better", lang, k=o.better, n=o.sets)
            if o.sets
            else label("term", "not_available", lang)
        )
        cells = [
            metric_name(o.metric, lang),
            sure,
            change_text(o.metric, o.difference, lang),
            interval_text(o.metric, o.seed_low, o.seed_high, lang),
            interval_text(o.metric, o.low, o.high, lang),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Request:
    """A click of the button: the policies and days to run, and which click (a new click of
    the same runs is a new request)."""

    policies: tuple[Policy, Policy]
    days: int
    click: int


@solara.component
def PlausibleSets(
    *,
    policies: tuple[Policy, Policy],
    days: int,
    workers: int | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> solara.Element:
    """Compare mode's card: a button that runs A and B in plausible parameter sets for
    ``days`` (in a thread; the button is disabled and the runs counted meanwhile), then per
    key outcome B better in k of K sets with the seed-only and plausible intervals of B - A.
    A failure says so in one line. A change of ``policies`` stops the runs and clears them."""
    request, set_request = solara.use_state(cast(Request | None, None))
    done, set_done = solara.use_state(0)
    solara.use_effect(lambda: set_request(None), [*policies])
    total = 2 * DEFAULT_SETS * RUNS_PER_SET

    def work(cancel: threading.Event) -> tuple[Request, SetsComparison | str | None] | None:
        """The runs of ``request`` and what they found (a failure: its one line)."""
        if request is None:
            return None
        finished = 0

        def one_run() -> None:
            nonlocal finished
            if cancel.is_set():
                raise Stopped
            finished += 1
            set_done(finished)

        try:
            return request, compare_over_sets(
                request.policies, days=request.days, workers=workers, on_run=one_run
            )
        except Stopped:
            return request, None
        except Exception as exc:  # the error boundary of these runs: one line, no traceback
            return request, one_line(exc)

    runs = solara.use_thread(work, dependencies=[request], intrusive_cancel=False)
    answer = runs.value if runs.state == solara.ResultState.FINISHED else None
    found = answer[1] if answer is not None and answer[0] is request else None
    if runs.state == solara.ResultState.ERROR and request is not None:  # not one of the runs'
        found = one_line(cast(BaseException, runs.error))
    running = request is not None and found is None

    def start() -> None:
        set_done(0)
        set_request(Request(policies, days, request.click + 1 if request else 1))

    with solara.Card(classes=["govsim-sets"], style={"padding": "8px"}) as card:
        solara.Markdown("### " + app_text("sets_title", lang))
        solara.Text(
            app_text("sets_plan", lang, sets=DEFAULT_SETS, runs=RUNS_PER_SET, days=days,
                     total=total),
            style={"font-size": "12px", "color": "#666", "display": "block"},
        )  # fmt: skip
        solara.Button(
            app_text("sets_run", lang, sets=DEFAULT_SETS),
            on_click=start,
            disabled=running,
            color="primary",
            classes=["govsim-sets-run"],
        )
        if running:
            solara.ProgressLinear(value=100 * done / total)
            solara.Text(
                app_text("sets_running", lang, done=done, total=total),
                classes=["govsim-sets-running"],
            )
        elif isinstance(found, str):
            solara.Error(translate(found, lang), classes=["govsim-sets-error"])
        elif isinstance(found, SetsComparison) and found.policies == policies:
            with solara.Div(classes=["govsim-sets-outcomes"]):
                solara.Markdown(outcomes_table(outcomes_over_sets(found.differences), lang))
            seeds = found.seeds
            solara.Text(
                app_text("sets_note", lang, days=found.days, sets=found.sets,
                         runs=found.runs_per_set, first=seeds[0], last=seeds[-1]),
                style={"font-size": "12px", "color": "#666"},
            )  # fmt: skip
    return card
