"""The council report from locked results: PDF read back (header, figures, charts, proposals,
reasons, thematic reports), and the XLSX twin reopened."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from reports.council import CouncilReport, council_html, council_pdf
from reports.council_xlsx import council_xlsx
from scoring import CriteriaSet
from scoring.demo import DemoProvince
from server.awards import adjust, proposals
from server.awards.council import ReportInput, council_report
from server.awards.directory import Names
from tests.reports.pdftools import fonts, page_sizes_mm, pdf_text

World = tuple[Engine, DemoProvince, CriteriaSet]
INPUT = ReportInput(number="45", signed_on=date(2026, 12, 5), place="An Giang",
                    body="CHI NHÁNH TỈNH AN GIANG",
                    addressee="Thường trực Hội đồng Thi đua – Khen thưởng tỉnh An Giang",
                    signer_title="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", signer_name="Lê Văn Bình")


@pytest.fixture
def report(world: World) -> CouncilReport:
    engine, demo, cset = world
    first = proposals(engine, cset, "2026", "2026")
    removed = first.proposals[0].unit
    adjust(engine, cset, campaign="2026", period="2026", award=first.proposals[0].award,
           unit=removed, action="remove", reason="Đơn vị xin rút", user="chinhanh")
    plist = proposals(engine, cset, "2026", "2026")
    names = Names.from_docs(demo.directory_docs())
    # the previous campaign: the same units, as if a year earlier (a real comparison input)
    return council_report(cset, plist, names, INPUT, campaign="2026", previous=first,
                          previous_campaign="Thi đua năm 2025")


def test_council_pdf(report: CouncilReport, tmp_path: Path) -> None:
    pdf = tmp_path / "bc.pdf"
    pdf.write_bytes(council_pdf(report))
    text = pdf_text(pdf)
    for line in ("NGÂN HÀNG CHÍNH SÁCH XÃ HỘI", "CHI NHÁNH TỈNH AN GIANG", "Số: 45/BC-NHCS",
                 "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "An Giang, ngày 05 tháng 12 năm 2026", "BÁO CÁO",
                 "Kính gửi: Thường trực Hội đồng Thi đua – Khen thưởng tỉnh An Giang",
                 "I. KẾT QUẢ CHẤM ĐIỂM", "SO SÁNH VỚI ĐỢT THI ĐUA TRƯỚC", "Thi đua năm 2025",
                 "IV. ĐỀ NGHỊ KHEN THƯỞNG", "Bỏ khỏi danh sách khi xét duyệt: Đơn vị xin rút",
                 "Nơi nhận:", "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC", "Lê Văn Bình",
                 "BÁO CÁO THÀNH TÍCH", "ĐỀ NGHỊ KHEN THƯỞNG THEO CHUYÊN ĐỀ"):
        assert line in text, line
    for p in report.proposals:
        assert p.name in text
    for n in report.not_proposed[:5]:
        assert n.reason in text
    assert text.count("BÁO CÁO THÀNH TÍCH") == len(report.thematic) > 0
    sizes = page_sizes_mm(pdf)
    assert sizes and set(sizes) == {(210, 297)}
    assert all(embedded for _, embedded in fonts(pdf))


def test_charts_are_svg_in_the_pdf(report: CouncilReport) -> None:
    html = council_html(report)
    charts = re.findall(r"<svg[^>]*role=\"img\"", html)
    assert len(charts) == 2 * len(report.kinds)  # per office and per commune, each kind
    for k in report.kinds:
        for row in k.by_office:
            assert f">{row.total}</text>" in html


def test_council_xlsx_reopens_with_the_same_content(report: CouncilReport) -> None:
    wb = load_workbook(io.BytesIO(council_xlsx(report)))
    assert wb.sheetnames == ["Tổng hợp", "Theo PGD", "Theo xã", "So sánh", "Đề nghị khen thưởng",
                             "Không đề nghị", "Báo cáo thành tích"]
    head = [c.value for c in wb["Tổng hợp"]["A"]]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in head and "Số: 45/BC-NHCS" in head
    rows = list(wb["Đề nghị khen thưởng"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[3]) for r in rows] == [(p.name, p.total / 10) for p in report.proposals]
    assert wb["Không đề nghị"].max_row == len(report.not_proposed) + 1
    by_office = sum(r.total for r in report.kinds[0].by_office)
    assert by_office == report.kinds[0].scored
