"""govsim deletes or replaces only what it wrote itself.

Every manifest lists the files its command wrote (``files``); writing results again
replaces only those, and anything a user added (notes, figures, folders) stays. A name the
new results need that a user's file has taken, or a ``--out FILE`` that govsim did not
write, is refused with one line and exit 2, and nothing is touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.runs.folders import OutputFolderError, files_under, listed_files, replace_dir

ROOT = Path(__file__).resolve().parents[2]
# short runs after a short warm-up: these tests check what is kept on disk, not results
QUICK = ["--days", "5", "--set", "population.scale=0.05", "--set", "run.warmup_days=10", "--quiet"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def results_folder(tmp_path: Path, name: str, files: dict[str, str], listed: list[str]) -> Path:
    """A folder as govsim (kind ``run``) would have left it, plus whatever ``files`` adds."""
    folder = tmp_path / name
    folder.mkdir()
    for relative, text in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    manifest = {"kind": "run", "files": [*listed, "manifest.json"]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def new_results(tmp_path: Path, files: dict[str, str]) -> Path:
    new = tmp_path / "new"
    new.mkdir()
    for relative, text in files.items():
        (new / relative).parent.mkdir(parents=True, exist_ok=True)
        (new / relative).write_text(text)
    (new / "manifest.json").write_text(json.dumps({"kind": "run"}))
    return new


def test_rerunning_keeps_the_users_notes_and_folders_and_replaces_its_own(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "muzhou", *QUICK, "--out", str(out)]) == 0
    first = json.loads((out / "manifest.json").read_text())
    assert set(first["files"]) == set(files_under(out))  # the manifest lists what it wrote
    (out / "my_notes.md").write_text("my notes")
    (out / "my_figs").mkdir()
    (out / "my_figs" / "figure.png").write_bytes(b"\x89PNG mine")
    (out / "my_figs" / "empty").mkdir()
    assert main(["run", "muzhou", *QUICK, "--seed", "7", "--out", str(out)]) == 0
    assert (out / "my_notes.md").read_text() == "my notes"
    assert (out / "my_figs" / "figure.png").read_bytes() == b"\x89PNG mine"
    assert (out / "my_figs" / "empty").is_dir()
    second = json.loads((out / "manifest.json").read_text())
    assert second["seeds"] == [7] and "my_notes.md" not in second["files"]
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir() if p.is_dir())


def test_a_file_govsim_no_longer_writes_is_removed_and_the_users_kept(tmp_path):
    out = results_folder(
        tmp_path,
        "out",
        {"summary.csv": "old", "differences.csv": "old", "sub/old.csv": "old", "mine.txt": "me"},
        listed=["summary.csv", "differences.csv", "sub/old.csv"],
    )
    replace_dir(new_results(tmp_path, {"summary.csv": "new"}), out)
    assert snapshot(out)["summary.csv"] == b"new" and snapshot(out)["mine.txt"] == b"me"
    assert not (out / "differences.csv").exists() and not (out / "sub").exists()
    assert listed_files(out) == {"summary.csv", "manifest.json"}


def test_a_name_the_results_need_taken_by_a_users_file_is_refused_before_anything_moves(
    tmp_path,
):
    out = results_folder(
        tmp_path, "out", {"summary.csv": "old", "towns.csv": "mine"}, listed=["summary.csv"]
    )
    before = snapshot(out)
    new = new_results(tmp_path, {"summary.csv": "new", "towns.csv": "new"})
    with pytest.raises(OutputFolderError, match=r"towns\.csv is not a file govsim wrote"):
        replace_dir(new, out)
    assert snapshot(out) == before


def test_a_users_file_where_govsim_needs_a_folder_is_refused(tmp_path):
    out = results_folder(tmp_path, "out", {"verified": "mine"}, listed=[])
    before = snapshot(out)
    with pytest.raises(OutputFolderError, match="verified is not a file govsim wrote"):
        replace_dir(new_results(tmp_path, {"verified/summary.csv": "new"}), out)
    assert snapshot(out) == before


def test_a_manifest_listing_paths_outside_the_folder_removes_nothing_there(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    out = results_folder(tmp_path, "out", {}, listed=["../precious.txt", str(outside)])
    replace_dir(new_results(tmp_path, {"summary.csv": "new"}), out)
    assert outside.read_text() == "keep"


def test_earlier_analyses_stay_beside_a_new_one(tmp_path):
    out = results_folder(tmp_path, "out", {"a.csv": "a", "mine.md": "me"}, listed=["a.csv"])
    replace_dir(new_results(tmp_path, {"b.csv": "b"}), out, keep_earlier=True)
    assert snapshot(out)["a.csv"] == b"a" and snapshot(out)["b.csv"] == b"b"
    assert listed_files(out) == {"a.csv", "b.csv", "manifest.json"}


def test_map_out_onto_a_users_file_is_refused_and_the_file_kept(tmp_path, capsys):
    figure = tmp_path / "figure.png"
    figure.write_bytes(b"\x89PNG my own figure")
    assert main(["map", "--out", str(figure)]) == 2
    err = capsys.readouterr().err
    assert "govsim did not draw it" in err and err.count("\n") == 1
    assert figure.read_bytes() == b"\x89PNG my own figure"


def test_map_out_may_replace_a_map_govsim_drew(tmp_path, capsys):
    figure = tmp_path / "map.svg"
    assert main(["map", "--out", str(figure)]) == 0
    first = figure.stat().st_mtime_ns
    assert main(["map", "--out", str(figure)]) == 0
    assert figure.stat().st_mtime_ns >= first
    assert [p.name for p in tmp_path.iterdir()] == ["map.svg"]  # no temporary file left


def test_plan_out_onto_an_existing_file_is_refused_and_the_file_kept(tmp_path, capsys):
    plan = tmp_path / "plan.csv"
    plan.write_text("mine")
    assert main(["plan", "muzhou", "--out", str(plan)]) == 2
    assert "already exists" in capsys.readouterr().err and plan.read_text() == "mine"


def test_a_resumed_sweep_keeps_the_users_files_and_lists_its_own(tmp_path):
    from tests.runs.test_sweep import sweep_file

    path, out = sweep_file(tmp_path, days=5, samples=2), tmp_path / "out"
    argv = ["sweep", str(path), "--out", str(out), "--quiet"]
    assert main([*argv, "--max-runs", "2"]) == 0
    (out / "my_notes.md").write_text("my notes")
    assert main([*argv, "--resume"]) == 0
    assert (out / "my_notes.md").read_text() == "my notes"
    files = json.loads((out / "manifest.json").read_text())["files"]
    assert {"design.csv", "runs.csv", "runs/part-0000.jsonl", "manifest.json"} <= set(files)
    assert "my_notes.md" not in files


def test_a_name_taken_by_a_users_file_is_refused_before_any_run(tmp_path, capsys):
    out = results_folder(tmp_path, "out", {"towns.csv": "my towns"}, listed=["summary.csv"])
    before = snapshot(out)
    assert main(["run", "muzhou", *QUICK, "--days", "3000", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "towns.csv is not a file govsim wrote" in err and err.count("\n") == 1
    assert snapshot(out) == before


def govsim(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    """``govsim argv`` as a user runs it: a process of its own."""
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "sim", *argv], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip


def test_a_rerun_from_the_command_keeps_the_users_notes_and_figures(tmp_path):
    out = tmp_path / "out"
    assert govsim("run", "muzhou", *QUICK, "--out", str(out), cwd=tmp_path).returncode == 0
    (out / "my_notes.md").write_text("my notes")
    (out / "my_figs").mkdir()
    (out / "my_figs" / "figure.png").write_bytes(b"\x89PNG mine")
    done = govsim("run", "muzhou", *QUICK, "--seed", "7", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (out / "my_notes.md").read_text() == "my notes"
    assert (out / "my_figs" / "figure.png").read_bytes() == b"\x89PNG mine"
    assert json.loads((out / "manifest.json").read_text())["seeds"] == [7]


@pytest.mark.parametrize("name", ["figure.png", "map.png"])
def test_govsim_map_onto_a_users_file_is_one_line_and_the_file_kept(tmp_path, name):
    """``--out figure.png``, and the default ``map.png`` in the current folder."""
    figure = tmp_path / name
    figure.write_bytes(b"\x89PNG my own figure")
    argv = ["map", "--out", str(figure)] if name != "map.png" else ["map"]
    done = govsim(*argv, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "govsim did not draw it" in done.stderr and "Traceback" not in done.stderr
    assert figure.read_bytes() == b"\x89PNG my own figure"
    assert [p.name for p in tmp_path.iterdir()] == [name]  # nothing else written
