"""Standalone attachments: `GET|PUT|DELETE /db/{db}/{docid}/{name}` (raw bytes)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from litestar import Request, Response

from ..errors import Conflict, NotFound
from .params import DocPath, rev_param
from .wire import read_body, store_of, written

if TYPE_CHECKING:
    from ..store import DocumentStore

__all__ = ["delete_attachment", "get_attachment", "put_attachment"]

Req = Request[Any, Any, Any]
_META = ("_revisions", "_conflicts", "_deleted_conflicts", "_revs_info", "_local_seq")


async def get_attachment(request: Req, path: DocPath) -> Response[bytes]:
    assert path.attachment is not None
    att = await store_of(request).get_attachment(
        path.db, path.doc_id, path.attachment, rev=request.query_params.get("rev") or None
    )
    # The stored Content-Type exactly (Litestar would add "; charset=utf-8" to text types).
    headers = {"ETag": f'"{att.digest}"', "Accept-Ranges": "none",
               "Content-Type": att.content_type}
    if att.digest.startswith("md5-"):
        headers["Content-MD5"] = att.digest[4:]
    return Response(content=att.data, media_type=att.content_type, headers=headers)


async def _current(store: DocumentStore, path: DocPath, rev: str | None) -> dict[str, Any]:
    """The doc the attachment edit applies to: `rev` if given, else a new (or re-created) doc."""
    if rev:
        doc = await store.get(path.db, path.doc_id, rev=rev)
    else:
        try:
            await store.get(path.db, path.doc_id)
        except NotFound:
            return {"_id": path.doc_id}
        raise Conflict("Document update conflict.")
    for key in _META:
        doc.pop(key, None)
    return doc


async def put_attachment(request: Req, path: DocPath) -> Response[bytes]:
    assert path.attachment is not None
    store = store_of(request)
    data = await read_body(request)
    doc = await _current(store, path, rev_param(request))
    atts = doc.setdefault("_attachments", {})
    atts[path.attachment] = {
        "content_type": request.headers.get("content-type", "application/octet-stream"),
        "data": base64.b64encode(data).decode("ascii"),
    }
    return written(await store.put(path.db, doc))


async def delete_attachment(request: Req, path: DocPath) -> Response[bytes]:
    assert path.attachment is not None
    rev = rev_param(request)
    if not rev:
        raise Conflict("Document update conflict.")
    store = store_of(request)
    doc = await _current(store, path, rev)
    if path.attachment not in doc.get("_attachments", {}):
        raise NotFound("Document is missing attachment")
    del doc["_attachments"][path.attachment]
    return written(await store.put(path.db, doc), 200)
