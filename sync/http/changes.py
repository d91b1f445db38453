"""`GET|POST /db/{db}/_changes`: normal and longpoll feeds, heartbeat, timeout, filters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Stream

from ..errors import BadRequest, NotFound
from ..store import ChangesPage, DocumentStore, Seq
from .design import check_filter
from .inline import inline_attachments
from .params import bool_param, int_param, json_param, seq_param
from .wire import JSON_TYPE, decode, encode, json_response, read_body, store_of

__all__ = ["CHANGES_HANDLERS", "MAX_TIMEOUT_MS"]

Req = Request[Any, Any, Any]

#: CouchDB's `changes_timeout`; longer `timeout`/`heartbeat`-only waits are cut to this.
MAX_TIMEOUT_MS = 60_000
_FEEDS = ("normal", "longpoll")


class ChangesBody(msgspec.Struct):
    doc_ids: list[str] | None = None
    selector: dict[str, Any] | None = None


class ChangesQuery(msgspec.Struct, kw_only=True):
    """Everything `store.changes` takes, parsed once."""

    since: Seq
    limit: int | None
    style: str
    include_docs: bool
    conflicts: bool
    descending: bool
    doc_ids: list[str] | None
    selector: dict[str, Any] | None
    attachments: bool = False

    def options(self, since: Seq) -> dict[str, Any]:
        return {"since": since, "limit": self.limit,
                "style": "all_docs" if self.style == "all_docs" else "main_only",
                "include_docs": self.include_docs, "conflicts": self.conflicts,
                "doc_ids": self.doc_ids, "selector": self.selector,
                "descending": self.descending}

    async def page(self, store: DocumentStore, db: str, since: Seq) -> ChangesPage:
        page = await store.changes(db, **self.options(since))
        if self.attachments and self.include_docs:
            docs = [row.doc for row in page.results if isinstance(row.doc, dict)]
            await inline_attachments(store, db, docs)
        return page


def _query(request: Req, body: ChangesBody) -> ChangesQuery:
    style = request.query_params.get("style", "main_only")
    if style not in ("main_only", "all_docs"):
        raise BadRequest(f"Invalid style {style!r}: expected main_only or all_docs.")
    filter_name = request.query_params.get("filter")
    doc_ids = selector = None
    if filter_name == "_doc_ids":
        doc_ids = body.doc_ids if body.doc_ids is not None else json_param(request, "doc_ids")
        if not isinstance(doc_ids, list) or not all(isinstance(i, str) for i in doc_ids):
            raise BadRequest("filter=_doc_ids needs doc_ids, a JSON array of strings.")
    elif filter_name == "_selector":
        selector = body.selector
        if not isinstance(selector, dict):
            raise BadRequest("filter=_selector needs a JSON object `selector` in the body.")
    return ChangesQuery(
        since=seq_param(request.query_params.get("since")),
        limit=int_param(request, "limit"),
        style=style,
        include_docs=bool_param(request, "include_docs"),
        conflicts=bool_param(request, "conflicts"),
        descending=bool_param(request, "descending"),
        doc_ids=doc_ids,
        selector=selector,
        attachments=bool_param(request, "attachments"),
    )


def _heartbeat_ms(request: Req) -> int | None:
    raw = request.query_params.get("heartbeat")
    if raw in (None, "", "false"):
        return None
    if raw == "true":
        return MAX_TIMEOUT_MS
    value = int_param(request, "heartbeat", minimum=1)
    return max(value or 0, 100)


async def _longpoll(
    store: DocumentStore,
    db: str,
    query: ChangesQuery,
    page: ChangesPage,
    timeout: float,
    heartbeat: float | None,
) -> AsyncGenerator[bytes | ChangesPage, None]:
    """After the empty `page`: `b"\n"` per idle heartbeat, then the first non-empty page
    (or an empty one at the deadline)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not page.results:
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        wait = min(remaining, heartbeat) if heartbeat else remaining
        if await store.wait_for_change(db, page.last_seq, wait):
            page = await query.page(store, db, page.last_seq)
        elif heartbeat:
            yield b"\n"
    yield page


async def _changes(request: Req, db: str, body: ChangesBody) -> Response[bytes] | Stream:
    feed = request.query_params.get("feed", "normal")
    if feed not in _FEEDS:
        raise BadRequest(f"Unsupported feed {feed!r}: use normal or longpoll.")
    query = _query(request, body)
    store = store_of(request)
    if request.query_params.get("filter") not in (None, "", "_doc_ids", "_selector"):
        await check_filter(store, db, request)  # design-doc functions: 400, 404 or 501
    fast = getattr(store, "changes_json", None)
    if feed == "normal" and fast is not None and not (query.attachments and query.include_docs):
        # the whole page as the store encoded it (CouchDB's own bytes on that backend)
        return Response(content=await fast(db, **query.options(query.since)),
                        status_code=200, media_type=JSON_TYPE)
    page = await query.page(store, db, query.since)
    if feed == "normal" or query.descending or page.results:
        return json_response(page)
    timeout_ms = min(int_param(request, "timeout", MAX_TIMEOUT_MS, minimum=0) or 0, MAX_TIMEOUT_MS)
    heartbeat_ms = _heartbeat_ms(request)
    events = _longpoll(store, db, query, page, timeout_ms / 1000,
                       heartbeat_ms / 1000 if heartbeat_ms else None)
    if not heartbeat_ms:
        async for event in events:
            page = event if isinstance(event, ChangesPage) else page
        return json_response(page)

    async def stream() -> AsyncIterator[bytes]:
        # Headers go out now; idle connections then see a newline every heartbeat.
        try:
            async for event in events:
                yield encode(event) + b"\n" if isinstance(event, ChangesPage) else event
        except NotFound:  # the database was deleted while we waited: end the answer cleanly
            yield encode(ChangesPage(results=[], last_seq=page.last_seq)) + b"\n"

    return Stream(stream(), media_type=JSON_TYPE)


@get("/{db:str}/_changes")
async def changes_get(request: Req, db: FromPath[str]) -> Response[bytes] | Stream:
    return await _changes(request, db, ChangesBody())


@post("/{db:str}/_changes")
async def changes_post(request: Req, db: FromPath[str]) -> Response[bytes] | Stream:
    raw = await read_body(request)
    body = decode(raw, ChangesBody) if raw.strip() else ChangesBody()
    return await _changes(request, db, body)


CHANGES_HANDLERS = [changes_get, changes_post]
