"""Pieces of report.html that every section uses: a section, escaped text, a mean with its interval."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import numpy as np

from sim.output.tables import fmt as number_format
from sim.output.tables import percent_text as percent_format
from sim.runs.statistics import estimate


def section(title: str, note: str, css: str, columns: str, body: str) -> str:
    """A section of the page: its heading, a note on how to read it and its table."""
    return (
        f"<h2>{title}</h2><p class='note'>{note}</p>"
        f"<table class='{css}'><tr>{columns}</tr>{body}</table>"
    )


def text(value: Any) -> str:
    return html.escape(str(value))


def mean_interval(
    values: np.ndarray, *, share: bool, t: Callable[[str], str], percent: bool = False
) -> str:
    """The mean, its 95% interval and the runs behind it (or that there are too few); with
    ``percent`` a share is shown in per cent (the Chinese report's way; CSV files keep fractions)."""
    found = estimate(values, share=share)
    fmt = percent_format if percent and share else number_format
    n = f"<span class='meaning'>n = {found.n}/{found.runs}</span>"
    if found.runs == 1 or found.n == 0:
        return fmt(found.mean)
    if found.too_few:
        return f"{fmt(found.mean)}<br><span class='meaning'>{t('too_few_cases')}</span> {n}"
    if found.low == found.high:  # the same in every run (a staff count, a cost)
        return fmt(found.mean)
    return f"{fmt(found.mean)} [{fmt(found.low)}, {fmt(found.high)}] {n}"
