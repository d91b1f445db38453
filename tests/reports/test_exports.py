"""Exports read back: XLSX with openpyxl, CSV with csv, PDF with pdftotext; Vietnamese text."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from reports.csvfile import write_csv
from reports.pdffile import report_pdf
from reports.tables import Column, Report, Table
from reports.xlsx import write_xlsx
from tests.reports.pdftools import fonts, pdf_text

COLUMNS = (Column("Hạng", "rank", 6), Column("Tên đơn vị", "text", 36),
           Column("Tổng điểm", "points", 10), Column("Số tổ viên", "int", 10),
           Column("Xếp loại", "text", 12))
GROUPS = Table("Tổ TK&VV", COLUMNS, [(1, "Tổ TK&VV số 1 Ấp Phước Hưng", 955, 1234, "Tốt"),
                                     (2, "Tổ TK&VV số 2 Ấp Thạnh Lợi", 870, 35, "Khá"),
                                     (2, "Tổ TK&VV số 3 Ấp Đông Hòa", 870, 40, "Khá")])
ASSOCS = Table("Hội đoàn thể cấp xã", COLUMNS, [(1, "Hội LHPN xã Mỹ Phước", 1000, 4, "Xuất sắc")])
REPORT = Report("Xếp hạng", "Thi đua năm 2026", "Tỉnh Hậu Giang", date(2026, 12, 1),
                (GROUPS, ASSOCS))


def test_xlsx_reopens_with_sheets_titles_headers_formats(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    write_xlsx(REPORT, str(path))
    wb = load_workbook(path)
    assert wb.sheetnames == ["Tổ TK&VV", "Hội đoàn thể cấp xã"]
    ws = wb["Tổ TK&VV"]
    assert ws["A1"].value == "Xếp hạng — Thi đua năm 2026 — Tỉnh Hậu Giang — ngày 01/12/2026"
    assert [c.value for c in ws[2]] == [c.header for c in COLUMNS]
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["B"].width == 36
    assert [c.value for c in ws[4]] == [2, "Tổ TK&VV số 2 Ấp Thạnh Lợi", 87.0, 35, "Khá"]
    assert ws["C3"].value == 95.5 and ws["C3"].number_format == "0.0"
    assert ws["D3"].number_format == "#,##0"
    assert ws.max_row == 5
    assert wb["Hội đoàn thể cấp xã"]["B3"].value == "Hội LHPN xã Mỹ Phước"


def test_csv_has_bom_one_header_and_vietnamese_rows() -> None:
    out = io.BytesIO()
    write_csv(REPORT, out)
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Loại đơn vị"] + [c.header for c in COLUMNS]
    assert rows[1] == ["Tổ TK&VV", "1", "Tổ TK&VV số 1 Ấp Phước Hưng", "95,5", "1.234", "Tốt"]
    assert rows[-1][0] == "Hội đoàn thể cấp xã" and rows[-1][3] == "100"
    assert len(rows) == 5


def test_csv_of_one_table_has_no_kind_column() -> None:
    out = io.BytesIO()
    write_csv(Report("Xếp hạng", "c", "s", date(2026, 1, 2), (ASSOCS,)), out)
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert rows == [[c.header for c in COLUMNS], ["1", "Hội LHPN xã Mỹ Phước", "100", "4", "Xuất sắc"]]


def test_pdf_text_is_vietnamese_and_fonts_embedded(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(report_pdf(REPORT))
    text = pdf_text(path)
    assert "Xếp hạng — Thi đua năm 2026 — Tỉnh Hậu Giang — ngày 01/12/2026" in text
    for expected in ("Tổ TK&VV số 3 Ấp Đông Hòa", "Hội LHPN xã Mỹ Phước", "Xuất sắc", "95,5",
                     "Tổng điểm", "Xếp loại"):
        assert expected in text
    assert fonts(path) and all(embedded for _, embedded in fonts(path))
