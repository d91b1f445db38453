"""Small SVG charts for the PDFs (inline SVG: WeasyPrint draws it as vectors, text as text)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from .pdf import SANS

__all__ = ["CLASS_COLOURS", "stacked_bars"]

CLASS_COLOURS = ("#1b7f3b", "#6aa84f", "#f1c232", "#e69138", "#cc0000", "#999999")


def stacked_bars(rows: Sequence[tuple[str, Sequence[int]]], classes: Sequence[str], *,
                 width: float = 170, bar: float = 4.2, label_w: float = 48) -> str:
    """Horizontal bars, one per row, split by class share (100%), with a legend; mm units."""
    gap = bar * 0.45
    top = 8
    height = top + len(rows) * (bar + gap) + 4
    plot = width - label_w - 14
    font = f'font-family="{SANS}"'
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height:.1f}mm"'
             f' viewBox="0 0 {width} {height:.1f}" role="img">']
    x = label_w
    for i, name in enumerate(classes):
        colour = CLASS_COLOURS[i % len(CLASS_COLOURS)]
        parts.append(f'<rect x="{x:.1f}" y="1" width="3" height="3" fill="{colour}"/>'
                     f'<text x="{x + 4:.1f}" y="3.6" font-size="3" {font}>{escape(name)}</text>')
        x += 6 + len(name) * 1.7
    for r, (label, counts) in enumerate(rows):
        y = top + r * (bar + gap)
        total = sum(counts)
        parts.append(f'<text x="{label_w - 1.5}" y="{y + bar * 0.75:.1f}" font-size="2.8" '
                     f'text-anchor="end" {font}>{escape(label[:34])}</text>')
        x = label_w
        for i, n in enumerate(counts):
            if total and n:
                w = plot * n / total
                parts.append(f'<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{bar}" '
                             f'fill="{CLASS_COLOURS[i % len(CLASS_COLOURS)]}"/>')
                x += w
        parts.append(f'<text x="{label_w + plot + 1.5:.1f}" y="{y + bar * 0.75:.1f}" '
                     f'font-size="2.8" {font}>{total}</text>')
    parts.append("</svg>")
    return "".join(parts)
