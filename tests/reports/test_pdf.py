"""The shared PDF helper: bundled fonts declared, embedded, Vietnamese text intact."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reports.pdf import FONTS_DIR, html_to_pdf, vi_date
from tests.reports.pdftools import fonts, page_sizes_mm, pdf_text

VIETNAMESE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc ươ ỹ Ỵ đ ₫"


def test_bundled_fonts_are_embedded_and_text_round_trips(tmp_path: Path) -> None:
    html = (f"<p>{VIETNAMESE}</p><p style='font-family: var(--sans); font-weight: bold'>"
            "Tổ tiết kiệm và vay vốn</p><p><i>Giấy khen</i></p>")
    out = tmp_path / "a.pdf"
    out.write_bytes(html_to_pdf(html, stylesheets=["@page { size: A4 landscape }"]))
    assert VIETNAMESE in pdf_text(out)
    assert "Tổ tiết kiệm và vay vốn" in pdf_text(out)
    assert page_sizes_mm(out) == [(297, 210)]
    listed = fonts(out)
    names = {name.split("+")[-1] for name, _ in listed}
    assert {"Thidua-Serif", "Thidua-Sans-Bold", "Thidua-Serif-Italic"} <= names, listed
    assert all(embedded for _, embedded in listed), listed


def test_licence_ships_with_the_fonts() -> None:
    assert "SIL OPEN FONT LICENSE" in (FONTS_DIR / "OFL.txt").read_text()
    assert len(list(FONTS_DIR.glob("*.ttf"))) == 6


def test_vietnamese_administrative_dates() -> None:
    assert vi_date(dt.date(2026, 2, 5), "Cần Thơ") == "Cần Thơ, ngày 05 tháng 02 năm 2026"
    assert vi_date(dt.date(2026, 12, 15)) == "ngày 15 tháng 12 năm 2026"
    assert vi_date(dt.date(2026, 3, 1)) == "ngày 01 tháng 3 năm 2026"
