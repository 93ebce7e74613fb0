"""Benchmark: the whole district at full scale (909,277 resident agents).

    python benchmarks/bench_model.py [--repeats 3] [--days 365]

Prints build seconds, the warm-up's seconds (``run.warmup_days``, not counted),
seconds per simulated year, a full-district year (build + one simulated year),
the whole run (build + warm-up + ``--days``) and peak RSS, each the median over
fresh processes (so one run's memory does not hide another's). Targets on a
2-core machine: build <= 10 s, one year <= 20 s, a full-district year <= 5 s,
peak RSS <= 1.5 GB. The machine is shared: compare figures from one session.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time


def once(days: int, seed: int) -> dict[str, float]:
    from sim import GovernanceModel

    started = time.perf_counter()
    model = GovernanceModel(rng=seed)
    built = time.perf_counter()
    model.run_for(model.warmup)
    warm = time.perf_counter()
    model.run_for(days)
    finished = time.perf_counter()
    return {
        "residents": len(model.population),
        "build_s": built - started,
        "warmup_s": warm - built,
        "year_s": (finished - warm) * 365 / days,
        "build_and_year_s": built - started + (finished - warm) * 365 / days,
        "run_s": finished - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "disputes": len(model.book),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.once:
        print(json.dumps(once(args.days, args.seed)))
        return
    rows = []
    for r in range(args.repeats):
        cmd = [
            sys.executable,
            __file__,
            "--once",
            "--days",
            str(args.days),
            "--seed",
            str(args.seed + r),
        ]
        rows.append(
            json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
        )
        print(f"run {r + 1}: " + ", ".join(f"{k} {v:.4g}" for k, v in rows[-1].items()), flush=True)
    median = {k: statistics.median(row[k] for row in rows) for k in rows[0]}
    print(
        f"\nwhole district, full scale ({median['residents']:.0f} residents), median of {len(rows)}:"
    )
    print(f"  build            {median['build_s']:6.2f} s   (target <= 10 s)")
    print(f"  warm-up          {median['warmup_s']:6.2f} s   (not counted)")
    print(f"  one year         {median['year_s']:6.2f} s   (target <= 20 s)")
    print(
        f"  build + one year {median['build_and_year_s']:6.2f} s   (a full-district year; target <= 5 s)"
    )
    print(f"  whole run        {median['run_s']:6.2f} s   (build + warm-up + {args.days} days)")
    print(f"  peak RSS         {median['peak_rss_mb']:6.0f} MB  (target <= 1536 MB)")


if __name__ == "__main__":
    main()
