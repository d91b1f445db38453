"""Does a text fit a field box? Widths measured from the bundled fonts' advance widths.

WeasyPrint lays the same fonts out with HarfBuzz; kerning moves a line by well under 1%, so
a text is refused when its measured width passes 98% of the box (a margin, never a clip).
"""

from __future__ import annotations

from functools import cache

from .pdf import FONTS_DIR

__all__ = ["line_width_mm", "wrap_lines"]

_MM_PER_PT = 25.4 / 72
MARGIN = 0.98


@cache
def _metrics(bold: bool, italic: bool, sans: bool) -> tuple[dict[int, int], int, int]:
    from fontTools.ttLib import TTFont  # loaded on first measure, not at start-up

    family = "NotoSans" if sans else "NotoSerif"
    style = "Bold" if bold else "Italic" if italic else "Regular"
    font = TTFont(FONTS_DIR / f"{family}-{style}.ttf")
    cmap = font.getBestCmap()
    hmtx = font["hmtx"].metrics
    widths = {cp: hmtx[name][0] for cp, name in cmap.items()}
    return widths, int(font["head"].unitsPerEm), hmtx[".notdef"][0]


def line_width_mm(text: str, size_pt: float, *, bold: bool = False, italic: bool = False,
                  sans: bool = False) -> float:
    """Width of ``text`` on one line at ``size_pt`` points, in millimetres."""
    widths, upem, missing = _metrics(bold, italic, sans)
    units = sum(widths.get(ord(ch), missing) for ch in text)
    return units / upem * size_pt * _MM_PER_PT


def wrap_lines(text: str, width_mm: float, size_pt: float, **style: bool) -> list[str]:
    """Greedy word wrap of ``text`` into lines no wider than ``width_mm`` (with the margin);
    a single word wider than the box is returned on its own line (the caller refuses it)."""
    limit = width_mm * MARGIN
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and line_width_mm(candidate, size_pt, **style) > limit:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines
