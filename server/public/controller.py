"""`/public/rankings`: the public pages, without sign-in, cached, with ETags.

A page is rendered once and served from memory while the locked results of its campaign
are unchanged (`build.version`, looked at most every `RECHECK` seconds); its ETag is a
digest of the page, so `If-None-Match` gets a 304 without a body.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, Response, get
from litestar.exceptions import ClientException, NotFoundException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter

from reports.public import render_index, render_scope
from server.consolidated.context import campaign_of, period_of, results_engine, territory
from server.controllers.admin import ErrorBody

from .build import index_page, scope_page, version

__all__ = ["PublicCache", "PublicController"]

#: Seconds a cached page is served before the results' version is looked at again.
RECHECK = 2.0
HTML = "text/html; charset=utf-8"
Code = Annotated[str, PathParameter(max_length=16, pattern=r"^[0-9]+$")]
ERRORS = {status: ResponseSpec(data_container=ErrorBody, description="`{error, reason}`")
          for status in (400, 404)}


class PublicCache:
    """Rendered pages by key: (ETag, body, version, checked at); one build per key at once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.pages: dict[tuple[str, ...], tuple[str, bytes, object, float]] = {}
        self.locks: dict[tuple[str, ...], asyncio.Lock] = {}
        self.clock = clock

    async def get(self, key: tuple[str, ...], current: Callable[[], object],
                  render: Callable[[], str | None]) -> tuple[str, bytes] | None:
        cached = self.pages.get(key)
        if cached is not None and self.clock() - cached[3] < RECHECK:
            return cached[0], cached[1]
        lock = self.locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self.pages.get(key)
            if cached is not None and self.clock() - cached[3] < RECHECK:
                return cached[0], cached[1]
            now_version = await anyio.to_thread.run_sync(current)
            if cached is not None and cached[2] == now_version:
                self.pages[key] = (*cached[:3], self.clock())
                return cached[0], cached[1]
            html = await anyio.to_thread.run_sync(render)
            if html is None:
                return None
            body = html.encode("utf-8")
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            self.pages[key] = (etag, body, now_version, self.clock())
            return etag, body


def _cache(request: Request[Any, Any, Any]) -> PublicCache:
    state = request.app.state
    if getattr(state, "public_cache", None) is None:
        state.public_cache = PublicCache()
    cache: PublicCache = state.public_cache
    return cache


def _answer(request: Request[Any, Any, Any], page: tuple[str, bytes] | None) -> Response[bytes]:
    if page is None:
        raise NotFoundException("Không có trang này (no such commune or office).")
    etag, body = page
    headers = {"ETag": etag, "Cache-Control": "public, max-age=60"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=HTML, headers=headers)


def _updated() -> str:
    return f"{datetime.now(UTC):%d/%m/%Y %H:%M} UTC"


class PublicController(Controller):
    path = "/public/rankings"
    tags = ["public"]

    async def _page(self, request: Request[Any, Any, Any], campaign: str | None,
                    period: str | None, what: tuple[str, ...],
                    make: Callable[..., str | None]) -> Response[bytes]:
        directory = await territory(request).directory()
        try:
            cid = campaign_of(directory, campaign)
            pid = period_of(directory, cid, period)
        except ClientException:
            raise NotFoundException(f"Không có đợt thi đua {campaign!r}.") from None
        engine = results_engine(request)
        page = await _cache(request).get(
            (cid, pid or "", *what), lambda: version(engine, cid),
            lambda: make(engine, directory, cid, pid))
        return _answer(request, page)

    @get("/", operation_id="publicRankings", media_type=HTML, responses=ERRORS)
    async def index(
        self, request: Request[Any, Any, Any],
        campaign: Annotated[str | None, QueryParameter(max_length=64)] = None,
        period: Annotated[str | None, QueryParameter(max_length=32)] = None,
        province: Annotated[str | None, QueryParameter(max_length=4, pattern=r"^[0-9]+$")] = None,
    ) -> Response[bytes]:
        """Public results of a campaign: class distribution per unit kind, offices and
        communes with their locked counts (no sign-in, no script)."""
        def make(engine: Any, directory: Any, cid: str, pid: str | None) -> str:
            return render_index(index_page(engine, directory, cid, pid, province, _updated()))

        return await self._page(request, campaign, period, ("index", province or ""), make)

    @get("/{place:str}/{code:str}", operation_id="publicRankingsScope", media_type=HTML,
         responses=ERRORS)
    async def scope(
        self, request: Request[Any, Any, Any],
        place: Annotated[str, PathParameter(pattern=r"^(communes|offices)$")], code: Code,
        campaign: Annotated[str | None, QueryParameter(max_length=64)] = None,
        period: Annotated[str | None, QueryParameter(max_length=32)] = None,
    ) -> Response[bytes]:
        """One commune's or office's locked results per unit kind, ranked, each unit with
        its points per criterion, the date of its result and its criteria set."""
        kind = "commune" if place == "communes" else "office"

        def make(engine: Any, directory: Any, cid: str, pid: str | None) -> str | None:
            page = scope_page(engine, directory, cid, pid, kind, code, _updated())
            return None if page is None else render_scope(page)

        return await self._page(request, campaign, period, (kind, code), make)
