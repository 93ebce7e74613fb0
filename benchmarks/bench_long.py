"""Benchmark: ten simulated years of the whole district, and warm evaluations.

    python benchmarks/bench_long.py [--repeats 3] [--years 10] [--evaluations 3]

A long run: build the full district (909,277 residents, seed 1), run its warm-up
(``run.warmup_days``, a year by default) and then ``--years`` measured years with
``run_for(365)``, the daily time series collected as ``govsim run`` collects it. Prints
the seconds of each measured year, the ratio of the last year's to the first's (target
<= 1.10: a year costs the same in year 10 as in year 1), the peak resident memory within
each year (sampled every 20 ms; target: the last within 10% of the first) and the whole
run with its build (target <= 12 s for ten years).

Warm evaluations, as a search or a calibration runs them (``sim.runs.runner.execute``:
no daily series): a process builds the district once, then each evaluation of one measured
year with the default warm-up builds on the spare residents (:mod:`sim.runs.warm`);
target <= 1.5 s.

Each long run and each set of evaluations runs in a fresh process; figures are medians
over ``--repeats``. The machine is shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time


class PeakMemory:
    """The peak resident memory of this process since the last :meth:`reset`, in MB."""

    def __init__(self, every: float = 0.02) -> None:
        self.peak, self._every = 0.0, every
        self._page = os.sysconf("SC_PAGE_SIZE") / 2**20
        threading.Thread(target=self._watch, daemon=True).start()

    def now(self) -> float:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * self._page

    def _watch(self) -> None:
        while True:
            self.peak = max(self.peak, self.now())
            time.sleep(self._every)

    def reset(self) -> float:
        peak, self.peak = max(self.peak, self.now()), self.now()
        return peak


def long_run(years: int, seed: int) -> dict:
    from sim import GovernanceModel

    memory = PeakMemory()
    started, started_cpu = time.perf_counter(), time.process_time()
    model = GovernanceModel(rng=seed)
    built = time.perf_counter()
    model.run_for(model.warmup)
    warm = time.perf_counter()
    memory.reset()
    seconds, cpu, peaks = [], [], []
    for _ in range(years):
        before, before_cpu = time.perf_counter(), time.process_time()
        model.run_for(365)
        seconds.append(time.perf_counter() - before)
        cpu.append(time.process_time() - before_cpu)
        peaks.append(memory.reset())
    return {
        "build_s": built - started,
        "warmup_s": warm - built,
        "year_s": seconds,
        "year_cpu_s": cpu,
        "peak_mb": peaks,
        "total_s": time.perf_counter() - started,
        "total_cpu_s": time.process_time() - started_cpu,
        "disputes": len(model.book),
    }


def evaluations(n: int) -> dict:
    from sim.runs.runner import RunSpec, execute

    def evaluate(seed: int) -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        record = execute(RunSpec(run_id=0, seed=seed, days=365, params={}, raise_errors=True))
        assert record.ok
        return time.perf_counter() - started, time.process_time() - cpu

    cold = evaluate(1)[0]  # builds the residents
    warm = [evaluate(seed) for seed in range(2, 2 + n)]
    return {"cold_s": cold, "warm_s": [w for w, _ in warm], "warm_cpu_s": [c for _, c in warm]}


def child(*args: str) -> dict:
    cmd = [sys.executable, __file__, *args]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--evaluations", type=int, default=3, help="warm ones per process")
    parser.add_argument("--once", choices=("long", "warm"), help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=("long", "warm"), help="run one part of the benchmark")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.once == "long":
        print(json.dumps(long_run(args.years, args.seed)))
        return
    if args.once == "warm":
        print(json.dumps(evaluations(args.evaluations)))
        return
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if args.only != "warm":
        long_runs(args)
    if args.only != "long":
        warm_evaluations(args)
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


def long_runs(args: argparse.Namespace) -> None:
    runs = []
    for r in range(args.repeats):
        runs.append(child("--once", "long", "--years", str(args.years), "--seed", str(args.seed)))
        row = runs[-1]
        print(
            f"long run {r + 1}: build {row['build_s']:.2f} s, warm-up {row['warmup_s']:.2f} s, "
            "years "
            + " ".join(f"{s:.2f}" for s in row["year_s"])
            + f", total {row['total_s']:.1f} s",
            flush=True,
        )
    med = statistics.median
    year_s = [med(run["year_s"][y] for run in runs) for y in range(args.years)]
    peak_mb = [med(run["peak_mb"][y] for run in runs) for y in range(args.years)]
    cpu_s = [med(run["year_cpu_s"][y] for run in runs) for y in range(args.years)]
    ratios = [run["year_s"][-1] / run["year_s"][0] for run in runs]
    cpu_ratios = [run["year_cpu_s"][-1] / run["year_cpu_s"][0] for run in runs]
    print(
        f"\n{args.years} measured years of the whole district (seed {args.seed}), median of {len(runs)}:"
    )
    print("  year   seconds   CPU seconds   peak MB")
    for y in range(args.years):
        print(f"  {y + 1:4d}   {year_s[y]:7.2f}   {cpu_s[y]:11.2f}   {peak_mb[y]:7.0f}")
    print(
        f"  year {args.years} / year 1     {med(ratios):5.2f}   (median of the runs' ratios; target <= 1.10)"
    )
    print(
        f"  the same in CPU time   {med(cpu_ratios):5.2f}   (this process's CPU: less moved by others' load)"
    )
    print(
        f"  peak memory, year {args.years} / year 1  {peak_mb[-1] / peak_mb[0]:5.2f}   (target <= 1.10)"
    )
    print(
        f"  whole run with build   {med(run['total_s'] for run in runs):5.1f} s "
        f"(build + warm-up + {args.years} years; target <= 12 s for ten years)"
    )
    print(f"  the same in CPU time   {med(run['total_cpu_s'] for run in runs):5.1f} s")
    if args.years >= 5:
        five = med(run["build_s"] + run["warmup_s"] + sum(run["year_s"][:5]) for run in runs)
        print(f"  five years with build  {five:5.1f} s (build + warm-up + the first 5 years)")
    print(f"  disputes in the book   {med(run['disputes'] for run in runs):.0f}")


def warm_evaluations(args: argparse.Namespace) -> None:
    med = statistics.median
    warm = [
        child("--once", "warm", "--evaluations", str(args.evaluations)) for _ in range(args.repeats)
    ]
    warm_s = [s for w in warm for s in w["warm_s"]]
    warm_cpu_s = [s for w in warm for s in w["warm_cpu_s"]]
    print(
        f"\nwarm evaluation, one measured year after the default warm-up, whole district: "
        f"median {med(warm_s):.2f} s of {len(warm_s)} (target <= 1.5 s); "
        f"the first, cold (building the residents): median {med(w['cold_s'] for w in warm):.2f} s"
    )
    print(f"  in CPU time: median {med(warm_cpu_s):.2f} s")


if __name__ == "__main__":
    main()
