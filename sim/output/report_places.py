"""The sections of report.html by place and subject: petitions by subject, the cost per case
averted, town by town, the differences town by town, and the villages where cases concentrate."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sim.labels import label
from sim.output.html import mean_interval as _mean_interval
from sim.output.html import section as _section
from sim.output.html import text as _text
from sim.output.tables import fmt
from sim.runs.replicates import RunResult


def by_subject(results: Sequence[RunResult], t: Callable[[str], str], lang: str) -> str:
    """Petitions by origin and subject: mean per 10,000 residents a year, and share, per scenario."""
    tables = [r for r in results if len(r.petitions)]
    if not tables:
        return ""
    head = "".join(
        f"<th>{_text(r.scenario.name)}<br><span class='meaning'>{t('per_10k')} · "
        f"{t('share_of_petitions')}</span></th>"
        for r in tables
    )
    means = [
        r.petitions.groupby(["origin", "subject"], sort=False)[
            ["petitions_per_10k", "share"]
        ].mean()
        for r in tables
    ]
    body = ""
    for origin, subject in means[0].index:
        cells = "".join(
            f"<td class='num'>{fmt(m.loc[(origin, subject), 'petitions_per_10k'])} · "
            f"{m.loc[(origin, subject), 'share']:.1%}</td>"
            for m in means
        )
        body += (
            f"<tr><td>{_text(label('origin', origin, lang))}</td>"
            f"<td>{_text(label('subject', subject, lang))}</td>{cells}</tr>"
        )
    columns = f"<th>{t('origin')}</th><th>{t('subject')}</th>{head}"
    return _section(t("by_subject"), t("note_by_subject"), "subjects", columns, body)


def costs_section(costs: pd.DataFrame | None, t: Callable[[str], str]) -> str:
    """Cost per case averted: the change in cost and, per case, the cases averted and the cost."""
    if costs is None or not len(costs):
        return ""
    body = ""
    for row in costs.itertuples():
        averted = f"{fmt(row.averted_per_year)}"
        if np.isfinite(row.averted_low):
            averted += f" [{fmt(row.averted_low)}, {fmt(row.averted_high)}]"
        per = (
            f"{fmt(row.cost_per_case_wan_yuan)} [{fmt(row.cost_per_case_low)}, {fmt(row.cost_per_case_high)}]"
            if row.estimable
            else t("not_estimable")
        )
        body += (
            f"<tr><td>{_text(row.scenario)}</td><td>{_text(t('case_' + row.case))}</td>"
            f"<td class='num'>{fmt(row.cost_change_wan_yuan)}</td><td class='num'>{averted}</td>"
            f"<td class='num'>{per}</td><td class='num'>{row.n}</td></tr>"
        )
    reference = _text(costs["reference"].iloc[0])
    columns = "".join(
        f"<th>{t(c)}</th>"
        for c in ("scenario", "case", "cost_change", "averted_per_year", "cost_per_averted")
    )
    note = t("note_cost_per_case").format(reference=reference)
    return _section(t("cost_per_case"), note, "costs", columns + "<th>n</th>", body)


TOWN_COLUMNS = {  # towns.csv column: is it a share (for its interval)
    "grid_workers": False,
    "volunteer_police": False,
    "escalation_rate": True,
    "incidents_per_100k": False,
    "petitions_per_10k": False,
    "annual_cost_wan_yuan": False,
}
MIN_PLACE_CASES = 5  # a village is listed only with at least this many cases behind it
MAX_VILLAGES = 15


def towns_section(results: Sequence[RunResult], t: Callable[[str], str], lang: str) -> str:
    """Town by town: staff and key outcomes, mean [95% interval] n over runs, per scenario."""
    tables = [r for r in results if len(r.towns)]
    if not tables:
        return ""
    head = "".join(f"<th>{_text(label('term', 'place_' + c, lang))}</th>" for c in TOWN_COLUMNS)
    body = ""
    for town in tables[0].towns["town"].unique():
        first = f"<td rowspan='{len(tables)}'>{_text(label('town', town, lang))}</td>"
        for r in tables:
            rows = r.towns[r.towns["town"] == town]
            cells = "".join(
                f"<td class='num'>{_mean_interval(rows[c].to_numpy(dtype=float), share=share, t=t, percent=lang == 'zh')}</td>"
                for c, share in TOWN_COLUMNS.items()
            )
            body += f"<tr>{first}<td>{_text(r.scenario.name)}</td>{cells}</tr>"
            first = ""
    columns = f"<th>{t('town')}</th><th>{t('scenario')}</th>{head}"
    return _section(t("by_town"), t("note_by_town"), "towns", columns, body)


def town_differences_section(towns: pd.DataFrame | None, t: Callable[[str], str], lang: str) -> str:
    """Town by town, each scenario against the first: paired differences with 95% intervals."""
    if towns is None or not len(towns):
        return ""
    metrics = list(dict.fromkeys(towns["metric"]))
    head = "".join(f"<th>{_text(label('term', 'place_' + m, lang))}</th>" for m in metrics)
    body = ""
    for (scenario, town), rows in towns.groupby(["scenario", "town"], sort=False):
        cells = ""
        for m in metrics:
            row = rows[rows["metric"] == m].iloc[0]
            text = fmt(row["difference"])
            if np.isfinite(row["ci_low"]) and row["ci_low"] != row["ci_high"]:
                text += f" [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"
            style = " class='num significant'" if row["significant"] else " class='num'"
            cells += f"<td{style}>{text}</td>"
        body += (
            f"<tr><td>{_text(scenario)}</td><td>{_text(label('town', town, lang))}</td>{cells}</tr>"
        )
    reference = _text(towns["reference"].iloc[0])
    note = t("note_town_differences").format(reference=reference)
    columns = f"<th>{t('scenario')}</th><th>{t('town')}</th>{head}"
    return _section(t("town_differences"), note, "town-differences", columns, body)


def hot_villages(result: RunResult, *, top: int = MAX_VILLAGES) -> pd.DataFrame:
    """The villages where escalations and incidents concentrate: per unit, the mean over runs
    of escalations and incidents, the cases behind them (summed over runs) and escalations and
    incidents per 1,000 residents a year; only units with at least :data:`MIN_PLACE_CASES`
    cases, the ``top`` highest by that rate first."""
    v = result.villages
    if not len(v):
        return pd.DataFrame()
    runs = v["run"].nunique()
    years = result.days / 365.0
    grouped = v.groupby(["code", "village", "village_zh", "town"], sort=False)
    table = grouped[["residents", "escalations", "incidents"]].mean()
    table["cases"] = grouped[["escalations", "incidents"]].sum().sum(axis=1)
    table["per_1k"] = (
        (table["escalations"] + table["incidents"])
        / table["residents"].clip(lower=1)
        * 1000
        / years
    )
    table["runs"] = runs
    table = table[table["cases"] >= MIN_PLACE_CASES]
    return table.sort_values("per_1k", ascending=False).head(top).reset_index()


def villages_section(results: Sequence[RunResult], t: Callable[[str], str], lang: str) -> str:
    parts = []
    for r in results:
        table = hot_villages(r)
        if not len(table):
            continue
        body = "".join(
            f"<tr><td>{_text(row.village_zh if lang == 'zh' and row.village_zh else row.village)}</td>"
            f"<td>{_text(label('town', row.town, lang))}</td><td class='num'>{fmt(row.residents)}</td>"
            f"<td class='num'>{fmt(row.escalations)}</td><td class='num'>{fmt(row.incidents)}</td>"
            f"<td class='num'>{fmt(row.per_1k)}</td><td class='num'>{int(row.cases)} ({row.runs})</td></tr>"
            for row in table.itertuples()
        )
        parts.append(
            f"<h3>{_text(r.scenario.name)}</h3><table class='villages'><tr><th>{t('village')}</th>"
            f"<th>{t('town')}</th><th>{t('place_residents')}</th><th>{t('case_escalations')}</th>"
            f"<th>{t('case_incidents')}</th><th>{t('place_per_1k')}</th><th>{t('place_cases')}</th></tr>"
            f"{body}</table>"
        )
    if not parts:
        return ""
    note = t("note_hot_villages").format(min_cases=MIN_PLACE_CASES, top=MAX_VILLAGES)
    return f"<h2>{t('hot_villages')}</h2><p class='note'>{note}</p>" + "".join(parts)
