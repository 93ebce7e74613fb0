"""Draw ``docs/img/report.png``: the day-by-day figure of the HTML report, for the README.

    python tools/report_picture.py [--lang zh]     # under a minute; zh: docs/img/report_zh.png

The comparison ``govsim compare baseline double_grid_workers`` (1,000 against
2,000 grid workers): the whole district at 20% scale, 4 replicates of a
year, seeds 1-4.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.output.figures import timeseries_figure
from sim.runs.replicates import run_scenarios
from sim.runs.scenario import load_scenario

OUT = Path(__file__).resolve().parent.parent / "docs" / "img" / "report.png"
SCENARIOS = ("baseline", "double_grid_workers")
SCALE = {"population.scale": 0.2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=("en", "zh"), default="en")
    lang = parser.parse_args().lang
    out = OUT if lang == "en" else OUT.with_name("report_zh.png")
    scenarios = [load_scenario(name).with_overrides(SCALE) for name in SCENARIOS]
    results = run_scenarios(scenarios, days=365, replicates=4, seed=1)
    out.parent.mkdir(parents=True, exist_ok=True)
    timeseries_figure(results, lang=lang).savefig(out, dpi=80)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
