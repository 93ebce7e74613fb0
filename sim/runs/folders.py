"""Output folders: what a command may write into, one writer at a time, nothing a user had lost.

A command writes into ``--out DIR`` only if DIR does not exist, is empty, or is
a results folder that the same kind of command wrote before (its
``manifest.json`` has that ``kind``). Anything else (a file, a folder of the
user's, the current folder, a results folder of another command without
``force``) is refused with one line naming the folder and what is in it. A
lock beside the folder refuses a second writer while the first is at work.
New files and folders follow the user's umask.
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


def check_out(out: Path, *, kind: str, force: bool = False) -> bool:
    """Check that ``kind`` may write to ``out``; True if it will replace earlier results there.

    Raises :class:`OutputFolderError` (one line) when the folder must not be touched.
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
    if found is not None:
        raise OutputFolderError(
            f"--out {out}: holds the results of govsim {found}, not of govsim {kind}; choose "
            "another --out, or pass --force to replace them"
        )
    raise OutputFolderError(
        f"--out {out}: not empty and not a results folder of govsim (it holds "
        f"{_contents(out)}); choose another --out"
    )


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the lock of ``out`` (a hidden file beside it) while writing; refuse a second writer."""
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
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


def replace_dir(new: Path, out: Path) -> None:
    """Move the complete folder ``new`` to ``out``; an old ``out`` goes only once it is in place."""
    share_like_umask(new)
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
    os.replace(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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
