"""`/branch/ca-nhan`: individuals the branch proposes (group leaders, association officers,
hamlet heads, bank staff, commune officials, model borrowers): list, add, edit; each change
checked (`people.save_person`) and audited; hold one out of rewards or clear it, with a reason
(`person_exclusion`, NĐ 152 Art. 4(4)), shown on the person's row."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import PathParameter
from litestar.response import Redirect

from .errors import AwardError
from .pages import BranchController, _blocking, _context, _form, _html

__all__ = ["PeoplePages"]

Req = Request[Any, Any, Any]
_guard = BranchController._guard
Id = Annotated[int, PathParameter(ge=1)]
_FIELDS = ("role", "salutation", "name", "unit", "position_line", "award", "reason")


class PeoplePages(Controller):
    path = "/branch/ca-nhan"
    include_in_schema = False

    async def _list(self, request: Req, status: int = 200, form: dict[str, str] | None = None,
                    **extra: Any) -> Response[Any]:
        from server.exclusions import active_exclusions

        from .people import ROLES, list_people

        c = await _context(request)
        people = await _blocking(lambda: list_people(c.engine, c.campaign))
        held = await active_exclusions(request.app.state.store)  # fresh, not the cached context
        return _html("people.html.j2", request, status, title="Cá nhân đề nghị khen thưởng",
                     people=people, roles=ROLES, awards=c.cset.awards, excluded=held,
                     form=form or {}, action="/branch/ca-nhan", **extra)

    @get("/")
    async def index(self, request: Req) -> Response[Any]:
        saved = "Đã lưu (có ghi nhật ký)." if "da-luu" in request.query_params else None
        return (await _guard(self, request)  # type: ignore[arg-type]
                or await self._list(request, message=saved))

    async def _save(self, request: Req, person: int | None) -> Response[Any]:
        from .people import PersonInput, save_person

        if (refused := await _guard(self, request)) is not None:  # type: ignore[arg-type]
            return refused
        c, form = await _context(request), await _form(request)
        data = PersonInput(**{k: form.get(k, "") for k in _FIELDS})
        try:
            await _blocking(lambda: save_person(c.engine, c.cset, c.names, data,
                                                campaign=c.campaign, person_id=person,
                                                user=request.scope["user"].name), request)
        except AwardError as exc:
            if person is None:
                return await self._list(request, 400, form=form, error=f"Chưa lưu: {exc}")
            return await self._edit(request, person, 400, form=form, error=f"Chưa lưu: {exc}")
        return Redirect("/branch/ca-nhan?da-luu=1")

    @post("/", status_code=200)
    async def add(self, request: Req) -> Response[Any]:
        return await self._save(request, None)

    async def _edit(self, request: Req, person: int, status: int = 200,
                    form: dict[str, str] | None = None, **extra: Any) -> Response[Any]:
        from .people import ROLES, get_person

        c = await _context(request)
        row = await _blocking(lambda: get_person(c.engine, person))
        if row is None or row.campaign != c.campaign:
            return await self._list(request, 404, error=f"Không có cá nhân số {person}.")
        values = form or {k: str(getattr(row, k)) for k in _FIELDS}
        return _html("person.html.j2", request, status, title=f"Sửa: {row.name}", roles=ROLES,
                     awards=c.cset.awards, form=values, action=f"/branch/ca-nhan/{person}",
                     **extra)

    @get("/{person:int}")
    async def edit(self, request: Req, person: Id) -> Response[Any]:
        return await _guard(self, request) or await self._edit(request, person)  # type: ignore[arg-type]

    @post("/{person:int}", status_code=200)
    async def update(self, request: Req, person: Id) -> Response[Any]:
        return await self._save(request, person)

    @post("/{person:int}/tam-dung", status_code=200)
    async def exclusion(self, request: Req, person: Id) -> Response[Any]:
        """Hold the person out of rewards (``action=set``) or clear it, with a reason."""
        from server.exclusions import active_exclusions

        from .people import get_person
        from .person_exclusion import set_person_exclusion

        if (refused := await _guard(self, request)) is not None:  # type: ignore[arg-type]
            return refused
        c, form = await _context(request), await _form(request)
        row = await _blocking(lambda: get_person(c.engine, person))
        if row is None or row.campaign != c.campaign:
            return await self._list(request, 404, error=f"Không có cá nhân số {person}.")
        store = request.app.state.store
        try:
            await set_person_exclusion(
                store, getattr(request.app.state, "audit", None), person_id=person,
                action=form.get("action", ""), reason=form.get("reason", ""),
                by=request.scope["user"].name, current=await active_exclusions(store))
        except AwardError as exc:
            return await self._list(request, 400, error=f"{row.name}: chưa ghi. {exc}.")
        request.app.state["awards_context"] = None  # proposals and decisions see it at once
        done = "đã tạm dừng xét khen thưởng" if form["action"] == "set" else "đã bỏ tạm dừng"
        return await self._list(request, message=f"{row.name}: {done} (có ghi nhật ký).")
