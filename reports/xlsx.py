"""XLSX rendering of a `Report` with openpyxl (write-only workbook, lxml): the national
ranking's ~170,000 rows in a few seconds.

One sheet per table; row 1 is the title (campaign, scope, date), row 2 the Vietnamese
headers, frozen below; columns get their widths and number formats (points ``0.0``,
counts ``#,##0``; Excel shows them in the reader's locale). openpyxl writes the workbook,
styles and sheet frames; the rows go through `reports.xlsx_rows` in bulk.
"""

from __future__ import annotations

from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .tables import Column, Report, Table, title_line
from .xlsx_rows import write_sheet_data

__all__ = ["write_xlsx"]

#: Number formats by column kind; ranks stay General (an integer shows as is).
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
    title = WriteOnlyCell(ws)
    title.font = Font(bold=True, size=13)
    header = WriteOnlyCell(ws)
    header.font = Font(bold=True)
    header.alignment = Alignment(wrap_text=True, vertical="center")
    top = [[(title_line(report), title)], [(c.header, header) for c in table.columns]]
    write_sheet_data(ws, top, table.rows, _column_styles(ws, table.columns),
                     [c.kind == "points" for c in table.columns])


def _column_styles(ws: object, columns: tuple[Column, ...]) -> list[Cell | None]:
    """One pre-built cell per column carrying its number format (None: General)."""
    styles: list[Cell | None] = []
    for column in columns:
        fmt = _FORMATS.get(column.kind)
        cell = None
        if fmt is not None:
            cell = WriteOnlyCell(ws)  # type: ignore[arg-type]
            cell.number_format = fmt
        styles.append(cell)
    return styles


def write_xlsx(report: Report, out: IO[bytes] | str) -> None:
    """Write `report` as XLSX to a binary stream or path."""
    wb = Workbook(write_only=True)
    used: set[str] = set()
    for table in report.tables or (Table("Kết quả", (), ()),):
        _write_table(wb, report, table, used)
    wb.save(out)
