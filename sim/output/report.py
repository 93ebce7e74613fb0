"""``report.html``: one self-contained page of results for a planner (no Python needed to read it).

The page opens with the answer (:mod:`sim.output.answer`: sentences on which scenario does
better, by how much, how sure, at what cost and what would change it, or for one scenario
its key figures beside the published ones) and the flow of the cases through the ladder
(:mod:`sim.output.flow`). Below it are where the numbers come from (scenarios, settings, seeds,
versions), the summary table with 95% confidence intervals, the key metrics
year by year, petitions by origin and subject, town by town, the villages
where escalations and incidents concentrate, the differences between scenarios when given, the daily metrics
(interventions marked) and the grid maps. Styles are
inline and figures are embedded PNGs, so the file can be mailed or archived
alone; it loads nothing from the network and runs no script.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.labels import check_language, label
from sim.model.geography import Geography, simulated_map
from sim.model.metrics import METRICS, SHARES
from sim.model.parameters import SCHEMA, defaults
from sim.output.answer import answer_section
from sim.output.figures import (
    KEY_METRICS,
    differences_figure,
    figure_data_uri,
    map_figure,
    relative_differences,
    shared_limits,
    timeseries_figure,
)
from sim.output.html import mean_interval as _mean_interval
from sim.output.html import section as _section
from sim.output.html import text as _text
from sim.output.report_discovery import discovery_section
from sim.output.report_places import (
    by_subject,
    costs_section,
    town_differences_section,
    towns_section,
    villages_section,
)
from sim.output.tables import fmt, grid_values
from sim.runs.replicates import RunResult

MAX_MAPS = 4
CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222;
       padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.significant { background: #fff3cd; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.meaning { color: #666; font-size: 0.85em; } code { font-size: 0.95em; }
tr.significant { background: #fff3cd; font-weight: 600; }
.note { color: #555; max-width: 60em; }
.maps { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1em; }
img { max-width: 100%; height: auto; }
section.answer { background: #f6f9fc; border: 1px solid #d7e3ef; padding: 0.2em 1.2em 0.8em; }
section.answer h2 { margin-top: 0.5em; } .answer-headline { font-size: 1.08em; }
.answer-words p, .answer-words li { margin: 0.45em 0; }
ul.answer-outcomes li { margin: 0.2em 0; } ul.answer-outcomes { padding-left: 1.2em; }
.answer-body { display: grid; grid-template-columns: minmax(0, 1.45fr) minmax(0, 1fr); gap: 1.2em; }
.answer-words { font-size: 0.95em; }
@media (max-width: 900px) { .answer-body { grid-template-columns: 1fr; } }
figure.flow { margin: 0.5em 0; } figure.flow .note { font-size: 0.85em; }
"""


def _seeds(seeds: list[int]) -> str:
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)


def _setting(key: str, value: Any, lang: str = "en") -> str:
    term = partial(label, "term", lang=lang)
    if isinstance(value, list):
        shown = ", ".join(str(v) for v in value) or term("setting_none")
    elif isinstance(value, dict):
        shown = "{" + ", ".join(f"{k} = {v}" for k, v in value.items()) + "}"
    elif isinstance(value, bool):
        shown = term("setting_on") if value else term("setting_off")
    elif isinstance(value, int | float) and key in SCHEMA:
        number = value if isinstance(value, int) else f"{value:g}"
        shown = f"{number} {label('unit', SCHEMA[key].unit, lang)}"
    else:
        shown = str(value)
    return f"<code>{_text(key)}</code> = {_text(shown)}"


def _changed_settings(result: RunResult, lang: str = "en") -> str:
    base, params = defaults(), result.scenario.params
    changed = [k for k in result.scenario.overrides if k in params and params[k] != base.get(k)]
    shown = "; ".join(_setting(k, params[k], lang) for k in changed) or label(
        "term", "setting_none", lang
    )
    for kind, entries in result.scenario.timeline.to_dict().items():
        for entry in entries:  # an intervention or event, e.g. {"day": 90, "settings": {...}}
            items = (
                ", ".join(f"{k} = {v}" for k, v in value.items())
                if isinstance(value, dict)
                else f"{key} {value}"
                for key, value in entry.items()
                if value not in ("", None)
            )
            name = label("term", "setting_" + kind.removesuffix("s"), lang)
            shown += f"<br>{_text(name)}: {_text('; '.join(items))}"
    return shown


def _provenance(results: Sequence[RunResult], t: Callable[[str], str], lang: str) -> str:
    try:
        version = metadata.version("xinhui-govsim")
    except metadata.PackageNotFoundError:
        version = "unknown"
    rows = "".join(
        f"<tr><td><b>{_text(r.scenario.name)}</b></td><td>{_text(r.scenario.title(lang))}</td>"
        f"<td class='num'>{r.days}</td><td class='num'>{len(r.seeds)}</td>"
        f"<td>{_text(_seeds(r.seeds))}</td><td><code>{_text(r.scenario.sha256[:12])}</code></td>"
        f"<td>{_changed_settings(r, lang)}</td></tr>"
        for r in results
    )
    written = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = "".join(
        f"<th>{t(k)}</th>"
        for k in ("scenario", "description", "days", "replicates", "seeds", "hash", "changed")
    )
    return (
        f"<h2>{t('provenance')}</h2><table><tr>{head}</tr>{rows}</table>"
        f"<p class='note'>xinhui-govsim {_text(version)}, {written}. {t('note_provenance')}</p>"
    )


def _summary(results: Sequence[RunResult], t: Callable[[str], str], lang: str) -> str:
    head = "".join(f"<th>{_text(r.scenario.name)}</th>" for r in results)
    body = ""
    for name, meaning in METRICS.items():
        cells = "".join(
            f"<td class='num'>{_mean_interval(r.summary[name].to_numpy(dtype=float), share=name in SHARES, t=t, percent=lang == 'zh')}</td>"
            for r in results
        )
        shown = meaning if lang == "en" else label("metric", name, lang)
        body += (
            f"<tr><td><code>{_text(name)}</code><br>"
            f"<span class='meaning'>{_text(shown)}</span></td>{cells}</tr>"
        )
    return _section(
        t("summary"), t("note_summary"), "summary", f"<th>{t('metric')}</th>{head}", body
    )


YEAR_COLUMNS = 5  # a year table with more years turns: a row per year


def _year_heading(year: int, days: int, t: Callable[[str], str]) -> str:
    shown = t("year").format(n=year)
    return (
        shown
        if days >= 365
        else f"{shown}<br><span class='meaning'>{t('partial_year').format(days=days)}</span>"
    )


def _year_cell(r: RunResult, year: int, name: str, t: Callable[[str], str], lang: str) -> str:
    values = r.years.loc[r.years["year"] == year, name] if len(r.years) else []
    found = np.asarray(values, dtype=float)
    shown = (
        _mean_interval(found, share=name in SHARES, t=t, percent=lang == "zh")
        if len(found)
        else "–"
    )
    return f"<td class='num'>{shown}</td>"


def _by_year(results: Sequence[RunResult], t: Callable[[str], str], lang: str) -> str:
    """The key metrics of each simulated year: mean, 95% interval and n over runs, per scenario.

    Up to :data:`YEAR_COLUMNS` years, a column per year; a longer run, a row per year (and
    scenario) and a column per metric, so that ten years read down the page."""
    tables = [r.years for r in results if len(r.years)]
    if not tables:
        return ""
    lengths = pd.concat(tables).groupby("year")["days"].min()
    if len(lengths) > YEAR_COLUMNS:
        return _years_down(results, lengths, t, lang)
    head = "".join(f"<th>{_year_heading(y, d, t)}</th>" for y, d in lengths.items())
    body = ""
    for name in KEY_METRICS:
        shown = METRICS[name] if lang == "en" else label("metric", name, lang)
        first = (
            f"<td rowspan='{len(results)}'><code>{_text(name)}</code><br>"
            f"<span class='meaning'>{_text(shown)}</span></td>"
        )
        for r in results:
            cells = "".join(_year_cell(r, year, name, t, lang) for year in lengths.index)
            body += f"<tr>{first}<td>{_text(r.scenario.name)}</td>{cells}</tr>"
            first = ""
    columns = f"<th>{t('metric')}</th><th>{t('scenario')}</th>{head}"
    return _section(t("by_year"), t("note_by_year"), "years", columns, body)


def _years_down(
    results: Sequence[RunResult], lengths: pd.Series, t: Callable[[str], str], lang: str
) -> str:
    """The year table of a long run: a row per year and scenario, a column per key metric."""
    head = "".join(
        f"<th><code>{_text(name)}</code><br><span class='meaning'>"
        f"{_text(METRICS[name] if lang == 'en' else label('metric', name, lang))}</span></th>"
        for name in KEY_METRICS
    )
    body = ""
    for year, days in lengths.items():
        first = f"<td rowspan='{len(results)}'>{_year_heading(int(year), int(days), t)}</td>"
        for r in results:
            cells = "".join(_year_cell(r, int(year), name, t, lang) for name in KEY_METRICS)
            body += f"<tr>{first}<td>{_text(r.scenario.name)}</td>{cells}</tr>"
            first = ""
    columns = f"<th>{t('year_column')}</th><th>{t('scenario')}</th>{head}"
    return _section(t("by_year"), t("note_by_year"), "years", columns, body)


def _difference_interval(row: Any, t: Callable[[str], str]) -> str:
    if getattr(row, "too_few", False):
        return f"{t('too_few_cases')} (n = {row.n})"
    return f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]"


def _differences(differences: pd.DataFrame, t: Callable[[str], str], lang: str) -> str:
    table = relative_differences(differences)
    sets = int(table["sets"].max()) if "sets" in table.columns and len(table) else 0
    body = ""
    for row in table.itertuples(index=False):
        significant = bool(row.significant) if pd.notna(row.significant) else False
        plausible = ""
        if sets:  # runs in plausible parameter sets: the interval over them, lower in k of K
            wide = np.isfinite(row.plausible_low)
            interval = f"[{fmt(row.plausible_low)}, {fmt(row.plausible_high)}]" if wide else "–"
            plausible = (
                f"<td class='num'>{interval}</td><td class='num'>{row.sets_lower}/{row.sets}</td>"
            )
        body += (
            f"<tr{" class='significant'" if significant else ''}>"
            f"<td><code>{_text(row.metric)}</code></td><td>{_text(row.scenario)}</td>"
            f"<td class='num'>{fmt(row.reference_mean)}</td><td class='num'>{fmt(row.mean)}</td>"
            f"<td class='num'>{fmt(row.difference)}</td>"
            f"<td class='num'>{_difference_interval(row, t)}</td>{plausible}"
            f"<td class='num'>{fmt(row.relative)}%</td>"
            f"<td>{'✔ ' + t('significant') if significant else ''}</td></tr>"
        )
    reference = _text(table["reference"].iloc[0]) if len(table) else t("chart_reference")
    image = figure_data_uri(differences_figure(differences, lang=lang))
    heads = f"<th>{t('ci_seeds')}</th><th>{t('plausible')}</th><th>{t('lower_in_sets')}</th>"
    note = t("note_differences") + (" " + t("note_sets").format(sets=sets) if sets else "")
    return (
        f"<h2>{t('differences')} {reference}</h2><p class='note'>{note}</p>"
        f"<table class='differences'><tr><th>{t('metric')}</th><th>{t('scenario')}</th>"
        f"<th>{reference}</th><th>{t('scenario_mean')}</th><th>{t('difference')}</th>"
        f"{heads if sets else f'<th>{t("ci")}</th>'}<th>{t('relative')} {reference}</th>"
        f"<th></th></tr>{body}</table>"
        f"<img src='{image}' alt='differences from {reference} with 95% intervals'>"
    )


def scenario_geography(params: dict[str, Any]) -> Geography:
    """The map a run with ``params`` simulates (as :class:`sim.model.governance.GovernanceModel` builds it)."""
    return simulated_map(params["map.file"], params["map.towns"])[1]


def _maps(results: Sequence[RunResult], t: Callable[[str], str], lang: str) -> str:
    shown = results[:MAX_MAPS]
    geos = [scenario_geography(r.scenario.params) for r in shown]
    values = [
        grid_values(r.grids, "escalations", g.grid_ids) for r, g in zip(shown, geos, strict=True)
    ]
    vmin, vmax = shared_limits(values)
    images = ""
    for result, geo, rates in zip(shown, geos, values, strict=True):
        name = result.scenario.name
        legend = t("map_legend").format(days=result.days)
        fig = map_figure(
            geo,
            rates,
            label=legend,
            vmin=vmin,
            vmax=vmax,
            title=name,
            figsize=(6.0, 6.0),
            lang=lang,
        )
        images += f"<img src='{figure_data_uri(fig)}' alt='map of {_text(name)}'>"
    more = (
        " " + t("maps_first").format(n=MAX_MAPS, of=len(results)) if len(results) > MAX_MAPS else ""
    )
    return (
        f"<h2>{t('maps')}</h2><p class='note'>{t('note_maps')}{more}</p>"
        f"<div class='maps'>{images}</div>"
    )


def write_report(
    results: Sequence[RunResult],
    out: Path,
    *,
    differences: pd.DataFrame | None = None,
    lang: str = "en",
    costs: pd.DataFrame | None = None,
    town_differences: pd.DataFrame | None = None,
    discovery: Mapping[str, pd.DataFrame] | None = None,
) -> None:
    """Write ``out`` (``report.html``): one self-contained page on ``results``.

    ``differences`` (columns ``metric``, ``scenario``, ``reference``,
    ``reference_mean``, ``mean``, ``difference``, ``ci_low``, ``ci_high``,
    ``significant``) adds a table and a figure of the differences from the reference.
    ``costs`` (:func:`sim.runs.comparisons.cost_effectiveness`) adds the cost per case
    averted, ``town_differences`` (:func:`sim.runs.comparisons.town_differences`) the
    differences town by town, ``discovery`` (``prim_box`` and ``unknowns`` of a comparison over
    plausible parameter sets, :mod:`sim.runs.discovery`) where a plan stops paying and which
    unknown matters most. ``lang`` (``en`` or ``zh``) chooses the language of headings, notes and metric
    labels (:mod:`sim.labels`); figures too (metric names, axes, legends and town names; Chinese in Noto Sans CJK, :mod:`sim.output.fonts`).
    """
    if not results:
        raise ValueError("write_report: no results to report")
    check_language(lang)
    t = partial(label, "term", lang=lang)
    names = " vs ".join(r.scenario.name for r in results)
    series = figure_data_uri(timeseries_figure(results, lang=lang))
    parts = [
        f"<h1>{t('title')}: {_text(names)}</h1>",
        answer_section(results, costs=costs, lang=lang),
        _provenance(results, t, lang),
        _summary(results, t, lang),
        _by_year(results, t, lang),
        by_subject(results, t, lang),
        towns_section(results, t, lang),
        villages_section(results, t, lang),
        _differences(differences, t, lang) if differences is not None and len(differences) else "",
        discovery_section(
            (discovery or {}).get("prim_box"), (discovery or {}).get("unknowns"), lang
        ),
        costs_section(costs, t),
        town_differences_section(town_differences, t, lang),
        f"<h2>{t('day_by_day')}</h2><p class='note'>{t('note_day_by_day')}</p>"
        f"<img src='{series}' alt='key metrics by day'>",
        _maps(results, t, lang),
    ]
    page = (
        f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{_text(names)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
