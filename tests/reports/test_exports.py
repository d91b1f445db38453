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


def test_xlsx_bulk_rows_read_back_like_openpyxls_own_cells(tmp_path: Path) -> None:
    """`reports.xlsx_rows` writes what openpyxl's cell-by-cell `append` would: escaped text,
    kept spaces, gaps, big and negative numbers, tenths, styles; control characters (which
    openpyxl refuses) are dropped."""
    rows = [(1, "<b>Tổ & \"Hội\"</b>", 955, 12_345_678_901, "Tốt"),
            (None, "  hai khoảng trắng ", -15, None, ""),
            (3, "xuống\ndòng\tTab", 0, 7, None),
            *[(i, f"Tổ số {i}", i * 3, i, "Khá") for i in range(4, 4500)]]  # > one chunk
    path = tmp_path / "bulk.xlsx"
    write_xlsx(Report("Xếp hạng", "Đợt", "Xã", date(2026, 12, 1),
                      (Table("Tổ", COLUMNS, rows),)), str(path))
    ws = load_workbook(path)["Tổ"]
    assert ws["A1"].font.b and ws["A1"].font.sz == 13
    assert ws["B2"].font.b and ws["B2"].alignment.wrap_text
    got = [tuple(c.value for c in row) for row in ws.iter_rows(min_row=3)]
    assert got[0] == (1, "<b>Tổ & \"Hội\"</b>", 95.5, 12_345_678_901, "Tốt")
    assert got[1][:4] == (None, "  hai khoảng trắng ", -1.5, None) and got[1][4] in ("", None)
    assert got[2] == (3, "xuống\ndòng\tTab", 0, 7, None)
    assert len(got) == len(rows) and got[-1] == (4499, "Tổ số 4499", 1349.7, 4499, "Khá")
    assert ws["C4000"].number_format == "0.0" and ws["D4000"].number_format == "#,##0"
    assert ws["A4000"].number_format == "General" and not ws["B4000"].font.b
    clean = tmp_path / "ctl.xlsx"
    write_xlsx(Report("X", "Đợt", "Xã", date(2026, 12, 1),
                      (Table("Tổ", COLUMNS, [(1, "Tổ\x01 số\x1f 1", 10, 1, "Tốt")]),)), str(clean))
    assert load_workbook(clean)["Tổ"]["B3"].value == "Tổ số 1"
