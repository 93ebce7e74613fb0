"""User-facing labels in English and Chinese (design section 7).

Every label the reports, the app and the command line show (metrics, per-grid
figures, ladder levels, policy levers and their choices, units, case subjects,
report headings and notes, chart axes, console tables, the glossary) is one row
of ``sim/data/labels.csv`` (``kind,key,en,zh``), so a translation is one file.
Rows of kind ``message`` are phrases of error messages, or whole sentences with
``{name}`` slots where Chinese puts the words in another order: :func:`translate`
puts them into Chinese and leaves the file names, keys and values as they are. The
command line speaks Chinese with ``--lang zh`` or a ``zh_*`` locale
(:func:`default_language`). Town names come from the district table (``sim/data/district.csv``,
column ``name_zh``), where their sources are.

>>> label("metric", "escalation_rate", "zh")
'出村升级率'
>>> label("town", "Muzhou", "zh")
'睦洲'
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

LANGUAGES = {"en": "English", "zh": "中文"}


class LanguageError(ValueError):
    """A language code that is not in :data:`LANGUAGES`."""


@cache
def _table() -> dict[tuple[str, str], dict[str, str]]:
    rows: dict[tuple[str, str], dict[str, str]] = {}
    text = resources.files("sim.data").joinpath("labels.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines()):
        rows[row["kind"], row["key"]] = {lang: row[lang] for lang in LANGUAGES}
    district = resources.files("sim.data").joinpath("district.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(district.splitlines()):
        rows["town", row["town"]] = {"en": row["town"], "zh": row["name_zh"]}
    return rows


def check_language(lang: str) -> str:
    """``lang`` if it is a known language code, else a :class:`LanguageError` naming the choices."""
    if lang not in LANGUAGES:
        raise LanguageError(
            f"--lang: unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}"
        )
    return lang


def label(kind: str, key: str, lang: str = "en") -> str:
    """The label of ``key`` (of ``kind``: metric, grid, level, parameter, choice, term, town)
    in ``lang``; the key itself when the table has no entry."""
    entry = _table().get((kind, key))
    if entry is None:
        return key
    return entry[check_language(lang)] or entry["en"]


def keys(kind: str) -> list[str]:
    """Every key of ``kind`` in the table, in its order."""
    return [key for k, key in _table() if k == kind]


def default_language(environ: dict[str, str] | None = None) -> str:
    """``zh`` when the locale (``LC_ALL``, else ``LC_MESSAGES``, else ``LANG``) is Chinese
    (``zh_CN.UTF-8``, ``zh_TW``, ...), else ``en``."""
    import os

    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return "zh" if env[name].lower().startswith("zh") else "en"
    return "en"


@cache
def _phrases(lang: str) -> list[tuple[str, str]]:
    """The ``message`` rows of the label table without a ``{name}`` slot, longest English
    phrase first."""
    rows = [
        (key, entry[lang])
        for (kind, key), entry in _table().items()
        if kind == "message" and "{" not in key
    ]
    return sorted(rows, key=lambda row: -len(row[0]))


@cache
def _templates(lang: str) -> list[tuple[re.Pattern[str], str]]:
    """The ``message`` rows with ``{name}`` slots (a sentence whose words come in another
    order in ``lang``), as a pattern and its replacement, longest first. A slot stands for
    the text between the fixed words around it (a town, a number, a file)."""
    rows = sorted(
        (
            (key, entry[lang])
            for (kind, key), entry in _table().items()
            if kind == "message" and "{" in key
        ),
        key=lambda row: -len(row[0]),
    )
    found = []
    for english, translated in rows:
        parts = re.split(r"\{(\w+)\}", english)
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        ) + ("$" if english.endswith("}") else "")  # a slot at the end: the rest of the line
        found.append((re.compile(pattern), re.sub(r"\{(\w+)\}", r"\\g<\1>", translated)))
    return found


def translate(message: str, lang: str = "en") -> str:
    """A message (an error, a progress line) in ``lang``: each English sentence or phrase of
    the label table's ``message`` rows replaced by its translation (sentences with ``{name}``
    slots first, their slots kept). File names, keys, values and names stay as they are, so
    the line still says which file, key and value."""
    if check_language(lang) == "en":
        return message
    for pattern, translated in _templates(lang):
        message = pattern.sub(translated, message)
    for english, translated in _phrases(lang):
        message = message.replace(english, translated)
    return re.sub(r"\brow (\d+)\b", r"第 \1 行", message)  # a plan file's row
