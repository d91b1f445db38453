"""Database routes: `GET|HEAD|PUT|DELETE /db/{db}`, `POST /db/{db}` (new doc),
`_ensure_full_commit`, `_compact`."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, delete, get, head, post, put
from litestar.params import FromPath

from ..errors import TooLarge, UnsupportedMediaType
from .wire import decode, json_response, read_body, settings_of, store_of, written

__all__ = ["DATABASE_HANDLERS"]

Req = Request[Any, Any, Any]


@get("/{db:str}")
async def db_info(request: Req, db: FromPath[str]) -> Response[bytes]:
    return json_response(await store_of(request).db_info(db))


@head("/{db:str}")
async def db_exists(request: Req, db: FromPath[str]) -> None:
    await store_of(request).db_info(db)


@put("/{db:str}", status_code=201)
async def create_db(request: Req, db: FromPath[str]) -> Response[bytes]:
    await store_of(request).create_db(db)
    return json_response({"ok": True}, 201, {"Location": f"/db/{db}"})


@delete("/{db:str}", status_code=200)
async def delete_db(request: Req, db: FromPath[str]) -> Response[bytes]:
    await store_of(request).delete_db(db)
    return json_response({"ok": True})


@post("/{db:str}", status_code=201)
async def create_doc(request: Req, db: FromPath[str]) -> Response[bytes]:
    """Create a document; `_id` is generated when absent (as CouchDB's `POST /{db}`)."""
    max_doc = settings_of(request)[1]
    body = await read_body(request)
    if len(body) > max_doc:
        raise TooLarge("Document exceeds the maximum document size.")
    doc = decode(body, dict[str, Any], "document")
    doc.setdefault("_id", uuid.uuid4().hex)
    return written(await store_of(request).put(db, doc))


@post("/{db:str}/_ensure_full_commit", status_code=201)
async def ensure_full_commit(request: Req, db: FromPath[str]) -> Response[bytes]:
    await store_of(request).db_info(db)
    return json_response({"ok": True, "instance_start_time": "0"}, 201)


@post("/{db:str}/_compact", status_code=202)
async def compact(request: Req, db: FromPath[str]) -> Response[bytes]:
    """202 at once, as CouchDB (whose compaction then runs in the background)."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise UnsupportedMediaType("Content-Type must be application/json")
    await store_of(request).compact(db)
    return json_response({"ok": True}, 202)


DATABASE_HANDLERS = [
    db_info, db_exists, create_db, delete_db, create_doc, ensure_full_commit, compact]
