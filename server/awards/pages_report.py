"""`/branch/bao-cao`: the council report. The PDF is built off the request as a job
(`report_jobs`, `report_build`): the page shows a progress bar that polls the job's status,
joins a build already running for the campaign, serves the stored PDF with its hash and date,
and says when the stored one no longer matches the current results and proposals. The XLSX
twin is quick and is made in the request."""

from __future__ import annotations

import asyncio
from email.utils import format_datetime
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect

from .context import AwardContext, open_context
from .errors import AwardError
from .pages import BranchController, Q, _blocking, _context, _file, _form, _html
from .report_jobs import (
    ReportParams,
    active_job,
    get_job,
    latest_done,
    report_params,
    start_or_join,
    view,
)
from .tables import ReportJob

__all__ = ["ReportPages"]

Req = Request[Any, Any, Any]
Id = Annotated[int, PathParameter(ge=1)]
_guard = BranchController._guard
_SCRIPT = (Path(__file__).parent / "templates" / "report_progress.js").read_text("utf-8")
_TITLE = "Báo cáo tổng hợp gửi Hội đồng"


async def _fresh(request: Req) -> AwardContext:
    """A context read now (the page's cached one may be 30 s old: the job must not be)."""
    cached = await _context(request)
    return await open_context(cached.engine, request.app.state.store, cached.campaign)


def _launch(request: Req, c: AwardContext, job_id: int, params: ReportParams) -> None:
    from .report_build import build_job

    tasks: set[asyncio.Task[None]] = request.app.state.setdefault("report_tasks", set())
    task = asyncio.get_running_loop().create_task(
        anyio.to_thread.run_sync(lambda: build_job(c, job_id, params)))
    tasks.add(task)  # keep a reference until it ends
    task.add_done_callback(tasks.discard)


class ReportPages(Controller):
    path = "/branch/bao-cao"
    include_in_schema = False

    async def _page(self, request: Req, status: int = 200, job: int | None = None,
                    **extra: Any) -> Response[Any]:
        from .report_build import content, fingerprint

        c = await _context(request)

        def state() -> dict[str, Any]:
            running = active_job(c.engine, c.campaign)
            shown = get_job(c.engine, job) if job else running
            done = latest_done(c.engine, c.campaign)
            current = None
            if done is not None:
                params = msgspec.json.decode(done.params, type=ReportParams)
                try:
                    current = fingerprint(content(c, params)) == done.fingerprint
                except AwardError:  # its comparison campaign left the directory
                    current = False
            return {"job": view(shown) if shown and shown.campaign == c.campaign else None,
                    "done": view(done) if done else None,
                    "done_params": msgspec.json.decode(done.params) if done else {},
                    "current": current}

        found = await _blocking(state)
        extra.setdefault("joined", "da-co" in request.query_params)
        return _html("report.html.j2", request, status, title=_TITLE, d=c.report_defaults(),
                     campaign=c.campaign, campaigns=sorted(c.names.campaigns), **found, **extra)

    @get("/")
    async def index(self, request: Req,
                    job: Annotated[int | None, QueryParameter(ge=1)] = None) -> Response[Any]:
        return await _guard(self, request) or await self._page(request, job=job)  # type: ignore[arg-type]

    async def _start(self, request: Req, form: dict[str, str]) -> Response[Any]:
        try:
            params = report_params(form)
        except AwardError as exc:
            return await self._page(request, 400, error=f"Chưa dựng báo cáo: {exc}.")
        c = await _fresh(request)
        user = request.scope["user"].name
        job_id, joined = await _blocking(lambda: start_or_join(c.engine, c.campaign, params, user))
        if not joined:
            _launch(request, c, job_id, params)
        return Redirect(f"/branch/bao-cao?job={job_id}" + ("&da-co=1" if joined else ""))

    @post("/dung", status_code=200)
    async def build(self, request: Req) -> Response[Any]:
        """Start the PDF build (or join the one running) and show its progress."""
        return await _guard(self, request) or await self._start(request, await _form(request))  # type: ignore[arg-type]

    async def _row(self, request: Req, job: int) -> Response[Any] | ReportJob | None:
        """The guard's refusal, or job ``job`` (None: no such job)."""
        if (refused := await _guard(self, request)) is not None:  # type: ignore[arg-type]
            return refused
        c = await _context(request)
        return await _blocking(lambda: get_job(c.engine, job))

    @get("/trang-thai/{job:int}")
    async def status(self, request: Req, job: Id) -> Response[Any]:
        """The job's progress, for the page's bar (JSON)."""
        if isinstance(row := await self._row(request, job), Response):
            return row
        if row is None:
            return Response({"error": f"Không có lần dựng báo cáo số {job}."}, status_code=404)
        shown = view(row)
        body = msgspec.to_builtins(shown) | (
            {"url": f"/branch/bao-cao/tep/{job}"} if shown.status == "done" else {})
        return Response(body, media_type=MediaType.JSON, headers={"Cache-Control": "no-store"})

    @get("/tep/{job:int}")
    async def download(self, request: Req, job: Id) -> Response[Any]:
        """The stored PDF, with its sha256 as ETag and its build date."""
        if isinstance(row := await self._row(request, job), Response):
            return row
        if row is None or row.status != "done" or not row.pdf:
            return await self._page(request, 404, error=f"Báo cáo lần dựng số {job} chưa có "
                                                        "tệp PDF (chưa xong hoặc bị lỗi).")
        shown = view(row)
        etag = f'"{shown.sha256}"'
        headers = {"ETag": etag, "X-Content-SHA256": shown.sha256, "Cache-Control": "private",
                   "Last-Modified": format_datetime(shown.finished_at or shown.created_at,
                                                    usegmt=True)}
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=304, headers=headers)
        name = f"bao-cao-{row.campaign}-{shown.number}.pdf"
        response = _file(row.pdf, name, "application/pdf")
        response.headers.update(headers)
        return response

    @get("/tai-ve")
    async def export(self, request: Req, number: Q = "", signer_name: Q = "",
                     signer_title: Q = "GIÁM ĐỐC", signed_on: Q = "", previous: Q = "",
                     format: Q = "pdf") -> Response[Any]:  # noqa: A002 - the form's name
        """XLSX now; the PDF as a background build (the old link lands on its progress)."""
        from reports.council_xlsx import council_xlsx

        from .report_build import content

        if (refused := await _guard(self, request)) is not None:  # type: ignore[arg-type]
            return refused
        form = {"number": number, "signer_name": signer_name, "signer_title": signer_title,
                "signed_on": signed_on, "previous": previous}
        if format != "xlsx":
            return await self._start(request, form)
        try:
            params = report_params(form)
        except AwardError as exc:
            return await self._page(request, 400, error=f"Chưa tạo tệp XLSX: {exc}.")
        c = await _fresh(request)
        try:
            body = await _blocking(lambda: council_xlsx(content(c, params)))
        except AwardError as exc:
            return await self._page(request, 400, error=f"Chưa tạo tệp XLSX: {exc}.")
        return _file(body, f"bao-cao-{c.campaign}-{params.number}.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @get("/tien-do.js")
    async def script(self) -> Response[str]:
        """The progress bar's poller (a file: the CSP forbids inline scripts)."""
        return Response(_SCRIPT, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})
