"""What a bank export says about itself: the month its figures are from and its money unit.

The period comes from the report date (the NGAYBC column of whole-branch exports), else a
date in the title lines ("Đến ngày 30/9/2026", "Tháng 09/2026"), else the file name
(`BC0437_20260930.xls`, `cdtotkvv-2026-09.xlsx`, `T09_2026.csv`). Amounts are VND unless
the title or header says "triệu đồng" (BC0437: millions) or "nghìn đồng".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime

from .import_tables import Cell, text

__all__ = ["AMOUNT_UNITS", "PeriodFound", "amount_unit", "month_of_cell", "period_of"]

#: Money unit word -> VND per unit.
AMOUNT_UNITS = {"đồng": 1, "nghìn đồng": 1_000, "triệu đồng": 1_000_000}
_UNIT_RE = re.compile(r"(triệu|trieu|nghìn|nghin|ngàn|ngan)\s*(đồng|dong|vnd)", re.IGNORECASE)
_DMY = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
_TITLE_RES = (
    re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE),
    re.compile(_DMY),
    re.compile(r"tháng\s+(\d{1,2})\s*(?:/|năm)\s*(\d{4})", re.IGNORECASE),
)
_NAME_RES = (
    re.compile(r"(?<!\d)(\d{4})[-_.]?(0[1-9]|1[0-2])(?:[-_.]?(\d{2}))?(?!\d)"),  # 2026-09(-30), 20260930
    re.compile(r"(?<!\d)(\d{1,2})[-_.](\d{1,2})[-_.](\d{4})(?!\d)"),  # 30.09.2026
    re.compile(r"(?<![\d])[Tt]?(0?[1-9]|1[0-2])[-_.](\d{4})(?!\d)"),  # T09_2026, 09-2026
)


class PeriodFound(tuple[str | None, str | None]):
    """(month YYYY-MM or None, source: "report_date" | "title" | "file_name" | None)."""

    __slots__ = ()

    @property
    def month(self) -> str | None:
        return self[0]

    @property
    def source(self) -> str | None:
        return self[1]


def _month(year: int, month: int) -> str | None:
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 and 2000 <= year <= 2100 else None


def month_of_cell(value: Cell) -> str | None:
    """YYYY-MM of a report-date cell: a date, "30/09/2026", "2026-09-30" or "20260930"."""
    if isinstance(value, datetime | date):
        return _month(value.year, value.month)
    raw = text(value)
    if m := re.fullmatch(_DMY, raw):
        return _month(int(m.group(3)), int(m.group(2)))
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", raw):
        return _month(int(m.group(1)), int(m.group(2)))
    if m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})", raw):
        return _month(int(m.group(1)), int(m.group(2)))
    return None


def _in_title(lines: Iterable[str]) -> str | None:
    for line in lines:
        line = unicodedata.normalize("NFC", line)
        for i, pattern in enumerate(_TITLE_RES):
            if m := pattern.search(line):
                year, month = (int(m.group(3)), int(m.group(2))) if i < 2 else (int(m.group(2)), int(m.group(1)))
                if found := _month(year, month):
                    return found
    return None


def _in_name(name: str) -> str | None:
    for i, pattern in enumerate(_NAME_RES):
        for m in pattern.finditer(name):
            year, month = (int(m.group(1)), int(m.group(2))) if i == 0 else (
                (int(m.group(3)), int(m.group(2))) if i == 1 else (int(m.group(2)), int(m.group(1))))
            if found := _month(year, month):
                return found
    return None


def period_of(report_dates: Iterable[Cell], title_lines: Iterable[str], file_name: str) -> PeriodFound:
    """The export's month: the latest report date, else a date in the title, else the name."""
    months = [m for m in map(month_of_cell, report_dates) if m]
    if months:
        return PeriodFound((max(months), "report_date"))
    if found := _in_title(title_lines):
        return PeriodFound((found, "title"))
    if found := _in_name(file_name):
        return PeriodFound((found, "file_name"))
    return PeriodFound((None, None))


def amount_unit(lines: Iterable[str]) -> int:
    """VND per money unit stated in the title or header lines ("Đơn vị: triệu đồng"): 1 if none."""
    for line in lines:
        if m := _UNIT_RE.search(unicodedata.normalize("NFC", line)):
            return 1_000_000 if m.group(1).lower().startswith("tri") else 1_000
    return 1
