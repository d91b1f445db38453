"""Field checks shared by the document Structs (each raises `ValueError` in Vietnamese)."""

from __future__ import annotations

import re
from decimal import Decimal

__all__ = ["check_code", "check_month", "check_share"]

_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DIGITS = {"province": (2, 2), "commune": (5, 6), "office": (6, 6), "group": (7, 7)}


def check_code(value: str, what: str) -> None:
    """A `province`, `commune`, `office` or `group` code: ASCII digits of the right count."""
    low, high = _DIGITS[what]
    if not (value.isascii() and value.isdigit() and low <= len(value) <= high):
        size = f"{low}" if low == high else f"{low}-{high}"
        raise ValueError(f"mã {what} {value!r} phải gồm {size} chữ số")


def check_month(value: str, what: str) -> None:
    if not _MONTH_RE.match(value):
        raise ValueError(f"{what}: tháng {value!r} phải có dạng YYYY-MM")


def check_share(value: Decimal | None, what: str) -> None:
    if value is not None and not (value.is_finite() and 0 <= value <= 1):
        raise ValueError(f"{what}: tỷ lệ nữ {value} phải từ 0 đến 1")
