"""Output folders: what a command may write into, one writer at a time, nothing a user had lost.

A command writes into ``--out DIR`` only if DIR does not exist, is empty, or is
a results folder that the same kind of command wrote before (its
``manifest.json`` has that ``kind``). Anything else (a file, a folder of the
user's, the current folder, a results folder of another command without
``force``) is refused with one line naming the folder and what is in it. A
lock beside the folder refuses a second writer while the first is at work.
New files and folders follow the user's umask.

govsim deletes or replaces only what it wrote itself: every manifest lists the files its
command wrote (``files``, relative paths), and writing results again replaces only those
(:func:`replace_dir`); anything a user added to the folder stays.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.runs.executors import Interrupted, uninterrupted
from sim.runs.scenario import ScenarioError

KINDS = ("run", "compare", "sweep", "analyze", "calibrate", "optimise")
# The packages whose versions every manifest records (None: not installed).
PACKAGES = ("xinhui-govsim", "mesa", "numpy", "scipy", "pandas", "SALib", "optuna", "distributed")


class OutputFolderError(ScenarioError):
    """A folder a command may not write into; the message names it and says why."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def share_like_umask(path: Path) -> None:
    """Give ``path`` (made by ``tempfile``, 0700 or 0600) the permissions the umask allows."""
    mode = 0o777 if Path(path).is_dir() else 0o666
    os.chmod(path, mode & ~_umask())


def manifest_versions() -> dict[str, str | None]:
    """The versions of :data:`PACKAGES` and of Python, for a manifest."""
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions | {"python": platform.python_version()}


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it: a reader (or a kill)
    sees the old file or the new one, never half of one."""
    tmp = Path(tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)[1])
    tmp.write_text(text, encoding="utf-8")
    share_like_umask(tmp)
    os.replace(tmp, path)


FIGURE_FORMATS = ("", ".png", ".pdf", ".svg")  # whose metadata can say who drew them ("": PNG)


def save_figure(fig: Any, out: Path, *, creator: str) -> None:
    """Save a matplotlib figure to ``out`` (one of :data:`FIGURE_FORMATS`) through a temporary
    file beside it, with ``creator`` in its metadata (:func:`drawn_by` knows it again)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=suffix or ".png", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        fig.savefig(
            tmp,
            dpi=110,
            bbox_inches="tight",
            format=suffix[1:] or "png",
            metadata={"Creator": creator},
        )
        share_like_umask(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def drawn_by(path: Path, creator: str) -> bool:
    """True when the figure file ``path`` names ``creator`` in its metadata."""
    try:
        return creator.encode() in Path(path).read_bytes()
    except OSError:
        return False


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``folder/manifest.json`` atomically."""
    write_atomic(Path(folder) / "manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")


def kind_of(folder: Path) -> str | None:
    """The kind of command that wrote a results folder (from its manifest), or None."""
    try:
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    if manifest.get("kind") in KINDS:
        return manifest["kind"]
    # Folders written before manifests named their kind.
    words = str(manifest.get("command", "")).split()
    if len(words) > 1 and words[0] == "govsim" and words[1] in KINDS:
        return words[1]
    if "sweep_sha256" in manifest:
        return "sweep"
    return None


def _contents(folder: Path, shown: int = 4) -> str:
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def check_out(out: Path, *, kind: str, force: bool | None = None) -> bool:
    """Check that ``kind`` may write to ``out``; True if it will replace earlier results there.

    ``force``: replace another command's results (``--force``); None for a command that has
    no such option, whose refusal then does not suggest it. Raises :class:`OutputFolderError`
    (one line) when the folder must not be touched.
    """
    out = Path(out)
    if out.resolve() in (Path.cwd().resolve(), *Path.cwd().resolve().parents):
        raise OutputFolderError(
            f"--out {out}: is the current folder or one above it; name a new folder inside it"
        )
    if not out.exists():
        if out.is_symlink():
            raise OutputFolderError(f"--out {out}: a broken symbolic link; choose another --out")
        return False
    if not out.is_dir():
        raise OutputFolderError(
            f"--out {out}: exists and is a file, not a folder; choose another --out"
        )
    if not any(out.iterdir()):
        return False
    found = kind_of(out)
    if found == kind or (found is not None and force):
        return True
    if found is not None:  # --force offered only by the commands that have it (force not None)
        raise OutputFolderError(
            f"--out {out}: holds the results of govsim {found}, not of govsim {kind}; choose "
            "another --out" + (", or pass --force to replace them" if force is not None else "")
        )
    raise OutputFolderError(
        f"--out {out}: not empty and not a results folder of govsim (it holds "
        f"{_contents(out)}); choose another --out"
    )


@contextmanager
def locked(out: Path, *, resumable: bool = False) -> Iterator[None]:
    """Hold the lock of ``out`` (a hidden file beside it) while writing; refuse a second writer.

    The lock goes when the block ends, an interrupt included; an :class:`Interrupted` that
    passes learns the folder and whether ``--resume`` goes on there (``resumable``), for
    the line the command prints."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = out.parent / f".{out.name}.lock"
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputFolderError(
                f"--out {out}: another govsim command is writing there now; wait for it to "
                "finish or choose another --out"
            ) from None
        try:  # the file may have been removed by a writer that just finished: lock anew
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield
    except Interrupted as interrupt:
        if interrupt.folder is None:
            interrupt.folder, interrupt.resumable = out, resumable
        raise
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


MANIFEST = "manifest.json"


def files_under(folder: Path) -> list[str]:
    """Every file under ``folder``, as sorted relative POSIX paths (what a manifest lists)."""
    folder = Path(folder)
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()
    )


def _safe(relative: str) -> bool:
    path = Path(relative)
    return bool(relative) and not path.is_absolute() and ".." not in path.parts


def listed_files(folder: Path) -> set[str] | None:
    """The files govsim wrote in ``folder``, as its manifest lists them (``files``); None when
    the manifest lists none (an older folder, or none at all)."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list):
        return None
    return {f for f in files if isinstance(f, str) and _safe(f)} | {MANIFEST}


def record_files(folder: Path, files: list[str] | set[str]) -> None:
    """Set the ``files`` of ``folder``'s manifest: the files govsim wrote there."""
    path = Path(folder) / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"] = sorted(set(files) | {MANIFEST})
    write_manifest(folder, manifest)


def check_ours(out: Path, files: list[str] | tuple[str, ...]) -> None:
    """Refuse (one line) to write ``files`` (relative paths) into ``out`` when one of them,
    or a folder on its way, is there and govsim did not write it (before any work, so that
    a long run does not end refused). A folder whose manifest lists no files (an older
    one) is left to :func:`replace_dir`."""
    ours = listed_files(out)
    if ours is None:
        if (Path(out) / MANIFEST).is_file():
            return
        ours = {MANIFEST}
    for relative in files:
        taken = _taken(Path(out), relative, ours)
        if taken is not None:
            raise OutputFolderError(
                f"--out {out}: {taken} is not a file govsim wrote there; move it, or choose "
                "another --out"
            )


def _taken(out: Path, relative: str, ours: set[str]) -> str | None:
    """The part of ``out/relative`` that stands in the way and govsim did not write, or None."""
    parts = Path(relative).parts
    for i in range(1, len(parts)):  # a folder on the way that is a file (or a link)
        step = out.joinpath(*parts[:i])
        if step.is_symlink() or (step.exists() and not step.is_dir()):
            return Path(*parts[:i]).as_posix()
    target = out / relative
    if (target.exists() or target.is_symlink()) and relative not in ours:
        return relative
    return None


def replace_dir(new: Path, out: Path, *, keep_earlier: bool = False) -> None:
    """Put the complete folder ``new`` (with its ``manifest.json``) in place at ``out``.

    A new or empty ``out`` is replaced in one move. Otherwise only what govsim wrote
    there is replaced: files of the same name that ``out``'s manifest lists, and (unless
    ``keep_earlier``: analyses that live side by side) the files it listed that the new
    results no longer have are removed. Anything else in ``out`` (a user's notes, figures,
    folders) stays as it is; a name the new results need that is taken by something govsim
    did not write is refused (:class:`OutputFolderError`) before anything moves. The new
    manifest lists every file govsim now has there (``files``), and goes in last.
    """
    new, out = Path(new), Path(out)
    files = files_under(new)
    earlier = listed_files(out) if out.is_dir() else None
    if earlier is None:  # an older manifest without a list: only the names written now are ours
        earlier = {MANIFEST, *(f for f in files if (out / f).is_file())}
    else:
        earlier = {f for f in earlier if (out / f).is_file() or (out / f).is_symlink()}
    mine = set(files) | (earlier if keep_earlier else set())
    if (new / MANIFEST).exists():
        record_files(new, mine)
    for folder in [new, *(p for p in new.rglob("*") if p.is_dir())]:
        share_like_umask(folder)
    if not out.exists() or (out.is_dir() and not out.is_symlink() and not any(out.iterdir())):
        os.replace(new, out)
        return
    with uninterrupted():  # an interrupt now waits until the folder is whole again
        _move_in(new, out, files=files, earlier=earlier, mine=mine, keep_earlier=keep_earlier)


def _move_in(
    new: Path, out: Path, *, files: list[str], earlier: set[str], mine: set[str], keep_earlier: bool
) -> None:
    for relative in files:
        taken = _taken(out, relative, earlier)
        if taken is not None:
            raise OutputFolderError(
                f"--out {out}: {taken} is not a file govsim wrote there, and the new results "
                "need that name; move it, or choose another --out"
            )
    if (out / MANIFEST).is_file():  # meanwhile the manifest claims old and new files alike
        record_files(out, earlier | mine)
    for relative in files:
        if relative != MANIFEST:
            (out / relative).parent.mkdir(parents=True, exist_ok=True)
            os.replace(new / relative, out / relative)
    if not keep_earlier:
        for relative in sorted(earlier - set(files)):
            (out / relative).unlink(missing_ok=True)
            for parent in (out / relative).parents:  # folders left empty by what was removed
                if parent == out or not parent.is_relative_to(out) or any(parent.iterdir()):
                    break
                parent.rmdir()
    os.replace(new / MANIFEST, out / MANIFEST)
    shutil.rmtree(new, ignore_errors=True)


def check_resumable(
    out: Path, *, kind: str, noun: str, sha_key: str, sha256: str, resume: bool, what: str
) -> None:
    """Refuse ``out`` unless it is new, empty, or (with ``resume``) holds the same work of the
    ``kind`` of command: its manifest's ``sha_key`` equals ``sha256``. ``noun`` names the
    work in messages, ``what`` its parts."""
    check_out(out, kind=kind)  # not a file, the current folder or a folder of the user's
    manifest = Path(out) / "manifest.json"
    if not manifest.exists():
        if out.exists() and any(out.iterdir()):
            raise ScenarioError(
                f"{out}: exists and is not a {noun} directory; choose another --out"
            )
        return
    if not resume:
        raise ScenarioError(
            f"{out}: already holds {'an' if noun[0] in 'aeiou' else 'a'} {noun}; "
            "pass --resume to go on with it"
        )
    try:
        previous = json.loads(manifest.read_text(encoding="utf-8"))[sha_key]
    except (OSError, ValueError, KeyError) as exc:
        raise ScenarioError(f"{out}/manifest.json: unreadable ({exc})") from None
    if previous != sha256:
        raise ScenarioError(
            f"{out}: holds a different {noun} ({what} differ); choose another --out"
        )
