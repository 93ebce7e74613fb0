"""The mutation score of the last ``make mutants`` run, per module (run by ``make mutants``).

mutmut keeps each mutant's result in ``mutants/<module>.py.meta`` (the exit code
of the tests run against it). A mutant is *killed* when a test failed (or timed
out), *survived* when every test passed, *no tests* when no selected test reaches
its function. The score is killed over checked (not-checked mutants left out).
``--survivors`` lists the survivors by name, for ``mutmut show NAME``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

KILLED = {1, 3}
TIMEOUT = {36, 24, -24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


def status(code: int | None) -> str:
    if code is None:
        return "not checked"
    if code in KILLED or code in TIMEOUT:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("mutants"))
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    args = parser.parse_args()
    metas = sorted(args.folder.glob("sim/**/*.py.meta"))
    if not metas:
        raise SystemExit(f"no mutmut results under {args.folder}/: run `make mutants` first")
    total: Counter[str] = Counter()
    print(f"{'module':<28}{'killed':>8}{'survived':>10}{'no tests':>10}{'other':>7}"
          f"{'unchecked':>11}{'score':>8}")  # fmt: skip
    survivors = []
    for meta in metas:
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        counts = Counter(status(c) for c in codes.values())
        survivors += [name for name, c in codes.items() if status(c) == "survived"]
        total += counts
        _row(str(meta.relative_to(args.folder)).removesuffix(".meta"), counts)
    _row("all", total)
    if args.survivors:
        print("\nsurvivors (mutmut show NAME):")
        print("\n".join(f"  {name}" for name in sorted(survivors)))


def _row(name: str, counts: Counter[str]) -> None:
    checked = counts["killed"] + counts["survived"] + counts["no tests"] + counts["other"]
    score = f"{100 * counts['killed'] / checked:.1f}%" if checked else "-"
    print(f"{name:<28}{counts['killed']:>8}{counts['survived']:>10}{counts['no tests']:>10}"
          f"{counts['other']:>7}{counts['not checked']:>11}{score:>8}")  # fmt: skip


if __name__ == "__main__":
    main()
