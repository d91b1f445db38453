"""XLSX rendering of a `Report` with openpyxl (write-only: about 170,000 rows in seconds).

One sheet per table; row 1 is the title (campaign, scope, date), row 2 the Vietnamese
headers, frozen below; columns get their widths and number formats (points ``0.0``,
counts ``#,##0``; Excel shows them in the reader's locale).
"""

from __future__ import annotations

from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .tables import Column, Report, Table, title_line

__all__ = ["write_xlsx"]

#: Number formats by column kind; ranks stay General (an integer shows as is) and unstyled,
#: which keeps the big exports fast (openpyxl binds a styled cell through an exception).
_FORMATS = {"points": "0.0", "int": "#,##0"}
_BAD_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


def _sheet_title(name: str, used: set[str]) -> str:
    base = name.translate(_BAD_TITLE).strip()[:31] or "Bảng"
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def _write_table(wb: Workbook, report: Report, table: Table, used: set[str]) -> None:
    ws = wb.create_sheet(_sheet_title(table.name, used))
    ws.freeze_panes = "A3"
    for i, column in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    title = WriteOnlyCell(ws, title_line(report))
    title.font = Font(bold=True, size=13)
    ws.append([title])
    headers = []
    for column in table.columns:
        cell = WriteOnlyCell(ws, column.header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        headers.append(cell)
    ws.append(headers)
    _append_rows(ws, table.columns, table)


def _append_rows(ws: object, columns: tuple[Column, ...], table: Table) -> None:
    # A write-only sheet serialises each row on `append`, so one styled cell per numeric
    # column is reused for every row (styling a new cell per value costs ~10x more).
    templates: list[WriteOnlyCell | None] = []
    for column in columns:
        fmt = _FORMATS.get(column.kind)
        cell = None
        if fmt is not None:
            cell = WriteOnlyCell(ws)  # type: ignore[arg-type]
            cell.number_format = fmt
        templates.append(cell)
    points = [c.kind == "points" for c in columns]
    append = ws.append  # type: ignore[attr-defined]
    for row in table.rows:
        out: list[object] = []
        for value, cell, tenths in zip(row, templates, points, strict=False):
            if cell is None or not isinstance(value, int):
                out.append(value)
            else:
                cell.value = value / 10 if tenths else value
                out.append(cell)
        append(out)


def write_xlsx(report: Report, out: IO[bytes] | str) -> None:
    """Write `report` as XLSX to a binary stream or path."""
    wb = Workbook(write_only=True)
    used: set[str] = set()
    for table in report.tables or (Table("Kết quả", (), ()),):
        _write_table(wb, report, table, used)
    wb.save(out)
