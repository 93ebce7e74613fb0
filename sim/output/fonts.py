"""The Chinese font of every chart: Noto Sans CJK SC (SIL Open Font License), installed with the
project from PyPI (the ``noto-cjk-sans-otc`` package), not a font that happens to be on the machine.

:func:`use_cjk_font` registers it with matplotlib once and adds it to ``font.family`` after
the families already there: Latin text keeps matplotlib's usual look and each Chinese character
falls back to Noto Sans CJK SC (matplotlib falls back glyph by glyph along ``font.family``), so
a chart with Chinese titles, axes, legends and town names shows them rather than boxes.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib import resources
from pathlib import Path

CJK_FAMILY = "Noto Sans CJK SC"
FONT_PACKAGE, FONT_FILE = "noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc"


def cjk_font_path() -> Path:
    """The font collection's file (it holds the SC face, among the other CJK regions)."""
    return Path(str(resources.files(FONT_PACKAGE) / FONT_FILE))


@cache
def use_cjk_font() -> str:
    """Register the font with matplotlib and make it the fallback of ``font.family``; returns
    the family name."""
    import matplotlib
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(cjk_font_path()))
    # Bold text asks every family of the list for a bold face; the CJK collection has none and
    # matplotlib would log that on every chart (it then uses the regular face, as intended).
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    families = [f for f in matplotlib.rcParams["font.family"] if f != CJK_FAMILY]
    matplotlib.rcParams["font.family"] = [*families, CJK_FAMILY]
    return CJK_FAMILY


def fontconfig_file() -> Path:
    """A fontconfig file that adds the project's CJK font to the machine's fonts, for a browser
    started with ``FONTCONFIG_FILE`` set to it (headless Chromium then draws the app's Chinese)."""
    import tempfile

    path = Path(tempfile.gettempdir()) / "govsim-fonts.conf"
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{cjk_font_path().parent}</dir>\n</fontconfig>\n"
    )
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path
