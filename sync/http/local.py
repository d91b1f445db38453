"""Non-replicated documents: `GET|PUT|DELETE /db/{db}/_local/{id}` (replication checkpoints)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, put
from litestar.params import FromPath

from .batch import local_body
from .params import local_id
from .wire import json_response, read_json, settings_of, store_of

__all__ = ["LOCAL_HANDLERS"]

Req = Request[Any, Any, Any]


@get("/{db:str}/_local/{name:path}")
async def get_local(request: Req, db: FromPath[str], name: FromPath[str]) -> Response[bytes]:
    return json_response(await store_of(request).get_local(db, local_id(request)))


@put("/{db:str}/_local/{name:path}", status_code=201)
async def put_local(request: Req, db: FromPath[str], name: FromPath[str]) -> Response[bytes]:
    lid = local_id(request)
    doc = local_body(await read_json(request, dict[str, Any], settings_of(request)[1]))
    doc["_id"] = f"_local/{lid}"
    result = await store_of(request).put_local(db, lid, doc)
    return json_response({"ok": True, "id": result.id, "rev": result.rev}, 201)


@delete("/{db:str}/_local/{name:path}", status_code=200)
async def delete_local(request: Req, db: FromPath[str], name: FromPath[str]) -> Response[bytes]:
    result = await store_of(request).delete_local(db, local_id(request))
    return json_response({"ok": True, "id": result.id, "rev": result.rev})


LOCAL_HANDLERS = [get_local, put_local, delete_local]
