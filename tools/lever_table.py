"""Each lever of the article switched off (or on), in its town and district-wide, beside published ranges.

    python tools/lever_table.py [--years 3] [--replicates 10] [--places town district]
                                [--levers NAME ...] [--write]

Reads the levers from ``tools/levers.toml``: for each, its base scenario and the same with the lever
switched, run on the same seeds (common random numbers, seeds 500, 501, ...) for ``--years`` measured
years after the warm-up at full scale, (a) in the towns where the lever applies (the towns of the
district table's column the lever names) and (b) in the whole district. Prints a Markdown table of the
mean paired difference (switched minus base) of each metric with its 95% confidence interval; a star
marks an interval that excludes zero, ``!`` a rate that is zero in every switched run (and not in
the base), bold the lever's own channel. Beside the published figures, which are percentages, the
same difference of escalation and incidents in % of the base's mean (the paired interval divided by
that mean, as ``govsim compare`` draws it). ``--write`` puts each place's table into
``docs/EFFECTS.md`` between its markers.
"""

from __future__ import annotations

import argparse
import csv
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.model.district import DATA
from sim.runs.replicates import run_scenarios
from sim.runs.scenario import Scenario, load_scenario
from sim.runs.statistics import paired_interval

HERE = Path(__file__).resolve().parent
LEVERS = HERE / "levers.toml"
DOC = HERE.parent / "docs" / "EFFECTS.md"
MARKERS = {  # where --write puts each place's table in docs/EFFECTS.md
    "town": ("<!-- lever table: begin -->", "<!-- lever table: end -->"),
    "district": ("<!-- lever table (district): begin -->", "<!-- lever table (district): end -->"),
}
SEED = 500
METRICS = ("escalation_rate", "incidents_per_100k", "mean_days_to_detection",
           "mean_days_to_resolution", "petitions_per_10k", "formal_mediated_per_1k",
           "formal_mediation_success_rate", "petition_on_time_rate", "disputes_per_1k")  # fmt: skip
RATES = ("escalation_rate", "incidents_per_100k", "petitions_per_10k", "formal_mediated_per_1k",
         "formal_mediation_success_rate", "petition_on_time_rate")  # fmt: skip
# also in % of the base's mean, beside the published figures (which are percentages)
RELATIVE = ("escalation_rate", "incidents_per_100k")


@dataclass(frozen=True)
class Lever:
    """One lever of ``levers.toml``."""

    name: str
    label: str
    towns: list[str]
    base: str
    settings: dict[str, Any]
    scenario: str | None
    channel: str
    published: str

    def pair(self, place: str) -> tuple[Scenario, Scenario]:
        """The base and the switched scenario, in the lever's towns or the whole district."""
        where = {"map.towns": self.towns if place == "town" else "all"}
        base = load_scenario(self.base).with_overrides(where)
        if self.scenario is not None:
            return base, load_scenario(self.scenario).with_overrides(where)
        return base, base.with_overrides(self.settings)


def towns_with(column: str) -> list[str]:
    """The towns whose ``column`` of the district table is a number above zero."""
    with (DATA / "district.csv").open(encoding="utf-8") as fh:
        return [row["town"] for row in csv.DictReader(fh) if float(row[column] or 0) > 0]


def read_levers(path: Path = LEVERS) -> list[Lever]:
    """The levers of ``path``, each with the towns of its district-table column."""
    with path.open("rb") as fh:
        entries = tomllib.load(fh)["lever"]
    levers = []
    for e in entries:
        towns = towns_with(e["towns"])
        if not towns:
            raise SystemExit(
                f"{path}: lever {e['name']}: no town has {e['towns']} above zero in the district table"
            )
        levers.append(
            Lever(
                e["name"],
                e["label"],
                towns,
                e["base"],
                dict(e.get("set", {})),
                e.get("scenario"),
                e["channel"],
                e["published"],
            )
        )
    return levers


def paired(base: np.ndarray, other: np.ndarray) -> tuple[float, float, float]:
    """Mean paired difference ``other - base`` and its 95% t interval."""
    mean, half = paired_interval(other - base)
    return mean, mean - half, mean + half


def relative(base: np.ndarray, other: np.ndarray) -> tuple[float, float, float]:
    """:func:`paired` in % of the base's mean (nan when that mean is 0)."""
    reference = abs(float(base.mean()))
    if reference == 0:
        return float("nan"), float("nan"), float("nan")
    mean, low, high = paired(base, other)
    return 100 * mean / reference, 100 * low / reference, 100 * high / reference


def number(value: float) -> str:
    return f"{value:+.3g}" if abs(value) >= 0.001 or value == 0 else f"{value:+.1e}"


def cell(base: pd.Series, other: pd.Series, *, metric: str, channel: str) -> str:
    b, o = base.to_numpy(float), other.to_numpy(float)
    if np.isnan(b).any() or np.isnan(o).any():
        return "n/a"
    mean, low, high = paired(b, o)
    star = "" if low <= 0 <= high else " *"
    zero = " !" if metric in RATES and not o.any() and b.any() else ""
    text = f"{number(mean)} [{number(low)}, {number(high)}]{star}{zero}"
    return f"**{text}**" if metric == channel else text


def percent_cell(base: pd.Series, other: pd.Series) -> str:
    """The paired difference in % of the base's mean, with its interval and star."""
    b, o = base.to_numpy(float), other.to_numpy(float)
    mean, low, high = relative(b, o)
    if np.isnan(b).any() or np.isnan(o).any() or not np.isfinite(mean):
        return "n/a"
    star = "" if low <= 0 <= high else " *"
    return f"{mean:+.0f}% [{low:+.0f}, {high:+.0f}]{star}"


def rows_for(levers: list[Lever], *, place: str, years: int, replicates: int) -> list[str]:
    """One row per lever; the levers sharing a base scenario and place share its runs."""
    rows = []
    for base_name in dict.fromkeys(lever.base for lever in levers):
        group = [lever for lever in levers if lever.base == base_name]
        by_towns: dict[tuple[str, ...], list[Lever]] = {}
        for lever in group:
            key = tuple(lever.towns) if place == "town" else ("all",)
            by_towns.setdefault(key, []).append(lever)
        for same in by_towns.values():
            pairs = [lever.pair(place) for lever in same]
            scenarios = [pairs[0][0], *(switched for _, switched in pairs)]
            started = time.perf_counter()
            base, *switched = run_scenarios(scenarios, days=365 * years, replicates=replicates,
                                            seed=SEED)  # fmt: skip
            took = time.perf_counter() - started
            names = ", ".join(lever.name for lever in same)
            print(f"{place} {names}: {len(scenarios) * replicates} runs, {took:.0f} s", flush=True)
            for lever, result in zip(same, switched, strict=True):
                where = ", ".join(lever.towns) if place == "town" else "district"
                cells = [cell(base.summary[m], result.summary[m], metric=m, channel=lever.channel)
                         for m in METRICS]  # fmt: skip
                cells += [percent_cell(base.summary[m], result.summary[m]) for m in RELATIVE]
                rows.append(f"| {lever.label} | {where} | " + " | ".join(cells)
                            + f" | {lever.published} |")  # fmt: skip
    return rows


def table(levers: list[Lever], *, place: str, years: int, replicates: int) -> str:
    rows = rows_for(levers, place=place, years=years, replicates=replicates)
    names = [f"`{m}`" for m in METRICS] + [f"`{m}`, % of base" for m in RELATIVE]
    header = "| lever | where | " + " | ".join(names) + " | published elsewhere |"
    return "\n".join([header, "|---" * (len(names) + 3) + "|", *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument(
        "--places", nargs="+", choices=("town", "district"), default=["town", "district"]
    )
    parser.add_argument(
        "--levers", nargs="+", default=None, help="names in levers.toml (default: all)"
    )
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    levers = read_levers()
    if args.levers:
        unknown = sorted(set(args.levers) - {lever.name for lever in levers})
        if unknown:
            parser.error(f"--levers: unknown {', '.join(unknown)}")
        levers = [lever for lever in levers if lever.name in args.levers]
    for place in args.places:
        text = table(levers, place=place, years=args.years, replicates=args.replicates)
        print(text)
        if args.write:
            begin, end = MARKERS[place]
            doc = DOC.read_text(encoding="utf-8")
            head, rest = doc.split(begin)
            _, tail = rest.split(end)
            DOC.write_text(f"{head}{begin}\n{text}\n{end}{tail}", encoding="utf-8")
            print(f"wrote the {place} table into {DOC}")


if __name__ == "__main__":
    main()
