"""Benchmark: cold and warm evaluations of the whole district, and trials per hour.

    python benchmarks/bench_optimise.py [--repeats 3] [--scale 1.0] [--replicates 4] [--cores 2]

An evaluation is what a trial of ``govsim optimise`` asks of each run: build
the district (cold: a new process makes its 909,277 residents; warm: the
process's next model takes over its last model's residents, ``sim.runs.warm``),
run the warm-up (``run.warmup_days``, 365 by default) and one measured year,
and read the metrics (no daily series). Both are timed with the default
warm-up and without one (``run.warmup_days = 0``: one simulated year). Target:
a warm one-year evaluation of the full district <= 1.5 s on one core. Trials
per hour = 3600 / (warm evaluation x replicates / cores), at ``--scale``.
Medians over ``--repeats``; the machine is shared, so compare figures from one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def timed(params: dict, seed: int) -> float:
    import sim

    started = time.perf_counter()
    sim.run(params, days=365, seed=seed)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--replicates", type=int, default=4, help="runs per trial")
    parser.add_argument("--cores", type=int, default=2, help="workers running trials' runs")
    parser.add_argument("--cold", help=argparse.SUPPRESS)  # one cold evaluation (a subprocess)
    args = parser.parse_args()
    if args.cold is not None:
        print(json.dumps(timed(json.loads(args.cold), seed=1)))
        return
    cases = {"with the one-year warm-up": {}, "one year, no warm-up": {"run.warmup_days": 0}}
    print(f"population.scale {args.scale}, median of {args.repeats}:")
    for name, extra in cases.items():
        params = {"population.scale": args.scale} | extra
        cold = [
            json.loads(subprocess.run(
                [sys.executable, __file__, "--cold", json.dumps(params)],
                capture_output=True, text=True, check=True,
            ).stdout)
            for _ in range(args.repeats)
        ]  # fmt: skip
        timed(params, seed=99)  # this process's first model: the warm ones take it over
        warm = [timed(params, seed=2 + r) for r in range(args.repeats)]
        c, w = statistics.median(cold), statistics.median(warm)
        per_hour = 3600 / (w * args.replicates / args.cores)
        print(
            f"  {name:27s} cold {c:5.2f} s   warm {w:5.2f} s   ({c / w:.1f}x)   "
            f"{per_hour:5.0f} trials an hour ({args.replicates} runs each, {args.cores} cores)"
        )
    print("  target: a warm one-year evaluation of the full district <= 1.5 s on one core")


if __name__ == "__main__":
    main()
