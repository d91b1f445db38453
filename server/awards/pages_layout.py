"""`/branch/phoi`: the field boxes of the blank (what `thidua certificates layout` saves), one
form per kind, with the calibration sheet and a sample page on blank to check them. Every box
is checked before any is saved; each saved box is audited (`printing.save_field`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import QueryParameter

from reports.certificates import FIELDS, KINDS, Certificate, DoesNotFit, Field, certificates_pdf
from reports.pdf import vi_date

from .errors import AwardError
from .pages import KIND_LABELS, BranchController, _blocking, _context, _file, _form, _html

__all__ = ["LayoutPages"]

Req = Request[Any, Any, Any]
_guard = BranchController._guard
Kind = Annotated[str, QueryParameter(max_length=16)]
_NUMBERS = ("x", "y", "w", "h", "size")


def _number(text: str, what: str) -> float:
    """A vi-VN or plain decimal ("12,5" or "12.5"). :raises AwardError:"""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise AwardError(f"{what}: {text!r} không phải là số") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise AwardError(f"{what}: {text!r} không phải là số")
    return value


def boxes_from_form(kind: str, form: dict[str, str]) -> dict[str, Field]:
    """Every field box of the form. :raises AwardError: the first bad value, named."""
    from .printing import check_field

    found = {}
    for name, label in FIELDS.items():
        what = f"Ô {label}"
        values = {k: _number(form.get(f"{name}.{k}", ""), f"{what}, {k}") for k in _NUMBERS}
        lines = _number(form.get(f"{name}.lines", ""), f"{what}, số dòng")
        if lines != int(lines):
            raise AwardError(f"{what}: số dòng phải là số nguyên")
        align = form.get(f"{name}.align", "center")
        if align not in ("left", "center", "right"):
            raise AwardError(f"{what}: canh lề {align!r} không có")
        box = Field(**values, lines=int(lines), align=align,  # type: ignore[arg-type]
                    bold=f"{name}.bold" in form, italic=f"{name}.italic" in form)
        check_field(kind, name, box)
        found[name] = box
    return found


def _no_kind(request: Req, kind: str) -> Response[Any]:
    return _html("base.html.j2", request, 400, title="Tọa độ các ô trên phôi",
                 error=f"Không có loại phôi {kind!r} (giay_khen, bang_khen).")


class LayoutPages(Controller):
    path = "/branch/phoi"
    include_in_schema = False

    async def _page(self, request: Req, kind: str, status: int = 200, **extra: Any) -> Response[Any]:
        from .printing import layout_for

        c = await _context(request)
        layout = await _blocking(lambda: layout_for(c.engine, c.issuer, kind))
        width, height = layout.size_mm
        return _html("layout.html.j2", request, status, title="Tọa độ các ô trên phôi",
                     kind=kind, kinds=KIND_LABELS, layout=layout, labels=FIELDS,
                     width=width, height=height, issuer=c.issuer, **extra)

    @get("/")
    async def show(self, request: Req, kind: Kind = "giay_khen") -> Response[Any]:
        if (refused := await _guard(self, request)) is not None:  # type: ignore[arg-type]
            return refused
        if kind not in KINDS:
            return _no_kind(request, kind)
        return await self._page(request, kind)

    @post("/", status_code=200)
    async def save(self, request: Req) -> Response[Any]:
        from .printing import layout_for, save_field

        if (refused := await _guard(self, request)) is not None:  # type: ignore[arg-type]
            return refused
        c, form = await _context(request), await _form(request)
        kind = form.get("kind", "")
        if kind not in KINDS:
            return _no_kind(request, kind)
        try:
            boxes = boxes_from_form(kind, form)
        except AwardError as exc:
            return await self._page(request, kind, 400, error=f"Chưa lưu: {exc}")

        def work() -> int:
            old = layout_for(c.engine, c.issuer, kind).fields
            changed = {n: b for n, b in boxes.items() if old.get(n) != b}
            for name, box in changed.items():
                save_field(c.engine, c.issuer, kind, name, box)
            return len(changed)

        saved = await _blocking(work, request)
        return await self._page(request, kind, message=f"Đã lưu {saved} ô (có ghi nhật ký).")

    @get("/xem-thu")
    async def sample(self, request: Req, kind: Kind = "giay_khen") -> Response[Any]:
        """One sample page on blank with the saved boxes (to hold against a real blank)."""
        from .printing import layout_for

        if (refused := await _guard(self, request)) is not None:  # type: ignore[arg-type]
            return refused
        if kind not in KINDS:
            return _no_kind(request, kind)
        c = await _context(request)
        d = c.decision_defaults("", kind=kind, signed_on=date.today())
        cert = Certificate(kind=kind, issuer=d.issuer_line, salutation="Bà:",  # type: ignore[arg-type]
                           name="Nguyễn Thị Ánh Tuyết",
                           position="Tổ trưởng Tổ TK&VV ấp Mỹ Hòa, xã Long Điền",
                           achievement=d.achievement, place_date=vi_date(d.signed_on, d.place),
                           signer_title="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", signer_name="Lê Văn Bình",
                           decision=f"Quyết định số 1/{d.symbol} ngày {d.signed_on:%d/%m/%Y}",
                           register="Số sổ vàng: 1")
        try:
            pdf = await _blocking(lambda: certificates_pdf(
                [cert], layout_for(c.engine, c.issuer, kind), "blank"))
        except DoesNotFit as exc:
            return await self._page(request, kind, 400, error=f"Trang mẫu không in được: {exc}")
        return _file(pdf, f"mau-{kind}.pdf", "application/pdf")
