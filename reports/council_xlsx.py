"""The council report as an XLSX workbook (openpyxl): the same content as the PDF, one sheet
per part; points are numbers (one decimal), so the council can sort and sum them."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from .council import ClassRow, CouncilReport
from .pdf import vi_date

__all__ = ["council_xlsx"]

_BOLD = Font(bold=True)


def _rows(ws: Worksheet, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    ws.append(list(header))
    for cell in ws[ws.max_row]:
        cell.font = _BOLD
    for row in rows:
        ws.append(list(row))


def _distribution(ws: Worksheet, report: CouncilReport, by: str) -> None:
    for k in report.kinds:
        ws.append([k.label])
        ws[ws.max_row][0].font = _BOLD
        table: tuple[ClassRow, ...] = getattr(k, by)
        _rows(ws, ["Phòng giao dịch" if by == "by_office" else "Xã, phường", *k.classes, "Cộng"],
              ([r.name, *r.counts, r.total] for r in table))
        ws.append([])


def council_xlsx(report: CouncilReport) -> bytes:
    """The workbook bytes."""
    h = report.header
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tổng hợp"
    for line in (h.parent_body, h.body, f"Số: {h.number}/{h.symbol}",
                 "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 vi_date(h.signed_on, h.place), h.title, h.summary, f"Kính gửi: {h.addressee}", ""):
        ws.append([line])
    _rows(ws, ["Loại đơn vị", "Đã chấm", "Đã khóa", "Không xét", "Điểm bình quân", "Phân loại"],
          ([k.label, k.scored, k.locked, k.excluded, k.average / 10,
            "; ".join(f"{c}: {n}" for c, n in zip(k.classes, k.counts, strict=True))]
           for k in report.kinds))
    ws.append([])
    ws.append([report.signer.title.replace("\n", " "), report.signer.name])
    ws.column_dimensions["A"].width = 48
    _distribution(wb.create_sheet("Theo PGD"), report, "by_office")
    _distribution(wb.create_sheet("Theo xã"), report, "by_commune")
    cmp_ws = wb.create_sheet("So sánh")
    _rows(cmp_ws, ["Loại đơn vị", "Phân loại", "Đợt trước", "Đợt này", "Tăng/giảm"],
          ([k.label, c, p, n, n - p] for k in report.kinds if k.comparison
           for c, p, n in zip(k.classes, k.comparison.previous_counts, k.counts, strict=True)))
    _rows(wb.create_sheet("Đề nghị khen thưởng"),
          ["TT", "Tên tập thể, cá nhân", "Địa bàn", "Điểm", "Xếp loại", "Hạng", "Hình thức", "Ghi chú"],
          ([i, p.name, p.place, p.total / 10 if p.total is not None else None, p.classification, p.rank, p.level, p.note]
           for i, p in enumerate(report.proposals, start=1)))
    _rows(wb.create_sheet("Không đề nghị"), ["TT", "Tập thể, cá nhân", "Lý do"],
          ([i, n.name, n.reason] for i, n in enumerate(report.not_proposed, start=1)))
    th = wb.create_sheet("Báo cáo thành tích")
    _rows(th, ["Tập thể", "Địa bàn", "Hình thức", "Tiêu chí", "Điểm", "Tối đa", "Căn cứ"],
          ([t.name, t.place, t.level, c.label, c.points / 10, c.max_points / 10, c.explanation]
           for t in report.thematic for c in t.criteria))
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                cell.alignment = Alignment(wrap_text=False, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
