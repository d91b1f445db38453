"""Certificates and calibration sheet read back: text, page size, fonts, and the first page
against a stored low-resolution reference image."""

from __future__ import annotations

import subprocess
from pathlib import Path

import msgspec
import pytest
from PIL import Image, ImageChops, ImageStat

from reports.certificates import (
    Certificate,
    DoesNotFit,
    calibration_pdf,
    certificates_pdf,
    default_layout,
)
from tests.reports.pdftools import fonts, page_sizes_mm, pdf_text

DATA = Path(__file__).parent / "data"
SIZES = {"giay_khen": (297, 210), "bang_khen": (420, 297)}
#: Mean absolute grey difference (0-255) allowed against the reference (font hinting, AA).
TOLERANCE = 1.0


def cert(kind: str = "giay_khen", **changes: str) -> Certificate:
    base = Certificate(
        kind=kind,  # type: ignore[arg-type]
        issuer="GIÁM ĐỐC CHI NHÁNH NGÂN HÀNG CHÍNH SÁCH XÃ HỘI TỈNH AN GIANG",
        salutation="Tập thể:", name="Tổ TK&VV số 3 Ấp Đông Kênh", position="Xã Óc Hòa",
        achievement="Đã có thành tích xuất sắc trong phong trào thi đua thực hiện tín dụng "
                    "chính sách xã hội năm 2026",
        place_date="An Giang, ngày 05 tháng 12 năm 2026", signer_title="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
        signer_name="Nguyễn Thị Ánh Tuyết", decision="Quyết định số 125/QĐ-NHCS ngày 05/12/2026",
        register="Số sổ vàng: 17")
    return msgspec.structs.replace(base, **changes)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind", ["giay_khen", "bang_khen"])
@pytest.mark.parametrize("mode", ["blank", "full"])
def test_certificate_text_size_and_fonts(tmp_path: Path, kind: str, mode: str) -> None:
    second = cert(kind, salutation="Bà:", name="Lê Thị Hồng Nhung",
                  position="Trưởng ấp Phú Hữu, Xã Mỹ Đức", register="Số sổ vàng: 18")
    pdf = _write(tmp_path, "c.pdf", certificates_pdf([cert(kind), second],
                                                      default_layout(kind), mode))  # type: ignore[arg-type]
    text = pdf_text(pdf)
    for line in ("GIÁM ĐỐC CHI NHÁNH NGÂN HÀNG CHÍNH SÁCH XÃ HỘI TỈNH AN GIANG", "Tập thể:",
                 "Tổ TK&VV số 3 Ấp Đông Kênh", "Đã có thành tích xuất sắc", "năm 2026",
                 "An Giang, ngày 05 tháng 12 năm 2026", "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC",
                 "Nguyễn Thị Ánh Tuyết", "Quyết định số 125/QĐ-NHCS ngày 05/12/2026",
                 "Số sổ vàng: 17", "Lê Thị Hồng Nhung", "Trưởng ấp Phú Hữu, Xã Mỹ Đức",
                 "Số sổ vàng: 18"):
        assert line in text, line
    title = "GIẤY KHEN" if kind == "giay_khen" else "BẰNG KHEN"
    printed_on_blank = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                        "TẶNG", title, "BẢN XEM TRƯỚC")
    for line in printed_on_blank:  # the blank carries them: print-on-blank never does
        assert (line in text) == (mode == "full"), line
    assert page_sizes_mm(pdf) == [SIZES[kind]] * 2
    listed = fonts(pdf)
    assert listed and all(embedded for _, embedded in listed), listed
    assert all("Thidua" in name for name, _ in listed), listed


@pytest.mark.parametrize("kind", ["giay_khen", "bang_khen"])
def test_calibration_sheet(tmp_path: Path, kind: str) -> None:
    pdf = _write(tmp_path, "cal.pdf", calibration_pdf(default_layout(kind), "Chi nhánh An Giang"))  # type: ignore[arg-type]
    text = pdf_text(pdf)
    assert "Tờ căn chỉnh" in text and "Chi nhánh An Giang" in text
    for label in ("Tên người/tập thể", "Nội dung thành tích", "Số sổ vàng", "Họ tên người ký"):
        assert label in text
    assert " 200 " in text  # the grid's millimetre labels
    assert page_sizes_mm(pdf) == [SIZES[kind]]
    assert all(embedded for _, embedded in fonts(pdf))


def _first_page(pdf: Path) -> Image.Image:
    out = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "12", "-gray", "-f", "1", "-l", "1", "-singlefile",
                    "-png", str(pdf), str(out)], check=True)
    return Image.open(out.with_suffix(".png")).convert("L")


def _difference(a: Image.Image, b: Image.Image) -> float:
    assert a.size == b.size, (a.size, b.size)
    return float(ImageStat.Stat(ImageChops.difference(a, b)).mean[0])


def test_first_page_matches_the_reference_image(tmp_path: Path) -> None:
    reference = Image.open(DATA / "giay_khen_full_12dpi.png").convert("L")
    layout = default_layout("giay_khen")
    page = _first_page(_write(tmp_path, "full.pdf", certificates_pdf([cert()], layout, "full")))
    assert _difference(page, reference) < TOLERANCE
    # the check can fail: the same page with the name box moved 15 mm right, 10 mm down
    box = layout.fields["name"]
    moved = msgspec.structs.replace(layout, fields={
        **layout.fields, "name": msgspec.structs.replace(box, x=box.x + 15, y=box.y + 10)})
    shifted = _first_page(_write(tmp_path, "moved.pdf", certificates_pdf([cert()], moved, "full")))
    assert _difference(shifted, reference) > TOLERANCE


def test_a_name_too_long_for_its_box_is_refused() -> None:
    too_long = cert(name="Tổ tiết kiệm và vay vốn ấp Phú Hòa, xã Tân Phú Đông, thành phố Cần Thơ")
    with pytest.raises(DoesNotFit, match="không vừa ô Tên người/tập thể"):
        certificates_pdf([cert(), too_long], default_layout("giay_khen"), "blank")
