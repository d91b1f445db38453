"""Class-distribution charts as inline SVG (no script, no outside host): one bar per class."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["class_chart"]

#: Bar colours per class label (others grey).
COLOURS = {"Xuất sắc": "#1b7f3b", "Tốt": "#3a9d5d", "Khá": "#2f6fb3", "Trung bình": "#d8912a",
           "Yếu": "#c0392b"}


def class_chart(counts: Sequence[tuple[str, int]], title: str = "") -> str:
    """An SVG bar chart of `(class label, count)`; bars scale to the largest count."""
    rows = list(counts)
    width, bar_h, gap, label_w = 320, 18, 6, 86
    height = len(rows) * (bar_h + gap) + gap
    top = max((n for _, n in rows), default=0) or 1
    total = sum(n for _, n in rows)
    name = escape(title or "Phân bố xếp loại")
    parts = [
        f'<svg role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{name}"><title>{name}</title>'
    ]
    for i, (label, n) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = round((width - label_w - 70) * n / top)
        share = f"{100 * n / total:.0f}%" if total else "0%"
        colour = COLOURS.get(label, "#777")
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{label_w + w + 4}" y="{y + 13}" font-size="12">{n} ({share})</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
