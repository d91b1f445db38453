"""The input of every export: a titled report of tables, one table per unit kind.

Renderers (`reports.xlsx`, `reports.csvfile`, `reports.pdffile`) take a `Report` and never
reach into the store: the server (or a test) builds it from results. Cell values are
``str``, ``int`` or None; a ``points`` column holds integer tenths of a point (85,5 -> 855).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

import msgspec

from scoring.numbers import format_points

__all__ = ["Cell", "Column", "Report", "Table", "cell_text", "title_line"]

Cell = str | int | None
ColumnKind = Literal["text", "int", "points", "rank"]


class Column(msgspec.Struct, frozen=True):
    """One column: its Vietnamese header, kind and width in characters."""

    header: str
    kind: ColumnKind = "text"
    width: int = 14


class Table(msgspec.Struct, frozen=True):
    """One table (an XLSX sheet): `name` is the unit kind's Vietnamese label."""

    name: str
    columns: tuple[Column, ...]
    rows: Sequence[Sequence[Cell]] | Iterable[Sequence[Cell]]
    size: int = 0  # number of rows when `rows` is a one-pass iterable (for progress bars)

    def count(self) -> int:
        return self.size or (len(self.rows) if isinstance(self.rows, Sequence) else 0)


class Report(msgspec.Struct, frozen=True):
    """A titled set of tables: `title` (e.g. "Xếp hạng"), campaign, scope and date."""

    title: str
    campaign: str
    scope: str
    day: date
    tables: tuple[Table, ...]

    def rows(self) -> int:
        return sum(t.count() for t in self.tables)


def title_line(report: Report) -> str:
    """"Xếp hạng — <campaign> — <scope> — ngày dd/mm/yyyy"."""
    return f"{report.title} — {report.campaign} — {report.scope} — ngày {report.day:%d/%m/%Y}"


def cell_text(value: Cell, kind: ColumnKind) -> str:
    """A cell as text: points in the Vietnamese format (85,5), counts with '.' thousands."""
    if value is None:
        return ""
    if kind == "points" and isinstance(value, int):
        return format_points(value)
    if kind == "int" and isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return str(value)
