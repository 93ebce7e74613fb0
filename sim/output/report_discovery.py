"""The report's section on when a plan stops paying (the PRIM box) and which unknown matters
most (the ranking), from the ``prim_box`` and ``unknowns`` tables of a comparison over
plausible parameter sets (:mod:`sim.runs.discovery`), in sentences of the label table."""

from __future__ import annotations

from functools import partial

import pandas as pd

from sim.labels import label
from sim.output.html import text as _text
from sim.output.tables import fmt
from sim.runs.discovery import WORTH_METRIC

RANKED = 3  # the unknowns named in the sentence


def parameter_name(parameter: str, lang: str) -> str:
    """A parameter's label, or "the what-if factor on X" for a ``factor:KEY`` column."""
    if parameter.startswith("factor:"):
        key = parameter.removeprefix("factor:")
        return label("answer", "factor_of", lang).format(name=label("parameter", key, lang))
    return label("parameter", parameter, lang)


def discovery_sentences(
    scenario: str, metric: str, boxes: pd.DataFrame, unknowns: pd.DataFrame, lang: str
) -> list[str]:
    """Where ``scenario`` stops doing better on ``metric`` and what to measure, as sentences."""
    t = partial(label, "answer", lang=lang)
    rows = unknowns[(unknowns["scenario"] == scenario) & (unknowns["metric"] == metric)]
    box = boxes[(boxes["scenario"] == scenario) & (boxes["metric"] == metric)]
    if not len(rows):
        return []
    slots = {
        "scenario": scenario,
        "outcome": label("metric", metric, lang)
        if metric != WORTH_METRIC
        else label("answer", "worth_outcome", lang),
        "draws": int(rows["draws"].iloc[0]),
        "failing": int(rows["failing"].iloc[0]),
    }
    if slots["failing"] == 0:
        sentences = [t("discovery_none").format(**slots)]
    elif len(box):
        conditions = [
            t("discovery_condition").format(
                name=parameter_name(r.parameter, lang),
                low=fmt(r.box_low),
                high=fmt(r.box_high),
                range_low=fmt(r.range_low),
                range_high=fmt(r.range_high),
            )
            for r in box.itertuples()
        ]
        glue = "；" if lang == "zh" else "; "
        sentences = [
            t("discovery_box").format(
                **slots,
                conditions=glue.join(conditions),
                coverage=f"{box['coverage'].iloc[0]:.0%}",
                density=f"{box['density'].iloc[0]:.0%}",
            )
        ]
    else:
        sentences = [t("discovery_no_box").format(**slots)]
    first = rows.head(RANKED)
    if len(first) and first["explained_share"].notna().any():
        names = [
            f"{parameter_name(r.parameter, lang)} ({fmt(r.difference_rank_correlation)})"
            for r in first.itertuples()
        ]
        sentences.append(
            t("discovery_unknowns").format(
                outcome=slots["outcome"],
                names=("、" if lang == "zh" else ", ").join(names),
                first=parameter_name(first["parameter"].iloc[0], lang),
            )
        )
    return sentences


def discovery_section(
    boxes: pd.DataFrame | None, unknowns: pd.DataFrame | None, lang: str = "en"
) -> str:
    """The section: for each scenario, its key outcomes' sentences (escalation first)."""
    if boxes is None or unknowns is None or not len(unknowns):
        return ""
    t = partial(label, "term", lang=lang)
    items = ""
    for scenario in unknowns["scenario"].drop_duplicates():
        for metric in unknowns.loc[unknowns["scenario"] == scenario, "metric"].drop_duplicates():
            for sentence in discovery_sentences(scenario, metric, boxes, unknowns, lang):
                items += f"<li>{_text(sentence)}</li>"
    return (
        f"<h2>{t('discovery')}</h2><p class='note'>{t('note_discovery')}</p>"
        f"<ul class='discovery'>{items}</ul>"
    )
