"""Sweep throughput with 1 and 2 local workers: runs per minute and parallel efficiency.

    python benchmarks/bench_sweep.py [--runs 20] [--repeats 3] [--days 365]

Each run is the ``muzhou`` scenario at full scale (37,900 resident agents) for
a year, with grid workers drawn from a Latin hypercube. The wall time covers
the whole ``run_sweep`` call: starting the worker processes, running, and
writing every run to disk. Parallel efficiency = (time with 1 worker / time
with N workers) / N; the target is >= 85% with 2 workers on 2 cores.
Medians over ``--repeats`` alternating repetitions.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sim.runs.sweep.spec import parse_sweep
from sim.runs.sweep.store import run_sweep

SWEEP = {
    "scenario": "muzhou",
    "replicates": 1,
    "seed": 1,
    "design": {"method": "lhs"},
    "levers": {"grid_workers": {"total": {"low": 20, "high": 200}}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    sweep = parse_sweep(SWEEP, name="bench", base_dir=Path("."))
    sweep = replace(sweep, samples=args.runs, days=args.days)
    seconds: dict[int, list[float]] = {n: [] for n in args.workers}
    for repeat in range(args.repeats):
        for n in args.workers:
            with tempfile.TemporaryDirectory() as folder:
                started = time.perf_counter()
                counts = run_sweep(sweep, Path(folder) / "out", workers=n)
                seconds[n].append(time.perf_counter() - started)
            assert counts["ok"] == args.runs, counts
            print(f"repeat {repeat + 1}: {n} worker(s) {seconds[n][-1]:.1f} s", flush=True)
    one = statistics.median(seconds[args.workers[0]])
    print(f"\nmuzhou, full scale, {args.days} days, {args.runs} runs; median of {args.repeats}")
    print(f"{'workers':>8s} {'seconds':>9s} {'runs/min':>9s} {'speed-up':>9s} {'efficiency':>11s}")
    for n in args.workers:
        median = statistics.median(seconds[n])
        speedup = one / median
        print(
            f"{n:8d} {median:9.1f} {args.runs / median * 60:9.1f} {speedup:9.2f} "
            f"{speedup / (n / args.workers[0]):10.0%}"
        )


if __name__ == "__main__":
    main()
