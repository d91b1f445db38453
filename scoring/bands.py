"""Coverage check for ordered threshold bands (first matching band wins).

The measure's domain is split at every threshold into points and open intervals; one exact
representative of each piece is tested against every band. A band is rejected as an
*overlap* when it can never apply (earlier bands take all its values) or when it reverses
direction (e.g. ``> 0.04`` after ``<= …`` bands) and claims values an earlier band already
takes. A piece of the domain that no band takes is a *gap*.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

__all__ = ["OPS", "OP_SYMBOL", "BandIssue", "check_bands"]

OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
OP_SYMBOL = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}
_DIRECTION = {">=": 1, ">": 1, "<=": -1, "<": -1, "==": 0}


class BandIssue(Exception):
    """A coverage problem; ``band`` is the 0-based band index or None for the whole list."""

    def __init__(self, band: int | None, message: str) -> None:
        super().__init__(message)
        self.band = band
        self.message = message


def _pieces(thresholds: set[Fraction], lower: Fraction | None) -> list[tuple[Fraction, str]]:
    """Representatives of every piece of the domain, with a description of the piece."""
    points = sorted(t for t in thresholds if lower is None or t >= lower)
    if lower is not None and (not points or points[0] != lower):
        points.insert(0, lower)
    out: list[tuple[Fraction, str]] = []
    if lower is None:
        first = points[0] if points else Fraction(0)
        out.append((first - 1, f"values below {float(first):g}"))
    for i, p in enumerate(points):
        out.append((p, f"value {float(p):g}"))
        if i + 1 < len(points):
            q = points[i + 1]
            out.append(((p + q) / 2, f"values between {float(p):g} and {float(q):g}"))
    if points:
        out.append((points[-1] + 1, f"values above {float(points[-1]):g}"))
    return out


def check_bands(bands: Sequence[tuple[str, Fraction]], lower: Fraction | None) -> None:
    """Raise BandIssue unless ``bands`` ((op, threshold) in order) partition the domain.

    ``lower`` is the smallest possible measure (0 for ratios of non-negative inputs) or None
    when the measure may be any number.
    """
    if not bands:
        raise BandIssue(None, "no bands")
    pieces = _pieces({t for _, t in bands}, lower)
    taken: list[int | None] = [None] * len(pieces)
    last_direction = 0
    for b, (op, threshold) in enumerate(bands):
        cmp = OPS[op]
        holds = [bool(cmp(x, threshold)) for x, _ in pieces]
        direction = _DIRECTION[op]
        if direction and last_direction and direction != last_direction:
            for k, ok in enumerate(holds):
                if ok and taken[k] is not None:
                    raise BandIssue(
                        b,
                        f"band {b + 1} ({op} {threshold}) overlaps band {taken[k] + 1}: "  # type: ignore[operator]
                        f"{pieces[k][1]} matches both",
                    )
        fresh = [k for k, ok in enumerate(holds) if ok and taken[k] is None]
        if not fresh:
            raise BandIssue(
                b, f"band {b + 1} ({op} {threshold}) can never apply: earlier bands overlap it"
            )
        for k in fresh:
            taken[k] = b
        if direction:
            last_direction = direction
    holes = [pieces[k][1] for k, owner in enumerate(taken) if owner is None]
    if holes:
        raise BandIssue(None, f"gap: {', '.join(holes)} match no band")
