"""Every shell and Python example of the README runs as printed, so the README cannot drift.

Shell commands run in chains: a chain is the commands that touch the same file or results folder
(one writes what another reads, or both write it), in the README's order, in one fresh folder that
sees the repository's ``scenarios/``; commands that share nothing are separate chains, run as
separate tests so that pytest-xdist spreads them over the workers (tests/conftest.py). Each runs
in this process through `govsim`'s entry point (`sim.cli.main`, as `govsim` calls it), so that a
worker imports the model and reads the map once, not at each command. Each `govsim`
command gets `--set population.scale=0.02 --days 60 --set run.warmup_days=30` added where it takes
them (in place of the command's own values of these keys), and a `compare` over plausible parameter sets `--sets 2`: results are per resident and per
year, so the scale, the days and the sets change only the run time
and the noise; the short warm-up (a year by default, most of a 60-day run's time) changes the
numbers too, but these are checked elsewhere: here, that every example runs as printed. What cannot
run inside a test is listed in NOT_RUN with the test that covers it instead; anything else that
fails, fails here.
"""

from __future__ import annotations

import io
import itertools
import re
import shlex
import subprocess
import sys
import tokenize
from contextlib import chdir, redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SMALL = {"run": ["--set", "population.scale=0.02", "--days", "60", "--set", "run.warmup_days=30"]}
SMALL |= {"compare": SMALL["run"], "sweep": SMALL["run"], "validate": ["--days", "60"]}
NOT_RUN = {  # command prefix -> why not here, and what covers it
    "make test": "it is the command that runs this test",
    "make run": "run by CI's fresh clone; the same `govsim run baseline` runs below",
    "make app": "a server: tests/viz/test_app_browser.py serves and drives the app",
    "solara run": "a server: tests/viz/test_app_browser.py (app.py), "
    "tests/viz/test_solaraviz_browser.py (examples/solaraviz.py)",
    "govsim app": "a server: tests/viz/test_app_browser.py; its --port check in tests/cli",
    "dask ": "a cluster: tests/runs/test_sweep.py starts a real scheduler and two workers",
    "govsim calibrate": "ten minutes: tests/runs/test_calibration.py runs a quick calibration",
    "frictionless validate": "not govsim: tests/output/test_datapackage.py validates the folder of "
    "every command with frictionless",
    "govsim optimise": "twelve minutes: tests/cli/test_optimise.py runs a tiny search, kills it "
    "and resumes it",
}
CLUSTER_PYTHON = ("dask_jobqueue", "dask_kubernetes")  # need a SLURM or Kubernetes cluster


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)


def shell_commands() -> list[str]:
    commands = []
    for block in blocks("sh"):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def test_the_readme_has_examples():
    assert len(shell_commands()) >= 15 and len(blocks("python")) >= 3


@pytest.mark.slow  # before the shell chains, being longer: [0] runs ten years (80 s)
@pytest.mark.parametrize("number", range(len(blocks("python"))))
def test_every_python_example_runs(number, tmp_path):
    code = blocks("python")[number]
    if any(name in code for name in CLUSTER_PYTHON):
        pytest.skip("needs a SLURM or Kubernetes cluster (dask-jobqueue, dask-kubernetes)")
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-1500:]
    assert "warning" not in out.stderr  # as printed, the example needs no fallback


# Where a command writes when it is given no --out (sim/cli: results/SCENARIO, results/A-vs-B,
# results/sweeps/NAME), so that two commands writing the same folder share a chain.
DEFAULT_OUT = {
    "run": lambda names: f"results/{Path(names[0]).stem}",
    "compare": lambda names: "results/" + "-vs-".join(Path(n).stem for n in names),
    "sweep": lambda names: f"results/sweeps/{Path(names[0]).stem}",
}


def runnable(command: str) -> list[str] | None:
    """The argv of a README command as the test runs it (before SMALL), or None if in NOT_RUN."""
    if any(command.startswith(prefix) for prefix in NOT_RUN):
        return None
    argv = shlex.split(command)
    assert argv[0] == "govsim", f"README command not covered: {command}"
    if "--scheduler" in argv:  # the same sweep on the local pool
        i = argv.index("--scheduler")
        del argv[i : i + 2]
    return argv


def places(argv: list[str]) -> set[str]:
    """The files and results folders a command reads or writes (not the shipped scenarios/)."""
    found = set()
    for i, word in enumerate(argv[2:], start=2):
        value = word.split("=", 1)[1] if argv[i - 1] == "--set" else word
        if ("/" in value or value.endswith((".csv", ".png"))) and not value.startswith(
            "scenarios/"
        ):
            found.add(value.strip("/"))
    if argv[1] in DEFAULT_OUT and "--out" not in argv:
        names = list(itertools.takewhile(lambda a: not a.startswith("-"), argv[2:]))
        found.add(DEFAULT_OUT[argv[1]](names))
    return found


def shell_chains() -> list[list[str]]:
    """The runnable README commands in chains: two commands are in one chain when a file or
    folder of one is, or is inside, one of the other's (so that a command reading another's
    output runs after it, in its folder); each chain keeps the README's order."""
    commands = [c for c in shell_commands() if runnable(c) is not None]
    chain = list(range(len(commands)))  # union-find over the commands

    def root(i: int) -> int:
        while chain[i] != i:
            i = chain[i]
        return i

    touched = [places(runnable(c) or []) for c in commands]
    for i in range(len(commands)):
        for j in range(i):
            if any(a == b or a.startswith(b + "/") or b.startswith(a + "/")
                   for a in touched[i] for b in touched[j]):  # fmt: skip
                chain[root(i)] = root(j)
    groups: dict[int, list[str]] = {}
    for i, command in enumerate(commands):
        groups.setdefault(root(i), []).append(command)
    return list(groups.values())


def test_every_runnable_shell_example_is_in_exactly_one_chain():
    chains = shell_chains()
    runnable_commands = [c for c in shell_commands() if runnable(c) is not None]
    assert sorted(c for chain in chains for c in chain) == sorted(runnable_commands)
    assert len(runnable_commands) >= 20 and len(chains) >= 5  # split, and nothing dropped
    # a command that reads another's output shares its chain
    together = {
        "govsim plan huicheng_plus_200_grid_workers --out plan.csv": "staffing.plan=plan.csv",
        "govsim run baseline --days 365 --replicates 4 --seed 1 --out results/base": "--results results/base",
        "govsim sweep staffing --max-runs 6": "govsim analyze results/sweeps/staffing",
    }  # fmt: skip
    for first, later in together.items():
        (chain,) = [chain for chain in chains if first in chain]
        assert any(later in command for command in chain[chain.index(first) + 1 :]), first


def govsim(argv: list[str], cwd: Path) -> tuple[int, str]:
    """``govsim argv`` in ``cwd`` through its entry point :func:`sim.cli.main`, in this process:
    each start of the ``govsim`` program costs seconds of imports and of reading the map, more
    than most of these small commands' runs (tests/cli/test_safety.py and test_optimise.py start
    the real program). Returns the exit code and what the command printed on stderr."""
    from sim.cli import main

    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()), chdir(cwd):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own refusals
            code = exc.code if isinstance(exc.code, int) else 2
    return code, err.getvalue()


@pytest.mark.slow  # 5 to 40 s a chain
@pytest.mark.parametrize(
    "chain",
    shell_chains(),
    ids=lambda chain: re.sub(r"[^\w.]+", "-", chain[0].removeprefix("govsim "))[:60],
)
def test_every_shell_example_runs(chain, tmp_path):
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")  # paths as from the repository's root
    ran: list[str] = []
    for command in chain:
        argv = runnable(command)
        assert argv is not None
        if shlex.join(argv) in ran:  # the sweep given a --scheduler: run once, on the local pool
            continue
        small = SMALL.get(argv[1], [])
        if argv[1] == "compare" and ("--sets" not in argv or argv[argv.index("--sets") + 1] != "0"):
            small = [*small, "--sets", "2"]  # plausible parameter sets: two (the last --sets wins)
        quiet = ["--quiet"] if argv[1] in ("run", "compare", "sweep") else []
        code, stderr = govsim([*without_set(argv[1:], small), *small, *quiet], cwd=tmp_path)
        assert code == 0, f"{command}\n{stderr[-1500:]}"
        assert "Traceback" not in stderr, command
        ran.append(shlex.join(argv))
    assert ran and all(shlex.join(runnable(c) or []) in ran for c in chain)  # none skipped
    if any(c.startswith("govsim sweep staffing") for c in chain):
        assert (tmp_path / "results" / "sweeps" / "staffing" / "runs.csv").exists()


def without_set(argv: list[str], small: list[str]) -> list[str]:
    """``argv`` without its ``--set KEY=...`` of the keys ``small`` sets (a key given twice is
    refused: the test's value replaces the README's)."""
    keys = {small[i + 1].split("=", 1)[0] for i, word in enumerate(small[:-1]) if word == "--set"}
    kept, skip = [], False
    for i, word in enumerate(argv):
        if skip:
            skip = False
        elif word == "--set" and i + 1 < len(argv) and argv[i + 1].split("=", 1)[0] in keys:
            skip = True
        else:
            kept.append(word)
    return kept


def test_every_toml_example_is_a_valid_scenario(tmp_path):
    """Each ```toml block of a scenario, as the body of one extending the baseline, loads and
    checks against the map (place names included); sweep files are checked by test_sweep."""
    from sim.runs.scenario import load_scenario

    toml_blocks = [b for b in blocks("toml")
                   if "scenarios/sweeps/" not in b and "scenarios/optimise/" not in b]  # fmt: skip
    assert len(toml_blocks) >= 3
    for i, block in enumerate(toml_blocks):
        lines = [
            line for line in block.splitlines() if not line.startswith(("extends", "description"))
        ]
        path = tmp_path / f"example_{i}.toml"
        path.write_text('extends = "baseline"\n' + "\n".join(lines) + "\n", encoding="utf-8")
        (tmp_path / "baseline.toml").symlink_to(
            ROOT / "scenarios" / "baseline.toml"
        ) if i == 0 else None
        load_scenario(path)


def test_the_chinese_readme_keeps_in_step_with_the_english_one():
    """README.zh.md: its commands are the English README's, it names every scenario the English
    one lists, its pictures exist, and the English one links to it."""
    chinese = (ROOT / "README.zh.md").read_text(encoding="utf-8")
    zh_commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", chinese, flags=re.S | re.M):
        zh_commands += [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    english = {c.split("  #")[0].strip() for c in shell_commands()}
    assert zh_commands and set(zh_commands) <= english, set(zh_commands) - english
    from sim.runs.scenario import list_scenarios

    scenarios = set(list_scenarios())
    listed = [n for n in re.findall(r"^\| `([a-z_0-9]+)` \|", README, flags=re.M) if n in scenarios]
    assert scenarios <= set(listed)
    for name in listed:
        assert f"`{name}`" in chinese, name
    for picture in re.findall(r"\]\((docs/img/[^)]+)\)", chinese):
        assert (ROOT / picture).is_file(), picture
    assert "docs/img/app_zh.png" in chinese and "docs/img/report_zh.png" in chinese
    assert "[中文](README.zh.md)" in README


def code_of(block: str) -> list[tuple[int, str]]:
    """A Python example's tokens without its comments: what runs, whatever language it is told in."""
    tokens = tokenize.generate_tokens(io.StringIO(block).readline)
    return [(t.type, t.string) for t in tokens if t.type not in (tokenize.COMMENT, tokenize.NL)]


def test_the_chinese_readme_shows_the_tested_python_examples_as_they_are():
    """README.zh.md's Python examples are the English README's, token for token (only their
    comments are in Chinese), so the runs of test_every_python_example_runs cover them too."""
    chinese = (ROOT / "README.zh.md").read_text(encoding="utf-8")
    zh_blocks = re.findall(r"^```python\n(.*?)^```", chinese, flags=re.S | re.M)
    assert len(zh_blocks) >= 3  # Mesa, EMA Workbench, SALib
    english = [code_of(block) for block in blocks("python")]
    for block in zh_blocks:
        assert code_of(block) in english, block[:200]


def test_every_promise_of_what_govsim_never_does_points_to_a_test_that_exists():
    for name, heading in (
        ("README.md", "## What govsim never does"),
        ("README.zh.md", "## govsim 绝不会做的事"),
    ):
        text = (ROOT / name).read_text(encoding="utf-8")
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        rows = [line for line in section.splitlines() if line.startswith("| ") and "tests/" in line]
        assert len(rows) == 7, name
        for row in rows:
            paths = re.findall(r"`(tests/[^`]+\.py)`", row)
            assert paths, row
            for path in paths:
                assert (ROOT / path).is_file(), f"{name}: {path} does not exist"
