"""The effect of every named scenario on the key metrics, beside the published ranges.

    python tools/effect_table.py [--years 3] [--replicates 6] [--scale 1.0] [--write]

Runs each scenario of ``scenarios/`` and the baseline on the same seeds
(common random numbers) for ``--years`` measured years after the warm-up, and
prints a Markdown table: each metric's relative change from the scenario it
``extends`` (restricted to the same towns), with its 95% confidence interval
over the paired runs; a star marks an interval that excludes zero. ``--write`` puts the table
into ``docs/EFFECTS.md`` between its markers.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from scipy import stats

from sim.runs.replicates import run_scenarios
from sim.runs.scenario import list_scenarios, load_scenario, read_toml

KEY = ("escalation_rate", "petitions_per_10k", "incidents_per_100k", "passed_up_share",
       "mean_days_to_resolution", "annual_cost_wan_yuan")  # fmt: skip
DOC = Path(__file__).resolve().parent.parent / "docs" / "EFFECTS.md"
BEGIN, END = "<!-- effect table: begin -->", "<!-- effect table: end -->"


def relative_change(base: np.ndarray, other: np.ndarray) -> tuple[float, float, float]:
    """Mean relative change ``mean(other) / mean(base) - 1`` and its 95% interval (delta method
    on the paired differences)."""
    diff = other - base
    ref = base.mean()
    if ref == 0:
        return float("nan"), float("nan"), float("nan")
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    mean = diff.mean() / ref
    return float(mean), float(mean - half / ref), float(mean + half / ref)


def cell(change: tuple[float, float, float]) -> str:
    mean, low, high = (100 * v for v in change)
    if not np.isfinite(mean):
        return "n/a"
    star = "" if low <= 0 <= high else " *"
    return f"{mean:+.0f}% [{low:+.0f}, {high:+.0f}]{star}"


def table(*, years: int, replicates: int, scale: float) -> str:
    days = 365 * years
    rows = []
    for name in list_scenarios():
        scenario = load_scenario(name)
        parent = read_toml(scenario.path).get("extends")
        if parent is None:
            continue
        towns = scenario.params["map.towns"]
        base = load_scenario(parent).with_overrides({"map.towns": towns})
        if base.params == scenario.params and not scenario.timeline:
            continue  # the same policy (a view of part of the district)
        pair = [base, scenario]
        if scale < 1.0 and towns == "all":
            pair = [s.with_overrides({"population.scale": scale}) for s in pair]
        started = time.perf_counter()
        a, b = run_scenarios(pair, days=days, replicates=replicates, seed=1)
        cells = [cell(relative_change(a.summary[m].to_numpy(float), b.summary[m].to_numpy(float)))
                 for m in KEY]  # fmt: skip
        rows.append(f"| `{name}` (against `{parent}`) | " + " | ".join(cells) + " |")
        print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)
    header = "| scenario | " + " | ".join(f"`{m}`" for m in KEY) + " |"
    return "\n".join([header, "|---" * (len(KEY) + 1) + "|", *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--replicates", type=int, default=6)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    text = table(years=args.years, replicates=args.replicates, scale=args.scale)
    print(text)
    if args.write:
        doc = DOC.read_text(encoding="utf-8")
        head, rest = doc.split(BEGIN)
        _, tail = rest.split(END)
        DOC.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
