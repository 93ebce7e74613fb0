"""Tables for people: one number format, the printed summary and differences, values by grid."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd

from sim.labels import label
from sim.model.metrics import METRICS, SHARES
from sim.runs.replicates import RunResult
from sim.runs.statistics import Estimate, estimate


def fmt(value: float) -> str:
    """A number to 4 significant digits, thousands separated from 1,000; "–" when unknown.

    The one number format of every table people read (console, report, app).
    """
    if value is None or not np.isfinite(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def interval_text(estimate: Estimate, lang: str = "en", *, percent: bool = False) -> str:
    """``[low, high]`` (in per cent with ``percent``), or why there is none (too few runs)."""
    if estimate.n == 0:
        return label("term", "cli_no_cases", lang)
    if estimate.runs == 1:
        return label("term", "cli_one_run", lang)
    if estimate.too_few:
        return label("term", "cli_too_few", lang).format(n=estimate.n, runs=estimate.runs)
    shown = percent_text if percent else fmt
    return f"[{shown(estimate.low)}, {shown(estimate.high)}]"


def percent_text(value: float) -> str:
    """A share in per cent to one decimal place; "–" when unknown."""
    return "–" if value is None or not np.isfinite(value) else f"{value:.1%}"


# Counts of grids.csv, mapped per 1,000 residents of the grid.
COUNTS_PER_1K = (
    "disputes",
    "detected",
    "escalations",
    "claims",
    "petitions",
    "incidents",
    "open_disputes",
)


def grid_values(grids: pd.DataFrame, column: str, grid_ids: Sequence[str]) -> np.ndarray:
    """A column of a grids table by grid (in ``grid_ids`` order), mean over the runs.

    Counts (``COUNTS_PER_1K``) are per 1,000 residents of the grid; grids without
    residents get NaN (drawn grey).
    """
    values = grids[column]
    if column in COUNTS_PER_1K:
        values = values / grids["residents"].where(grids["residents"] > 0) * 1000
    by_grid = values.groupby(grids["grid_id"].astype(str)).mean()
    return by_grid.reindex(list(grid_ids)).to_numpy(dtype=float)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded to ``width`` columns of a terminal (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    space = " " * max(width - columns, 0)
    return space + text if right else text + space


def print_summary(result: RunResult, lang: str = "en") -> None:
    """The outcome metrics as a readable table: mean, 95% interval and runs behind each mean."""
    t = partial(label, "term", lang=lang)
    n, first, last = len(result.seeds), result.seeds[0], result.seeds[-1]
    seeds = (
        t("cli_seed").format(seed=first)
        if n == 1
        else t("cli_seeds").format(first=first, last=last)
    )
    print(
        "\n"
        + t("cli_run_title").format(name=result.scenario.name, days=result.days, n=n, seeds=seeds)
    )
    print(
        f"{_pad(t('cli_metric'), 36)} {_pad(t('cli_value'), 12, right=True)} "
        f"{_pad(t('cli_interval'), 30, right=True)} {_pad(t('cli_runs'), 5, right=True)}  {t('cli_meaning')}"
    )
    for name, meaning in METRICS.items():
        found = estimate(result.summary[name].to_numpy(dtype=float), share=name in SHARES)
        runs = f"{found.n}/{found.runs}"
        shown = meaning if lang == "en" else label("metric", name, lang)
        percent = lang == "zh" and name in SHARES  # in Chinese, shares in per cent
        value = percent_text(found.mean) if percent else fmt(found.mean)
        interval = interval_text(found, lang, percent=percent)
        print(f"{name:36s} {value:>12s} {_pad(interval, 30, right=True)} {runs:>5s}  {shown}")


def print_differences(differences: pd.DataFrame, lang: str = "en") -> None:
    """Each scenario against the first: means, the difference and its 95% CI; * marks CI excluding 0."""
    t = partial(label, "term", lang=lang)
    for name, table in differences.groupby("scenario", sort=False):
        reference = table["reference"].iloc[0]
        sets = int(table["sets"].iloc[0]) if "sets" in table.columns else 0
        print("\n" + t("cli_against").format(name=name, reference=reference))
        if sets:
            print(t("cli_sets_note").format(sets=sets, n=int(table["n"].max())))
        heading = t("cli_ci_seeds") if sets else t("cli_ci")
        print(
            f"{_pad(t('cli_metric'), 36)} {reference[:12]:>12s} {name[:12]:>12s} "
            f"{_pad(t('difference'), 12, right=True)}  {_pad(heading, 24) if sets else heading}"
            + (f" {_pad(t('cli_plausible'), 24)} {t('cli_lower_in')}" if sets else "")
        )
        for row in table.itertuples():
            ci = f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]" if np.isfinite(row.ci_low) else ""
            if getattr(row, "too_few", False):
                ci = t("cli_too_few_pairs").format(n=row.n)
            flag = "*" if row.significant else " "
            difference = ("+" if row.difference > 0 else "") + fmt(row.difference)
            line = (
                f"{row.metric:36s} {fmt(row.reference_mean):>12s} {fmt(row.mean):>12s} "
                f"{difference:>12s}{flag} {ci}"
            )
            if sets:
                low, high = row.plausible_low, row.plausible_high
                wide = f"[{fmt(low)}, {fmt(high)}]" if np.isfinite(low) else ""
                line = f"{line:<{95 + 24}} {wide:24s} {row.sets_lower}/{row.sets}"
            print(line.rstrip())


def cost_lines(costs: pd.DataFrame, lang: str = "en") -> list[str]:
    """The cost-effectiveness table as text lines: for each scenario against the first, the
    change in annual cost and the cost per escalation, incident and petition averted a year."""
    t = partial(label, "term", lang=lang)
    lines = []
    for name, table in costs.groupby("scenario", sort=False):
        reference = table["reference"].iloc[0]
        change = table["cost_change_wan_yuan"].iloc[0]
        lines.append(
            "\n"
            + t("cli_cost_title").format(
                name=name,
                reference=reference,
                change=("+" if change > 0 else "") + fmt(change),
                n=table["n"].iloc[0],
            )
        )
        lines.append(
            f"{_pad(t('case'), 12)} {_pad(t('cli_averted'), 16, right=True)}  "
            f"{_pad(t('cli_ci'), 24)} {t('cost_per_averted')}"
        )
        for row in table.itertuples():
            averted = (
                f"[{fmt(row.averted_low)}, {fmt(row.averted_high)}]"
                if np.isfinite(row.averted_low)
                else ""
            )
            per = (
                f"{fmt(row.cost_per_case_wan_yuan)} [{fmt(row.cost_per_case_low)}, {fmt(row.cost_per_case_high)}]"
                if row.estimable
                else t("not_estimable")
            )
            case = _pad(t("case_" + row.case), 12)
            line = f"{case} {fmt(row.averted_per_year):>16s}  {averted:24s} {per}"
            if getattr(row, "sets", 0):
                low, high = row.averted_plausible_low, row.averted_plausible_high
                wide = f"[{fmt(low)}, {fmt(high)}]" if np.isfinite(low) else "–"
                line += "  " + t("cli_averted_plausible").format(
                    interval=wide, k=row.sets_averting, sets=row.sets
                )
            lines.append(line)
    return lines


def print_costs(costs: pd.DataFrame, lang: str = "en") -> None:
    """Print :func:`cost_lines`."""
    print("\n".join(cost_lines(costs, lang)))
