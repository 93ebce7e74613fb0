"""The answer a report opens with: a few sentences, generated from the results, in English or
Chinese (every sentence a row of kind ``answer`` of ``sim/data/labels.csv``).

For a comparison, each scenario against the first: which does better on which key outcome
(:data:`OUTCOMES`) and by how much (the paired difference, its 95% interval and the runs
behind it), how sure we are (:func:`certainty_clause`: the paired runs in which it was
better; with runs in plausible parameter sets drawn from the posterior ensemble, "and in k
of K plausible parameter sets" through :class:`ParameterSets`, and each outcome's interval
over those sets), at what cost per case averted, and what would change the answer
(an interval that includes zero: about how many runs would tell it apart). For one scenario,
its key figures beside the published figures the calibration fits (the targets of
``scenarios/calibration/baseline.toml``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from sim.labels import label
from sim.model.metrics import BETTER, SHARES
from sim.output.figures import figure_data_uri
from sim.output.flow import flow_figure, flow_table
from sim.output.html import text as _text
from sim.output.tables import fmt
from sim.runs.calibrate.spec import Target, load_calibration
from sim.runs.replicates import RunResult
from sim.runs.scenario import SCENARIO_DIR
from sim.runs.statistics import MIN_RUNS, estimate, over_sets, paired_interval, regret

CALIBRATION = SCENARIO_DIR / "calibration" / "baseline.toml"  # its targets: the published figures

# The outcomes the answer speaks of, each with its better side (`BETTER`: -1 when less is better).
OUTCOMES: dict[str, int] = {
    metric: BETTER[metric]
    for metric in (
        "escalation_rate",
        "petitions_per_10k",
        "incidents_per_100k",
        "resolved_in_village_share",
        "mean_days_to_resolution",
    )
}
STOP = {"en": ".", "zh": "。"}  # the end of a sentence, and a colon, in each language
COLON = {"en": ": ", "zh": "："}
SAME = 1e-9  # paired differences below this share of the reference are rounding: no difference
MAX_RUNS = 1000  # more runs than this needed to tell a difference: too small to matter here


@dataclass(frozen=True)
class ParameterSets:
    """How an effect fares over plausible parameter sets (a posterior ensemble): in how many of
    them the scenario is better."""

    better: int
    total: int


@dataclass(frozen=True)
class Effect:
    """One outcome of one scenario against the reference, paired by seed."""

    metric: str
    reference_mean: float
    mean: float
    diffs: np.ndarray  # per seed: scenario minus reference (pairs with a value in both)
    difference: float
    low: float  # the 95% interval: of seed noise alone when the runs are in parameter sets
    high: float
    sets: ParameterSets | None = None  # runs in plausible parameter sets: in how many better
    plausible_low: float = float("nan")  # the interval over plausible parameter sets
    plausible_high: float = float("nan")
    worst_set: float = float("nan")  # the least favourable set's mean difference

    @property
    def n(self) -> int:
        return len(self.diffs)

    @property
    def verdict(self) -> str:
        """``better``, ``worse``, ``unclear`` (the interval includes zero), ``same`` (no run
        differs) or ``too_few``."""
        if self.n < MIN_RUNS or not np.isfinite(self.low):
            return "too_few"
        if np.allclose(self.diffs, 0.0, rtol=0.0, atol=SAME * max(abs(self.reference_mean), 1.0)):
            return "same"
        if self.low <= 0 <= self.high:
            return "unclear"
        return "better" if OUTCOMES[self.metric] * self.difference > 0 else "worse"

    def runs_needed(self) -> int | None:
        """About how many paired runs would make the interval exclude zero if the difference is
        what it seems (the half-width shrinks as one over the root of the runs); None when the
        difference is zero."""
        half = (self.high - self.low) / 2
        if self.verdict == "same" or self.difference == 0 or not np.isfinite(half):
            return None
        return max(self.n + 1, math.ceil(self.n * (half / abs(self.difference)) ** 2))


def effects(reference: RunResult, other: RunResult, *, level: float = 0.95) -> list[Effect]:
    """The :data:`OUTCOMES` of ``other`` against ``reference``, runs paired by seed."""
    a = reference.summary.set_index("seed")
    b = other.summary.set_index("seed")
    seeds = a.index.intersection(b.index)
    found = []
    for metric in OUTCOMES:
        every = (b.loc[seeds, metric] - a.loc[seeds, metric]).to_numpy(dtype=float)
        diffs = every[np.isfinite(every)]
        mean, half = paired_interval(diffs, level)
        low, high = mean - half, mean + half
        spread: dict[str, object] = {}
        if "draw" in b.columns:  # runs in plausible parameter sets (sim.runs.ensemble)
            over = over_sets(every, b.loc[seeds, "draw"].to_numpy(), level)
            better = int(np.sum(OUTCOMES[metric] * over.set_means > 0))
            low, high = over.seed_low, over.seed_high
            spread = {
                "sets": ParameterSets(better=better, total=len(over.set_means)),
                "plausible_low": over.low,
                "plausible_high": over.high,
                "worst_set": regret(over.set_means, OUTCOMES[metric]).worst,
            }
        found.append(
            Effect(
                metric=metric,
                reference_mean=estimate(a[metric].to_numpy(dtype=float)).mean,
                mean=estimate(b[metric].to_numpy(dtype=float)).mean,
                diffs=diffs,
                difference=mean,
                low=low,
                high=high,
                **spread,  # type: ignore[arg-type]
            )
        )
    return found


def value_text(metric: str, value: float, lang: str) -> str:
    """A metric's value as the answer shows it: shares in per cent."""
    if metric in SHARES and np.isfinite(value):
        return f"{value:.1%}"
    return fmt(value)


def change_text(metric: str, value: float, lang: str, *, unit: bool = True) -> str:
    """A difference with its sign: shares in percentage points (``unit``: say so)."""
    if not np.isfinite(value):
        return "–"
    sign = "+" if value > 0 else "−" if value < 0 else ""
    if metric in SHARES:
        points = f"{sign}{abs(value) * 100:.2g}"
        return f"{points} {label('answer', 'points', lang)}" if unit else points
    return f"{sign}{fmt(abs(value))}"


def join(items: Sequence[str], lang: str, *, clauses: bool = False) -> str:
    """A list in a sentence: "a, b and c" or "a、b和c"; ``clauses`` (each with commas of its
    own): "a; b; c" or "a；b；c"."""
    if clauses:
        return ("；" if lang == "zh" else "; ").join(items)
    if len(items) <= 1:
        return "".join(items)
    last = label("answer", "and", lang)
    comma = "、" if lang == "zh" else ", "
    return comma.join(items[:-1]) + last + items[-1]


def certainty_clause(
    diffs: np.ndarray, *, lower_is_better: bool, lang: str, sets: ParameterSets | None = None
) -> str:
    """How sure: from the paired differences (per seed, scenario minus reference), the runs in
    which the scenario was better ("better in 9 of 10 paired runs"); with ``sets``, also in
    how many plausible parameter sets ("and in 46 of 50 plausible parameter sets")."""
    diffs = np.asarray(diffs, dtype=float)
    better = int(np.count_nonzero(diffs < 0 if lower_is_better else diffs > 0))
    clause = label("answer", "better_in_runs", lang).format(k=better, n=len(diffs))
    if sets is not None:
        clause += label("answer", "better_in_sets", lang).format(k=sets.better, n=sets.total)
    return clause


def _outcome_sentence(e: Effect, names: dict[str, str], lang: str) -> str:
    t = partial(label, "answer", lang=lang)
    slots = names | {
        "outcome": label("metric", e.metric, lang),
        "a": value_text(e.metric, e.reference_mean, lang),
        "b": value_text(e.metric, e.mean, lang),
        "change": change_text(e.metric, e.difference, lang),
        "low": change_text(e.metric, e.low, lang, unit=False),
        "high": change_text(e.metric, e.high, lang),
        "n": e.n,
    }
    sentence = t("outcome_" + e.verdict).format(**slots)
    if e.sets is not None and np.isfinite(e.plausible_low) and e.verdict != "same":
        # Better, but not in every set: the least favourable set says how far it can go wrong.
        short = e.verdict == "better" and e.sets.better < e.sets.total and np.isfinite(e.worst_set)
        sentence += t("outcome_plausible_worst" if short else "outcome_plausible").format(
            low=change_text(e.metric, e.plausible_low, lang, unit=False),
            high=change_text(e.metric, e.plausible_high, lang),
            k=e.sets.better,
            sets=e.sets.total,
            worst=change_text(e.metric, e.worst_set, lang),
        )
    return sentence


def _cost_sentence(costs: pd.DataFrame | None, scenario: str, lang: str) -> str:
    t = partial(label, "answer", lang=lang)
    rows = costs[costs["scenario"] == scenario] if costs is not None and len(costs) else None
    if rows is None or not len(rows):
        return ""
    change = float(rows["cost_change_wan_yuan"].iloc[0])
    if abs(change) < 0.5:  # under 5,000 yuan a year: the same cost as shown (wan yuan)
        return t("cost_same")
    key = "cost_more" if change > 0 else "cost_less"
    sentence = t(key).format(change=fmt(abs(change)))
    per_case, none = [], []
    for row in rows.itertuples():
        case = label("term", "case_" + row.case, lang)
        if row.estimable and row.averted_per_year > 0:
            per_case.append(
                t("cost_per_case").format(
                    cost=fmt(row.cost_per_case_wan_yuan),
                    low=fmt(row.cost_per_case_low),
                    high=fmt(row.cost_per_case_high),
                    case=case,
                )
            )
        else:
            none.append(case)
    if per_case:
        sentence += t("cost_per_case_lead") + join(per_case, lang) + STOP[lang]
    if none:
        sentence += t("cost_not_estimable").format(cases=join(none, lang))
    return sentence


def _change_sentence(found: list[Effect], n: int, lang: str) -> str:
    """What would change the answer: for each outcome not told apart, about how many paired
    runs would tell a difference of its size from zero (or that none practical would), and
    the outcomes with too few cases; when every outcome is decided, what could undo it."""
    t = partial(label, "answer", lang=lang)
    runs, tiny, few = [], [], []
    for e in found:
        outcome = label("metric", e.metric, lang)
        needed = e.runs_needed() if e.verdict == "unclear" else None
        if needed is not None and needed <= MAX_RUNS:
            runs.append(t("change_runs_item").format(outcome=outcome, runs=fmt(needed)))
        elif e.verdict == "unclear":
            tiny.append(outcome)
        elif e.verdict == "too_few":
            few.append(outcome)
    parts = [t("change_runs").format(items=join(runs, lang))] if runs else []
    if tiny:
        parts.append(t("change_tiny").format(outcomes=join(tiny, lang), most=fmt(MAX_RUNS)))
    if few:
        parts.append(t("change_too_few").format(outcomes=join(few, lang)))
    if not parts:
        parts = [t("change_settled").format(n=n)]
    return t("change_lead") + join(parts, lang, clauses=True) + STOP[lang]


def _headline(found: list[Effect], slots: dict[str, object], lang: str) -> str:
    """ "B against A, over n paired runs of d days: better on 2 of 5 key outcomes (x and y);
    worse on ...; no clear difference on ...": only the groups that have outcomes."""
    t = partial(label, "answer", lang=lang)
    parts = []
    for verdict in ("better", "worse", "unclear", "same", "too_few"):
        group = [label("metric", e.metric, lang) for e in found if e.verdict == verdict]
        if group:
            parts.append(
                t("headline_" + verdict).format(
                    k=len(group), of=slots["of"], which=join(group, lang)
                )
            )
    return t("headline").format(**slots) + join(parts, lang, clauses=True) + STOP[lang]


def comparison_answer(
    results: Sequence[RunResult], *, costs: pd.DataFrame | None = None, lang: str = "en"
) -> str:
    """The answer's HTML for a comparison: for each scenario after the first, a headline, a
    sentence per outcome, how sure, the cost and what would change the answer."""
    t = partial(label, "answer", lang=lang)
    reference, parts = results[0], []
    for other in results[1:]:
        found = effects(reference, other)
        names = {"scenario": other.scenario.name, "reference": reference.scenario.name}
        n = max((e.n for e in found), default=0)
        headline = _headline(found, names | {"n": n, "days": other.days, "of": len(found)}, lang)
        outcomes = "".join(f"<li>{_text(_outcome_sentence(e, names, lang))}</li>" for e in found)
        decided = [e for e in found if e.verdict in ("better", "worse")]
        sure = t("sure_lead").format(**names) + join(
            [
                label("metric", e.metric, lang)
                + COLON[lang]
                + certainty_clause(
                    e.diffs, lower_is_better=OUTCOMES[e.metric] < 0, lang=lang, sets=e.sets
                )
                for e in decided
            ]
            or [t("sure_nothing")],
            lang,
            clauses=True,
        )
        drawn = next((e.sets.total for e in found if e.sets is not None), 0)
        sure += STOP[lang] + (t("with_sets").format(sets=drawn) if drawn else t("seeds_only"))
        cost = _cost_sentence(costs, other.scenario.name, lang)
        parts.append(
            f"<p class='answer-headline'><b>{_text(headline)}</b></p>"
            f"<ul class='answer-outcomes'>{outcomes}</ul>"
            f"<p class='answer-sure'>{_text(sure)}</p>"
            + (f"<p class='answer-cost'>{_text(cost)}</p>" if cost else "")
            + f"<p class='answer-change'>{_text(_change_sentence(found, n, lang))}</p>"
        )
    return "".join(parts)


def published_targets() -> list[Target]:
    """The published figures the baseline is calibrated to (``scenarios/calibration/``)."""
    return [t for t in load_calibration(CALIBRATION).targets if not t.effect_of]  # levels only


def single_answer(result: RunResult, targets: Sequence[Target], *, lang: str = "en") -> str:
    """The answer's HTML for one scenario: its key figures beside the published ones
    (``targets``), with a sentence on how many fall inside the published ranges."""
    a = partial(label, "answer", lang=lang)
    rows, inside, outside, missing = "", 0, [], []
    for target in targets:
        found = estimate(
            result.summary[target.metric].to_numpy(dtype=float), share=target.metric in SHARES
        )
        show = partial(value_text, target.metric, lang=lang)
        name = label("metric", target.metric, lang)
        within = bool(target.low <= found.mean <= target.high)  # False for no value (NaN)
        if not np.isfinite(found.mean):
            missing.append(name)
        elif within:
            inside += 1
        else:
            outside.append(name)
        mark = "–" if not np.isfinite(found.mean) else "✔" if within else "✘"
        interval = f" [{show(found.low)}, {show(found.high)}]" if np.isfinite(found.low) else ""
        rows += (
            f"<tr><td>{_text(name)}</td><td class='num'>{show(found.mean)}{interval}"
            f" <span class='meaning'>n = {found.n}</span></td>"
            f"<td class='num'>{show(target.value)} ({show(target.low)}–{show(target.high)})</td>"
            f"<td>{mark}</td><td class='meaning'>{_text(target.source)}</td></tr>"
        )
    headline = a("single_headline").format(
        scenario=result.scenario.name,
        runs=len(result.seeds),
        days=result.days,
        inside=inside,
        of=len(targets) - len(missing),
        outside=join(outside, lang) or a("none"),
    )
    if missing:
        headline += a("single_no_cases").format(which=join(missing, lang))
    head = "".join(
        f"<th>{a(k)}</th>" for k in ("figure", "this_run", "published", "inside", "source")
    )
    return (
        f"<p class='answer-headline'><b>{_text(headline)}</b></p>"
        f"<p class='answer-change'>{_text(a('single_note'))}</p>"
        f"<table class='targets'><tr>{head}</tr>{rows}</table>"
    )


def answer_section(
    results: Sequence[RunResult], *, costs: pd.DataFrame | None = None, lang: str = "en"
) -> str:
    """The report's first screen: the answer (:func:`comparison_answer` for two scenarios or
    more, :func:`single_answer` for one) and the flow picture of the cases through the ladder
    (:mod:`sim.output.flow`), in ``lang``."""
    t = partial(label, "term", lang=lang)
    words = (
        comparison_answer(results, costs=costs, lang=lang)
        if len(results) > 1
        else single_answer(results[0], published_targets(), lang=lang)
    )
    picture = figure_data_uri(flow_figure(flow_table(results), lang=lang))
    return (
        f"<section class='answer'><h2>{t('answer')}</h2><div class='answer-body'>"
        f"<div class='answer-words'>{words}</div><figure class='flow'>"
        f"<img class='flow-picture' src='{picture}' alt='{_text(label('flow', 'title', lang))}'>"
        f"<figcaption class='note'>{t('note_flow')}</figcaption></figure></div></section>"
    )
