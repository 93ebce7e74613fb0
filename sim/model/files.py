"""Reading a user's text file (a scenario, a plan) with one clear line for each way it can fail."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path


def read_text(
    path: str | Path, *, what: str, error: type[Exception], where: str = "", hint: str = ""
) -> str:
    """The file's text (UTF-8, a byte-order mark is fine), or ``error`` naming ``where`` (the
    path by default) and the reason: not found, not UTF-8, a folder, unreadable."""
    where = where or str(path)
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{where}: {what} not found{hint}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    except IsADirectoryError:
        raise error(f"{where}: is a folder, not a {what}") from None
    except OSError as exc:
        raise error(f"{where}: cannot read ({exc.strerror or exc})") from None
    except ValueError:  # a NUL character in the path
        raise error(f"{where}: not a valid file name") from None


SEPARATORS = ((";", "semicolon"), ("\t", "tab"))


def other_separator(header: str, columns: Collection[str]) -> str:
    """Why a CSV file's first line lacks its columns, when it holds one of ``columns`` split by
    another separator than the comma (as Excel saves CSV in some regions); else ""."""
    for separator, name in SEPARATORS:
        if separator in header and set(header.split(separator)) & set(columns):
            return (
                f"the file looks {name}-separated (as Excel saves CSV in some regions): "
                "save it as comma-separated CSV (CSV UTF-8)"
            )
    return ""
