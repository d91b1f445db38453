"""Exact numbers for scoring: rationals as int pairs, tenths of a point, Vietnamese formatting."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache

__all__ = [
    "format_points",
    "format_ratio",
    "format_vi",
    "parse_exact",
    "round_half_up",
    "to_tenths",
]


def parse_exact(value: object) -> Fraction | None:
    """Return ``value`` as an exact Fraction, or None when it is not a finite number.

    Accepts int, Decimal, Fraction, float (through its shortest repr) and numeric strings
    with a dot or a Vietnamese decimal comma ("0,35"). Booleans count as 0/1.
    """
    if isinstance(value, bool):
        return Fraction(int(value))
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if "_" in text:
            return None
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return Fraction(value)
    return None


def round_half_up(num: int, den: int) -> int:
    """Round num/den (den > 0) to the nearest integer, halves away from zero."""
    if num >= 0:
        return (2 * num + den) // (2 * den)
    return -((-2 * num + den) // (2 * den))


@lru_cache(maxsize=4096)  # declared values repeat on every sheet (explanations)
def to_tenths(value: Decimal | int) -> int:
    """Convert a declared point value to integer tenths; raise ValueError if finer than 0.1."""
    tenths = Fraction(value) * 10
    if tenths.denominator != 1:
        raise ValueError(f"{value} is not a multiple of 0.1")
    return int(tenths)


def _group(digits: str) -> str:
    parts = []
    while len(digits) > 3:
        parts.append(digits[-3:])
        digits = digits[:-3]
    parts.append(digits)
    return ".".join(reversed(parts))


def format_vi(value: Fraction | int, decimals: int = 2) -> str:
    """Format a number the Vietnamese way: '.' groups thousands, ',' marks decimals.

    Rounds half up to ``decimals`` places and drops trailing zeros: 1234.5 -> "1.234,5".
    """
    if isinstance(value, int):
        return format_ratio(value, 1, decimals)
    if not isinstance(value, Fraction):
        value = Fraction(value)
    return format_ratio(value.numerator, value.denominator, decimals)


@lru_cache(maxsize=1 << 16)  # thresholds and points repeat on every sheet
def format_ratio(num: int, den: int, decimals: int = 2) -> str:
    """`format_vi` of num/den (den > 0) without building a Fraction (the hot path of the
    explanations)."""
    scale = 10**decimals
    scaled = round_half_up(num * scale, den)
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), scale)
    text = sign + (_group(str(whole)) if whole >= 1000 else str(whole))
    if decimals:
        frac_text = str(frac).rjust(decimals, "0").rstrip("0")
        if frac_text:
            text += "," + frac_text
    return text


def format_points(tenths: int) -> str:
    """Points held as tenths, e.g. 125 -> "12,5", 300 -> "30"."""
    return format_ratio(tenths, 10, 1)
