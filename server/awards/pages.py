"""`/branch/`: small server-rendered pages (Jinja2 forms, the session cookie) for branch
reviewers: proposals and adjustments, decisions, printing, the register (the council report:
`pages_report`, people: `pages_people`, field boxes: `pages_layout`).

Only `admin` and `branch_reviewer` accounts get in. Blocking work (SQL, WeasyPrint) runs in
a worker thread. Refused input re-renders the page with the reason (400), never a 5xx.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio.to_thread
import jinja2
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect

from reports.certificates import KINDS, calibration_pdf
from scoring.numbers import format_points

from ..audit import Actor, acting_as
from ..auth import Authenticator, SignInRefused, cookie_header
from .basis import FLAG_LABELS, basis_flags
from .context import AwardContext, engine_for, open_context
from .errors import AwardError

__all__ = ["BranchController"]

T = TypeVar("T")
Req = Request[Any, Any, Any]
ALLOWED = frozenset({"admin", "branch_reviewer"})
KIND_LABELS = {k: f"{v[0].capitalize()} ({'A4' if k == 'giay_khen' else 'A3'} ngang)"
               for k, v in KINDS.items()}
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                          autoescape=True, undefined=jinja2.StrictUndefined)
_ENV.filters["flag_label"] = lambda flag: FLAG_LABELS.get(flag, flag)
_CONTEXT_TTL = 30.0
Q = Annotated[str, QueryParameter(max_length=256)]


def _html(template: str, request: Req, status: int = 200, **values: Any) -> Response[str]:
    values.setdefault("error", None)
    values.setdefault("message", None)
    body = _ENV.get_template(template).render(user=request.scope.get("user"), **values)
    return Response(body, status_code=status, media_type=MediaType.HTML)


def _file(data: bytes, name: str, media_type: str) -> Response[bytes]:
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def _context(request: Req) -> AwardContext:
    state = request.app.state
    cached = state.get("awards_context")
    if cached and time.monotonic() - cached[0] < _CONTEXT_TTL:
        return cached[1]  # type: ignore[no-any-return]
    if state.get("awards_engine") is None:
        state["awards_engine"] = await anyio.to_thread.run_sync(engine_for, state.settings)
    ctx = await open_context(state["awards_engine"], state.store)
    state["awards_context"] = (time.monotonic(), ctx)
    return ctx


async def _blocking(work: Callable[[], T], request: Req | None = None) -> T:
    """``work`` in a worker thread; with ``request``, its audit rows name the signed-in user."""
    user = request.scope.get("user") if request is not None else None
    if user is None:
        return await anyio.to_thread.run_sync(work)
    assert request is not None
    actor = Actor(user.name, client=request.client.host if request.client else None)

    def attributed() -> T:
        with acting_as(actor):
            return work()

    return await anyio.to_thread.run_sync(attributed)


def _allowed(request: Req) -> bool:
    user = request.scope.get("user")
    return user is not None and bool(ALLOWED & set(user.roles))


async def _form(request: Req) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items()}


class BranchController(Controller):
    path = "/branch"
    include_in_schema = False

    async def _guard(self, request: Req) -> Response[Any] | None:
        if request.scope.get("user") is None:
            return Redirect("/branch/dang-nhap")
        if not _allowed(request):
            return _html("base.html.j2", request, 403, title="Không có quyền",
                         error="Trang này dành cho cán bộ xét duyệt của chi nhánh.")
        return None

    @get("/dang-nhap")
    async def login_form(self, request: Req) -> Response[str]:
        return _html("login.html.j2", request, title="Đăng nhập")

    @post("/dang-nhap", status_code=200)
    async def login(self, request: Req) -> Response[Any]:
        form = await _form(request)
        auth: Authenticator = request.app.state.auth
        client = request.client.host if request.client else ""
        try:
            account = await auth.sign_in(form.get("name", ""), form.get("password", ""), client)
            cookie = await auth.new_cookie(account.name)
        except SignInRefused as refused:
            return _html("login.html.j2", request, refused.status, title="Đăng nhập",
                         error="Tên đăng nhập hoặc mật khẩu không đúng, hoặc thử lại sau ít phút.")
        header = cookie_header(cookie, auth.settings.session_timeout, request.url.scheme == "https")
        return Redirect("/branch/", headers={"Set-Cookie": header})

    @post("/dang-xuat", status_code=200)
    async def logout(self, request: Req) -> Response[Any]:
        return Redirect("/branch/dang-nhap", headers={"Set-Cookie": cookie_header("", 0, False)})

    @get("/")
    async def home(self, request: Req) -> Response[Any]:

        if (refused := await self._guard(request)) is not None:
            return refused
        c = await _context(request)
        found = await _blocking(lambda: c.proposals())
        return _html("home.html.j2", request, title="Khen thưởng và giấy khen",
                     campaign=c.names.campaigns.get(c.campaign, c.campaign), period=c.period,
                     results=len(found.results), proposed=len(found.proposals),
                     locked=sum(r.sheet_status == "locked" for r in found.results))

    async def _proposals(self, request: Req, status: int = 200, **extra: Any) -> Response[Any]:

        c = await _context(request)
        found = await _blocking(lambda: c.proposals())
        results = {r.unit: r for r in found.results}
        chosen: dict[str, list[str]] = {}
        for p in found.proposals:
            chosen.setdefault(p.unit, []).append(p.level_vi)
        rows = [(u, results.get(u), found.basis.label(u), ", ".join(chosen.get(u, [])) or "không")
                for u in sorted(found.basis.by_unit)]
        return _html("proposals.html.j2", request, status, title="Đề nghị khen thưởng",
                     found=found, names=c.names, awards=c.cset.awards, points=format_points,
                     basis_rows=rows, basis_flags=basis_flags(c.cset), **extra)

    @get("/de-nghi")
    async def proposals_page(self, request: Req) -> Response[Any]:
        return await self._guard(request) or await self._proposals(request)

    async def _change(self, request: Req, work: Callable[[AwardContext, dict[str, str], str], object],
                      done: str) -> Response[Any]:
        """A form of the proposals page: ``work(context, form, user)`` in a worker thread,
        audited as the signed-in user; the proposals again with ``done``, or with the refusal
        (400)."""
        if (refused := await self._guard(request)) is not None:
            return refused
        c, form, user = await _context(request), await _form(request), request.scope["user"].name
        try:
            await _blocking(lambda: work(c, form, user), request)
        except AwardError as exc:
            return await self._proposals(request, 400, error=str(exc))
        return await self._proposals(request, message=done)

    @post("/de-nghi/dieu-chinh", status_code=200)
    async def adjust(self, request: Req) -> Response[Any]:
        from .proposals import adjust

        return await self._change(request, lambda c, form, user: adjust(
            c.engine, c.cset, campaign=c.campaign, period=c.period,
            award=form.get("award", ""), unit=form.get("unit", "").strip(),
            action=form.get("action", ""), reason=form.get("reason", ""), user=user),
            "Đã ghi điều chỉnh.")

    @post("/de-nghi/can-cu", status_code=200)
    async def basis(self, request: Req) -> Response[Any]:
        from .basis import set_flag

        return await self._change(request, lambda c, form, user: set_flag(
            c.engine, c.cset, campaign=c.campaign, period=c.period,
            unit=form.get("unit", "").strip(), flag=form.get("flag", ""),
            active=form.get("active", "1") != "0", reason=form.get("reason", ""), user=user),
            "Đã ghi căn cứ.")

    @get("/can-chinh")
    async def calibration(self, request: Req, kind: Q = "giay_khen") -> Response[Any]:
        from .printing import layout_for

        if (refused := await self._guard(request)) is not None:
            return refused
        if kind not in KINDS:
            return _html("base.html.j2", request, 400, title="Tờ căn chỉnh",
                         error=f"Không có loại phôi {kind!r}.")
        c = await _context(request)
        pdf = await _blocking(lambda: calibration_pdf(layout_for(c.engine, c.issuer, kind),
                                                      c.issuer))
        return _file(pdf, f"can-chinh-{kind}.pdf", "application/pdf")

    @get("/so-vang")
    async def register(self, request: Req) -> Response[Any]:
        from .printing import register_lines

        if (refused := await self._guard(request)) is not None:
            return refused
        c = await _context(request)
        lines = await _blocking(lambda: register_lines(c.engine, c.issuer))
        return _html("register.html.j2", request, title="Sổ vàng", lines=lines)
