"""The app's words in the chosen language (English by default, Chinese with the switch).

Every caption and heading of the app is a row of kind ``app`` in the label
table (``sim/data/labels.csv``, read by :mod:`sim.labels`). Domain names keep
the app's own English wording (the schema's docs, the metric names), which is
more specific than the short names of the table; in Chinese they are the
table's labels of kinds ``parameter``, ``choice``, ``metric``, ``grid`` and
``town``, and the English wording wherever the table has no entry. Codes,
numbers and units are not translated: the model only ever sees codes.

>>> app_text("day", "zh", day=3)
'第 3 天'
>>> shown("town", "Muzhou", "zh", english="Muzhou")
'睦洲'
>>> shown("metric", "escalation_rate", "en", english="escalation rate")
'escalation rate'
"""

from __future__ import annotations

from functools import cache

from sim.labels import LANGUAGES, keys, label

DEFAULT_LANGUAGE = "en"


@cache
def _keys(kind: str) -> frozenset[str]:
    return frozenset(keys(kind))


def app_text(key: str, lang: str, **fields: object) -> str:
    """The app's caption ``key`` in ``lang``, with ``{fields}`` filled in.

    Raises :class:`KeyError` for a caption that is not in the table, so a
    missing row fails loudly instead of showing its key.
    """
    if key not in _keys("app"):
        raise KeyError(f"no app caption {key!r} in sim/data/labels.csv")
    text = label("app", key, lang)
    return text.format(**fields) if fields else text


def shown(kind: str, key: str, lang: str, *, english: str) -> str:
    """What the app shows for ``key`` (of ``kind``): ``english`` in English, else the table's
    label in ``lang`` (``english`` when the table has no entry)."""
    if lang == DEFAULT_LANGUAGE or key not in _keys(kind):
        return english
    return label(kind, key, lang)


def map_metric_kind(metric: str) -> str:
    """The table kind that names a map metric: a per-grid figure, else a district metric."""
    return "grid" if metric in _keys("grid") else "metric"


__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "app_text", "map_metric_kind", "shown"]
