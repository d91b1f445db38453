"""`/branch/quyet-dinh`: decisions (create, number), printing a whole decision into one PDF
and reprinting one certificate; helpers shared with `pages`."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import PathParameter
from litestar.response import Redirect
from sqlmodel import Session, col, select

from reports.certificates import DoesNotFit

from .errors import AwardError
from .pages import KIND_LABELS, BranchController, _blocking, _context, _file, _form, _html
from .tables import RegisterEntry

__all__ = ["DecisionPages"]

Req = Request[Any, Any, Any]
_guard = BranchController._guard
Id = Annotated[int, PathParameter(ge=1)]


class DecisionPages(Controller):
    path = "/branch/quyet-dinh"
    include_in_schema = False

    async def _list(self, request: Req, status: int = 200, **extra: Any) -> Response[Any]:
        from .decisions import list_decisions

        c = await _context(request)
        decisions = await _blocking(lambda: list_decisions(c.engine, c.campaign))
        found = await _blocking(lambda: c.proposals())
        award = c.cset.awards[0].id if c.cset.awards else ""
        return _html("decisions.html.j2", request, status, title="Quyết định khen thưởng",
                     decisions=decisions, awards=c.cset.awards, kinds=KIND_LABELS,
                     counts=Counter(p.award for p in found.proposals),
                     d=c.decision_defaults(award), **extra)

    @get("/")
    async def index(self, request: Req) -> Response[Any]:
        return await _guard(self, request) or await self._list(request)  # type: ignore[arg-type]

    @post("/", status_code=200)
    async def create(self, request: Req) -> Response[Any]:
        from .decisions import create_decision

        if (refused := await _guard(self, request)) is not None:  # type: ignore[arg-type]
            return refused
        c, form = await _context(request), await _form(request)
        award = form.get("award", "")
        try:
            day = date.fromisoformat(form.get("signed_on", ""))
        except ValueError:
            return await self._list(request, 400, error="Ngày ký không hợp lệ.")
        data = msgspec.structs.replace(
            c.decision_defaults(award, number=form.get("number", "").strip(), signed_on=day,
                                kind=form.get("kind", "giay_khen")),
            symbol=form.get("symbol", "").strip(), issuer_line=form.get("issuer_line", "").strip(),
            achievement=form.get("achievement", "").strip(),
            signer_title=form.get("signer_title", "").replace("\\n", "\n").strip(),
            signer_name=form.get("signer_name", "").strip())

        def work() -> int:
            return create_decision(c.engine, c.cset, data, c.recipients(award),
                                   request.scope["user"].name)

        try:
            did = await _blocking(work, request)
        except AwardError as exc:
            return await self._list(request, 400, error=str(exc))
        return Redirect(f"/branch/quyet-dinh/{did}")

    async def _show(self, request: Req, decision: int, status: int = 200,
                    **extra: Any) -> Response[Any]:
        from .decisions import get_decision

        c = await _context(request)

        def load() -> tuple[Any, dict[int, int]]:
            view = get_decision(c.engine, decision)
            with Session(c.engine) as s:
                rows = s.exec(select(RegisterEntry).where(
                    col(RegisterEntry.decision_id) == decision))
                return view, {e.recipient_id: e.number for e in rows}

        try:
            view, numbers = await _blocking(load)
        except AwardError as exc:
            return await self._list(request, 404, error=str(exc))
        return _html("decision.html.j2", request, status,
                     title=f"Quyết định {view.reference}", view=view, numbers=numbers,
                     kinds=KIND_LABELS, **extra)

    @get("/{decision:int}")
    async def show(self, request: Req, decision: Id) -> Response[Any]:
        return await _guard(self, request) or await self._show(request, decision)  # type: ignore[arg-type]

    @post("/{decision:int}/so", status_code=200)
    async def number(self, request: Req, decision: Id) -> Response[Any]:
        from .decisions import set_number

        if (refused := await _guard(self, request)) is not None:  # type: ignore[arg-type]
            return refused
        c, form = await _context(request), await _form(request)
        try:
            await _blocking(lambda: set_number(c.engine, decision, form.get("number", "")),
                            request)
        except AwardError as exc:
            return await self._show(request, decision, 400, error=str(exc))
        return Redirect(f"/branch/quyet-dinh/{decision}")

    async def _print(self, request: Req, decision: int, recipients: list[int] | None) -> Response[Any]:
        from .printing import print_decision

        if (refused := await _guard(self, request)) is not None:  # type: ignore[arg-type]
            return refused
        c, form = await _context(request), await _form(request)
        mode = form.get("mode", "blank")
        try:
            out = await _blocking(lambda: print_decision(
                c.engine, c.cset, decision, mode=mode,  # type: ignore[arg-type]
                user=request.scope["user"].name, recipient_ids=recipients), request)
        except (AwardError, DoesNotFit) as exc:
            return await self._show(request, decision, 400, error=f"Chưa in: {exc}")
        suffix = "xem-truoc" if mode == "full" else "in-phoi"
        return _file(out.pdf, f"quyet-dinh-{decision}-lo-{out.batch_id}-{suffix}.pdf",
                     "application/pdf")

    @post("/{decision:int}/in", status_code=200)
    async def print_all(self, request: Req, decision: Id) -> Response[Any]:
        return await self._print(request, decision, None)

    @post("/{decision:int}/in-lai/{recipient:int}", status_code=200)
    async def reprint(self, request: Req, decision: Id, recipient: Id) -> Response[Any]:
        return await self._print(request, decision, [recipient])
