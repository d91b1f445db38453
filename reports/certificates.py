"""Giấy khen (A4 landscape) and Bằng khen (A3 landscape): print on blank, full-page preview,
calibration sheet.

Input only (no store): `Certificate` rows (the wording lines of vbsp-notes §2.2) and a
`Layout` (per-field boxes in mm, saved per issuer by `server.awards`). A batch is one HTML
document with one page per certificate, laid out by WeasyPrint in one pass.

* ``blank``: only the variable text, each field in its box, for the official pre-printed blank;
* ``full``: the whole wording inside a CSS border, marked as a preview everywhere: the design of
  the certificates is set by a Prime Minister's regulation not yet at hand (notes, corrections 7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Literal

import msgspec

from .fit import line_width_mm, wrap_lines
from .pdf import environment, html_to_pdf, merge_documents, render_document

__all__ = [
    "FIELDS", "KINDS", "Certificate", "DoesNotFit", "Field", "Layout", "Mode", "calibration_pdf",
    "PARALLEL_FROM", "Page", "certificates_html", "certificates_pdf", "check_fits",
    "default_layout", "pages_pdf",
]

Kind = Literal["giay_khen", "bang_khen"]
Mode = Literal["blank", "full"]
KINDS: dict[str, tuple[str, int, int]] = {  # title, page width and height in mm (landscape)
    "giay_khen": ("GIẤY KHEN", 297, 210),
    "bang_khen": ("BẰNG KHEN", 420, 297),
}
#: Field -> Vietnamese label (calibration sheet and error messages).
FIELDS: dict[str, str] = {
    "issuer": "Cơ quan khen thưởng", "salutation": "Ông/Bà/Tập thể", "name": "Tên người/tập thể",
    "position": "Chức vụ, đơn vị", "achievement": "Nội dung thành tích",
    "place_date": "Địa danh, ngày tháng", "signer_title": "Chức vụ người ký",
    "signer_name": "Họ tên người ký", "decision": "Số quyết định", "register": "Số sổ vàng",
}
PREVIEW_LABEL = "BẢN XEM TRƯỚC – KHÔNG PHẢI MẪU PHÔI CHÍNH THỨC"
#: Batches from this many pages are split over the cores (smaller ones: worker start-up and
#: the PDF join would cost more than they save).
PARALLEL_FROM = 200


class Field(msgspec.Struct, frozen=True, kw_only=True):
    """A text box on the page, in mm from the top-left corner; ``size`` in points."""

    x: float
    y: float
    w: float
    h: float
    size: float = 14
    lines: int = 1
    align: Literal["left", "center", "right"] = "center"
    bold: bool = False
    italic: bool = False


class Layout(msgspec.Struct, frozen=True, kw_only=True):
    kind: Kind
    fields: dict[str, Field]

    @property
    def size_mm(self) -> tuple[int, int]:
        return KINDS[self.kind][1], KINDS[self.kind][2]


class Certificate(msgspec.Struct, frozen=True, kw_only=True):
    """One certificate's wording lines (vbsp-notes §2.2)."""

    kind: Kind
    issuer: str  # "GIÁM ĐỐC CHI NHÁNH NGÂN HÀNG CHÍNH SÁCH XÃ HỘI TỈNH …"
    salutation: str  # "Tập thể:" / "Ông:" / "Bà:"
    name: str
    position: str  # position and unit line ("" for most collectives)
    achievement: str  # "Đã có thành tích xuất sắc trong …"
    place_date: str  # "Cần Thơ, ngày 05 tháng 12 năm 2026"
    signer_title: str  # "GIÁM ĐỐC" / "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
    signer_name: str
    decision: str  # "Quyết định số 125/QĐ-NHCS ngày 05/12/2026"
    register: str  # "Số sổ vàng: 12"


#: A certificate and the lines of each of its fields (`check_fits`).
Page = tuple[Certificate, dict[str, list[str]]]


class DoesNotFit(ValueError):
    """A text longer than its field box: nothing is printed."""

    def __init__(self, field: str, text: str, lines: int) -> None:
        super().__init__(f"'{text}' không vừa ô {FIELDS[field]} ({lines} dòng)")
        self.field, self.text = field, text


def _scale(fields: dict[str, Field], sx: float, sy: float) -> dict[str, Field]:
    return {
        k: msgspec.structs.replace(f, x=round(f.x * sx, 1), y=round(f.y * sy, 1),
                                   w=round(f.w * sx, 1), h=round(f.h * sy, 1),
                                   size=round(f.size * min(sx, sy), 1))
        for k, f in fields.items()
    }


_A4_FIELDS = {  # [A]: boxes for a blank whose printed parts hold the motto, TẶNG and the title
    "issuer": Field(x=40, y=38, w=217, h=10, size=13, bold=True),
    "salutation": Field(x=30, y=78, w=40, h=12, size=16, align="right", italic=True),
    "name": Field(x=72, y=77, w=195, h=13, size=20, align="left", bold=True),
    "position": Field(x=40, y=92, w=217, h=10, size=13),
    "achievement": Field(x=35, y=104, w=227, h=26, size=14, lines=3, italic=True),
    "place_date": Field(x=160, y=140, w=117, h=8, size=12, italic=True),
    "signer_title": Field(x=160, y=149, w=117, h=14, size=12, lines=2, bold=True),
    "signer_name": Field(x=160, y=185, w=117, h=9, size=14, bold=True),
    "decision": Field(x=20, y=178, w=125, h=7, size=10, align="left"),
    "register": Field(x=20, y=186, w=125, h=7, size=10, align="left"),
}


def default_layout(kind: Kind) -> Layout:
    """The default boxes ([A], to be calibrated on the issuer's real blank)."""
    if kind == "giay_khen":
        return Layout(kind=kind, fields=dict(_A4_FIELDS))
    return Layout(kind=kind, fields=_scale(_A4_FIELDS, 420 / 297, 297 / 210))


@lru_cache(maxsize=4096)  # a decision's pages share most texts: measured once
def _fits(field: str, text: str, box: Field) -> tuple[str, ...]:
    style = {"bold": box.bold, "italic": box.italic}
    lines = [w for part in text.split("\n") for w in wrap_lines(part, box.w, box.size, **style)]
    too_wide = any(line_width_mm(line, box.size, **style) > box.w * 0.98 for line in lines)
    line_height_mm = box.size * 1.25 * 25.4 / 72
    if too_wide or len(lines) > box.lines or len(lines) * line_height_mm > box.h + 0.5:
        raise DoesNotFit(field, text, box.lines)
    return tuple(lines)


def check_fits(cert: Certificate, layout: Layout) -> dict[str, list[str]]:
    """The lines of every field of ``cert``. :raises DoesNotFit: a text exceeds its box."""
    if cert.kind != layout.kind:
        raise ValueError(f"mẫu {layout.kind} không dùng cho {cert.kind}")
    return {name: list(_fits(name, getattr(cert, name), box))
            for name, box in layout.fields.items()}


def certificates_html(certs: Sequence[Certificate], layout: Layout, mode: Mode) -> str:
    """One page per certificate (each checked against ``layout`` first)."""
    if not certs:
        raise ValueError("không có giấy khen/bằng khen nào để in")
    return _html([(c, check_fits(c, layout)) for c in certs], layout, mode)


def _html(pages: Sequence[Page], layout: Layout, mode: Mode) -> str:
    title, width, height = KINDS[layout.kind]
    env = environment()
    frame = env.get_template("frame.svg.j2").render(width=width, height=height)
    return env.get_template(f"certificate_{mode}.html.j2").render(
        certs=list(pages), layout=layout, width=width, height=height,
        title=title, preview=PREVIEW_LABEL, frame=frame)


def pages_pdf(pages: Sequence[Page], layout: Layout, mode: Mode,
              progress: Callable[[int], None] | None = None, chunk: int = 100) -> bytes:
    """Checked ``pages`` laid out in this process ``chunk`` at a time (``progress(pages
    done)`` after each) and written once (one font subset for the whole PDF)."""
    docs = []
    for start in range(0, len(pages), chunk):
        docs.append(render_document(_html(pages[start:start + chunk], layout, mode)))
        if progress:
            progress(min(start + chunk, len(pages)))
    pdf = merge_documents(docs).write_pdf()
    assert pdf is not None
    return pdf


def certificates_pdf(certs: Sequence[Certificate], layout: Layout, mode: Mode,
                     progress: Callable[[int], None] | None = None, chunk: int = 100,
                     workers: int | None = None) -> bytes:
    """The batch as one PDF. Every certificate is checked first (:raises DoesNotFit:); a batch
    of ``PARALLEL_FROM`` pages or more is split over ``workers`` processes (default: every
    core, `reports.certificates_pool`), a smaller one laid out here (`pages_pdf`)."""
    if not certs:
        raise ValueError("không có giấy khen/bằng khen nào để in")
    pages = [(c, check_fits(c, layout)) for c in certs]
    from .certificates_pool import cores, render_parallel

    workers = cores() if workers is None else workers
    if workers > 1 and len(pages) >= PARALLEL_FROM:
        return render_parallel(pages, layout, mode, workers, progress, chunk)
    return pages_pdf(pages, layout, mode, progress, chunk)


def calibration_pdf(layout: Layout, issuer: str) -> bytes:
    """A sheet of the blank's size: a mm grid (labelled every 10 mm) and each field's box."""
    title, width, height = KINDS[layout.kind]
    html = environment().get_template("calibration.html.j2").render(
        layout=layout, labels=FIELDS, width=width, height=height, title=title, issuer=issuer)
    return html_to_pdf(html)
