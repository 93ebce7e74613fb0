"""What ``govsim optimise`` leaves for a planner: plan files, the verified comparison, a report.

Written into the optimisation's folder beside ``trials.csv`` and ``frontier.csv``::

    plans/plan_trial_N.toml   each recommended plan as a scenario (extends the base)
    plans/plan_trial_N.csv    its staffing, one row per village-level unit (govsim plan's format)
    verified/                 the plans against the base on fresh seeds (a govsim compare folder)
    ensemble.csv              each plan against the base under each good fit of the calibration
    datapackage.json          the data dictionary of every table in the folder
    report.html               the frontier, the plan as a map and a town table against today's,
                              its paired differences, the cost per case averted, the ensemble
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from sim.labels import check_language, label
from sim.model.mapcheck import plan_of
from sim.model.metrics import SHARES
from sim.model.planfile import write_plan
from sim.output.figures import figure_data_uri, map_figure, metric_name, new_figure, plain
from sim.output.html import text as _text
from sim.output.report import CSS
from sim.output.report_places import costs_section
from sim.output.results import write_results
from sim.output.tables import fmt, percent_text
from sim.runs.datafiles import file_names, write_table
from sim.runs.datapackage import DATAPACKAGE, write_datapackage
from sim.runs.folders import check_ours, record_files
from sim.runs.optimise.command import OptimisationResult, files_of
from sim.runs.optimise.verification import holds, plan_name
from sim.runs.scenario import scenario_toml

KEY = ("escalation_rate", "incidents_per_100k", "petitions_per_10k", "annual_cost_wan_yuan")


def _frontier_figure(result: OptimisationResult, lang: str):
    """Each trial's escalation and incidents against its cost, or against its number when every
    plan costs the same (a search at a fixed cost); today's plan and the recommended ones marked."""
    table = result.trials[result.trials["state"] == "complete"]
    cost = "annual_cost_wan_yuan"
    x = "trial" if table[cost].nunique() <= 1 else cost
    fig = new_figure(figsize=(10.0, 4.2))
    for ax, metric in zip(
        fig.subplots(1, 2), ("escalation_rate", "incidents_per_100k"), strict=True
    ):
        ok = table[table["feasible"]]
        ax.scatter(
            table[x],
            table[metric],
            s=12,
            color="#bbbbbb",
            label=label("term", "opt_infeasible", lang),
        )
        ax.scatter(
            ok[x], ok[metric], s=14, color="#1f77b4", label=label("term", "opt_feasible", lang)
        )
        today = table[table["today"]]
        ax.scatter(
            today[x],
            today[metric],
            s=70,
            marker="D",
            color="black",
            label=label("term", "opt_today", lang),
            zorder=3,
        )
        chosen = table[table["trial"].isin(result.chosen)]
        ax.scatter(
            chosen[x],
            chosen[metric],
            s=80,
            marker="*",
            color="#d62728",
            label=label("term", "opt_recommended", lang),
            zorder=3,
        )
        if x == cost and result.base:  # today's plan on the search's seeds
            ax.axhline(result.base[metric], color="black", lw=0.8, ls="--")
        xlabel = label("term", "opt_trial_axis", lang) if x == "trial" else metric_name(cost, lang)
        ax.set_xlabel(plain(xlabel))
        ax.set_ylabel(plain(metric_name(metric, lang)))
        ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def _value(metric: str, value: float, lang: str) -> str:
    return percent_text(value) if lang == "zh" and metric in SHARES else fmt(value)


def _differences(result: OptimisationResult, t: Callable[[str], str], lang: str) -> str:
    if result.verification is None:
        return ""
    differences = result.verification.differences
    metrics = list(dict.fromkeys([*result.optimisation.metrics, *KEY]))
    rows = ""
    for row in differences[differences["metric"].isin(metrics)].itertuples():
        verdict = t("opt_significant") if row.significant else t("opt_not_significant")
        rows += (
            f"<tr class='{'significant' if row.significant else ''}'>"
            f"<td>{_text(row.scenario)}</td><td>{_text(metric_name(row.metric, lang))}</td>"
            f"<td class='num'>{_value(row.metric, row.reference_mean, lang)}</td>"
            f"<td class='num'>{_value(row.metric, row.mean, lang)}</td>"
            f"<td class='num'>{fmt(row.difference)} [{fmt(row.ci_low)}, {fmt(row.ci_high)}]</td>"
            f"<td class='num'>{row.n}</td><td>{verdict}</td></tr>"
        )
    head = "".join(
        f"<th>{t(k)}</th>"
        for k in (
            "opt_plan",
            "metric",
            "opt_base",
            "opt_plan_value",
            "opt_difference",
            "n",
            "opt_verdict",
        )
    )
    v = result.optimisation.verify
    note = t("note_opt_verified").format(replicates=v["replicates"], scale=v["population.scale"])
    return f"<h2>{t('opt_verified')}</h2><p class='note'>{note}</p><table><tr>{head}</tr>{rows}</table>"


def _ensemble(result: OptimisationResult, t: Callable[[str], str], lang: str) -> str:
    v = result.verification
    if v is None:
        return ""
    table = v.ensemble
    if table.empty:
        return f"<h2>{t('opt_ensemble')}</h2><p class='note'>{t('note_opt_no_ensemble')}</p>"
    rows = "".join(
        f"<tr><td>{_text(r.plan)}</td><td class='num'>{r.fit}</td>"
        f"<td class='num'>{_value(r.metric, r.base, lang)}</td>"
        f"<td class='num'>{_value(r.metric, r.mean, lang)}</td>"
        f"<td class='num'>{fmt(r.difference)} [{fmt(r.ci_low)}, {fmt(r.ci_high)}]</td>"
        f"<td>{t('opt_yes') if r.better else t('opt_no')}</td></tr>"
        for r in table.itertuples()
    )
    verdicts = "".join(
        f"<li>{_text(p)}: {t('opt_holds').format(better=b, fits=n)}</li>"
        for p in table["plan"].unique()
        for b, n in [holds(v, p)]
    )
    metric = metric_name(table["metric"].iloc[0], lang)
    head = "".join(
        f"<th>{t(k)}</th>"
        for k in (
            "opt_plan",
            "opt_fit",
            "opt_base",
            "opt_plan_value",
            "opt_difference",
            "opt_better",
        )
    )
    return (
        f"<h2>{t('opt_ensemble')}</h2><p class='note'>"
        f"{t('note_opt_ensemble').format(metric=_text(metric))}</p><ul>{verdicts}</ul>"
        f"<table><tr>{head}</tr>{rows}</table>"
    )


def _towns(result: OptimisationResult, t: Callable[[str], str], lang: str) -> str:
    """The plans' staff by town against the base's, from the verified runs' towns tables."""
    if result.verification is None:
        return ""
    results = result.verification.results
    towns = pd.concat([r.towns for r in results], ignore_index=True)
    staff = towns.groupby(["town", "scenario"], sort=False)[["grid_workers", "volunteer_police"]]
    staff = staff.mean().unstack("scenario")
    names = [r.scenario.name for r in results]
    head = (
        f"<th>{t('town')}</th>"
        + "".join(f"<th>{t('grid_workers')}: {_text(n)}</th>" for n in names)
        + "".join(f"<th>{t('volunteer_police')}: {_text(n)}</th>" for n in names)
    )
    rows = ""
    for town in staff.index:
        cells = [staff.at[town, ("grid_workers", n)] for n in names]
        cells += [staff.at[town, ("volunteer_police", n)] for n in names]
        rows += (
            f"<tr><td>{_text(label('town', town, lang))}</td>"
            + "".join(f"<td class='num'>{fmt(c)}</td>" for c in cells)
            + "</tr>"
        )
    return (
        f"<h2>{t('opt_towns')}</h2><p class='note'>{t('note_opt_towns')}</p>"
        f"<table><tr>{head}</tr>{rows}</table>"
    )


def _plan_maps(result: OptimisationResult, t: Callable[[str], str], lang: str) -> str:
    from sim.output.report import scenario_geography

    if result.verification is None:
        return ""
    results = result.verification.results
    base = results[0].grids[results[0].grids["run"] == 0].set_index("grid_id")["grid_workers"]
    images = ""
    for plan in results[1:]:
        grids = plan.grids[plan.grids["run"] == 0].set_index("grid_id")["grid_workers"]
        geo = scenario_geography(plan.scenario.params)
        change = (grids - base).reindex(geo.grid_ids).to_numpy(dtype=float)
        top = max(float(np.nanmax(np.abs(change))), 1.0)
        fig = map_figure(
            geo,
            change,
            vmin=-top,
            vmax=top,
            lang=lang,
            label=t("opt_map_label"),
            title=f"{plan.scenario.name}: {t('opt_map_label')}",
        )
        images += f"<img src='{figure_data_uri(fig)}' alt='{_text(plan.scenario.name)}'>"
    return f"<h2>{t('opt_map')}</h2><div class='maps'>{images}</div>"


def _provenance(result: OptimisationResult, t: Callable[[str], str], lang: str) -> str:
    o = result.optimisation
    counts = result.trials["state"].value_counts().to_dict()
    title = o.description_zh if lang == "zh" and o.description_zh else o.description
    rows = [
        (t("opt_file"), str(o.path or o.name)),
        (t("scenario"), o.scenario.name),
        (t("opt_sampler"), "TPE" if len(o.objectives) == 1 else "NSGA-II"),
        (t("opt_trials"), ", ".join(f"{k} {v}" for k, v in counts.items())),
        (t("opt_objectives"), "; ".join(f"{o_.direction} {o_.metric}" for o_ in o.objectives)),
        (t("opt_constraints"), "; ".join(str(c) for c in o.constraints) or "-"),
        (
            t("opt_search_runs"),
            t("note_opt_search").format(
                replicates=o.replicates,
                scale=o.scenario.params["population.scale"],
                days=o.days,
                warmup=o.scenario.params["run.warmup_days"],
                seeds=", ".join(map(str, o.seeds())),
            ),
        ),
        (t("opt_seconds"), ", ".join(f"{k} {v:g} s" for k, v in result.seconds.items())),
        (t("opt_today_rank"), today_rank_text(result, t)),
    ]
    body = "".join(f"<tr><th>{_text(k)}</th><td>{_text(v)}</td></tr>" for k, v in rows)
    return f"<p>{_text(title)}</p><table>{body}</table>"


def today_rank_text(result: OptimisationResult, t: Callable[[str], str]) -> str:
    """Where today's plan ranked in the search, in words."""
    rank = result.today_rank
    if rank is None:
        table = result.trials
        today = table[table["today"]] if "today" in table else table.iloc[:0]
        if not table["feasible"].any():
            return t("cli_optimise_none")
        if len(today) and not today["feasible"].any():
            return t("opt_today_infeasible")
        return t("opt_today_not_a_trial")
    feasible = int(result.trials.drop_duplicates(subset="settings")["feasible"].sum())
    return t("opt_today_best" if rank == 1 else "opt_today_ranked").format(rank=rank, of=feasible)


def write_optimisation(result: OptimisationResult, out: Path, *, lang: str = "en") -> list[str]:
    """Write the plan files, ``verified/``, ``ensemble.csv`` and ``report.html`` into ``out``
    (the optimisation's folder); returns the names written."""
    check_language(lang)
    t = partial(label, "term", lang=lang)
    out, written = Path(out), []
    o = result.optimisation
    names = [
        f"plans/{plan_name(trial)}.{ext}" for trial in result.chosen for ext in ("toml", "csv")
    ]
    tables = file_names(["ensemble"], result.table_format)
    check_ours(out, [*names, *tables, DATAPACKAGE, "report.html"])  # nothing of the user's replaced
    plans = out / "plans"
    plans.mkdir(exist_ok=True)
    for trial in result.chosen:
        settings = o.in_force(json.loads(result.trials.set_index("trial").at[trial, "settings"]))
        name = plan_name(trial)
        note = f"govsim optimise {o.name}: trial {trial}"
        comments = [
            note,
            "the optimisation's [settings] and the trial's variables: it runs as the trial ran",
            f"{name}.csv: the same staffing, unit by unit, on the map of seed {o.seeds()[0]}",
        ]
        text = scenario_toml(o.scenario, settings, where=plans, description=note, comments=comments)
        (plans / f"{name}.toml").write_text(text, encoding="utf-8")
        plan, full = plan_of(o.scenario.params | settings, o.seeds()[0])
        write_plan(plan, full, plans / f"{name}.csv")
        written += [f"plans/{name}.toml", f"plans/{name}.csv"]
    parts = [
        f"<h1>{t('opt_title')}: {_text(o.name)}</h1>",
        _provenance(result, t, lang),
        f"<h2>{t('opt_frontier')}</h2><p class='note'>{t('note_opt_frontier')}</p>"
        f"<img src='{figure_data_uri(_frontier_figure(result, lang))}' alt='frontier'>",
    ]
    if result.verification is not None:
        v = result.verification
        names = write_results(
            v.results,
            out / "verified",
            differences=v.differences,
            tables={"cost_effectiveness": v.costs, "town_differences": v.towns},
            command=f"govsim optimise {o.name} (verification)",
            lang=lang,
            kind="compare",
            table_format=result.table_format,
        )
        written += [f"verified/{n}" for n in names]
        written += write_table(v.ensemble, out, "ensemble", result.table_format)
        parts += [
            _differences(result, t, lang),
            costs_section(v.costs, t),
            _towns(result, t, lang),
            _plan_maps(result, t, lang),
            _ensemble(result, t, lang),
            f"<p><a href='verified/report.html'>{t('opt_details')}</a></p>",
        ]
    page = (
        f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{_text(o.name)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )
    (out / "report.html").write_text(page, encoding="utf-8")
    written.append("report.html")
    ours = set(files_of(out)) | set(written)
    written.append(write_datapackage(out, ours, kind="optimise"))
    if (out / "manifest.json").is_file():
        record_files(out, ours | {DATAPACKAGE})
    return written
